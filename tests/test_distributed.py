"""A distributed crawl: `crawl --redis` queues, `worker` processes crawl, sharing a real Redis
and a real PostgreSQL started on loopback for this module; the fixture sites are the bundled
ones. The yardstick is a one-process crawl of the same list."""

from __future__ import annotations

import signal
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

from scanner.demo.server import FixtureServer
from scanner.models import CrawlRun
from scanner.store import Store
from tests.conftest import FAST, claimscan
from tests.servers import postgres_bin, redis_bin
from tests.test_warc import warcio_check
from tests.workers import queue_crawl, start_worker, wait_for_pages

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(postgres_bin() is None, reason="needs PostgreSQL (make test installs it)"),
    pytest.mark.skipif(redis_bin() is None, reason="needs Redis (make test installs it)"),
]

# Two sites at most per worker (concurrency / per-site), so two workers share the four.
SHARED = ["--concurrency", "2", "--per-site", "1"]
# Slow enough that a worker is still busy when it is killed.
SLOW = ["--delay", "0.2", "--no-autothrottle", "--concurrency", "2", "--per-site", "1",
        "--timeout", "5", "--retries", "0", "--progress", "log"]  # fmt: skip


@dataclass
class Crawled:
    store: Store
    run: CrawlRun
    hits: list[tuple[str, str]]  # (site, path) requested during the crawl
    outputs: list[str]

    def pages(self) -> set[tuple[str, str, int]]:
        return {
            (s.clinic_id, urlsplit(s.url).path, s.status)
            for s in self.store.snapshots(run_id=self.run.id)
        }

    def failures(self) -> set[tuple[str, str, str]]:
        return {(e.clinic_id, urlsplit(e.url).path, e.kind) for e in self.store.errors(self.run.id)}


def latest_run(store: Store) -> CrawlRun:
    return store.runs()[-1]


@pytest.fixture(scope="module")
def single(
    sites: FixtureServer, demo_clinics: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crawled]:
    """The yardstick: one process, Scrapy's in-memory scheduler, a SQLite store."""
    folder = tmp_path_factory.mktemp("single")
    sites.hits.clear()
    db = str(folder / "one.db")
    result = claimscan("crawl", str(demo_clinics), "--db", db, *FAST, *SHARED, cwd=folder)
    assert result.returncode == 0, result.stderr
    store = Store.open(db)
    hits = [(h.site, h.path) for h in sites.hits]
    yield Crawled(store, latest_run(store), hits, [result.stderr])
    store.close()


@pytest.fixture(scope="module")
def pair(
    single: Crawled,
    sites: FixtureServer,
    demo_clinics: Path,
    database: str,
    redis_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Crawled]:
    """The same list crawled by two worker processes sharing Redis and PostgreSQL."""
    evidence = tmp_path_factory.mktemp("pair-evidence")
    sites.hits.clear()
    queued = queue_crawl(demo_clinics, redis_url, database, *FAST, *SHARED)
    hits_while_queuing = len(sites.hits)
    workers = [start_worker(redis_url, database, evidence) for _ in range(2)]
    outputs = [queued]
    for worker in workers:
        _, stderr = worker.communicate(timeout=120)
        assert worker.returncode == 0, stderr
        outputs.append(stderr)
    assert hits_while_queuing == 0, "queuing a crawl fetches nothing"
    store = Store.open(database)
    hits = [(h.site, h.path) for h in sites.hits]
    yield Crawled(store, latest_run(store), hits, outputs)
    store.close()


def test_queuing_a_crawl_says_how_to_start_workers(pair: Crawled) -> None:
    assert f"run {pair.run.id} queued: 4 clinics" in pair.outputs[0]
    assert "claimscan worker --redis" in pair.outputs[0]


def test_two_workers_store_exactly_the_pages_one_process_stores(
    pair: Crawled, single: Crawled
) -> None:
    assert pair.pages() == single.pages()
    assert len(pair.pages()) > 20


def test_two_workers_record_the_same_failures(pair: Crawled, single: Crawled) -> None:
    assert pair.failures() == single.failures()


def test_no_page_is_fetched_twice_by_two_workers(pair: Crawled) -> None:
    # robots.txt is each worker's own business (read once per worker that crawls the site).
    counts = Counter(hit for hit in pair.hits if hit[1] != "/robots.txt")
    assert [hit for hit, n in counts.items() if n > 1] == []


