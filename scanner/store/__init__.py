"""The evidence store: clinics, crawl runs, page snapshots and fetch errors.

    store = Store.open("claimscan.db")          # a path, or any SQLAlchemy URL
    for snapshot in store.snapshots(): ...

Every write is one transaction: a crash never leaves a half-written snapshot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from scanner.errors import StoreError
from scanner.models import Clinic, CrawlRun
from scanner.store.database import create_store_engine, database_url, migrate
from scanner.store.history import HistoryQueries
from scanner.store.pages import PageQueries, PreviousPage, StoredPage, WarcRef
from scanner.store.scans import FindingToSave, PageToScan, ScanFailed, ScanQueries
from scanner.store.schema import ClinicRow, RunRow
from scanner.store.screenshots import ScreenshotQueries
from scanner.store.verdicts import VerdictQueries

__all__ = [
    "FindingToSave", "PageToScan", "PreviousPage", "ScanFailed", "Store", "StoredPage",
    "WarcRef",
    "database_url",
]  # fmt: skip


def utc_now() -> datetime:
    return datetime.now(UTC)


class Store(PageQueries, ScanQueries, HistoryQueries, VerdictQueries, ScreenshotQueries):
    def __init__(self, engine: Engine, clock: Callable[[], datetime] = utc_now) -> None:
        self.engine = engine
        self.clock = clock  # every timestamp the store writes itself comes from here
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, path_or_url: str | None = None, clock: Callable[[], datetime] = utc_now) -> Store:
        """Open (and create or upgrade) the store at a path or SQLAlchemy URL."""
        url = database_url(path_or_url)
        engine = create_store_engine(url)
        try:
            migrate(engine)
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"cannot open the store {engine.url!r}: {exc}") from exc
        return cls(engine, clock)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def session(self) -> Session:
        return self._sessions()

    # -- clinics ---------------------------------------------------------------------------

    def save_clinics(self, clinics: Iterable[Clinic]) -> None:
        now = self.clock()
        with self.session() as session, session.begin():
            for clinic in clinics:
                session.merge(
                    ClinicRow(
                        id=clinic.id,
                        name=clinic.name,
                        urls=list(clinic.urls),
                        country=clinic.country,
                        region=clinic.region,
                        tags=list(clinic.tags),
                        notes=clinic.notes,
                        updated_at=now,
                    )
                )

    def clinics(self) -> list[Clinic]:
        with self.session() as session:
            return [
                Clinic(
                    id=row.id,
                    name=row.name,
                    urls=tuple(row.urls),
                    country=row.country,
                    region=row.region,
                    tags=tuple(row.tags),
                    notes=row.notes,
                )
                for row in session.scalars(select(ClinicRow).order_by(ClinicRow.id))
            ]

    # -- runs ------------------------------------------------------------------------------

    def create_run(
        self, clinic_list: str, clinic_list_sha256: str, settings: dict[str, Any], warc_file: str
    ) -> CrawlRun:
        with self.session() as session, session.begin():
            row = RunRow(
                kind="crawl",
                status="running",
                started_at=self.clock(),
                clinic_list=clinic_list,
                clinic_list_sha256=clinic_list_sha256,
                settings=settings,
                stats={},
                warc_file=warc_file,
            )
            session.add(row)
            session.flush()
            return _run(row)

    def unfinished_run(self, clinic_list_sha256: str) -> CrawlRun | None:
        """The latest crawl of this clinic list that did not complete, if any."""
        query = (
            select(RunRow)
            .where(RunRow.clinic_list_sha256 == clinic_list_sha256)
            .order_by(RunRow.id.desc())
            .limit(1)
        )
        with self.session() as session:
            row = session.scalars(query).first()
            return _run(row) if row and row.status in ("running", "interrupted") else None

    def mark_run(self, run_id: int, status: str, stats: dict[str, Any] | None = None) -> None:
        values: dict[str, Any] = {"status": status}
        if status != "running":
            values["finished_at"] = self.clock()
        if stats is not None:
            values["stats"] = stats
        with self.session() as session, session.begin():
            session.execute(update(RunRow).where(RunRow.id == run_id).values(**values))

    def runs(self) -> list[CrawlRun]:
        with self.session() as session:
            return [_run(r) for r in session.scalars(select(RunRow).order_by(RunRow.id))]

    def run(self, run_id: int) -> CrawlRun:
        with self.session() as session:
            row = session.get(RunRow, run_id)
            if row is None:
                raise StoreError(f"no run {run_id} in the store")
            return _run(row)


def _run(row: RunRow) -> CrawlRun:
    return CrawlRun.model_validate(row, from_attributes=True)
