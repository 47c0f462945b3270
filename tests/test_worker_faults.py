"""Workers killed with SIGKILL mid-crawl lose nothing: a queue, two workers, one killed at 30%
and one at 60% of the pages (each replaced by a fresh worker), against generated loopback
sites that answer in 50 ms and log every request. The run must end with every page of every
site stored once, each clinic's budget spent exactly, no site ever answering more requests
at once than --per-site, and every WARC file valid.

Run it in a loop to measure how often it holds (the closing note of issue 13 has the count):

    for i in $(seq 10); do .venv/bin/pytest -q tests/test_worker_faults.py || break; done
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from scanner.store import Store
from tests.generated_sites import generated_sites
from tests.servers import postgres_bin, redis_bin
from tests.test_warc import warcio_check
from tests.workers import queue_crawl, start_worker, wait_for_pages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL (make test installs it)"),
    pytest.mark.skipif(redis_bin() is None, reason="needs Redis (make test installs it)"),
]

SITES, PAGES, PER_SITE = 6, 40, 2
# The budget is the site's size: a page lost, or a page paid for twice, leaves one unfetched.
OPTIONS = [
    "--concurrency", "4", "--per-site", str(PER_SITE), "--delay", "0", "--no-autothrottle",
    "--max-pages", str(PAGES), "--max-depth", "10", "--retries", "1", "--timeout", "10",
    "--no-sitemap", "--progress", "log",
]  # fmt: skip


def test_workers_killed_mid_crawl_lose_nothing(
    database: str, redis_url: str, tmp_path: Path
) -> None:
    with generated_sites(SITES, PAGES, latency=0.05) as sites:
        clinics = sites.clinic_list(tmp_path / "clinics.csv")
        queue_crawl(clinics, redis_url, database, *OPTIONS)
        store = Store.open(database)
        run_id = store.runs()[-1].id
        evidence = tmp_path / "evidence"
        workers = [start_worker(redis_url, database, evidence, "--lease-seconds", "1")]
        workers.append(start_worker(redis_url, database, evidence, "--lease-seconds", "1"))
        for fraction in (0.3, 0.6):
            wait_for_pages(database, run_id, int(SITES * PAGES * fraction), timeout=120)
            victim = workers.pop(0)
            victim.kill()  # SIGKILL: no chance to hand anything back
            victim.communicate(timeout=30)
            workers.append(start_worker(redis_url, database, evidence, "--lease-seconds", "1"))
        for worker in workers:
            _, stderr = worker.communicate(timeout=240)
            assert worker.returncode == 0, stderr

        run = store.run(run_id)
        snapshots = store.snapshots(run_id=run_id)
        stored = Counter((s.clinic_id, urlsplit(s.url).path) for s in snapshots)
        store.close()
    assert run.status == "completed"
    assert [key for key, times in stored.items() if times > 1] == []  # none stored twice
    for i in range(SITES):  # every page of every site: none lost, the budget spent exactly
        assert {path for clinic, path in stored if clinic == f"site{i}"} == sites.paths()
    assert max(sites.most_in_flight.values()) <= PER_SITE, sites.most_in_flight
    warcs = sorted(evidence.glob("*.warc.gz"))
    assert len(warcs) == 4  # one per worker, the killed ones' included
    for warc in warcs:
        checked = warcio_check(warc)
        assert checked.returncode == 0, checked.stdout + checked.stderr