def test_the_run_is_completed_by_the_last_worker(pair: Crawled) -> None:
    assert pair.run.status == "completed"
    assert pair.run.stats["pages"] == len(pair.pages())
    assert sum("run completed" in output for output in pair.outputs[1:]) == 1


def test_each_worker_writes_a_warc_file_of_its_own(pair: Crawled) -> None:
    [folder] = {Path(s.warc_file).parent for s in pair.store.snapshots(run_id=pair.run.id)}
    files = sorted(folder.glob("*.warc.gz"))
    assert len(files) == 2  # one per worker
    assert {s.warc_file for s in pair.store.snapshots(run_id=pair.run.id)} <= set(map(str, files))
    for file in files:
        assert warcio_check(file).returncode == 0


def test_a_finished_run_leaves_nothing_in_redis(pair: Crawled, redis_url: str) -> None:
    server = redis.Redis.from_url(redis_url)
    assert list(server.scan_iter(match=f"claimscan:run:{pair.run.id}:*")) == []
    assert server.zcard("claimscan:runs") == 0


def test_a_worker_with_nothing_queued_exits_after_waiting(
    pair: Crawled, redis_url: str, database: str, tmp_path: Path
) -> None:
    result = claimscan(
        "worker", "--redis", redis_url, "--db", database, "--wait", "0",
        "--evidence-dir", str(tmp_path),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "no crawl queued" in result.stderr


def test_an_interrupted_or_killed_worker_loses_nothing(
    pair: Crawled,
    single: Crawled,
    sites: FixtureServer,
    demo_clinics: Path,
    database: str,
    redis_url: str,
    tmp_path: Path,
) -> None:
    queue_crawl(demo_clinics, redis_url, database, *SLOW)
    again = queue_crawl(demo_clinics, redis_url, database, *SLOW)
    run = latest_run(pair.store)
    assert f"run {run.id} of this clinic list is already queued" in again
    status = claimscan("status", "--redis", redis_url, "--db", database)
    assert status.returncode == 0 and "distributed crawls" in status.stdout

    interrupted = start_worker(redis_url, database, tmp_path / "a", "--lease-seconds", "1")
    wait_for_pages(database, run.id, 4)
    interrupted.send_signal(signal.SIGINT)  # Ctrl-C: hands its requests back, exit 130
    _, stderr = interrupted.communicate(timeout=60)
    assert interrupted.returncode == 130, stderr
    assert "start a worker again to go on" in stderr
    doomed = start_worker(redis_url, database, tmp_path / "b", "--lease-seconds", "1")
    wait_for_pages(database, run.id, 10)
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate(timeout=30)
    survivor = start_worker(redis_url, database, tmp_path / "c", "--lease-seconds", "1")
    _, stderr = survivor.communicate(timeout=120)

    assert survivor.returncode == 0, stderr
    assert "took up again" in stderr  # the killed worker's requests, from Redis
    finished = Crawled(pair.store, pair.store.run(run.id), [], [stderr])
    assert finished.run.status == "completed"
    assert finished.pages() == single.pages()


def test_an_unreachable_redis_is_a_clear_error(demo_clinics: Path, database: str) -> None:
    result = claimscan("crawl", str(demo_clinics), "--redis", "redis://127.0.0.1:1/0")
    assert result.returncode == 1
    assert "cannot reach Redis at redis://127.0.0.1:1/0" in result.stderr


def test_a_one_process_crawl_does_not_take_over_a_distributed_run(
    demo_clinics: Path, database: str, redis_url: str, tmp_path: Path
) -> None:
    # The last test left no run queued; queue one, then try to crawl the list in one process.
    queue_crawl(demo_clinics, redis_url, database, *FAST)
    result = claimscan("crawl", str(demo_clinics), "--db", database, *FAST, cwd=tmp_path)
    assert result.returncode == 2
    assert "is a distributed crawl, not finished" in result.stderr
    worker = start_worker(redis_url, database, tmp_path)  # leave nothing queued
    _, stderr = worker.communicate(timeout=120)
    assert worker.returncode == 0, stderr


def test_a_redis_url_of_the_wrong_kind_is_bad_input(demo_clinics: Path) -> None:
    result = claimscan("crawl", str(demo_clinics), "--redis", "http://queue:6379")
    assert result.returncode == 2
    assert "expected a URL such as redis://HOST:6379/0" in result.stderr
