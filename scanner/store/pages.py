"""The store's crawl side: page snapshots (and 304 revisits), fetch errors, and what a
resumed or conditional crawl needs to know of earlier pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from scanner.errors import DuplicatePage, StoreError
from scanner.models import (
    FetchedPage,
    FetchErrorRecord,
    FetchFailure,
    PageSnapshot,
    TextBlock,
)
from scanner.store.schema import FetchErrorRow, SnapshotRow


@dataclass(frozen=True)
class WarcRef:
    """Where a response's evidence was written."""

    file: str
    record_id: str
    offset: int
    length: int


@dataclass(frozen=True)
class PreviousPage:
    """A URL's latest good snapshot before this run: what a conditional request needs."""

    snapshot_id: int
    clinic_id: str
    url: str
    etag: str | None
    last_modified: str | None
    links: list[dict[str, str]]
    captured_at: datetime
    warc_record_id: str
    sha256: str


@dataclass(frozen=True)
class StoredPage:
    """What a resumed crawl needs to know of a page it already has."""

    clinic_id: str
    url: str
    depth: int
    links: list[dict[str, str]]


class PageQueries:
    clock: Callable[[], datetime]  # provided by Store

    def session(self) -> Session:  # provided by Store
        raise NotImplementedError

    def add_page(self, run_id: int, page: FetchedPage, sha256: str, warc: WarcRef) -> int:
        """Store a snapshot; DuplicatePage if the run has one of this URL already."""
        try:
            if page.revisit_of is not None:
                return self._add_revisit(run_id, page, warc)
            return self._add_snapshot(run_id, page, sha256, warc)
        except IntegrityError as exc:
            if self._has_snapshot(run_id, page.url):
                raise DuplicatePage(f"run {run_id} already holds {page.url}") from exc
            raise

    def _has_snapshot(self, run_id: int, url: str) -> bool:
        with self.session() as session:
            query = select(SnapshotRow.id).where(
                SnapshotRow.run_id == run_id, SnapshotRow.url == url
            )
            return session.scalar(query) is not None

    def _add_snapshot(self, run_id: int, page: FetchedPage, sha256: str, warc: WarcRef) -> int:
        extracted = page.page
        row = SnapshotRow(
            run_id=run_id,
            clinic_id=page.clinic_id,
            url=page.url,
            final_url=page.final_url,
            status=page.status,
            depth=page.depth,
            content_type=page.content_type,
            fetched_at=page.fetched_at,
            sha256=sha256,
            body_length=len(page.body),
            headers=[list(h) for h in page.response_headers],
            title=extracted.title if extracted else "",
            description=extracted.description if extracted else "",
            blocks=[b.model_dump() for b in extracted.blocks] if extracted else [],
            links=[link.model_dump() for link in extracted.links] if extracted else [],
            warc_file=warc.file,
            warc_record_id=warc.record_id,
            warc_offset=warc.offset,
            warc_length=warc.length,
        )
        with self.session() as session, session.begin():
            session.add(row)
            session.flush()
            return row.id

    def _add_revisit(self, run_id: int, page: FetchedPage, warc: WarcRef) -> int:
        """A 304 answer: a snapshot of this run whose content is the earlier snapshot's."""
        with self.session() as session, session.begin():
            original = session.get(SnapshotRow, page.revisit_of)
            if original is None:
                raise StoreError(f"no snapshot {page.revisit_of} to revisit")
            row = SnapshotRow(
                run_id=run_id,
                clinic_id=page.clinic_id,
                url=page.url,
                final_url=page.final_url,
                status=page.status,
                depth=page.depth,
                content_type=original.content_type,
                fetched_at=page.fetched_at,
                sha256=original.sha256,
                body_length=original.body_length,
                # The representation's metadata: the original's, updated by the 304's (which
                # may leave out the ETag); the WARC record keeps the 304's own headers.
                headers=_merged_headers(original.headers, page.response_headers),
                title=original.title,
                description=original.description,
                blocks=original.blocks,
                links=original.links,
                warc_file=warc.file,
                warc_record_id=warc.record_id,
                warc_offset=warc.offset,
                warc_length=warc.length,
                revisit_of=original.revisit_of or original.id,
            )
            session.add(row)
            session.flush()
            return row.id

    def previous_pages(self, before_run: int) -> Iterator[PreviousPage]:
        """Each URL's latest good snapshot (2xx, or a revisit of one) from earlier runs."""
        query = (
            select(SnapshotRow)
            .where(SnapshotRow.run_id < before_run)
            .where((SnapshotRow.status.between(200, 299)) | (SnapshotRow.revisit_of.is_not(None)))
            .order_by(SnapshotRow.id)
        )
        latest: dict[tuple[str, str], SnapshotRow] = {}
        with self.session() as session:
            for row in session.scalars(query.execution_options(yield_per=500)):
                latest[(row.clinic_id, row.url)] = row
            for row in latest.values():
                headers = {str(k).lower(): str(v) for k, v in row.headers}
                yield PreviousPage(
                    snapshot_id=row.id,
                    clinic_id=row.clinic_id,
                    url=row.url,
                    etag=headers.get("etag"),
                    last_modified=headers.get("last-modified"),
                    links=row.links,
                    captured_at=row.fetched_at,
                    warc_record_id=row.warc_record_id,
                    sha256=row.sha256,
                )

    def add_failure(self, run_id: int, failure: FetchFailure) -> None:
        with self.session() as session, session.begin():
            session.add(FetchErrorRow(run_id=run_id, **failure.model_dump()))

    def stored_pages(self, run_id: int) -> Iterator[StoredPage]:
        query = select(
            SnapshotRow.clinic_id, SnapshotRow.url, SnapshotRow.depth, SnapshotRow.links
        ).where(SnapshotRow.run_id == run_id)
        with self.session() as session:
            for clinic_id, url, depth, links in session.execute(query):
                yield StoredPage(clinic_id, url, depth, links)

    def failed_urls(self, run_id: int) -> set[tuple[str, str]]:
        """(clinic id, URL) of every request of the run that ended in an error."""
        query = select(FetchErrorRow.clinic_id, FetchErrorRow.url).where(
            FetchErrorRow.run_id == run_id
        )
        with self.session() as session:
            return {(c, u) for c, u in session.execute(query)}

    def run_counts(self, run_id: int) -> tuple[int, int]:
        """(snapshots, fetch errors) stored for a run so far."""
        with self.session() as session:
            pages = session.scalar(
                select(func.count()).select_from(SnapshotRow).where(SnapshotRow.run_id == run_id)
            )
            errors = session.scalar(
                select(func.count())
                .select_from(FetchErrorRow)
                .where(FetchErrorRow.run_id == run_id)
            )
            return int(pages or 0), int(errors or 0)

    def warc_end(self, run_id: int, warc_file: str) -> int | None:
        """The end offset of the last response record a snapshot of the run points to."""
        query = select(func.max(SnapshotRow.warc_offset + SnapshotRow.warc_length)).where(
            SnapshotRow.run_id == run_id, SnapshotRow.warc_file == warc_file
        )
        with self.session() as session:
            return session.scalar(query)

    def snapshots(
        self, run_id: int | None = None, clinic_ids: Iterable[str] = ()
    ) -> Iterator[PageSnapshot]:
        query = select(SnapshotRow).order_by(SnapshotRow.id)
        if run_id is not None:
            query = query.where(SnapshotRow.run_id == run_id)
        if clinic_ids := list(clinic_ids):
            query = query.where(SnapshotRow.clinic_id.in_(clinic_ids))
        with self.session() as session:
            for row in session.scalars(query.execution_options(yield_per=500)):
                yield _snapshot(row)

    def snapshot(self, snapshot_id: int) -> PageSnapshot:
        with self.session() as session:
            row = session.get(SnapshotRow, snapshot_id)
            if row is None:
                raise StoreError(f"no snapshot {snapshot_id} in the store")
            return _snapshot(row)

    def errors(self, run_id: int | None = None) -> list[FetchErrorRecord]:
        query = select(FetchErrorRow).order_by(FetchErrorRow.id)
        if run_id is not None:
            query = query.where(FetchErrorRow.run_id == run_id)
        with self.session() as session:
            return [
                FetchErrorRecord.model_validate(row, from_attributes=True)
                for row in session.scalars(query)
            ]


def _merged_headers(original: list[Any], update: list[tuple[str, str]]) -> list[list[str]]:
    names = {name.lower() for name, _ in update}
    kept = [[str(k), str(v)] for k, v in original if str(k).lower() not in names]
    return kept + [list(h) for h in update]


def _snapshot(row: SnapshotRow) -> PageSnapshot:
    return PageSnapshot(
        id=row.id,
        run_id=row.run_id,
        clinic_id=row.clinic_id,
        url=row.url,
        final_url=row.final_url,
        status=row.status,
        depth=row.depth,
        content_type=row.content_type,
        fetched_at=row.fetched_at,
        sha256=row.sha256,
        body_length=row.body_length,
        headers=[(str(k), str(v)) for k, v in row.headers],
        title=row.title,
        description=row.description,
        blocks=[TextBlock.model_validate(b) for b in row.blocks],
        warc_file=row.warc_file,
        warc_record_id=row.warc_record_id,
        warc_offset=row.warc_offset,
        warc_length=row.warc_length,
        revisit_of=row.revisit_of,
        scan_error=row.scan_error,
    )
