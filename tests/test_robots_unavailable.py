"""A robots.txt that does not answer in time (it hangs, or answers 5xx) keeps the crawler
off the site: the clinic gets a `robots_unavailable` error, the other clinics are crawled
as usual, and the crawl does not wait through retries of robots.txt."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from scanner.demo.server import FixtureServer
from tests.conftest import FAST, FIXTURES, claimscan

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("overlay", ["sites-robots-hang", "sites-robots-503"])
def test_a_site_whose_robots_txt_does_not_answer_is_not_crawled(
    sites: FixtureServer, demo_clinics: Path, tmp_path: Path, overlay: str
) -> None:
    db = tmp_path / "s.db"
    sites.use_overlay(FIXTURES / overlay)
    sites.hits.clear()
    started = time.monotonic()
    try:
        result = claimscan("crawl", str(demo_clinics), "--db", str(db), *FAST)
    finally:
        sites.use_overlay(None)
    assert result.returncode == 0, result.stderr
    assert time.monotonic() - started < 60
    vitality = [h.path for h in sites.hits if h.site == "vitalitycell"]
    assert vitality == ["/robots.txt"]  # asked once, and nothing else fetched
    rows = [json.loads(line) for line in claimscan(
        "errors", "--db", str(db), "--format", "jsonl").stdout.splitlines()]  # fmt: skip
    kinds = {row["kind"] for row in rows if row["clinic"] == "vitalitycell"}
    assert kinds == {"robots_unavailable"}
    pages = claimscan("pages", "--db", str(db), "--clinic", "renewbone", "--format", "jsonl")
    assert len(pages.stdout.splitlines()) > 10  # the other clinics are crawled as usual
