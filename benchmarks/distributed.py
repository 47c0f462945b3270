"""Distributed crawl speed: one and two `claimscan worker` processes sharing Redis and
PostgreSQL, against a one-process `claimscan crawl` (Scrapy's in-memory scheduler) into the
same PostgreSQL.

Generates --sites clinic-like sites of --pages-per-site pages each (default 30 x 100 = 3,000
pages), serves them from a separate process on 127.0.0.1 (one port per site), starts Redis
and PostgreSQL in temporary folders (tests/servers.py), and times each configuration from
the start of its crawling processes to the exit of the last one (the queuing step of the
distributed runs is left out; process start-up is in all of them). Prints pages per second
and the ratios.

    python benchmarks/distributed.py [--sites 30] [--pages-per-site 100] [--rounds 2]
    python benchmarks/distributed.py --sites 20 --pages-per-site 40 --delay 0.5 \
        --autothrottle --latency 0.05

--delay, --autothrottle and --latency (seconds each answer takes) measure the polite regime
of a real study, where a worker's share of the sites, not its CPU, sets its pace.

Needs PostgreSQL and Redis installed (make system). On a machine with few cores the sites'
server, Redis and PostgreSQL share the CPU with the workers, which bounds what a second
worker can add; on separate machines the workers do not compete.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from crawl import http_server, site_pages  # noqa: E402  (benchmarks/crawl.py's site)

from scanner.store import Store  # noqa: E402
from tests.servers import postgres_server, redis_server  # noqa: E402

OPTIONS = [
    "--concurrency", "16", "--per-site", "4", "--delay", "0", "--no-autothrottle",
    "--max-depth", "6", "--max-pages", "1000", "--retries", "0", "--timeout", "10",
    "--progress", "off", "--no-sitemap",
]  # fmt: skip


def serve_sites(sites: int, per_site: int, latency: float, ports: Any) -> None:
    """Serve `sites` sites of `per_site` pages, one port each; put the ports on `ports`."""
    pages = site_pages(per_site)
    servers = [http_server(pages, latency) for _ in range(sites)]
    ports.put([server.server_address[1] for server in servers])
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


def claimscan(*args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "scanner", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def timed(processes: list[subprocess.Popen[bytes]]) -> float:
    start = time.monotonic()
    for process in processes:
        assert process.wait() == 0, process.args
    return time.monotonic() - start


def pages_of_latest_run(db: str) -> int:
    with Store.open(db) as store:
        return store.run_counts(store.runs()[-1].id)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=30)
    parser.add_argument("--pages-per-site", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--autothrottle", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    options = [o for o in OPTIONS if o != "--no-autothrottle"]
    options[options.index("--delay") + 1] = str(args.delay)
    options += [] if args.autothrottle else ["--no-autothrottle"]
    ports: Any = multiprocessing.Queue()
    server = multiprocessing.Process(
        target=serve_sites,
        args=(args.sites, args.pages_per_site, args.latency, ports),
        daemon=True,
    )
    server.start()
    urls = [f"http://127.0.0.1:{port}/" for port in ports.get(timeout=60)]
    rates: dict[str, list[float]] = {"in-memory": [], "redis, 1 worker": [], "redis, 2 workers": []}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with (
            postgres_server(Path(tempfile.mkdtemp(prefix="bench-pg-"))) as db,
            redis_server(work / "redis") as redis_url,
        ):
            for round_no in range(args.rounds):
                clinics = work / f"clinics-{round_no}.csv"
                rows = [f"Clinic {i} (round {round_no}),{url}" for i, url in enumerate(urls)]
                clinics.write_text("name,url\n" + "\n".join(rows) + "\n")
                evidence = work / f"evidence-{round_no}"
                for label in rates:
                    fresh = ["--fresh"]
                    if label == "in-memory":
                        command = ["crawl", str(clinics), "--db", db, *options, *fresh,
                                   "--evidence-dir", str(evidence)]  # fmt: skip
                        seconds = timed([claimscan(*command)])
                    else:
                        queue = ["crawl", str(clinics), "--redis", redis_url, "--db", db]
                        assert claimscan(*queue, *options, *fresh).wait() == 0
                        workers = 2 if "2" in label else 1
                        worker = ["worker", "--redis", redis_url, "--db", db, "--wait", "10",
                                  "--evidence-dir", str(evidence), "--progress", "off"]  # fmt: skip
                        seconds = timed([claimscan(*worker) for _ in range(workers)])
                    pages = pages_of_latest_run(db)
                    rates[label].append(pages / seconds)
                    print(f"round {round_no + 1}: {label:17s} {pages:5d} pages in "
                          f"{seconds:6.2f}s = {pages / seconds:6.1f} pages/s")  # fmt: skip
    server.terminate()
    median = {label: statistics.median(values) for label, values in rates.items()}
    print("\nmedian pages/s: " + ", ".join(f"{k} {v:.1f}" for k, v in median.items()))
    one, two = median["redis, 1 worker"], median["redis, 2 workers"]
    in_memory = median["in-memory"]
    print(f"ratio Redis scheduler (1 worker) / in-memory scheduler: {one / in_memory:.2f}")
    print(f"ratio 2 workers / 1 worker: {two / one:.2f}  (target >= 1.6)")
    print(f"delay {args.delay} s, AutoThrottle {'on' if args.autothrottle else 'off'}, "
          f"answers in {args.latency * 1000:.0f} ms; load average (1, 5, 15 min): "
          + ", ".join(f"{load:.2f}" for load in os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    main()
