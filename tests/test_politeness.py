"""`--per-site N` holds at the server: a loopback site that answers slowly counts the
requests it is answering at once, and never sees more than N from one crawl, whatever
--concurrency and with no delay between requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.demo.server import FixtureServer
from tests.conftest import FIXTURES, claimscan

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("per_site", [1, 2])
def test_no_site_answers_more_requests_at_once_than_per_site(
    sites: FixtureServer, demo_clinics: Path, tmp_path: Path, per_site: int
) -> None:
    sites.use_overlay(FIXTURES / "sites-slow")  # every Summit Spine answer takes 0.3 s
    sites.most_in_flight.clear()
    try:
        result = claimscan(
            "crawl", str(demo_clinics), "--db", str(tmp_path / "s.db"), "--delay", "0",
            "--per-site", str(per_site), "--concurrency", "16", "--timeout", "5",
            "--retries", "0", "--progress", "log",
        )  # fmt: skip
    finally:
        sites.use_overlay(None)
    assert result.returncode == 0, result.stderr
    assert max(sites.most_in_flight.values()) <= per_site, sites.most_in_flight
    assert sites.most_in_flight["summitspine"] == per_site  # the limit was reached, not missed
