"""Detection speed: claimscan's pipeline against bare spaCy tokenization, and scan workers.

Generates a corpus (default 3 MB) of clinic-style pages with benchmarks/corpus.py: a
grammar of the sentences clinic sites are made of, between free prose drawn from English
words by a Zipf law, so that bare tokenization runs at about the rate it has on real pages
(random strings made it ~10x slower and flattered the ratio). Then, in the same run, it
measures
1. words per second of bare `spacy.blank("en")` tokenization (nlp.pipe over the blocks);
2. words per second of detection (Detector.pages: the whole pipeline plus page logic);
3. `claimscan scan` over a SQLite store holding the corpus, with --workers 1 and 2
   (database reads and writes included).

    python benchmarks/scan.py [--megabytes 3]

Target: detection at >= 0.15 of tokenization's rate on this real-like text.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import spacy

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus

from scanner.detect.detector import Detector
from scanner.detect.scan import run_scan
from scanner.models import Clinic, ExtractedPage, FetchedPage, TextBlock
from scanner.store import Store, WarcRef


def words(pages: list[list[str]]) -> int:
    return sum(len(block.split()) for page in pages for block in page)


ROUNDS = 3


def tokenize_rate(pages: list[list[str]], n_words: int) -> float:
    """Best of ROUNDS single passes, each with a fresh pipeline (a cold tokenizer cache)."""
    best = float("inf")
    for _ in range(ROUNDS):
        nlp = spacy.blank("en")
        started = time.perf_counter()
        for _ in nlp.pipe((b for page in pages for b in page), batch_size=256):
            pass
        best = min(best, time.perf_counter() - started)
    return n_words / best


def detect_rate(pages: list[list[str]], n_words: int) -> tuple[float, int]:
    """Best of ROUNDS single passes, each with a fresh Detector (built before the clock)."""
    best, claims = float("inf"), 0
    for _ in range(ROUNDS):
        detector = Detector()
        started = time.perf_counter()
        claims = sum(len(result.claims) for result in detector.pages(pages))
        best = min(best, time.perf_counter() - started)
    return n_words / best, claims


def store_with(pages: list[list[str]], path: Path) -> None:
    store = Store.open(str(path))
    store.save_clinics([Clinic(id="bench", name="Bench", urls=("https://bench.test/",))])
    run_id = store.create_run("bench.csv", "bench", {}, "bench.warc.gz").id
    now = datetime.now(UTC)
    for number, page in enumerate(pages):
        blocks = [
            TextBlock(tag="p", text=b, locator=f"/html/body/p[{i + 1}]") for i, b in enumerate(page)
        ]
        fetched = FetchedPage(
            clinic_id="bench", url=f"https://bench.test/{number}", final_url=f"https://bench.test/{number}",
            status=200, depth=1, fetched_at=now, request_headers=[], response_headers=[], body=b"",
            content_type="text/html", page=ExtractedPage(blocks=blocks),
        )  # fmt: skip
        store.add_page(run_id, fetched, "0" * 64, WarcRef("bench.warc.gz", f"<{number}>", 0, 1))
    store.close()


def scan_rate(path: Path, workers: int, n_words: int) -> float:
    store = Store.open(str(path))
    summary = run_scan(store, workers=workers)
    store.close()
    return n_words / summary.seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--megabytes", type=float, default=3.0)
    args = parser.parse_args()
    pages = corpus(args.megabytes)
    n_words = words(pages)
    size = sum(len(b) + 1 for page in pages for b in page) / 1e6
    print(f"corpus: {len(pages)} pages, {n_words:,} words, {size:.1f} MB")

    tokens = tokenize_rate(pages, n_words)
    detect, claims = detect_rate(pages, n_words)
    print(f"bare spacy.blank('en') tokenization: {tokens:12,.0f} words/s")
    print(f"claimscan detection:                 {detect:12,.0f} words/s ({claims:,} claims)")
    print(f"ratio detection / tokenization: {detect / tokens:.2f}  (target >= 0.15)")

    with tempfile.TemporaryDirectory() as tmp:
        one, two = Path(tmp) / "one.db", Path(tmp) / "two.db"
        store_with(pages, one)
        shutil.copy(one, two)
        rate_one = scan_rate(one, 1, n_words)
        rate_two = scan_rate(two, 2, n_words)
    print(
        f"\nclaimscan scan --workers 1: {rate_one:10,.0f} words/s (store reads and writes included)"
    )
    print(f"claimscan scan --workers 2: {rate_two:10,.0f} words/s")
    print(f"ratio 2 workers / 1 worker: {rate_two / rate_one:.2f}")


if __name__ == "__main__":
    main()
