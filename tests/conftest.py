"""Shared test fixtures: the fixture clinic sites, a CLI runner, temporary stores."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from scanner.demo.server import FixtureServer
from scanner.resources import demo_dir

# PostgreSQL and Redis fixtures (`database`, `redis_url`) for distributed-crawl tests.
pytest_plugins = ["tests.workers"]

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).resolve().parent.parent

# Fast, deterministic crawl options for loopback fixture sites.
FAST = ["--delay", "0", "--timeout", "5", "--retries", "0", "--progress", "log"]


@pytest.fixture(scope="module")
def sites() -> Iterator[FixtureServer]:
    """The bundled fictional clinic sites, served on 127.0.0.x for one test module."""
    with FixtureServer(lifetime=300) as server:
        yield server


@pytest.fixture(scope="module")
def demo_clinics(sites: FixtureServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo clinic list, pointing at the running fixture sites."""
    out = tmp_path_factory.mktemp("clinics") / "clinics.csv"
    return sites.write_clinic_list(demo_dir() / "clinics.csv", out)


def claimscan(
    *args: str, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the claimscan command line in a subprocess (a crawl needs its own reactor)."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    env.pop("CLAIMSCAN_DB", None)
    return subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def spawn_claimscan(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("CLAIMSCAN_DB", None)
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
