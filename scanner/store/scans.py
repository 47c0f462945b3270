"""The store's scan side: which snapshots a rule pack has scanned, and their findings."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from scanner.models import ScanRun, StoredFinding, TextBlock, page_blocks
from scanner.store.schema import ClinicRow, FindingRow, ScanRow, SnapshotRow


@dataclass(frozen=True)
class PageToScan:
    snapshot_id: int
    blocks: list[TextBlock]  # title, meta description, then the body's blocks
    clinic_name: str = ""  # the site's own name is a name, not a claim


@dataclass(frozen=True)
class ScanFailed:
    """Detection failed on this page: recorded as the page's scan error, not retried until
    the rule pack changes."""

    message: str


ScannedPage = tuple[PageToScan, "list[FindingToSave] | ScanFailed"]


@dataclass(frozen=True)
class ClaimedBatch:
    """Pages claimed by one scanner: scan `pages`, then `save` their findings."""

    pages: list[PageToScan]
    reused: int
    save: Callable[[Iterable[ScannedPage]], int]


@dataclass(frozen=True)
class ScanErrorRecord:
    """A page that could not be scanned, and why."""

    snapshot_id: int
    run_id: int
    clinic_id: str
    url: str
    status: int
    fetched_at: datetime
    message: str


@dataclass(frozen=True)
class FindingToSave:
    kind: str
    block: int
    rule_id: str | None
    category: str | None
    severity: str | None
    strength: str | None
    text: str
    sentence: str
    start: int
    end: int
    sentence_start: int
    cues: tuple[str, ...]
    disclosures: tuple[str, ...]
    categories: tuple[str, ...] = ()


class ScanQueries:
    clock: Callable[[], datetime]  # provided by Store

    def session(self) -> Session:  # provided by Store
        raise NotImplementedError

    def create_scan(self, pack_sha256: str, pack_version: str, workers: int) -> int:
        with self.session() as session, session.begin():
            row = ScanRow(
                rule_pack_sha256=pack_sha256,
                rule_pack_version=pack_version,
                started_at=self.clock(),
                status="running",
                snapshots=0,
                findings=0,
                workers=workers,
            )
            session.add(row)
            session.flush()
            return row.id

    def finish_scan(self, scan_id: int, status: str, snapshots: int, findings: int) -> None:
        with self.session() as session, session.begin():
            session.execute(
                update(ScanRow)
                .where(ScanRow.id == scan_id)
                .values(
                    status=status,
                    finished_at=self.clock(),
                    snapshots=snapshots,
                    findings=findings,
                )
            )

    def scans(self) -> list[ScanRun]:
        with self.session() as session:
            rows = session.scalars(select(ScanRow).order_by(ScanRow.id))
            return [ScanRun.model_validate(r, from_attributes=True) for r in rows]

    def snapshots_to_scan(self, pack_sha256: str) -> list[int]:
        """Pages (2xx snapshots, and 304 revisits of them) this rule pack has not scanned."""
        query = select(SnapshotRow.id).where(_unscanned(pack_sha256)).order_by(SnapshotRow.id)
        with self.session() as session:
            return list(session.scalars(query))

    def pages_to_scan(self, snapshot_ids: Sequence[int]) -> list[PageToScan]:
        with self.session() as session:
            return _pages(session, snapshot_ids)

    @contextmanager
    def claim_batch(
        self, scan_id: int, pack_sha256: str, size: int
    ) -> Iterator[ClaimedBatch | None]:
        """PostgreSQL: lock up to `size` pages this rule pack has not scanned, skipping rows
        other scanners hold (FOR UPDATE SKIP LOCKED), until the block ends. Unchanged pages
        take their earlier findings at once; `batch.save` writes the rest, in the same
        transaction. None when no page is left to claim."""
        with self.session() as session, session.begin():
            ids = list(
                session.scalars(
                    select(SnapshotRow.id)
                    .where(_unscanned(pack_sha256))
                    .order_by(SnapshotRow.id)
                    .limit(size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not ids:
                yield None
                return
            reused = set(_reuse(session, scan_id, pack_sha256, ids))
            pages = _pages(session, [i for i in ids if i not in reused])

            def save(rows: Iterable[ScannedPage]) -> int:
                return _save(session, scan_id, pack_sha256, rows)

            yield ClaimedBatch(pages, len(reused), save)

    def save_findings(self, scan_id: int, pack_sha256: str, pages: Iterable[ScannedPage]) -> int:
        """Replace the findings of these pages with a rule pack's (or record that detection
        failed on a page), in one transaction."""
        with self.session() as session, session.begin():
            return _save(session, scan_id, pack_sha256, pages)

    def scan_errors(self, run_id: int | None = None) -> list[ScanErrorRecord]:
        """Pages the current scans could not scan (detection failed on them)."""
        query = (
            select(SnapshotRow).where(SnapshotRow.scan_error.is_not(None)).order_by(SnapshotRow.id)
        )
        if run_id is not None:
            query = query.where(SnapshotRow.run_id == run_id)
        with self.session() as session:
            return [
                ScanErrorRecord(
                    row.id, row.run_id, row.clinic_id, row.url, row.status, row.fetched_at,
                    row.scan_error or "",
                )
                for row in session.scalars(query)
            ]  # fmt: skip

    def reuse_findings(
        self, scan_id: int, pack_sha256: str, snapshot_ids: Sequence[int]
    ) -> list[int]:
        """Give pages whose body is unchanged (same URL, same SHA-256 as a page this rule pack
        already scanned) that page's findings, without scanning; return the pages served."""
        with self.session() as session, session.begin():
            return _reuse(session, scan_id, pack_sha256, snapshot_ids)

    def findings(
        self, kind: str | None = "claim", clinic_ids: Iterable[str] = ()
    ) -> Iterator[StoredFinding]:
        query = (
            select(FindingRow, SnapshotRow)
            .join(SnapshotRow, FindingRow.snapshot_id == SnapshotRow.id)
            .order_by(
                SnapshotRow.clinic_id,
                FindingRow.snapshot_id,
                FindingRow.block_index,
                FindingRow.start,
            )
        )
        if kind is not None:
            query = query.where(FindingRow.kind == kind)
        if clinic_ids := list(clinic_ids):
            query = query.where(SnapshotRow.clinic_id.in_(clinic_ids))
        with self.session() as session:
            for finding, snapshot in session.execute(query):
                yield StoredFinding(
                    id=finding.id,
                    scan_id=finding.scan_id,
                    kind=finding.kind,
                    clinic_id=snapshot.clinic_id,
                    snapshot_id=snapshot.id,
                    url=snapshot.url,
                    fetched_at=snapshot.fetched_at,
                    sha256=snapshot.sha256,
                    warc_file=snapshot.warc_file,
                    warc_record_id=snapshot.warc_record_id,
                    rule_id=finding.rule_id,
                    category=finding.category,
                    severity=finding.severity,
                    strength=finding.strength,
                    text=finding.text,
                    sentence=finding.sentence,
                    block_index=finding.block_index,
                    block_tag=finding.block_tag,
                    block_locator=finding.block_locator,
                    heading=finding.heading,
                    start=finding.start,
                    end=finding.end,
                    sentence_start=finding.sentence_start,
                    cues=finding.cues,
                    disclosures=finding.disclosures,
                    categories=finding.categories or [finding.category] * bool(finding.category),
                )


