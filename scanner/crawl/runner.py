"""Run one crawl: start or resume a run in the store, drive Scrapy, record how it ended.

Scrapy's Twisted reactor runs once per process: call `run_crawl` once per process (the CLI
does; tests run the CLI in a subprocess).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from scanner import __version__
from scanner.clinics import ClinicList
from scanner.crawl.frontier import ClinicFrontier
from scanner.crawl.progress import ProgressMode
from scanner.crawl.scope import url_key
from scanner.crawl.settings import crawl_settings
from scanner.crawl.spider import ClinicSpider, CrawlPlan
from scanner.crawl.warc import WarcEvidence
from scanner.errors import InputError
from scanner.models import Clinic, CrawlOptions, CrawlRun
from scanner.store import Store, StoredPage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClinicOutcome:
    clinic_id: str
    name: str
    pages: int
    errors: int
    reused: int
    may_need_render: tuple[str, ...] = ()  # pages with little text that load scripts


@dataclass(frozen=True)
class CrawlResult:
    run: CrawlRun
    resumed: bool
    completed: bool
    clinics: list[ClinicOutcome]

    @property
    def pages(self) -> int:
        return sum(c.pages for c in self.clinics)

    @property
    def errors(self) -> int:
        return sum(c.errors for c in self.clinics)


def run_crawl(
    clinic_list: ClinicList,
    store: Store,
    options: CrawlOptions,
    evidence_dir: Path,
    *,
    fresh: bool = False,
    progress: ProgressMode = "off",
) -> CrawlResult:
    """Crawl every clinic of the list into the store; resume an unfinished run of the same
    list unless `fresh`. Returns when the crawl completes or is interrupted (Ctrl-C)."""
    store.save_clinics(clinic_list.clinics)
    run = None if fresh else store.unfinished_run(clinic_list.sha256)
    if run is not None and run.settings.get("distributed"):
        raise InputError(
            f"run {run.id} of this clinic list is a distributed crawl, not finished: let "
            "`claimscan worker --redis ...` processes finish it, or start anew with --fresh"
        )
    resumed = run is not None
    if run is None:
        run = _new_run(clinic_list, store, options, evidence_dir)
        evidence = WarcEvidence(Path(run.warc_file), info={"claimscan-run": str(run.id)})
    else:
        log.info("resuming run %d (%s): stored pages are not fetched again", run.id, run.status)
        store.mark_run(run.id, "running")
        evidence = WarcEvidence(
            Path(run.warc_file), resume_at=store.warc_end(run.id, run.warc_file)
        )
    if not options.obey_robots:
        log.warning("robots.txt is IGNORED for this crawl (--ignore-robots)")

    frontiers = new_frontiers(clinic_list.clinics, options, store, run.id)
    if resumed:
        _restore(frontiers, store, run.id)
    plan = CrawlPlan(run.id, frontiers, options.use_sitemap, store, evidence)
    try:
        scrapy_stats = _run_scrapy(plan, options, progress)
    finally:
        evidence.close()
    reason = str(scrapy_stats.get("finish_reason", "unknown"))
    completed = reason == "finished"
    outcomes = [
        ClinicOutcome(
            f.clinic.id, f.clinic.name, f.pages, f.errors, f.replayed, tuple(f.may_need_render)
        )
        for f in frontiers.values()
    ]
    stats = {
        "finish_reason": reason,
        "pages": sum(o.pages for o in outcomes),
        "errors": sum(o.errors for o in outcomes),
        "reused_on_resume": sum(o.reused for o in outcomes),
        "may_need_render": sum(len(o.may_need_render) for o in outcomes),
        "elapsed_seconds": scrapy_stats.get("elapsed_time_seconds"),
        "claimscan_version": __version__,
    }
    store.mark_run(run.id, "completed" if completed else "interrupted", {**run.stats, **stats})
    return CrawlResult(store.run(run.id), resumed, completed, outcomes)


def new_frontiers(
    clinics: Iterable[Clinic], options: CrawlOptions, store: Store, run_id: int
) -> dict[str, ClinicFrontier]:
    """A frontier per clinic; for a conditional crawl (rescan), each knows the URLs' last
    snapshots before this run, to ask the server whether they changed."""
    frontiers = {c.id: ClinicFrontier(c, options) for c in clinics}
    if options.conditional:
        for previous in store.previous_pages(run_id):
            if previous.clinic_id in frontiers:
                frontiers[previous.clinic_id].previous[url_key(previous.url)] = previous
    return frontiers


def _new_run(
    clinic_list: ClinicList, store: Store, options: CrawlOptions, evidence_dir: Path
) -> CrawlRun:
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
    warc = evidence_dir.resolve() / f"claimscan-{stamp}-{os.getpid()}.warc.gz"
    return store.create_run(
        str(clinic_list.path), clinic_list.sha256, options.model_dump(), str(warc)
    )


def _restore(frontiers: dict[str, ClinicFrontier], store: Store, run_id: int) -> None:
    stored: dict[str, list[StoredPage]] = defaultdict(list)
    for page in store.stored_pages(run_id):
        stored[page.clinic_id].append(page)
    failed: dict[str, set[str]] = defaultdict(set)
    for clinic_id, url in store.failed_urls(run_id):
        failed[clinic_id].add(url)
    for clinic_id, frontier in frontiers.items():
        frontier.resume_from(stored[clinic_id], failed[clinic_id])


def _run_scrapy(plan: CrawlPlan, options: CrawlOptions, progress: ProgressMode) -> dict[str, Any]:
    settings = Settings(crawl_settings(options))
    settings.set("CLAIMSCAN_PROGRESS", progress)
    if progress == "live":
        settings.set("LOG_LEVEL", "WARNING")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(ClinicSpider)
    process.crawl(crawler, plan=plan)
    process.start()
    return crawler.stats.get_stats() if crawler.stats else {}
