"""Scheduled rescans: the fixture sites in two versions through `rescan` and `diff`.

Version 2 of Renew Bone (tests/fixtures/sites-v2): one claim removed from a page, one
added, one softened in place, the testimonials page gone (404), the FAQ failing (503).
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from scanner.demo.server import FixtureServer
from scanner.store import Store
from scanner.store.lock import store_lock
from tests.conftest import FAST, FIXTURES, claimscan
from tests.test_warc import warcio_check

pytestmark = pytest.mark.e2e


@dataclass
class Rescans:
    folder: Path
    db: Path
    clinics: Path
    runs: list[subprocess.CompletedProcess[str]]
    hits_on_unchanged_rescan: list[str]

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return claimscan(*args, "--db", str(self.db), cwd=self.folder)

    def diff(self, *args: str) -> dict[str, Any]:
        result = self.cli("diff", "--format", "json", *args)
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


def sentences(items: list[dict[str, Any]]) -> set[str]:
    return {item["sentence"] for item in items}


@pytest.fixture(scope="module")
def rescans(
    sites: FixtureServer, demo_clinics: Path, tmp_path_factory: pytest.TempPathFactory
) -> Rescans:
    folder = tmp_path_factory.mktemp("rescan")
    db = folder / "store.db"

    def rescan(*extra: str) -> subprocess.CompletedProcess[str]:
        return claimscan("rescan", str(demo_clinics), "--db", str(db), *FAST, *extra, cwd=folder)

    sites.use_overlay(None)
    runs = [rescan()]  # run 1: a plain crawl and scan of a new store
    sites.hits.clear()
    runs.append(rescan())  # run 2: nothing changed
    hits = [h.path for h in sites.hits]
    sites.use_overlay(FIXTURES / "sites-v2")
    try:
        runs.append(rescan("--fail-on", "changed"))  # run 3: version 2 of the sites
    finally:
        sites.use_overlay(None)
    return Rescans(folder, db, demo_clinics, runs, hits)


def test_every_rescan_completes(rescans: Rescans) -> None:
    assert [r.returncode for r in rescans.runs[:2]] == [0, 0], rescans.runs[0].stderr
    assert [r.status for r in Store.open(str(rescans.db)).runs()] == ["completed"] * 3


def test_the_first_rescan_of_a_new_store_is_a_plain_crawl_and_scan(rescans: Rescans) -> None:
    first = rescans.diff("--to", "1")
    assert first["from_run"] is None
    assert len(first["new"]) > 20 and first["removed"] == [] and first["persisting"] == 0


def test_a_rescan_without_change_reports_no_change(rescans: Rescans) -> None:
    second = rescans.diff("--from", "1", "--to", "2")
    assert (second["new"], second["removed"], second["changed"]) == ([], [], [])
    assert second["persisting"] == len(rescans.diff("--to", "1")["new"])
    assert "No change in claims." in rescans.runs[1].stdout


def test_a_rescan_without_change_scans_no_page_again(rescans: Rescans) -> None:
    store = Store.open(str(rescans.db))
    pages = [s for s in store.snapshots(run_id=2) if s.reviewed]
    assert pages and all(s.revisit_of is not None for s in pages)  # every page answered 304
    [_, second_scan, *_] = store.scans()
    assert second_scan.snapshots == 0  # none went through detection
    assert "scanned 0 changed pages" in rescans.runs[1].stderr


def test_unchanged_pages_are_asked_for_conditionally_and_archived_as_revisits(
    rescans: Rescans,
) -> None:
    store = Store.open(str(rescans.db))
    assert {s.status for s in store.snapshots(run_id=2) if s.revisit_of} == {304}
    [warc] = {s.warc_file for s in store.snapshots(run_id=2)}
    assert warcio_check(Path(warc)).returncode == 0
    assert "/" in rescans.hits_on_unchanged_rescan


def test_changes_are_reported_claim_by_claim(rescans: Rescans) -> None:
    third = rescans.diff()
    assert (third["from_run"], third["to_run"]) == (2, 3)
    assert sentences(third["new"]) == {
        "Nine out of ten patients walk without pain after our stem cell program."
    }
    [changed] = third["changed"]
    assert changed["before"].startswith("Our stem cells travel to weakened bone and rebuild it")
    assert changed["after"] == "Our stem cells may help some patients support their bone health."
    assert changed["strength"] == "hedged"


def test_a_claim_gone_from_a_page_or_with_its_page_is_removed(rescans: Rescans) -> None:
    removed = {urlsplit(item["urls"][0]).path: item for item in rescans.diff()["removed"]}
    assert set(removed) == {"/treatments/knee-arthritis", "/testimonials"}
    for item in removed.values():
        assert item["note"].startswith("present on ") and "; absent on " in item["note"]


def test_a_claim_on_a_page_that_failed_is_not_checked_never_removed(rescans: Rescans) -> None:
    third = rescans.diff()
    assert {urlsplit(i["urls"][0]).path for i in third["not_checked"]} == {"/faq"}
    assert "/faq" in {urlsplit(u["url"]).path for u in third["unreachable"]}


def test_a_reworded_claim_keeps_its_id(rescans: Rescans) -> None:
    listed = json.loads(rescans.cli("claims", "--format", "json", "--status", "changed").stdout)
    [claim] = listed
    assert claim["runs"] == [1, 2, 3]
    assert claim["sentence"] == "Our stem cells may help some patients support their bone health."
    assert claim["status"] == "changed"


def test_claims_list_their_status_for_tools(rescans: Rescans) -> None:
    rows = rescans.cli("claims", "--format", "csv").stdout.splitlines()
    columns = (
        "id,clinic,category,categories,rule_id,severity,strength,sentence,urls,first_seen,last_seen"
    )
    assert rows[0] == columns + ",status,runs,verdict,reviewer,decided_at,note"
    statuses = {
        json.loads(line)["status"]
        for line in rescans.cli("claims", "--format", "jsonl").stdout.splitlines()
    }
    assert statuses == {"persisting", "new", "changed", "removed", "not_checked"}


def test_a_diff_can_span_several_runs(rescans: Rescans) -> None:
    wide = rescans.diff("--from", "1", "--to", "3")
    assert len(wide["changed"]) == 1 and len(wide["removed"]) == 2


def test_fail_on_changed_exits_3_when_claims_changed(rescans: Rescans) -> None:
    assert rescans.runs[2].returncode == 3, rescans.runs[2].stderr


def test_the_report_shows_changes_and_each_claims_history(rescans: Rescans) -> None:
    result = rescans.cli("report", "--out", str(rescans.folder / "report"), "--format", "html")
    html = (rescans.folder / "report" / "report.html").read_text()
    assert result.returncode == 0
    assert "Changes since run 2" in html
    assert "present in runs 1, 2, 3" in html


def test_a_second_run_on_a_locked_store_stops_at_once(rescans: Rescans) -> None:
    with store_lock(str(rescans.db)):
        result = claimscan("rescan", str(rescans.clinics), "--db", str(rescans.db), *FAST)
        scan = claimscan("scan", "--db", str(rescans.db))
    assert (result.returncode, scan.returncode) == (75, 75)
    assert "another claimscan run is using the store" in result.stderr
    assert len(Store.open(str(rescans.db)).runs()) == 3  # nothing was started
