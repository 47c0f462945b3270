"""Crawl speed: `claimscan crawl` against a bare link-following Scrapy spider.

Generates a clinic-like site of --pages pages (default 2,000), serves it on 127.0.0.1,
crawls it with both (same server, same concurrency, same run, alternating), and prints
pages per second and their ratio. Each rate is pages over Scrapy's own
`elapsed_time_seconds` (spider opened to closed), so process start-up is left out of both.

    python benchmarks/crawl.py [--pages 2000] [--rounds 2]
    python benchmarks/crawl.py --pages 100 --delay 0.5 --autothrottle --latency 0.05

--delay, --autothrottle and --latency (seconds the server takes per answer) measure the
polite regime a real study runs in, where the wait between requests, not CPU, sets the pace.

Target: claimscan at >= 0.6 of the bare spider's rate (extraction, WARC and database
writes cost under 40%).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
FANOUT = 5  # page n links to pages FANOUT*n+1 .. FANOUT*n+FANOUT
DEPTH = 6  # enough for FANOUT**DEPTH pages

SETTINGS = {  # the bare spider gets the same knobs claimscan's options set below
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "ROBOTSTXT_OBEY": "True",
    "DEPTH_LIMIT": str(DEPTH),
    "RETRY_TIMES": "0",
    "DOWNLOAD_TIMEOUT": "10",
    "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.DownloaderAwarePriorityQueue",
}
CLAIMSCAN_OPTIONS = [
    "--concurrency", "16", "--per-site", "16", "--delay", "0", "--no-autothrottle",
    "--max-depth", str(DEPTH), "--retries", "0", "--timeout", "10", "--progress", "off",
]  # fmt: skip

TOPICS = ["osteoporosis", "knee arthritis", "back pain", "COPD", "multiple sclerosis",
          "rotator cuff", "Parkinson's disease", "healthy aging"]  # fmt: skip


def page(n: int, total: int) -> bytes:
    """A clinic-like page: navigation, headings, paragraphs, a list, a table, links."""
    topic = TOPICS[n % len(TOPICS)]
    children = [c for c in range(FANOUT * n + 1, FANOUT * n + FANOUT + 1) if c < total]
    nav = "".join(f'<li><a href="/p/{h}">Section {h}</a></li>' for h in range(1, 11))
    links = "".join(f'<li><a href="/p/{c}">Treatment page {c}</a></li>' for c in children)
    paragraphs = "".join(
        f"<p>Paragraph {i} about {topic}: our regenerative program is described here in "
        f"plain words, with details on visits, costs and what patients report afterwards.</p>"
        for i in range(8)
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Page {n}: {topic}"
        f"</title><meta name='description' content='About {topic}'><style>p{{margin:0}}</style>"
        f"<script>var page={n};</script></head><body><nav><ul>{nav}</ul></nav><main>"
        f"<h1>Stem cell therapy for {topic}</h1>{paragraphs}<h2>Related</h2><ul>{links}</ul>"
        f"<table><tr><th>Visit</th><th>Price</th></tr><tr><td>Consultation</td><td>$200</td>"
        f"</tr></table></main><footer><p>Results vary.</p></footer></body></html>"
    ).encode()


def site_pages(total: int) -> dict[str, bytes]:
    """The generated site: `total` linked pages and a robots.txt that allows them all."""
    pages = {"/": page(0, total), **{f"/p/{n}": page(n, total) for n in range(1, total)}}
    pages["/robots.txt"] = b"User-agent: *\nDisallow:\n"
    return pages


def http_server(pages: dict[str, bytes], latency: float = 0.0) -> ThreadingHTTPServer:
    """A server of `pages` on a free 127.0.0.1 port, not yet serving; each answer takes
    `latency` seconds."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            if latency:
                time.sleep(latency)
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            content_type = "text/plain" if self.path.endswith(".txt") else "text/html"
            self.send_header("Content-Type", content_type)
            body = body or b"not found"
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    return server


