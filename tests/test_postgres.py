"""The store on PostgreSQL, by URL: the same schema through the same migrations, and every
command working on it. The server is real, started in a temporary folder on loopback."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from scanner.demo.server import FixtureServer
from scanner.store import Store
from scanner.store.lock import store_lock
from scanner.store.schema import Base
from tests.conftest import FAST, FIXTURES, claimscan, spawn_claimscan
from tests.servers import postgres_bin, postgres_server

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL (make test installs it)"),
]


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    # Not under pytest's temporary folders: those are root-only, and the server runs as postgres.
    with postgres_server(Path(tempfile.mkdtemp(prefix="claimscan-pg-"))) as url:
        yield url


@pytest.fixture(scope="module")
def rescanned(
    database: str,
    sites: FixtureServer,
    demo_clinics: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict:
    folder = tmp_path_factory.mktemp("pg-work")
    evidence = folder / "evidence"

    def rescan() -> object:
        where = ["--db", database, "--evidence-dir", str(evidence)]
        return claimscan("rescan", str(demo_clinics), *where, *FAST, cwd=folder)

    sites.use_overlay(None)
    first = rescan()
    sites.use_overlay(FIXTURES / "sites-v2")
    try:
        second = rescan()
    finally:
        sites.use_overlay(None)
    return {"folder": folder, "evidence": evidence, "runs": [first, second]}


def test_the_migrations_build_exactly_the_tables_the_code_uses(database: str) -> None:
    with Store.open(database) as store, store.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []


def test_crawl_scan_and_rescan_work_on_postgresql(rescanned: dict, database: str) -> None:
    assert [r.returncode for r in rescanned["runs"]] == [0, 0], rescanned["runs"][0].stderr
    with Store.open(database) as store:
        assert [r.status for r in store.runs()] == ["completed", "completed"]
        assert len(list(store.snapshots())) > 60
        assert store.claims()


def test_diff_and_claims_work_on_postgresql(rescanned: dict, database: str) -> None:
    changes = json.loads(claimscan("diff", "--db", database, "--format", "json").stdout)
    assert (
        len(changes["new"]) == 1 and len(changes["changed"]) == 1 and len(changes["removed"]) == 2
    )
    listed = json.loads(claimscan("claims", "--db", database, "--format", "json").stdout)
    assert {c["status"] for c in listed} >= {
        "new",
        "changed",
        "removed",
        "not_checked",
        "persisting",
    }


def test_verdicts_and_reports_work_on_postgresql(rescanned: dict, database: str) -> None:
    with Store.open(database) as store:
        claim_id = store.claims()[0].id
    assert (
        claimscan(
            "verdict", claim_id, "confirmed", "--reviewer", "Ana", "--db", database
        ).returncode
        == 0
    )
    out = rescanned["folder"] / "report"
    result = claimscan("report", "--db", database, "--out", str(out), "--only", "confirmed",
                       "--format", "html,json")  # fmt: skip
    assert result.returncode == 0, result.stderr
    data = json.loads((out / "report.json").read_text())
    assert sum(len(c["claims"]) for c in data["clinics"]) == 1


def test_pages_and_evidence_work_on_postgresql(rescanned: dict, database: str) -> None:
    rows = [
        json.loads(line)
        for line in claimscan("pages", "--db", database, "--format", "jsonl").stdout.splitlines()
    ]
    assert rows and all(Path(r["warc_file"]).is_file() for r in rows)
    shown = claimscan("evidence", str(rows[0]["id"]), "--db", database, "--part", "body")
    assert shown.returncode == 0 and shown.stdout


def test_a_second_writer_on_postgresql_is_turned_away(
    rescanned: dict, database: str, demo_clinics: Path
) -> None:
    with store_lock(database):
        result = claimscan("crawl", str(demo_clinics), "--db", database, *FAST)
    assert result.returncode == 75
    assert "another claimscan run is using this database" in result.stderr


def findings_now(database: str) -> Counter[tuple[int, str | None, int, int, str]]:
    with Store.open(database) as store:
        return Counter(
            (f.snapshot_id, f.rule_id, f.start, f.end, f.kind) for f in store.findings(None)
        )


def same_rules_new_hash(folder: Path, name: str) -> Path:
    """A rules folder that adds nothing but changes the pack's hash: every page is due again."""
    folder.mkdir(parents=True)
    (folder / "pack.yaml").write_text(f"name: {name}\nversion: '1'\n")
    return folder


@pytest.mark.parametrize("how", ["two processes", "--workers 2"])
def test_scans_at_once_split_the_pages_without_double_work(
    rescanned: dict, database: str, tmp_path: Path, how: str
) -> None:
    before = findings_now(database)
    extra = same_rules_new_hash(tmp_path / "rules", how.replace(" ", "-"))
    command = ["scan", "--db", database, "--rules", str(extra)]
    if how == "two processes":
        scans = [spawn_claimscan(*command), spawn_claimscan(*command)]
        results = [(s.wait(timeout=300), s.communicate()[1]) for s in scans]
    else:
        done = claimscan(*command, "--workers", "2")
        results = [(done.returncode, done.stderr)]
    assert [code for code, _ in results] == [0] * len(results), results
    assert findings_now(database) == before  # every page once: no finding lost or doubled
    with Store.open(database) as store:
        [new_pack] = {s.rule_pack_sha256 for s in store.scans()[-len(results) :]}
        assert store.snapshots_to_scan(new_pack) == []
        per_page = Counter(f.snapshot_id for f in store.findings(None))
        scans_of_page = {
            snapshot: {f.scan_id for f in store.findings(None) if f.snapshot_id == snapshot}
            for snapshot in per_page
        }
    assert all(len(ids) == 1 for ids in scans_of_page.values())
