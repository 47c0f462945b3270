"""End-to-end crawls of the fixture clinic sites, each in a subprocess (one reactor each)."""

from __future__ import annotations

import hashlib
import json
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from scanner.crawl.warc import read_record
from scanner.demo.server import FixtureServer
from scanner.models import PageSnapshot
from scanner.store import Store
from tests.conftest import FAST, claimscan, spawn_claimscan
from tests.test_warc import warcio_check

pytestmark = pytest.mark.e2e

RENEWBONE_PAGES = {
    "/",
    "/treatments/",
    "/treatments/osteoporosis",
    "/treatments/knee-arthritis",
    "/testimonials",
    "/faq",
    "/pricing",
    "/about",
    "/slow-results",
    "/spring-bone-density-event",  # only in the sitemap
    "/old-osteoporosis-program",  # a redirect, stored as a 301 pointing to its target
    "/loop",  # the two halves of a redirect loop
    "/loop-again",
    "/discontinued-offer",  # a 404, stored as evidence and recorded as an error
    "/broken",  # a 503, likewise
}


class Crawl:
    def __init__(self, result: subprocess.CompletedProcess[str], db: Path, sites: FixtureServer):
        self.result = result
        self.db = db
        self.sites = sites
        self.store = Store.open(str(db))

    def snapshots(self, clinic: str | None = None) -> list[PageSnapshot]:
        return [s for s in self.store.snapshots() if clinic in (None, s.clinic_id)]

    def paths(self, clinic: str) -> set[str]:
        return {urlsplit(s.url).path for s in self.snapshots(clinic)}

    def errors(self, clinic: str) -> dict[str, str]:
        return {urlsplit(e.url).path: e.kind for e in self.store.errors() if e.clinic_id == clinic}


@pytest.fixture(scope="module")
def crawl(
    sites: FixtureServer, demo_clinics: Path, tmp_path_factory: pytest.TempPathFactory
) -> Crawl:
    folder = tmp_path_factory.mktemp("crawl")
    sites.hits.clear()
    result = claimscan("crawl", str(demo_clinics), "--db", str(folder / "c.db"), *FAST, cwd=folder)
    assert result.returncode == 0, result.stderr
    return Crawl(result, folder / "c.db", sites)


def test_the_crawl_completes_and_says_so(crawl: Crawl) -> None:
    [run] = crawl.store.runs()
    assert run.status == "completed"
    assert "completed;" in crawl.result.stderr


def test_every_reachable_page_of_a_clinic_is_stored(crawl: Crawl) -> None:
    assert crawl.paths("renewbone") == RENEWBONE_PAGES


def test_robots_txt_is_obeyed(crawl: Crawl) -> None:
    assert not any(p.startswith("/private/") for p in crawl.sites.paths("renewbone"))
    assert crawl.errors("renewbone")["/private/staff-notes"] == "robots_disallowed"


def test_links_off_the_clinic_site_are_not_followed(crawl: Crawl) -> None:
    assert crawl.sites.paths("partner") == []


def test_the_sitemap_is_used_and_a_sitemap_index_followed(crawl: Crawl) -> None:
    assert "/spring-bone-density-event" in crawl.paths("renewbone")
    assert "/longevity-membership" in crawl.paths("vitalitycell")


def test_failures_are_recorded_by_kind(crawl: Crawl) -> None:
    errors = crawl.errors("renewbone")
    assert errors["/discontinued-offer"] == "http_error"
    assert errors["/broken"] == "http_error"
    assert errors["/loop"] == "redirect_loop"
    assert errors["/price-sheet"] == "not_html"


def test_a_dead_site_is_recorded_and_the_crawl_goes_on(crawl: Crawl) -> None:
    assert list(crawl.errors("shuttered").values()) == ["connection"]
    assert crawl.snapshots("vitalitycell")


def test_a_same_site_redirect_is_stored_and_followed(crawl: Crawl) -> None:
    [moved] = [
        s for s in crawl.snapshots("renewbone") if s.url.endswith("/old-osteoporosis-program")
    ]
    assert (moved.status, moved.blocks) == (301, [])
    assert moved.final_url.endswith("/treatments/osteoporosis")
    assert "/treatments/osteoporosis" in crawl.paths("renewbone")


def test_a_redirect_loop_is_recorded_once(crawl: Crawl) -> None:
    loops = [e for e in crawl.store.errors() if e.kind == "redirect_loop"]
    assert [urlsplit(e.url).path for e in loops] == ["/loop"]
    assert "/loop -> " in loops[0].message


