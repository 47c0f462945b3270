"""`claimscan scan`: detection over stored snapshots, in batches, in one or more processes.

A snapshot is scanned once per rule pack (the pack's content hash): with unchanged rules a
second scan has nothing to do; with changed rules every page is scanned again and its
findings replaced (a retroactive re-run over the archive). A page whose body is the same
as one already scanned (same URL, same SHA-256; a 304 revisit) takes that page's findings
without being scanned. After scanning, the claim history (scanner.history) is brought up
to date. Each batch of pages is written
in one transaction, so an interrupted scan keeps what it finished and resumes with the rest.
"""

from __future__ import annotations

import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from scanner.detect.detector import Detector, PageResult
from scanner.detect.packs import pack_for
from scanner.detect.rules import RulePack
from scanner.history.reconcile import reconcile
from scanner.store import FindingToSave, PageToScan, ScanFailed, Store
from scanner.store.lock import store_lock
from scanner.store.scans import ScannedPage

log = logging.getLogger(__name__)
BATCH_PAGES = 100

_worker_detector: Detector | None = None


@dataclass(frozen=True)
class ScanSummary:
    scan_id: int | None
    pack_version: str
    pages: int  # pages scanned (detection ran)
    claims: int
    disclosures: int
    seconds: float
    reused: int = 0  # unchanged pages that took their earlier findings, unscanned
    runs_reconciled: tuple[int, ...] = ()
    failed: int = 0  # pages detection failed on (recorded; `claimscan errors` lists them)


def run_scan(
    store: Store,
    extra_rules: Sequence[Path] = (),
    builtin: bool = True,
    workers: int = 1,
    on_batch: Callable[[int, int], None] | None = None,
) -> ScanSummary:
    """Scan every stored page the current rule pack has not scanned. `on_batch(done, total)`
    is called after each batch (for progress displays)."""
    folders = tuple(str(Path(d).resolve()) for d in extra_rules)
    pack = pack_for(folders, builtin)
    if store.engine.dialect.name == "postgresql":
        return _claiming_scan(store, folders, builtin, workers, on_batch)
    todo = store.snapshots_to_scan(pack.sha256)
    started = time.monotonic()
    if not todo:
        runs = tuple(reconcile(store, pack.sha256))
        return ScanSummary(None, pack.version, 0, 0, 0, 0.0, runs_reconciled=runs)
    scan_id = store.create_scan(pack.sha256, pack.version, workers)
    reused = set()
    for i in range(0, len(todo), 1000):
        reused.update(store.reuse_findings(scan_id, pack.sha256, todo[i : i + 1000]))
    todo = [snapshot_id for snapshot_id in todo if snapshot_id not in reused]
    batches = [todo[i : i + BATCH_PAGES] for i in range(0, len(todo), BATCH_PAGES)]
    counts = Counts(reused=len(reused))
    status = "interrupted"
    try:
        for pages, results in _detect(store, batches, folders, builtin, workers):
            rows = [(page, _rows(result)) for page, result in zip(pages, results, strict=True)]
            store.save_findings(scan_id, pack.sha256, rows)
            counts = counts + Counts.of(rows)
            if on_batch:
                on_batch(counts.pages, len(todo))
        status = "completed"
    finally:
        store.finish_scan(scan_id, status, counts.pages, counts.claims + counts.disclosures)
    return _summary(store, scan_id, pack, counts, started)


def _claiming_scan(
    store: Store,
    folders: tuple[str, ...],
    builtin: bool,
    workers: int,
    on_batch: Callable[[int, int], None] | None,
) -> ScanSummary:
    """PostgreSQL: each process claims batches with FOR UPDATE SKIP LOCKED, so scans started
    on several machines (or with --workers) split the pages without doing any twice."""
    pack = pack_for(folders, builtin)
    started = time.monotonic()
    total = len(store.snapshots_to_scan(pack.sha256))
    if total == 0:
        with store_lock(
            store.engine.url.render_as_string(hide_password=False), "history", wait=True
        ):
            runs = tuple(reconcile(store, pack.sha256))
        return ScanSummary(None, pack.version, 0, 0, 0, 0.0, runs_reconciled=runs)
    scan_id = store.create_scan(pack.sha256, pack.version, workers)
    counts = Counts()
    status = "interrupted"
    try:
        if workers <= 1:
            detector = Detector([Path(f) for f in folders], builtin)

            def progress(done: int) -> None:
                if on_batch:
                    on_batch(done, total)

            counts = _claim_loop(store, scan_id, pack.sha256, detector, progress)
        else:
            url = store.engine.url.render_as_string(hide_password=False)
            context = multiprocessing.get_context("spawn")
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=_init_worker, initargs=(folders, builtin)
            ) as pool:
                futures = [
                    pool.submit(_claim_loop_worker, url, scan_id, pack.sha256)
                    for _ in range(workers)
                ]
                for future in futures:
                    counts = counts + future.result()
            if on_batch:
                on_batch(counts.pages + counts.reused, total)
        status = "completed"
    finally:
        store.finish_scan(scan_id, status, counts.pages, counts.claims + counts.disclosures)
    with store_lock(store.engine.url.render_as_string(hide_password=False), "history", wait=True):
        return _summary(store, scan_id, pack, counts, started)


