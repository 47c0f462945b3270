"""scrapy-redis's scheduler, with two changes for a crawl that survives kill -9: a request is
marked seen and queued in one Redis step (a worker killed between the two would leave a page
seen that nobody will fetch), and the request that yielded it is told once it is queued
(acks.py)."""

from __future__ import annotations

from scrapy import Request
from scrapy_redis.scheduler import Scheduler

from scanner.crawl.shared.acks import PARENT_META


class SharedScheduler(Scheduler):
    def enqueue_request(self, request: Request) -> bool:
        parent = request.meta.pop(PARENT_META, None)  # not stored with the request
        fingerprint = "" if request.dont_filter else self.df.request_fingerprint(request)
        queued = bool(self.queue.push(request, fingerprint))
        if not queued:
            self.df.log(request, self.spider)
        elif self.stats:
            self.stats.inc_value("scheduler/enqueued/redis", spider=self.spider)
        acks = getattr(self.spider, "acks", None)
        if parent is not None and acks is not None:
            acks.settle(parent)
        return queued
