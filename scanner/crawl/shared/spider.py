"""The worker's spider: the clinic spider, started from Redis and acking what it handles.

Start-up: Scrapy 2.19 no longer calls `start_requests()` (which is all RedisMixin offers), so
scrapy-redis alone would start only from its idle hook, on the engine's next 5-second
heartbeat. `start()` here reads the first batch of start entries (one per clinic) itself;
after that, RedisMixin's `spider_idle` reads the rest (and entries put back by a worker that
died), and the spider closes from there once the whole run is done.

Every request taken from the shared queues is acked once its page (or error) is stored and
its links are queued (acks.py): until then Redis holds it as in flight, and a worker that
dies leaves it to the others.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy_redis.spiders import RedisMixin
from twisted.internet.task import LoopingCall
from twisted.python.failure import Failure

from scanner.crawl.frontier import ClinicFrontier
from scanner.crawl.shared.acks import DurableAcks
from scanner.crawl.shared.dupefilter import page_fingerprint
from scanner.crawl.shared.leases import SiteLeases
from scanner.crawl.spider import ClinicSpider, CrawlPlan

log = logging.getLogger(__name__)


class WorkerSpider(RedisMixin, ClinicSpider):
    shared_dedup = True  # the Redis dupefilter decides what is new, across workers

    def __init__(self, plan: CrawlPlan, leases: SiteLeases, **kwargs: Any) -> None:
        super().__init__(plan=plan, **kwargs)
        self.leases = leases
        self.acks = DurableAcks(leases)
        self.run_done = False
        self._heartbeat: LoopingCall | None = None  # made once the reactor is installed

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        spider: Self = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        crawler.signals.connect(spider.on_opened, signal=signals.spider_opened)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        for settled in (signals.item_scraped, signals.item_dropped, signals.item_error):
            crawler.signals.connect(spider.acks.item_done, signal=settled)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        for request in self.next_requests():
            yield request

    def on_opened(self, spider: Any) -> None:
        self.leases.beat()  # alive before taking anything
        self._heartbeat = LoopingCall(self.leases.beat)
        self._heartbeat.start(max(self.leases.lease_seconds / 3, 0.2), now=False)

    def on_closed(self, spider: Any, reason: str) -> None:
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        handed_back = self.leases.retire()
        if handed_back:
            log.info("handed %d unfinished requests back to the shared queue", handed_back)

    # -- start-up through scrapy-redis ------------------------------------------------------

    def pop_list_queue(self, redis_key: str, batch_size: int) -> list[bytes]:
        """RedisMixin's read of start entries, made reliable: each entry stays recorded as
        in flight (with a token, passed on in front of it) until its requests are queued."""
        return [
            token.encode() + b"\t" + entry for token, entry in self.leases.pop_starts(batch_size)
        ]

    def make_request_from_data(self, data: bytes) -> Iterator[Request]:
        token, _, entry = data.partition(b"\t")
        try:
            frontier = self.plan.frontiers.get(json.loads(entry)["clinic_id"])
            if frontier is not None:
                yield from self.start_of(frontier)
        finally:
            self.leases.ack(token.decode())

    def spider_idle(self) -> None:
        if self.leases.done():
            self.run_done = True
            return  # nothing queued or in flight anywhere: the spider may close
        super().spider_idle()  # schedules start entries; raises DontCloseSpider

    # -- budget shared by all workers -------------------------------------------------------

    def spend_budget(self, frontier: ClinicFrontier, request: Request) -> bool:
        fingerprint = page_fingerprint(frontier.clinic.id, request.url)
        if not self.leases.spend(frontier.clinic.id, frontier.options.max_pages, fingerprint):
            return False
        frontier.started += 1
        return True

    # -- errbacks: their output bypasses spider middlewares, so it is counted here -----------

    def on_error(self, failure: Failure) -> Iterator[Any]:
        return self._counted(failure, super().on_error(failure))

    def on_sitemap_error(self, failure: Failure) -> Iterator[Any]:
        return self._counted(failure, super().on_sitemap_error(failure))

    def _counted(self, failure: Failure, outputs: Iterable[Any]) -> Iterator[Any]:
        taken = list(outputs)
        self.acks.expect(failure.request, taken)  # type: ignore[attr-defined]
        yield from taken
