"""What --render and screenshots cost: `claimscan crawl` of a generated site with and
without headless Chromium, and `claimscan screenshots` per page.

Serves benchmarks/crawl.py's generated clinic-like site (--pages pages) on 127.0.0.1, crawls
it without and with --render (same options, same run), then times the screenshots' capture
of up to 30 of its pages. Prints pages per second of each crawl and their ratio, seconds
per screenshot, and the browser's peak memory (the chromium processes' summed PSS, sampled
every 0.2 s).

    python benchmarks/render.py [--pages 100]

Needs Debian's chromium (make system).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from crawl import serve  # noqa: E402  (benchmarks/crawl.py's site)

OPTIONS = [
    "--concurrency", "8", "--per-site", "8", "--delay", "0", "--no-autothrottle",
    "--max-depth", "6", "--retries", "0", "--timeout", "30", "--progress", "off",
    "--no-sitemap",
]  # fmt: skip


class ChromiumMemory:
    """Peak memory of the chromium processes while it runs: their summed proportional set
    size (PSS: pages they share are counted once, split between them)."""

    def __init__(self) -> None:
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            pids = subprocess.run(["pgrep", "-x", "chromium"], capture_output=True,
                                  text=True).stdout.split()  # fmt: skip
            self.peak_kb = max(self.peak_kb, sum(_pss_kb(pid) for pid in pids))
            time.sleep(0.2)

    def __enter__(self) -> ChromiumMemory:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _pss_kb(pid: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:  # the process ended
        pass
    return 0


def screenshot_seconds(url: str, pages: int) -> float:
    """Seconds per page of Browser.capture (settle bound 2 s), the browser started before."""
    from scanner.capture.browser import Browser

    urls = [url] + [f"{url}p/{n}" for n in range(1, pages)]
    with Browser(settle=2) as browser:
        started = time.monotonic()
        for page in urls:
            browser.capture(page, [])
        return (time.monotonic() - started) / len(urls)


def claimscan(*args: str) -> float:
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "scanner", *args], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    return time.monotonic() - started


def crawl_rate(db: Path) -> float:
    probe = (
        "import sys, json; from scanner.store import Store; s = Store.open(sys.argv[1]); "
        "print(json.dumps(s.runs()[-1].stats))"
    )
    stats = json.loads(subprocess.run([sys.executable, "-c", probe, str(db)], check=True,
                                      capture_output=True, text=True).stdout)  # fmt: skip
    return float(stats["pages"]) / float(stats["elapsed_seconds"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=100)
    args = parser.parse_args()
    server = serve(args.pages)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        clinics = work / "clinics.csv"
        clinics.write_text(f"name,url\nBenchmark Clinic,{url}\n")
        budget = ["--max-pages", str(args.pages + 10)]
        plain, rendered = work / "plain.db", work / "rendered.db"
        claimscan("crawl", str(clinics), "--db", str(plain), *OPTIONS, *budget)
        with ChromiumMemory() as crawl_memory:
            claimscan("crawl", str(clinics), "--db", str(rendered), *OPTIONS, *budget, "--render")
        static, browser = crawl_rate(plain), crawl_rate(rendered)
        with ChromiumMemory() as shot_memory:
            per_shot = screenshot_seconds(url, min(args.pages, 30))
    server.shutdown()
    print(f"crawl of {args.pages} pages: {static:.1f} pages/s without --render, "
          f"{browser:.1f} with; ratio {browser / static:.2f}")  # fmt: skip
    print(f"screenshots (claimscan screenshots' capture: load, settle, locate, PNG): "
          f"{per_shot:.2f} s a page")  # fmt: skip
    print(f"chromium's peak memory: {crawl_memory.peak_kb / 1024:.0f} MB during the --render "
          f"crawl, {shot_memory.peak_kb / 1024:.0f} MB during the screenshots")  # fmt: skip


if __name__ == "__main__":
    main()