@dataclass(frozen=True)
class Counts:
    pages: int = 0
    claims: int = 0
    disclosures: int = 0
    reused: int = 0
    failed: int = 0

    @classmethod
    def of(cls, rows: list[ScannedPage], reused: int = 0) -> Counts:
        """What a batch of scanned pages found."""
        found = [f for _, fs in rows if isinstance(fs, list) for f in fs]
        claims = sum(f.kind == "claim" for f in found)
        failed = sum(isinstance(fs, ScanFailed) for _, fs in rows)
        return cls(len(rows), claims, len(found) - claims, reused, failed)

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.pages + other.pages, self.claims + other.claims,
                      self.disclosures + other.disclosures, self.reused + other.reused,
                      self.failed + other.failed)  # fmt: skip


def _summary(
    store: Store, scan_id: int, pack: RulePack, counts: Counts, started: float
) -> ScanSummary:
    """Bring the claim history up to date and say what the scan did."""
    runs = tuple(reconcile(store, pack.sha256))
    return ScanSummary(scan_id, pack.version, counts.pages, counts.claims, counts.disclosures,
                       time.monotonic() - started, counts.reused, runs, counts.failed)  # fmt: skip


def _claim_loop(
    store: Store,
    scan_id: int,
    pack_sha256: str,
    detector: Detector,
    progress: Callable[[int], None],
) -> Counts:
    counts = Counts()
    while True:
        with store.claim_batch(scan_id, pack_sha256, BATCH_PAGES) as batch:
            if batch is None:
                return counts
            results = detect_pages(detector, batch.pages)
            rows = [
                (page, _rows(result)) for page, result in zip(batch.pages, results, strict=True)
            ]
            batch.save(rows)
            counts = counts + Counts.of(rows, batch.reused)
        progress(counts.pages + counts.reused)


def _claim_loop_worker(url: str, scan_id: int, pack_sha256: str) -> Counts:
    assert _worker_detector is not None
    store = Store.open(url)
    try:
        return _claim_loop(store, scan_id, pack_sha256, _worker_detector, lambda _done: None)
    finally:
        store.close()


def _detect(
    store: Store,
    batches: list[list[int]],
    folders: tuple[str, ...],
    builtin: bool,
    workers: int,
) -> Iterator[tuple[list[PageToScan], list[PageResult | ScanFailed]]]:
    """Pages and their results, batch by batch, in order; detection in `workers` processes."""
    if workers <= 1:
        detector = Detector([Path(f) for f in folders], builtin)
        for ids in batches:
            pages = store.pages_to_scan(ids)
            yield pages, detect_pages(detector, pages)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(folders, builtin)
    ) as pool:
        loaded = (store.pages_to_scan(ids) for ids in batches)
        pending = []
        for pages in loaded:  # keep every worker busy, and at most two batches queued each
            pending.append(
                (
                    pages,
                    pool.submit(_detect_batch, pages),
                )
            )
            while len(pending) >= 2 * workers:
                done_pages, future = pending.pop(0)
                yield done_pages, future.result()
        for done_pages, future in pending:
            yield done_pages, future.result()


def detect_pages(detector: Detector, pages: list[PageToScan]) -> list[PageResult | ScanFailed]:
    """Each page's result. Should detection fail on the batch, each page is tried alone, and
    a page it still fails on is a ScanFailed (recorded as the page's scan error): one bad
    page does not stop the scan of the others."""
    texts, names = _detector_input(pages)
    try:
        return list(detector.pages(texts, names=names))
    except Exception as exc:
        if len(pages) == 1:
            return [_failed(pages[0], exc)]
    return [detect_pages(detector, [page])[0] for page in pages]


def _failed(page: PageToScan, error: Exception) -> ScanFailed:
    log.exception("detection failed on snapshot %d; recorded as its scan error", page.snapshot_id)
    return ScanFailed(f"{type(error).__name__}: {error}"[:1000])


def _detector_input(
    pages: list[PageToScan],
) -> tuple[list[list[str]], list[tuple[str, ...]]]:
    """Each page's block texts, and the site's own name (not a claim)."""
    return [[b.text for b in p.blocks] for p in pages], [(p.clinic_name,) for p in pages]


def _init_worker(folders: tuple[str, ...], builtin: bool) -> None:
    global _worker_detector
    _worker_detector = Detector([Path(f) for f in folders], builtin)


def _detect_batch(pages: list[PageToScan]) -> list[PageResult | ScanFailed]:
    assert _worker_detector is not None
    return detect_pages(_worker_detector, pages)


def _rows(result: PageResult | ScanFailed) -> list[FindingToSave] | ScanFailed:
    if isinstance(result, ScanFailed):
        return result
    claims = [
        FindingToSave(
            kind="claim",
            block=f.block,
            rule_id=f.rule_id,
            category=f.category,
            severity=f.severity,
            strength=f.strength,
            text=f.text,
            sentence=f.sentence,
            start=f.start,
            end=f.end,
            sentence_start=f.sentence_start,
            cues=f.cues,
            disclosures=f.disclosures,
            categories=f.categories,
        )
        for f in result.claims
    ]
    disclosures = [
        FindingToSave(
            kind="disclosure",
            block=d.block,
            rule_id=None,
            category=None,
            severity=None,
            strength=None,
            text=d.text,
            sentence=d.sentence,
            start=d.start,
            end=d.end,
            sentence_start=0,
            cues=(),
            disclosures=(),
        )
        for d in result.disclosures
    ]
    return claims + disclosures
