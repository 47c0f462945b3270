"""Screenshots as evidence: every page with a claim loaded again in Chromium, live, after the
crawl, and archived as a WARC resource record (a PNG, with its SHA-256, the time it was taken
and the page URL it shows; WARC-Refers-To names the response record it illustrates) and a
metadata record holding where each claim sentence was found on it. The store keeps the same
facts for reports and the review app. A screenshot taken after the crawl is marked so
("after"): the page may have changed since the capture it illustrates."""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scanner.capture.browser import Browser, Capture
from scanner.crawl.warc import WarcEvidence
from scanner.models import PageSnapshot
from scanner.store import Store


@dataclass(frozen=True)
class PageToShoot:
    snapshot: PageSnapshot
    sentences: list[str]  # its claim sentences, each once, in page order


@dataclass
class ShotSummary:
    pages: int = 0
    taken: int = 0
    sentences: int = 0
    located: int = 0  # sentences found on the screenshots
    failed: list[tuple[str, str]] = field(default_factory=list)  # (url, why)
    warc_file: Path | None = None
    seconds: float = 0.0


def pages_to_shoot(
    store: Store, run_id: int | None, clinic_ids: Iterable[str] = (), again: bool = False
) -> list[PageToShoot]:
    """Pages with at least one claim: of run `run_id`, or of each clinic's latest run. Pages
    that have a screenshot already are left out unless `again`."""
    wanted = list(clinic_ids)
    sentences: dict[int, list[str]] = defaultdict(list)
    for finding in store.findings("claim", wanted):
        if finding.sentence not in sentences[finding.snapshot_id]:
            sentences[finding.snapshot_id].append(finding.sentence)
    snapshots = [s for s in store.snapshots(run_id=run_id, clinic_ids=wanted) if s.reviewed]
    if run_id is None:  # each clinic's latest run
        latest: dict[str, int] = {}
        for snapshot in snapshots:
            latest[snapshot.clinic_id] = max(latest.get(snapshot.clinic_id, 0), snapshot.run_id)
        snapshots = [s for s in snapshots if s.run_id == latest[s.clinic_id]]
    chosen = [s for s in snapshots if sentences.get(s.id)]
    done = set() if again else set(store.screenshots([s.id for s in chosen]))
    return [PageToShoot(s, sentences[s.id]) for s in chosen if s.id not in done]


def take_screenshots(
    store: Store,
    pages: list[PageToShoot],
    evidence_dir: Path,
    browser: Browser,
    on_page: Callable[[int, int], None] | None = None,
) -> ShotSummary:
    summary = ShotSummary(pages=len(pages))
    if not pages:
        return summary
    started = time.monotonic()
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    warc_file = evidence_dir.resolve() / f"claimscan-screenshots-{stamp}.warc.gz"
    evidence = WarcEvidence(warc_file, info={"claimscan-screenshots": "taken after the crawl"})
    summary.warc_file = warc_file
    try:
        for number, page in enumerate(pages, 1):
            capture = browser.capture(page.snapshot.url, page.sentences)
            if capture.error is not None:
                summary.failed.append((page.snapshot.url, capture.error))
            else:
                _archive(store, evidence, page, capture)
                summary.taken += 1
                summary.sentences += len(page.sentences)
                summary.located += sum(box is not None for box in capture.boxes)
            if on_page:
                on_page(number, len(pages))
    finally:
        evidence.close()
    summary.seconds = time.monotonic() - started
    return summary


def _archive(store: Store, evidence: WarcEvidence, page: PageToShoot, capture: Capture) -> None:
    snapshot = page.snapshot
    ref, sha256 = evidence.write_resource(
        snapshot.url, capture.png, "image/png", capture.captured_at, snapshot.warc_record_id
    )
    boxes = [
        {"sentence": sentence, "box": list(box) if box else None}
        for sentence, box in zip(page.sentences, capture.boxes, strict=True)
    ]
    about = {
        "screenshot": ref.record_id,
        "page": snapshot.url,
        "taken": "after",
        "note": capture.note,
        "size": [capture.width, capture.height],
        "claims": boxes,
    }
    evidence.write_resource(
        snapshot.url,
        json.dumps(about, ensure_ascii=False).encode(),
        "application/json",
        capture.captured_at,
        ref.record_id,
        record_type="metadata",
    )
    store.add_screenshot(
        snapshot.id, snapshot.url, capture.captured_at, "after", sha256,
        (capture.width, capture.height), boxes, capture.note, warc=ref,
    )  # fmt: skip