def _unscanned(pack_sha256: str) -> Any:
    """Pages (2xx snapshots, and 304 revisits of them) a rule pack has not scanned."""
    return ((SnapshotRow.status.between(200, 299)) | (SnapshotRow.revisit_of.is_not(None))) & (
        (SnapshotRow.scanned_with.is_(None)) | (SnapshotRow.scanned_with != pack_sha256)
    )


def _pages(session: Session, snapshot_ids: Sequence[int]) -> list[PageToScan]:
    query = (
        select(
            SnapshotRow.id,
            SnapshotRow.title,
            SnapshotRow.description,
            SnapshotRow.blocks,
            ClinicRow.name,
        )
        .join(ClinicRow, ClinicRow.id == SnapshotRow.clinic_id, isouter=True)
        .where(SnapshotRow.id.in_(snapshot_ids))
    )
    pages = []
    for snapshot_id, title, description, blocks, name in session.execute(query):
        body = [TextBlock.model_validate(b) for b in blocks]
        pages.append(PageToScan(snapshot_id, page_blocks(title, description, body), name or ""))
    return sorted(pages, key=lambda p: p.snapshot_id)


def _save(session: Session, scan_id: int, pack_sha256: str, pages: Iterable[ScannedPage]) -> int:
    """Replace pages' findings with a rule pack's, and mark them scanned by it (with the
    error, for a page detection failed on)."""
    count = 0
    for page, findings in pages:
        session.execute(delete(FindingRow).where(FindingRow.snapshot_id == page.snapshot_id))
        error = findings.message if isinstance(findings, ScanFailed) else None
        for finding in findings if isinstance(findings, list) else []:
            block = page.blocks[finding.block]
            session.add(
                FindingRow(
                    snapshot_id=page.snapshot_id,
                    scan_id=scan_id,
                    rule_pack_sha256=pack_sha256,
                    kind=finding.kind,
                    rule_id=finding.rule_id,
                    category=finding.category,
                    severity=finding.severity,
                    strength=finding.strength,
                    text=finding.text,
                    sentence=finding.sentence,
                    block_index=finding.block,
                    block_tag=block.tag,
                    block_locator=block.locator,
                    heading=block.heading,
                    start=finding.start,
                    end=finding.end,
                    sentence_start=finding.sentence_start,
                    cues=list(finding.cues),
                    disclosures=list(finding.disclosures),
                    categories=list(finding.categories),
                )
            )
            count += 1
        session.execute(
            update(SnapshotRow)
            .where(SnapshotRow.id == page.snapshot_id)
            .values(scanned_with=pack_sha256, scan_error=error)
        )
    return count