def test_http_errors_are_stored_with_their_status(crawl: Crawl) -> None:
    statuses = {urlsplit(s.url).path: s.status for s in crawl.snapshots("renewbone")}
    assert (statuses["/discontinued-offer"], statuses["/broken"]) == (404, 503)


def test_windows_1252_pages_come_out_right(crawl: Crawl) -> None:
    [about] = [s for s in crawl.snapshots("renewbone") if s.url.endswith("/about")]
    assert about.blocks[0].text == "About Dr. André Morén"
    [science] = [s for s in crawl.snapshots("vitalitycell") if s.url.endswith("/our-science")]
    assert "“repair crew”" in science.blocks[1].text


def test_hidden_text_is_not_stored(crawl: Crawl) -> None:
    [home] = [s for s in crawl.snapshots("renewbone") if urlsplit(s.url).path == "/"]
    text = " ".join(b.text for b in home.blocks)
    assert "Rebuild Your Bones" in text
    assert "Secret coupon" not in text and "keyword stuffing" not in text


def test_links_deeper_than_max_depth_are_not_fetched(crawl: Crawl) -> None:
    fetched = crawl.sites.paths("summitspine")
    assert "/journal/part-4" in fetched  # depth 4, the default limit
    assert "/journal/part-5" not in fetched


def test_no_page_is_fetched_twice(crawl: Crawl) -> None:
    for site in ("renewbone", "summitspine", "vitalitycell"):
        counts = Counter(crawl.sites.paths(site))
        assert [p for p, n in counts.items() if n > 1] == [], site


def test_requests_identify_claimscan(crawl: Crawl) -> None:
    agents = {hit.user_agent for hit in crawl.sites.hits}
    assert agents and all(agent.startswith("claimscan/") for agent in agents)


def test_every_snapshot_matches_its_warc_record(crawl: Crawl) -> None:
    snapshots = crawl.snapshots()
    for snapshot in snapshots:
        record, body = read_record(snapshot.warc_file, snapshot.warc_offset)
        assert record.rec_headers.get_header("WARC-Record-ID") == snapshot.warc_record_id
        assert hashlib.sha256(body).hexdigest() == snapshot.sha256
        # the URL requested; a redirect's target is in its Location header
        assert record.rec_headers.get_header("WARC-Target-URI") == snapshot.url
    [warc_file] = {s.warc_file for s in snapshots}
    assert warcio_check(Path(warc_file)).returncode == 0


def test_a_redirect_is_archived_under_the_url_that_was_requested(crawl: Crawl) -> None:
    [hop] = [s for s in crawl.snapshots() if s.url.endswith("/old-osteoporosis-program")]
    assert hop.status == 301 and hop.final_url != hop.url
    with Path(hop.warc_file).open("rb") as handle:
        records = list(ArchiveIterator(handle))
    mine = [r for r in records if r.rec_headers.get_header("WARC-Target-URI") == hop.url]
    assert sorted(r.rec_type for r in mine) == ["request", "response"]
    [request] = [r for r in mine if r.rec_type == "request"]
    assert request.http_headers.protocol == "GET"
    assert request.http_headers.statusline.startswith("/old-osteoporosis-program")
    [response] = [r for r in mine if r.rec_type == "response"]
    assert response.http_headers.get_header("Location") is not None


def test_pages_lists_snapshots_as_json_lines(crawl: Crawl) -> None:
    result = claimscan("pages", "--db", str(crawl.db), "--format", "jsonl")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == len(crawl.snapshots())
    for row in rows:
        assert {
            "clinic",
            "url",
            "final_url",
            "status",
            "fetched_at",
            "sha256",
            "warc_file",
            "warc_record_id",
        } <= set(row)
        assert Path(row["warc_file"]).is_file()
        assert row["fetched_at"].endswith("Z")


def test_pages_lists_snapshots_as_csv(crawl: Crawl) -> None:
    result = claimscan("pages", "--db", str(crawl.db), "--format", "csv", "--clinic", "summitspine")
    header, *rows = result.stdout.splitlines()
    assert header.startswith("id,run,clinic,url,final_url,status")
    assert len(rows) == len(crawl.snapshots("summitspine"))


def test_evidence_extracts_the_archived_body_exactly(crawl: Crawl, tmp_path: Path) -> None:
    snapshot = crawl.snapshots("renewbone")[0]
    out = tmp_path / "body.html"
    result = claimscan("evidence", str(snapshot.id), "--db", str(crawl.db), "--part", "body",
                       "--out", str(out))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert hashlib.sha256(out.read_bytes()).hexdigest() == snapshot.sha256


