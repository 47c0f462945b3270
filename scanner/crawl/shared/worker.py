"""Run one worker of a distributed crawl: Scrapy with scrapy-redis's scheduler over the
shared queues, writing snapshots to the shared database and WARC records to a file of its own.

Like `runner.run_crawl`, call it once per process (Scrapy's reactor runs once).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from scrapy.core.engine import ExecutionEngine
from scrapy.crawler import CrawlerProcess
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.settings import Settings

from scanner.crawl.progress import ProgressMode
from scanner.crawl.runner import new_frontiers
from scanner.crawl.settings import crawl_settings
from scanner.crawl.shared.coordinator import SharedPlan, finish_run
from scanner.crawl.shared.leases import SiteLeases, run_prefix
from scanner.crawl.shared.spider import WorkerSpider
from scanner.crawl.spider import CrawlPlan
from scanner.crawl.warc import WarcEvidence
from scanner.models import CrawlOptions
from scanner.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerResult:
    run_id: int
    worker: str
    warc_file: Path
    pages: int  # stored by this worker
    errors: int
    run_done: bool  # the whole run is done (not just this worker's part)
    completed_run: bool  # this worker recorded the run as completed
    finish_reason: str


def redis_settings(redis_url: str, run_id: int) -> dict[str, Any]:
    """scrapy-redis's scheduler, dupefilter and start key for the run's shared state."""
    prefix = run_prefix(run_id)
    return {
        "SCHEDULER": "scanner.crawl.shared.scheduler.SharedScheduler",
        "SCHEDULER_QUEUE_CLASS": "scanner.crawl.shared.queue.SiteLeaseQueue",
        "SCHEDULER_QUEUE_KEY": prefix + "requests",  # unused: requests live in per-site queues
        "SCHEDULER_DUPEFILTER_KEY": prefix + "dupefilter",
        "DUPEFILTER_CLASS": "scanner.crawl.shared.dupefilter.ClinicDupeFilter",
        "SCHEDULER_PERSIST": True,  # the queues belong to the run, not to this worker
        "SCHEDULER_SERIALIZER": "scrapy_redis.picklecompat",
        "REDIS_URL": redis_url,
        "REDIS_START_URLS_KEY": prefix + "start",
    }


def site_allowance(options: CrawlOptions) -> int:
    """How many sites a worker crawls at once: enough to fill its concurrency. With no delay
    a site takes up to --per-site requests at a time; with a delay (or AutoThrottle, which
    aims at one request in flight per site) a site has about one in flight, so the worker
    needs a site per request it may send."""
    if options.delay > 0 or options.autothrottle:
        return max(1, options.concurrency)
    return max(1, math.ceil(options.concurrency / options.per_site))


def run_worker(
    server: redis.Redis,
    redis_url: str,
    plan: SharedPlan,
    store: Store,
    evidence_dir: Path,
    worker: str,
    *,
    lease_seconds: float = 30.0,
    progress: ProgressMode = "off",
) -> WorkerResult:
    options = plan.options
    frontiers = new_frontiers(plan.clinics, options, store, plan.run_id)
    leases = SiteLeases(
        server,
        plan.run_id,
        worker,
        max_sites=site_allowance(options),
        per_site=options.per_site,
        lease_seconds=lease_seconds,
    )
    warc_file = evidence_dir.resolve() / f"claimscan-run{plan.run_id}-{worker}.warc.gz"
    evidence = WarcEvidence(
        warc_file, info={"claimscan-run": str(plan.run_id), "claimscan-worker": worker}
    )
    crawl_plan = CrawlPlan(plan.run_id, frontiers, options.use_sitemap, store, evidence)
    settings = Settings({**crawl_settings(options), **redis_settings(redis_url, plan.run_id)})
    # Acks wait for what each callback yielded to be durable (acks.py); the middleware sits
    # nearest the engine, after every other spider middleware.
    settings.set("SPIDER_MIDDLEWARES", {"scanner.crawl.shared.acks.AckWhenDurable": 1})
    settings.set("CLAIMSCAN_PROGRESS", progress)
    if progress == "live":
        settings.set("LOG_LEVEL", "WARNING")
    # scrapy-redis 0.9.1 still passes `spider` to the stats collector; nothing to act on.
    warnings.filterwarnings("ignore", category=ScrapyDeprecationWarning, module="scrapy_redis")
    log.info("worker %s: crawling run %d, WARC records to %s", worker, plan.run_id, warc_file)
    # Scrapy's engine asks the scheduler again on a response or on its 5 s heartbeat. Here
    # the scheduler can be empty for a moment while other sites have work this worker may
    # lease, so ask more often. (A class attribute: this process runs one crawl.)
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.5
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(WorkerSpider)
    try:
        process.crawl(crawler, plan=crawl_plan, leases=leases)
        process.start()
    finally:
        evidence.close()
    spider = crawler.spider
    stats = crawler.stats.get_stats() if crawler.stats else {}
    run_done = isinstance(spider, WorkerSpider) and spider.run_done
    completed = run_done and finish_run(server, store, plan.run_id)
    return WorkerResult(
        run_id=plan.run_id,
        worker=worker,
        warc_file=warc_file,
        pages=sum(f.pages for f in frontiers.values()),
        errors=sum(f.errors for f in frontiers.values()),
        run_done=run_done,
        completed_run=completed,
        finish_reason=str(stats.get("finish_reason", "unknown")),
    )