def _reuse(
    session: Session, scan_id: int, pack_sha256: str, snapshot_ids: Sequence[int]
) -> list[int]:
    """Copy findings to pages whose body is the same (URL and SHA-256) as a page the rule
    pack already scanned; return the pages served."""
    targets = session.execute(
        select(SnapshotRow.id, SnapshotRow.url, SnapshotRow.sha256).where(
            SnapshotRow.id.in_(snapshot_ids)
        )
    ).all()
    donors: dict[tuple[str, str], int] = {}
    errors: dict[int, str | None] = {}
    query = select(
        SnapshotRow.id, SnapshotRow.url, SnapshotRow.sha256, SnapshotRow.scan_error
    ).where(
        SnapshotRow.scanned_with == pack_sha256,
        SnapshotRow.sha256.in_({sha for _, _, sha in targets}),
    )
    for donor_id, url, sha, error in session.execute(query):
        donors[(url, sha)] = max(donor_id, donors.get((url, sha), 0))
        errors[donor_id] = error
    reused = []
    for snapshot_id, url, sha in targets:
        donor = donors.get((url, sha))
        if donor is None or donor == snapshot_id:
            continue
        session.execute(delete(FindingRow).where(FindingRow.snapshot_id == snapshot_id))
        columns = [c.key for c in FindingRow.__table__.columns if c.key != "id"]
        for row in session.scalars(select(FindingRow).where(FindingRow.snapshot_id == donor)):
            copy = {name: getattr(row, name) for name in columns}
            session.add(FindingRow(**{**copy, "snapshot_id": snapshot_id, "scan_id": scan_id}))
        session.execute(
            update(SnapshotRow)
            .where(SnapshotRow.id == snapshot_id)
            .values(scanned_with=pack_sha256, scan_error=errors[donor])
        )
        reused.append(snapshot_id)
    return reused