def test_evidence_prints_headers_and_body(crawl: Crawl) -> None:
    snapshot = crawl.snapshots("renewbone")[0]
    result = claimscan("evidence", str(snapshot.id), "--db", str(crawl.db))
    assert result.stdout.startswith("HTTP/1.1 200 OK\n")  # text mode folds CRLF
    assert "Rebuild Your Bones" in result.stdout


def test_evidence_of_an_unknown_snapshot_is_a_clear_error(crawl: Crawl) -> None:
    result = claimscan("evidence", "99999", "--db", str(crawl.db))
    assert result.returncode == 1
    assert "no snapshot 99999" in result.stderr


def test_the_page_budget_buys_claim_likely_pages_first(
    sites: FixtureServer, tmp_path: Path
) -> None:
    clinics = tmp_path / "one.csv"
    clinics.write_text(f"name,url\nSummit,{sites.url('summitspine')}\n")
    sites.hits.clear()
    result = claimscan("crawl", str(clinics), "--db", str(tmp_path / "c.db"), "--max-pages", "3",
                       "--per-site", "1", *FAST)  # fmt: skip
    assert result.returncode == 0, result.stderr
    pages = [p for p in sites.paths("summitspine") if p not in ("/robots.txt", "/sitemap.xml")]
    assert len(pages) == 3
    assert set(pages) == {"/", "/success-stories", "/exosome-therapy"}


def wait_for_snapshots(db: Path, count: int, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if db.exists():
            try:
                with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as connection:
                    if connection.execute("SELECT count(*) FROM snapshots").fetchone()[0] >= count:
                        return
            except sqlite3.OperationalError:
                pass  # tables not made yet
        time.sleep(0.02)
    raise AssertionError(f"fewer than {count} snapshots after {timeout}s")


SLOW = ["--delay", "0.15", "--no-autothrottle", "--per-site", "1", "--timeout", "5",
        "--retries", "0", "--progress", "log"]  # fmt: skip


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT], ids=["killed", "interrupted"])
def test_an_interrupted_crawl_resumes_without_refetching(
    how: signal.Signals, sites: FixtureServer, demo_clinics: Path, crawl: Crawl, tmp_path: Path
) -> None:
    db = tmp_path / "r.db"
    sites.hits.clear()
    process = spawn_claimscan("crawl", str(demo_clinics), "--db", str(db), *SLOW, cwd=tmp_path)
    wait_for_snapshots(db, 6)
    process.send_signal(how)
    _, stderr = process.communicate(timeout=30)
    store = Store.open(str(db))
    [run] = store.runs()
    assert run.status == ("running" if how == signal.SIGKILL else "interrupted")
    if how == signal.SIGINT:
        assert process.returncode == 130, stderr
    stored_before = {s.url for s in store.snapshots()}
    sites.hits.clear()

    result = claimscan("crawl", str(demo_clinics), "--db", str(db), *FAST, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert "resumed and completed" in result.stderr
    [run] = store.runs()
    assert run.status == "completed"
    refetched = {
        url for url in stored_before
        if urlsplit(url).path in sites.paths(_site_of(url, crawl))
    }  # fmt: skip
    assert refetched == set()
    assert {(s.clinic_id, urlsplit(s.url).path) for s in store.snapshots()} == {
        (s.clinic_id, urlsplit(s.url).path) for s in crawl.snapshots()
    }
    assert warcio_check(Path(run.warc_file)).returncode == 0


def _site_of(url: str, crawl: Crawl) -> str:
    host = urlsplit(url).hostname
    return next(name for name, site in crawl.sites.sites.items() if site.host == host)


def test_progress_is_logged_when_not_on_a_terminal(crawl: Crawl) -> None:
    assert "progress: " in crawl.result.stderr
    assert "pages stored" in crawl.result.stderr


def test_ignoring_robots_is_said_in_the_log(sites: FixtureServer, tmp_path: Path) -> None:
    clinics = tmp_path / "one.csv"
    clinics.write_text(f"name,url\nRenew,{sites.url('renewbone')}\n")
    result = claimscan("crawl", str(clinics), "--db", str(tmp_path / "c.db"), "--ignore-robots",
                       "--max-pages", "2", *FAST)  # fmt: skip
    assert result.returncode == 0
    assert "robots.txt is IGNORED" in result.stderr
