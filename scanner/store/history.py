"""The store's claim-history side: meta values, claims with their states and occurrences."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.models import ClaimRecord, ClaimStateRecord
from scanner.store.schema import (
    ClaimOccurrenceRow,
    ClaimRow,
    ClaimStateRow,
    MetaRow,
    RunRow,
    SnapshotRow,
)


class HistoryQueries:
    clock: Callable[[], datetime]  # provided by Store

    def session(self) -> Session:  # provided by Store
        raise NotImplementedError

    @staticmethod
    def meta(session: Session, key: str) -> str | None:
        row = session.get(MetaRow, key)
        return row.value if row else None

    @staticmethod
    def set_meta(session: Session, key: str, value: str) -> None:
        session.merge(MetaRow(key=key, value=value))

    def meta_value(self, key: str) -> str | None:
        with self.session() as session:
            return self.meta(session, key)

    def unscanned_in_run(self, run_id: int, pack_sha256: str) -> int:
        """Pages of the run that the rule pack has not scanned yet."""
        query = select(func.count(SnapshotRow.id)).where(
            SnapshotRow.run_id == run_id,
            (SnapshotRow.status.between(200, 299)) | (SnapshotRow.revisit_of.is_not(None)),
            (SnapshotRow.scanned_with.is_(None)) | (SnapshotRow.scanned_with != pack_sha256),
        )
        with self.session() as session:
            return int(session.scalar(query) or 0)

    def claims(
        self, statuses: Iterable[str] = (), clinic_ids: Iterable[str] = ()
    ) -> list[ClaimRecord]:
        query = select(ClaimRow).order_by(ClaimRow.clinic_id, ClaimRow.first_seen_at, ClaimRow.id)
        if statuses := list(statuses):
            query = query.where(ClaimRow.status.in_(statuses))
        if clinic_ids := list(clinic_ids):
            query = query.where(ClaimRow.clinic_id.in_(clinic_ids))
        with self.session() as session:
            rows = list(session.scalars(query))
            urls: dict[str, set[str]] = defaultdict(set)
            runs: dict[str, set[int]] = defaultdict(set)
            occurrences = select(
                ClaimOccurrenceRow.claim_id, ClaimOccurrenceRow.url, ClaimOccurrenceRow.run_id
            ).where(ClaimOccurrenceRow.claim_id.in_([r.id for r in rows]))
            last = {r.id: r.last_seen_run for r in rows}
            for claim_id, url, run_id in session.execute(occurrences):
                runs[claim_id].add(run_id)
                if run_id == last[claim_id]:
                    urls[claim_id].add(url)
            return [
                ClaimRecord(
                    id=r.id,
                    clinic=r.clinic_id,
                    category=r.category,
                    categories=list(r.categories) or [r.category],
                    rule_id=r.rule_id,
                    severity=r.severity,
                    strength=r.strength,
                    sentence=r.sentence,
                    urls=sorted(urls[r.id]),
                    first_seen=r.first_seen_at,
                    last_seen=r.last_seen_at,
                    status=r.status,
                    runs=sorted(runs[r.id]),
                )
                for r in rows
            ]

    def claim_states(self, run_id: int) -> dict[str, ClaimStateRecord]:
        query = select(ClaimStateRow).where(ClaimStateRow.run_id == run_id)
        with self.session() as session:
            return {
                row.claim_id: ClaimStateRecord.model_validate(row, from_attributes=True)
                for row in session.scalars(query)
            }

    def reconciled_runs(self) -> list[int]:
        """The runs in the claim history: completed runs it has been brought up to, a run
        with no claim at all (every claim gone) included."""
        through = int(self.meta_value("claims_through_run") or 0)  # see history/reconcile.py
        query = select(ClaimStateRow.run_id).distinct().order_by(ClaimStateRow.run_id)
        with self.session() as session:
            with_states = set(session.scalars(query))
            completed = set(
                session.scalars(
                    select(RunRow.id).where(RunRow.status == "completed", RunRow.id <= through)
                )
            )
        return sorted(with_states | completed)
