"""A server that says when to come back (Retry-After on a 503) is answered then: retried
after the wait it asked for, or, for a wait over a minute, not waited for and recorded."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest

from scanner.crawl.retry import MAX_RETRY_AFTER, retry_after_seconds
from scanner.demo.server import FixtureServer
from tests.conftest import FIXTURES, claimscan

NOW = datetime(2026, 12, 2, 12, 0, 0, tzinfo=UTC)
# Pages of the busy Vitality Cell (tests/fixtures/sites-retry): come back in 2 s, in an hour.
SHORT, LONG = "/conditions/copd", "/conditions/parkinsons"


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (b" 7 ", 7.0),
        ("Wed, 02 Dec 2026 12:01:30 GMT", 90.0),
        ("Wed, 02 Dec 2026 11:00:00 GMT", 0.0),  # a date gone by: now
        ("soon", None),
        (None, None),
    ],
)
def test_a_retry_after_header_is_read_as_seconds_or_a_date(
    header: str | bytes | None, seconds: float | None
) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds


@pytest.mark.e2e
def test_a_crawl_waits_as_asked_and_records_a_wait_too_long(
    sites: FixtureServer, demo_clinics: Path, tmp_path: Path
) -> None:
    sites.use_overlay(FIXTURES / "sites-retry")
    sites.hits.clear()
    try:
        result = claimscan(
            "crawl", str(demo_clinics), "--db", str(tmp_path / "s.db"),
            "--delay", "0", "--timeout", "5", "--retries", "2", "--progress", "log",
        )  # fmt: skip
    finally:
        sites.use_overlay(None)
    assert result.returncode == 0, result.stderr
    short = [h.at for h in sites.hits if h.site == "vitalitycell" and h.path == SHORT]
    assert len(short) == 3  # the first try and two retries
    assert all(later - earlier >= 1.9 for earlier, later in pairwise(short))
    long = [h for h in sites.hits if h.site == "vitalitycell" and h.path == LONG]
    assert len(long) == 1  # an hour is not waited for, nor retried early
    errors = claimscan("errors", "--db", str(tmp_path / "s.db"), "--format", "jsonl")
    kinds = {
        (Path(row["url"]).name, row["kind"])
        for row in map(json.loads, errors.stdout.splitlines())
        if row["clinic"] == "vitalitycell"
    }
    assert ("parkinsons", "retry_after_too_long") in kinds
    assert ("copd", "http_error") in kinds
    assert MAX_RETRY_AFTER < 3600
