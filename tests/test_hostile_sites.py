"""One crawl of hostile websites — traps, trickling and hanging answers, a 50 MB page, gzip
bombs, broken encodings, 100,000 nested elements, redirect loops and chains, a javascript:
redirect, robots.txt that hangs or is huge, a one-hour Retry-After, injection strings, a
1.2 MB text block — together with a normal clinic site (tests/hostile_sites.py). The study
must go on: crawl, scan and report finish with exit 0 in bounded time, every hazard is
recorded with its kind, the readable sites' claims are all found, and the evidence holds
only what was fetched."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scanner.store import Store
from tests.conftest import claimscan
from tests.hostile_sites import BOUNDED, CLAIMS, EXPECTED_ERRORS, hostile_sites
from tests.test_warc import warcio_check

pytestmark = pytest.mark.e2e

MAX_PAGES = 12
OPTIONS = [
    "--max-pages", str(MAX_PAGES), "--max-depth", "50", "--timeout", "2", "--retries", "1",
    "--max-size", "2MB", "--delay", "0", "--no-autothrottle", "--concurrency", "32",
    "--per-site", "2", "--progress", "log",
]  # fmt: skip


def test_a_study_of_hostile_sites_finishes_and_records_every_hazard(tmp_path: Path) -> None:
    db, out = str(tmp_path / "study.db"), tmp_path / "report"
    with hostile_sites() as sites:
        clinics = sites.clinic_list(tmp_path / "clinics.csv")
        started = time.monotonic()
        crawl = claimscan("crawl", str(clinics), "--db", db, *OPTIONS, timeout=180)
        crawl_seconds = time.monotonic() - started
        received = set(sites.received)
    assert crawl.returncode == 0, crawl.stderr
    assert crawl_seconds < 120  # hanging robots.txt: 10 s; hanging pages: 2 tries of 2 s
    scan = claimscan("scan", "--db", db, timeout=180)
    assert scan.returncode == 0, scan.stderr
    report = claimscan("report", "--db", db, "--out", str(out), "--format", "json,html,csv")
    assert report.returncode == 0, report.stderr

    # every hazard is recorded with its kind
    listed = claimscan("errors", "--db", db, "--format", "jsonl")
    kinds = {(e["clinic"], e["kind"]) for e in map(json.loads, listed.stdout.splitlines())}
    for site, kind in EXPECTED_ERRORS.items():
        assert (site, kind) in kinds, (site, sorted(k for k in kinds if k[0] == site))
    assert not any(kind == "scan_error" for _, kind in kinds)
    # endless links end with the page budget
    store = Store.open(db)
    pages = Counter(s.clinic_id for s in store.snapshots())
    for site in BOUNDED:
        assert pages[site] == MAX_PAGES
    store.close()

    # the readable sites' claims are all in the report, their words kept exactly
    data = json.loads((out / "report.json").read_text())
    found = {
        c["id"]: {claim["sentence"] for claim in c["claims"] + c["open_claims"]}
        for c in data["clinics"]
    }
    for site, claims in CLAIMS.items():
        for claim in claims:
            assert any(claim in sentence or sentence in claim for sentence in found[site]), (
                site,
                claim,
                found[site],
            )
    page = (out / "report.html").read_text()
    assert '<script>alert("x")' not in page and "&lt;script&gt;" in page

    # the evidence is valid, and names only URLs the sites were asked for
    warcs = sorted((tmp_path / "study-evidence").glob("*.warc.gz"))
    assert warcs
    for warc in warcs:
        checked = warcio_check(warc)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        with warc.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type in ("request", "response"):
                    target = record.rec_headers.get_header("WARC-Target-URI")
                    assert target in received, target
