"""The store's review side: verdicts on claims, their audit log, and what a claim page shows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from scanner.errors import StoreError
from scanner.identity import normalize_sentence
from scanner.models import (
    ClaimOccurrenceRecord,
    ClaimStateRecord,
    VerdictLogEntry,
    VerdictRecord,
)
from scanner.store.schema import (
    ClaimOccurrenceRow,
    ClaimRow,
    ClaimStateRow,
    SnapshotRow,
    VerdictLogRow,
    VerdictRow,
)

VERDICTS = ("open", "confirmed", "dismissed")
UNDO_NOTE = "undo:"  # how an undo's log entry and verdict note begin


def _decide(
    session: Session, claim_id: str, verdict: str, note: str, reviewer: str, now: datetime
) -> VerdictRecord:
    claim = session.get(ClaimRow, claim_id)
    if claim is None:
        raise StoreError(f"no claim {claim_id} in the store")
    previous = session.get(VerdictRow, claim_id)
    session.add(
        VerdictLogRow(
            claim_id=claim_id, at=now, reviewer=reviewer,
            from_verdict=previous.verdict if previous else "open", to_verdict=verdict,
            note=note, sentence=claim.sentence,
        )
    )  # fmt: skip
    row = session.merge(
        VerdictRow(
            claim_id=claim_id, verdict=verdict, note=note, reviewer=reviewer,
            decided_at=now, sentence=claim.sentence,
        )
    )  # fmt: skip
    return _record(row, claim.sentence)


class VerdictQueries:
    clock: Callable[[], datetime]  # provided by Store

    def session(self) -> Session:  # provided by Store
        raise NotImplementedError

    def set_verdict(self, claim_id: str, verdict: str, note: str, reviewer: str) -> VerdictRecord:
        """Record a verdict on a claim and log the change, in one transaction."""
        [record] = self.set_verdicts([claim_id], verdict, note, reviewer)
        return record

    def set_verdicts(
        self, claim_ids: list[str], verdict: str, note: str, reviewer: str
    ) -> list[VerdictRecord]:
        """The same verdict and note on several claims (a bulk decision), each logged, all
        in one transaction: every claim gets it, or none does."""
        if verdict not in VERDICTS:
            raise StoreError(f"a verdict is one of {', '.join(VERDICTS)}, not {verdict!r}")
        if not reviewer.strip():
            raise StoreError("a verdict needs the reviewer's name")
        if not claim_ids:
            raise StoreError("no claim chosen")
        now = self.clock()
        with self.session() as session, session.begin():
            return [
                _decide(session, claim_id, verdict, note, reviewer.strip(), now)
                for claim_id in dict.fromkeys(claim_ids)
            ]

    def undo_verdicts(self, claim_ids: list[str], reviewer: str) -> list[VerdictRecord]:
        """Take back the latest verdict on each claim: it returns to the verdict before, and
        the log gains an entry saying so (the log is never rewritten). A claim whose latest
        entry is already an undo, or that was never decided, is left as it is."""
        if not reviewer.strip():
            raise StoreError("an undo needs the reviewer's name")
        now = self.clock()
        undone = []
        with self.session() as session, session.begin():
            for claim_id in dict.fromkeys(claim_ids):
                last = session.scalars(
                    select(VerdictLogRow)
                    .where(VerdictLogRow.claim_id == claim_id)
                    .order_by(VerdictLogRow.at.desc(), VerdictLogRow.id.desc())
                    .limit(1)
                ).first()
                if last is None or last.note.startswith(UNDO_NOTE):
                    continue
                note = f"{UNDO_NOTE} {last.to_verdict} of {last.at:%Y-%m-%d %H:%M:%S} UTC"
                undone.append(
                    _decide(session, claim_id, last.from_verdict, note, reviewer.strip(), now)
                )
        return undone

    def verdicts(self) -> dict[str, VerdictRecord]:
        """Every claim's current verdict; `needs_review` when the claim was reworded since."""
        query = select(VerdictRow, ClaimRow.sentence).join(
            ClaimRow, ClaimRow.id == VerdictRow.claim_id, isouter=True
        )
        with self.session() as session:
            return {row.claim_id: _record(row, current) for row, current in session.execute(query)}

    def verdict_log(self, claim_id: str | None = None) -> list[VerdictLogEntry]:
        query = select(VerdictLogRow).order_by(VerdictLogRow.at, VerdictLogRow.id)
        if claim_id is not None:
            query = query.where(VerdictLogRow.claim_id == claim_id)
        with self.session() as session:
            return [
                VerdictLogEntry.model_validate(r, from_attributes=True)
                for r in session.scalars(query)
            ]

    def claim_occurrences(self, claim_id: str) -> list[ClaimOccurrenceRecord]:
        query = (
            select(ClaimOccurrenceRow, SnapshotRow.sha256, SnapshotRow.warc_record_id)
            .join(SnapshotRow, SnapshotRow.id == ClaimOccurrenceRow.snapshot_id)
            .where(ClaimOccurrenceRow.claim_id == claim_id)
            .order_by(ClaimOccurrenceRow.run_id.desc(), ClaimOccurrenceRow.url)
        )
        with self.session() as session:
            return [
                ClaimOccurrenceRecord(
                    run_id=o.run_id,
                    snapshot_id=o.snapshot_id,
                    url=o.url,
                    heading=o.heading,
                    block_locator=o.block_locator,
                    sentence=o.sentence,
                    captured_at=o.captured_at,
                    sha256=sha256,
                    warc_record_id=record_id,
                )
                for o, sha256, record_id in session.execute(query)
            ]

    def claim_history(self, claim_id: str) -> list[ClaimStateRecord]:
        query = (
            select(ClaimStateRow)
            .where(ClaimStateRow.claim_id == claim_id)
            .order_by(ClaimStateRow.run_id)
        )
        with self.session() as session:
            return [
                ClaimStateRecord.model_validate(r, from_attributes=True)
                for r in session.scalars(query)
            ]


def _record(row: VerdictRow, current_sentence: str | None) -> VerdictRecord:
    reworded = current_sentence is not None and normalize_sentence(
        current_sentence
    ) != normalize_sentence(row.sentence)
    return VerdictRecord(
        claim_id=row.claim_id, verdict=row.verdict, note=row.note,
        reviewer=row.reviewer, decided_at=row.decided_at, sentence=row.sentence,
        needs_review=reworded and row.verdict != "open",
    )  # fmt: skip
