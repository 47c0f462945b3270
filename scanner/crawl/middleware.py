"""Downloader middleware that keeps each clinic's crawl within its page budget."""

from __future__ import annotations

from typing import Self

from scrapy import Request
from scrapy.crawler import Crawler

from scanner.crawl.errors import BudgetSpent
from scanner.crawl.spider import ClinicSpider


class ClinicBudgetMiddleware:
    """Drops a clinic's requests once its page budget is spent.

    The budget is spent when a request is sent, not when it is queued, so the scheduler's
    priorities decide which pages a clinic's budget buys (claim-likely links first).
    Placed after RobotsTxtMiddleware: a page robots.txt forbids costs nothing.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        spider = self.crawler.spider
        clinic_id = request.meta.get("clinic_id")
        if clinic_id is None or not isinstance(spider, ClinicSpider):
            return None  # robots.txt and other requests that are not a clinic's
        frontier = spider.plan.frontiers[clinic_id]
        if request.meta.get("sitemap") or "retry_times" in request.meta:
            return None  # sitemaps are not pages; a retry was paid for the first time
        if not spider.spend_budget(frontier, request):
            raise BudgetSpent(f"page budget of {frontier.options.max_pages} spent")
        return None