def serve(total: int, latency: float = 0.0) -> ThreadingHTTPServer:
    server = http_server(site_pages(total), latency)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def politeness(delay: float, autothrottle: bool) -> tuple[dict[str, str], list[str]]:
    """The same delay and AutoThrottle for both: Scrapy settings and claimscan options."""
    settings = {**SETTINGS, "DOWNLOAD_DELAY": str(delay), "AUTOTHROTTLE_ENABLED": str(autothrottle)}
    if delay > 0:
        settings["DOWNLOAD_DELAY_JITTER"] = "0.5"  # the jitter claimscan uses
    options = [o for o in CLAIMSCAN_OPTIONS if o not in ("--no-autothrottle",)]
    options[options.index("--delay") + 1] = str(delay)
    options += [] if autothrottle else ["--no-autothrottle"]
    return settings, options


def run_bare(url: str, work: Path, settings: dict[str, str]) -> tuple[int, float]:
    stats_file = work / "bare.json"
    pairs = [f"{k}={v}" for k, v in settings.items()]
    subprocess.run(
        [sys.executable, str(HERE / "bare_spider.py"), url, str(stats_file), *pairs], check=True
    )
    stats = json.loads(stats_file.read_text())
    return int(stats["response_received_count"]), float(stats["elapsed_time_seconds"])


def run_claimscan(
    url: str, work: Path, total: int, round_no: int, options: list[str]
) -> tuple[int, float]:
    clinics = work / "clinics.csv"
    clinics.write_text(f"name,url\nBenchmark Clinic,{url}\n")
    db = work / f"claimscan-{round_no}.db"
    subprocess.run(
        [sys.executable, "-m", "scanner", "crawl", str(clinics), "--db", str(db),
         "--max-pages", str(total + 10), *options],
        check=True, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "runs", "--db", str(db), "--format", "jsonl"],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    run = json.loads(result.stdout.splitlines()[-1])
    stats = json.loads(
        subprocess.run(
            [sys.executable, "-c", STATS_PROBE, str(db), str(run["id"])],
            check=True, capture_output=True, text=True,
        ).stdout
    )  # fmt: skip
    return int(stats["pages"]), float(stats["elapsed_seconds"])


STATS_PROBE = (
    "import sys, json; from scanner.store import Store; "
    "print(json.dumps(Store.open(sys.argv[1]).run(int(sys.argv[2])).stats))"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--autothrottle", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()
    assert args.pages <= FANOUT**DEPTH, "raise DEPTH for that many pages"
    settings, options = politeness(args.delay, args.autothrottle)
    server = serve(args.pages, args.latency)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    bare_rates, claimscan_rates = [], []
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for round_no in range(args.rounds):
            pages, seconds = run_bare(url, work, settings)
            bare_rates.append(pages / seconds)
            print(f"round {round_no + 1}: bare spider  {pages:5d} pages in {seconds:6.2f}s "
                  f"= {pages / seconds:6.1f} pages/s")  # fmt: skip
            pages, seconds = run_claimscan(url, work, args.pages, round_no, options)
            claimscan_rates.append(pages / seconds)
            print(f"round {round_no + 1}: claimscan    {pages:5d} pages in {seconds:6.2f}s "
                  f"= {pages / seconds:6.1f} pages/s")  # fmt: skip
    server.shutdown()
    bare, ours = statistics.median(bare_rates), statistics.median(claimscan_rates)
    print(f"\nmedian pages/s: bare spider {bare:.1f}, claimscan crawl {ours:.1f}")
    print(f"ratio claimscan / bare spider: {ours / bare:.2f}  (target >= 0.60)")
    print(f"delay {args.delay} s, AutoThrottle {'on' if args.autothrottle else 'off'}, "
          f"answers in {args.latency * 1000:.0f} ms; load average (1, 5, 15 min): "
          + ", ".join(f"{load:.2f}" for load in os.getloadavg()))  # fmt: skip


if __name__ == "__main__":
    main()
