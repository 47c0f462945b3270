"""Detection speed: claimscan's pipeline against bare spaCy tokenization, and scan workers.

Generates a corpus (default 3 MB) of clinic-style pages with benchmarks/corpus.py: a
grammar of the sentences clinic sites are made of, between free prose drawn from English
words by a Zipf law, so that bare tokenization runs at about the rate it has on real pages
(random strings made it ~10x slower and flattered the ratio). Then, in the same run, it
measures
1. words per second of bare `spacy.blank("en")` tokenization (nlp.pipe over the blocks);
2. words per second of detection (Detector.pages: the whole pipeline plus page logic);
   both the best of 5 passes, taken in turns, each with a fresh pipeline;
3. `claimscan scan` over a SQLite store holding the corpus, with --workers 1 and 2
   (database reads and writes included).

With `--pages DIR` it measures 1 and 2 on the .txt pages in DIR too (one block a line),
repeated to the same size as a large crawl repeats its vocabulary. Real pages are mostly
short blocks (menus, headings, bullets: a median of 3 words on the development pages,
against 41 in the generated corpus), so costs per block weigh more there.

    python benchmarks/scan.py [--megabytes 3] [--pages ../shared/eval-dev/pages]

Target: detection at >= 0.15 of tokenization's rate on the generated real-like text.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from statistics import median

import spacy

sys.path.insert(0, str(Path(__file__).parent))
from corpus import corpus

from scanner.detect.detector import Detector
from scanner.detect.scan import run_scan
from scanner.models import Clinic, ExtractedPage, FetchedPage, TextBlock
from scanner.store import Store, WarcRef


def words(pages: list[list[str]]) -> int:
    return sum(len(block.split()) for page in pages for block in page)


def txt_pages(folder: Path, megabytes: float) -> list[list[str]]:
    """The .txt pages of a folder (one block a non-empty line), repeated until they hold
    `megabytes` of text."""
    pages = [
        [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        for path in sorted(folder.glob("*.txt"))
    ]
    out: list[list[str]] = []
    size = 0
    while size < megabytes * 1_000_000 and any(pages):
        for page in pages:
            out.append(page)
            size += sum(len(block) + 1 for block in page)
    return out


def describe(name: str, pages: list[list[str]]) -> str:
    sizes = [len(block.split()) for page in pages for block in page]
    return (
        f"{name}: {len(pages)} pages, {len(sizes):,} blocks (median {median(sizes):g} words),"
        f" {sum(sizes):,} words"
    )


ROUNDS = 5


def tokenize_once(pages: list[list[str]]) -> float:
    """One pass of bare tokenization with a fresh pipeline (a cold tokenizer cache)."""
    nlp = spacy.blank("en")
    started = time.perf_counter()
    for _ in nlp.pipe((b for page in pages for b in page), batch_size=256):
        pass
    return time.perf_counter() - started


def detect_once(pages: list[list[str]]) -> tuple[float, int]:
    """One pass of detection with a fresh Detector (built before the clock)."""
    detector = Detector()
    started = time.perf_counter()
    claims = sum(len(result.claims) for result in detector.pages(pages))
    return time.perf_counter() - started, claims


def rates(pages: list[list[str]], n_words: int) -> tuple[float, float, int]:
    """Words per second of tokenization and of detection: the best of ROUNDS passes each,
    taken in turns, so that both see the same spells of a noisy machine."""
    tokenize, detect, claims = float("inf"), float("inf"), 0
    for _ in range(ROUNDS):
        tokenize = min(tokenize, tokenize_once(pages))
        seconds, claims = detect_once(pages)
        detect = min(detect, seconds)
    return n_words / tokenize, n_words / detect, claims


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
    parser.add_argument("--pages", type=Path, help="a folder of .txt pages to measure too")
    args = parser.parse_args()
    pages = corpus(args.megabytes)
    n_words = words(pages)
    sets = [("generated corpus", pages)]
    if args.pages:
        sets.append((f"{args.pages} repeated", txt_pages(args.pages, args.megabytes)))
    for name, measured in sets:
        print(describe(name, measured))
        tokens, detect, claims = rates(measured, words(measured))
        print(f"  bare spacy.blank('en') tokenization: {tokens:12,.0f} words/s")
        print(f"  claimscan detection:                 {detect:12,.0f} words/s ({claims:,} claims)")
        print(f"  ratio detection / tokenization: {detect / tokens:.3f}  (target >= 0.15)")

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
