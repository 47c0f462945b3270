"""Acknowledge a request taken from the shared queues only once what it led to is durable.

A request stays in flight in Redis until its page (or its error) is committed to the store
and every link it yielded is in the shared queue. Scrapy does not say when that is: it reads
a callback's whole output before it handles any of it, so code after the callback's last
`yield` runs too early. So the outputs are counted instead, per request: an item counts as
settled when the item pipeline is done with it (Scrapy's item_scraped, item_dropped or
item_error signal), a request when the scheduler has queued it in Redis or found it seen
(`SharedScheduler`). When the count reaches zero the request is acked. A worker killed
before that leaves the request in flight, and another worker fetches it again.

`AckWhenDurable`, the spider middleware nearest the engine, counts what callbacks yield after
every other middleware has had its say; errbacks bypass spider middlewares, so the worker's
spider counts theirs itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from scanner.crawl.shared.leases import SiteLeases
from scanner.crawl.shared.queue import LEASE_META

PARENT_META = "claimscan_parent"  # the in-flight token of the request that yielded this one


class DurableAcks:
    def __init__(self, leases: SiteLeases) -> None:
        self.leases = leases
        self.waiting: dict[str, list[Any]] = {}  # token -> [site, outputs not yet settled]
        self.items: dict[int, str] = {}  # id(item) -> token of the request it came from

    def expect(self, request: Request | None, outputs: list[Any]) -> None:
        """What the request led to; it is acked once all of it is settled (at once, if
        nothing)."""
        taken = request.meta.pop(LEASE_META, None) if request is not None else None
        if taken is None:
            return  # not from the shared queues (robots.txt), or already acked
        token, site = taken
        count = 0
        for output in outputs:
            if isinstance(output, Request):
                output.meta[PARENT_META] = token
            elif output is not None:
                self.items[id(output)] = token
            else:
                continue
            count += 1
        if count:
            self.waiting[token] = [site, count]
        else:
            self.leases.ack(token, site)

    def settle(self, token: str) -> None:
        entry = self.waiting.get(token)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del self.waiting[token]
            self.leases.ack(token, entry[0])

    def item_done(self, item: Any, **_signal: Any) -> None:
        """Connected to item_scraped, item_dropped and item_error."""
        token = self.items.pop(id(item), None)
        if token is not None:
            self.settle(token)


class AckWhenDurable:
    """Spider middleware (nearest the engine): hands a callback's final output to the acks."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        outputs: list[Any] = []
        error: Exception | None = None
        try:
            async for output in result:
                outputs.append(output)
        except Exception as exc:  # the callback failed part way: what it gave still counts
            error = exc
        acks: DurableAcks | None = getattr(self.crawler.spider, "acks", None)
        if acks is not None:
            acks.expect(response.request, outputs)
        for output in outputs:
            yield output
        if error is not None:
            raise error
