"""Helpers for distributed-crawl tests: PostgreSQL and Redis for a test module (fixtures,
loaded by conftest.py), queuing a crawl, starting workers, waiting for pages."""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.store import Store
from tests.conftest import claimscan, spawn_claimscan
from tests.servers import postgres_server, redis_server


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    with postgres_server(Path(tempfile.mkdtemp(prefix="claimscan-pg-"))) as url:
        yield url


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with redis_server(Path(tempfile.mkdtemp(prefix="claimscan-redis-"))) as url:
        yield url


def queue_crawl(clinics: Path, redis_url: str, database: str, *options: str) -> str:
    result = claimscan("crawl", str(clinics), "--redis", redis_url, "--db", database, *options)
    assert result.returncode == 0, result.stderr
    return result.stderr


def start_worker(
    redis_url: str, database: str, evidence: Path, *extra: str
) -> subprocess.Popen[str]:
    return spawn_claimscan(
        "worker", "--redis", redis_url, "--db", database, "--evidence-dir", str(evidence),
        "--wait", "5", "--progress", "log", *extra,
    )  # fmt: skip


def wait_for_pages(database: str, run_id: int, count: int, timeout: float = 60) -> None:
    store = Store.open(database)
    deadline = time.monotonic() + timeout
    try:
        while store.run_counts(run_id)[0] < count:
            assert time.monotonic() < deadline, f"fewer than {count} pages after {timeout}s"
            time.sleep(0.05)
    finally:
        store.close()
