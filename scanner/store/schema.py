"""The store's tables. Every change here needs a migration in store/migrations/versions/
(tests/test_store.py fails when the tables and the migrations disagree)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store; use UTC-aware datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UTCDateTime}


class ClinicRow(Base):
    __tablename__ = "clinics"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    urls: Mapped[list[Any]]
    country: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[Any]]
    notes: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime]


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    clinic_list: Mapped[str] = mapped_column(Text)
    clinic_list_sha256: Mapped[str] = mapped_column(String(64), index=True)
    settings: Mapped[dict[str, Any]]
    stats: Mapped[dict[str, Any]]
    warc_file: Mapped[str] = mapped_column(Text)


class SnapshotRow(Base):
    __tablename__ = "snapshots"
    __table_args__ = (
        UniqueConstraint("run_id", "url"),
        Index(None, "clinic_id", "fetched_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"))
    url: Mapped[str] = mapped_column(Text)
    final_url: Mapped[str] = mapped_column(Text)
    status: Mapped[int]
    depth: Mapped[int]
    content_type: Mapped[str] = mapped_column(Text)
    fetched_at: Mapped[datetime]
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    body_length: Mapped[int] = mapped_column(BigInteger)
    headers: Mapped[list[Any]]
    title: Mapped[str] = mapped_column(Text)
    description: Mapped[str] = mapped_column(Text)
    blocks: Mapped[list[Any]]
    links: Mapped[list[Any]]
    warc_file: Mapped[str] = mapped_column(Text)
    warc_record_id: Mapped[str] = mapped_column(String(80))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
    # The rule pack (sha256) whose findings this snapshot holds; None: not scanned yet.
    scanned_with: Mapped[str | None] = mapped_column(String(64), index=True)
    # Why detection failed on this page, when it did (with the rule pack in scanned_with).
    scan_error: Mapped[str | None] = mapped_column(Text)
    # A 304 Not Modified answer: the page is the earlier snapshot's, unchanged.
    revisit_of: Mapped[int | None] = mapped_column(ForeignKey("snapshots.id"))


class FetchErrorRow(Base):
    __tablename__ = "fetch_errors"
    __table_args__ = (Index(None, "run_id", "url"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    url: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[int | None]
    occurred_at: Mapped[datetime]


class ScanRow(Base):
    """One `claimscan scan`: which rule pack it used and what it did."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    rule_pack_sha256: Mapped[str] = mapped_column(String(64), index=True)
    rule_pack_version: Mapped[str] = mapped_column(Text)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(20))
    snapshots: Mapped[int]
    findings: Mapped[int]
    workers: Mapped[int]


class FindingRow(Base):
    """A claim or a disclosure found in a snapshot by a rule pack."""

    __tablename__ = "findings"
    __table_args__ = (Index(None, "snapshot_id", "kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id"), index=True)
    rule_pack_sha256: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(20))  # claim | disclosure
    rule_id: Mapped[str | None] = mapped_column(String(80))
    category: Mapped[str | None] = mapped_column(String(40))
    severity: Mapped[str | None] = mapped_column(String(10))
    strength: Mapped[str | None] = mapped_column(String(10))
    text: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    block_index: Mapped[int]
    block_tag: Mapped[str] = mapped_column(String(20))
    block_locator: Mapped[str] = mapped_column(Text)
    heading: Mapped[str | None] = mapped_column(Text)
    start: Mapped[int]  # character offsets of the match in the block's text
    end: Mapped[int]
    sentence_start: Mapped[int]
    cues: Mapped[list[Any]]
    disclosures: Mapped[list[Any]]
    # Every category the sentence was flagged for, the main one (`category`) first.
    categories: Mapped[list[Any]] = mapped_column(server_default="[]")


class ClaimRow(Base):
    """A claim as a reviewer judges it: one clinic's statement, tracked across pages and runs.
    Its id is fixed by its first wording and kept when the wording changes in place."""

    __tablename__ = "claims"

    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    clinic_id: Mapped[str] = mapped_column(ForeignKey("clinics.id"), index=True)
    category: Mapped[str] = mapped_column(String(40))
    categories: Mapped[list[Any]] = mapped_column(server_default="[]")
    rule_id: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    strength: Mapped[str] = mapped_column(String(10))
    sentence: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    first_seen_run: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    first_seen_at: Mapped[datetime]
    last_seen_run: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    last_seen_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_run: Mapped[int] = mapped_column(ForeignKey("runs.id"))


class ClaimOccurrenceRow(Base):
    """One place and time a claim was seen."""

    __tablename__ = "claim_occurrences"
    __table_args__ = (
        UniqueConstraint("claim_id", "snapshot_id", "block_locator"),
        Index(None, "run_id", "claim_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"))
    url: Mapped[str] = mapped_column(Text)
    block_locator: Mapped[str] = mapped_column(Text)
    heading: Mapped[str | None] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)
    rule_id: Mapped[str] = mapped_column(String(80))
    severity: Mapped[str] = mapped_column(String(10))
    strength: Mapped[str] = mapped_column(String(10))
    captured_at: Mapped[datetime]


class ClaimStateRow(Base):
    """Where a claim stood after a run: new, persisting, changed, removed or not_checked."""

    __tablename__ = "claim_states"
    __table_args__ = (UniqueConstraint("run_id", "claim_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    claim_id: Mapped[str] = mapped_column(ForeignKey("claims.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    sentence: Mapped[str] = mapped_column(Text)
    previous_sentence: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]]


class MetaRow(Base):
    """Small facts about the store itself (which runs the claim history covers, ...)."""

    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class VerdictRow(Base):
    """A reviewer's current verdict on a claim. Keyed by the claim's stable id, without a
    foreign key: verdicts outlive any rebuild of the claim history."""

    __tablename__ = "verdicts"

    claim_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    verdict: Mapped[str] = mapped_column(String(20))  # open | confirmed | dismissed
    note: Mapped[str] = mapped_column(Text)
    reviewer: Mapped[str] = mapped_column(Text)
    decided_at: Mapped[datetime]
    sentence: Mapped[str] = mapped_column(Text)  # the wording the verdict was given on


class VerdictLogRow(Base):
    """Every change of verdict: who, when, from what, to what, and why."""

    __tablename__ = "verdict_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    claim_id: Mapped[str] = mapped_column(String(16), index=True)
    at: Mapped[datetime]
    reviewer: Mapped[str] = mapped_column(Text)
    from_verdict: Mapped[str] = mapped_column(String(20))
    to_verdict: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text)
    sentence: Mapped[str] = mapped_column(Text)


class ScreenshotRow(Base):
    """A full-page screenshot of a snapshot's page, archived in a WARC resource record, with
    where each claim sentence was found on it."""

    __tablename__ = "screenshots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("snapshots.id"), index=True)
    url: Mapped[str] = mapped_column(Text)  # the page the browser loaded
    captured_at: Mapped[datetime]
    # "after": taken later than the snapshot, live (`claimscan screenshots`), so the page
    # may have changed since; "at": taken by the browser that fetched the page (--render).
    taken: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    width: Mapped[int]
    height: Mapped[int]
    boxes: Mapped[list[Any]]  # [{"sentence", "box": [x, y, w, h] or null}], in PNG pixels
    note: Mapped[str] = mapped_column(Text)  # e.g. "the network did not settle in 10 s"
    warc_file: Mapped[str] = mapped_column(Text)
    warc_record_id: Mapped[str] = mapped_column(String(80))
    warc_offset: Mapped[int] = mapped_column(BigInteger)
    warc_length: Mapped[int] = mapped_column(BigInteger)
