"""The store: a real SQLite file, schema migrations, transactional writes."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import IntegrityError

from scanner.errors import DuplicatePage, StoreError
from scanner.models import Clinic, ExtractedPage, FetchedPage, FetchFailure, TextBlock
from scanner.store import Store, WarcRef, database_url
from scanner.store.database import migrate
from scanner.store.schema import Base

CLINIC = Clinic(id="bone", name="Bone Clinic", urls=("https://bone.test/",))
WARC = WarcRef("/tmp/x.warc.gz", "<urn:uuid:1>", 0, 100)


def page(url: str = "https://bone.test/", clinic_id: str = "bone") -> FetchedPage:
    return FetchedPage(
        clinic_id=clinic_id,
        url=url,
        final_url=url,
        status=200,
        depth=0,
        fetched_at=datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC),
        request_headers=[("User-Agent", "claimscan")],
        response_headers=[("Content-Type", "text/html")],
        body=b"<p>Bone</p>",
        content_type="text/html",
        page=ExtractedPage(
            title="Bone", blocks=[TextBlock(tag="p", text="Bone", locator="/html/body/p")]
        ),
    )


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store.open(str(tmp_path / "store.db"))
    store.save_clinics([CLINIC])
    return store


def new_run(store: Store) -> int:
    return store.create_run("c.csv", "abc", {"max_pages": 5}, "/tmp/x.warc.gz").id


def test_a_path_becomes_an_absolute_sqlite_url(tmp_path: Path) -> None:
    assert database_url(str(tmp_path / "a.db")) == f"sqlite:///{tmp_path / 'a.db'}"


def test_an_sqlalchemy_url_is_kept(tmp_path: Path) -> None:
    url = "postgresql+psycopg://user@localhost/claims"
    assert database_url(url) == url


def test_the_environment_names_the_default_store(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIMSCAN_DB", "/data/study.db")
    assert database_url(None) == "sqlite:////data/study.db"


def test_the_migrations_build_exactly_the_tables_the_code_uses(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'm.db'}")
    migrate(engine)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == [], "schema.py changed without a migration in store/migrations"


def test_a_store_made_by_the_first_version_is_upgraded_and_keeps_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0001")  # the first released schema
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO clinics (id, name, urls, tags, updated_at) "
                "VALUES ('old', 'Old Clinic', '[\"https://old.test/\"]', '[]', '2025-01-01')"
            )
        )
    store = Store.open(str(path))
    assert {c.id: c.name for c in store.clinics()} == {"old": "Old Clinic"}
    with store.engine.connect() as connection:
        head = MigrationContext.configure(connection).get_current_revision()
    assert head is not None


OLD_STORE_ROWS = [
    "INSERT INTO clinics (id, name, urls, tags, updated_at) "
    "VALUES ('bone', 'Bone', '[\"https://bone.test/\"]', '[]', '2026-01-01')",
    "INSERT INTO runs (id, kind, status, started_at, clinic_list, clinic_list_sha256, settings, "
    "stats, warc_file) VALUES "
    "(1, 'crawl', 'completed', '2026-01-01', 'c.csv', 'x', '{}', '{}', 'w')",
    "INSERT INTO snapshots (id, run_id, clinic_id, url, final_url, status, depth, content_type, "
    "fetched_at, sha256, body_length, headers, title, description, blocks, links, warc_file, "
    "warc_record_id, warc_offset, warc_length, scanned_with) VALUES (1, 1, 'bone', "
    "'https://bone.test/', 'https://bone.test/', 200, 0, 'text/html', '2026-01-01', 'ab', 4, "
    "'[]', 'Bone', '', '[]', '[]', 'w', '<r>', 0, 1, 'x')",
    "INSERT INTO scans (id, rule_pack_sha256, rule_pack_version, started_at, status, snapshots, "
    "findings, workers) VALUES (1, 'x', 'v', '2026-01-01', 'completed', 1, 1, 1)",
    "INSERT INTO findings (snapshot_id, scan_id, rule_pack_sha256, kind, text, sentence, "
    "block_index, block_tag, block_locator, start, end, sentence_start, cues, disclosures) "
    "VALUES (1, 1, 'x', 'claim', 'Bone', 'Bone', 0, 'p', '/p', 0, 4, 0, '[]', '[]')",
]


def test_a_store_with_pages_and_findings_survives_every_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "scanned.db"
    engine = create_engine(f"sqlite:///{path}")
    migrate(engine, "0002")  # pages and findings, before claim history
    with engine.begin() as connection:
        for statement in OLD_STORE_ROWS:
            connection.execute(text(statement))
    engine.dispose()
    upgraded = Store.open(str(path))
    assert [s.sha256 for s in upgraded.snapshots()] == ["ab"]
    assert [f.text for f in upgraded.findings("claim")] == ["Bone"]


def test_a_store_made_by_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Store.open(str(path)).close()
    with create_engine(f"sqlite:///{path}").begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="made by a newer version"):
        Store.open(str(path))


def test_a_store_in_a_missing_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no folder"):
        Store.open(str(tmp_path / "nowhere" / "s.db"))


def test_every_table_the_issue_asks_for_exists(store: Store) -> None:
    tables = set(inspect(store.engine).get_table_names())
    assert {"clinics", "runs", "snapshots", "fetch_errors"} <= tables


def test_a_page_round_trips_with_utc_times_and_blocks(store: Store) -> None:
    run_id = new_run(store)
    snapshot_id = store.add_page(run_id, page(), "ab" * 32, WARC)
    snapshot = store.snapshot(snapshot_id)
    assert snapshot.fetched_at == datetime(2026, 5, 4, 3, 2, 1, tzinfo=UTC)
    assert snapshot.blocks == [TextBlock(tag="p", text="Bone", locator="/html/body/p")]
    assert (snapshot.warc_record_id, snapshot.sha256) == ("<urn:uuid:1>", "ab" * 32)


def test_a_failed_write_leaves_no_half_written_snapshot(store: Store) -> None:
    run_id = new_run(store)
    store.add_page(run_id, page(), "ab" * 32, WARC)
    with pytest.raises(DuplicatePage):
        store.add_page(run_id, page(), "cd" * 32, WARC)  # same run and URL: refused
    with pytest.raises(IntegrityError):
        store.add_page(run_id, page("https://bone.test/b", clinic_id="ghost"), "ef" * 32, WARC)
    assert [s.sha256 for s in store.snapshots()] == ["ab" * 32]


def test_an_unfinished_run_of_the_same_list_is_found_for_resuming(store: Store) -> None:
    run_id = new_run(store)
    store.mark_run(run_id, "interrupted")
    resumable = store.unfinished_run("abc")
    assert resumable is not None and resumable.id == run_id
    assert store.unfinished_run("another-list") is None


def test_a_completed_run_is_not_resumed(store: Store) -> None:
    store.mark_run(new_run(store), "completed", {"pages": 1})
    assert store.unfinished_run("abc") is None
    assert store.runs()[0].finished_at is not None


def test_failures_are_kept_per_run(store: Store) -> None:
    run_id = new_run(store)
    store.add_failure(
        run_id,
        FetchFailure(
            clinic_id="bone",
            url="https://bone.test/x",
            kind="dns",
            message="no such host",
            occurred_at=datetime.now(UTC),
        ),
    )
    assert store.failed_urls(run_id) == {("bone", "https://bone.test/x")}
    assert store.errors(run_id)[0].kind == "dns"


def test_the_warc_end_is_where_the_last_stored_record_ends(store: Store) -> None:
    run_id = new_run(store)
    assert store.warc_end(run_id, "/tmp/x.warc.gz") is None
    store.add_page(run_id, page(), "ab" * 32, WarcRef("/tmp/x.warc.gz", "<a>", 300, 50))
    store.add_page(
        run_id, page("https://bone.test/2"), "cd" * 32, WarcRef("/tmp/x.warc.gz", "<b>", 900, 70)
    )
    assert store.warc_end(run_id, "/tmp/x.warc.gz") == 970
