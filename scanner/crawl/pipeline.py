"""Item pipeline: write each page's WARC records, then its snapshot, in one transaction.

Order matters for crash safety: the WARC record is written and flushed first, the snapshot
committed second. A crash in between leaves a WARC record that no snapshot points to; a
resumed run cuts such trailing records off (WarcEvidence(resume_at=...)).
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler

from scanner.crawl.spider import ClinicSpider
from scanner.errors import DuplicatePage
from scanner.models import FetchedPage, FetchFailure

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        spider = self.crawler.spider
        assert isinstance(spider, ClinicSpider)
        plan = spider.plan
        frontier = plan.frontiers[item.clinic_id]
        if isinstance(item, FetchedPage):
            previous = frontier.previous_of(item.url) if item.revisit_of is not None else None
            if previous is not None:
                warc, sha256 = plan.evidence.write_revisit(item, previous)
            else:
                warc, sha256 = plan.evidence.write(item)
            try:
                plan.store.add_page(plan.run_id, item, sha256, warc)
            except DuplicatePage as exc:
                # Another worker (or a clinic sharing this site) stored it first; the
                # WARC record written above stays as an unreferenced extra.
                log.info("%s: not stored again: %s", item.clinic_id, exc)
                return item
            frontier.pages += 1
            if self.crawler.stats:
                self.crawler.stats.inc_value("claimscan/pages_stored")
        elif isinstance(item, FetchFailure):
            plan.store.add_failure(plan.run_id, item)
            frontier.errors += 1
            log.info("%s: %s %s (%s)", item.clinic_id, item.kind, item.url, item.message)
            if self.crawler.stats:
                self.crawler.stats.inc_value(f"claimscan/errors/{item.kind}")
        return item
