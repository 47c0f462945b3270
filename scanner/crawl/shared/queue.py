"""scrapy-redis queue class over the site leases: the scheduler's view of the shared queues.

scrapy-redis's Scheduler (with its persistence, serializer and dupefilter) drives it; where its
own PriorityQueue pops any request, this one pops only requests of sites the worker holds, and
records each as in flight until the spider acks it (crawl/shared/spider.py).
"""

from __future__ import annotations

from typing import Any

from scrapy import Request
from scrapy_redis.queue import Base

from scanner.crawl.scope import site_key
from scanner.crawl.shared.leases import SiteLeases

LEASE_META = "claimscan_lease"  # (token, site) of a request taken from the shared queues


class SiteLeaseQueue(Base):
    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer)
        self.leases: SiteLeases = spider.leases

    def __len__(self) -> int:
        return self.leases.queued()

    def push(self, request: Request, fingerprint: str = "") -> bool:
        """Queue the request unless its fingerprint was seen ("" for no filter); True when
        queued."""
        site = request.meta.get("download_slot") or site_key(request.url)
        taken = request.meta.pop(LEASE_META, None)  # a retry stands for the request it retries
        data = self._encode_request(request)
        replaces = taken[0] if taken else None
        return self.leases.push(site, request.priority, data, replaces, fingerprint)

    def pop(self, timeout: int = 0) -> Request | None:
        taken = self.leases.pop()
        if taken is None:
            return None
        request: Request = self._decode_request(taken.data)
        request.meta[LEASE_META] = (taken.token, taken.site)
        return request

    def clear(self) -> None:
        """Never called with SCHEDULER_PERSIST; a finished run's keys are removed by the
        coordinator, not by one worker's scheduler."""
