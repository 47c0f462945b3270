"""Progress of a crawl: a live table on a terminal, a plain log line now and then otherwise."""

from __future__ import annotations

import logging
import time
from typing import Literal, Self

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text
from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from scanner.crawl.frontier import ClinicFrontier
from scanner.crawl.spider import ClinicSpider

log = logging.getLogger(__name__)
ProgressMode = Literal["live", "log", "off"]
LIVE_ROWS = 12


class CrawlProgress:
    def __init__(self, crawler: Crawler, mode: ProgressMode, interval: float) -> None:
        self.crawler = crawler
        self.mode = mode
        self.interval = interval
        self.started = time.monotonic()
        self.live: Live | None = None
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        mode = crawler.settings.get("CLAIMSCAN_PROGRESS", "off")
        if mode == "off":
            raise NotConfigured
        interval = crawler.settings.getfloat("CLAIMSCAN_PROGRESS_INTERVAL", 30.0)
        extension = cls(crawler, mode, interval)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    @property
    def frontiers(self) -> list[ClinicFrontier]:
        spider = self.crawler.spider
        return list(spider.plan.frontiers.values()) if isinstance(spider, ClinicSpider) else []

    def opened(self) -> None:
        if self.mode == "live":
            console = Console(stderr=True)
            self.live = Live(get_renderable=self.render, console=console, refresh_per_second=2)
            self.live.start()
        else:
            self.loop = task.LoopingCall(self.log_line)
            self.loop.start(self.interval, now=False)

    def closed(self) -> None:
        if self.live is not None:
            self.live.stop()
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.log_line()

    def summary(self) -> str:
        frontiers = self.frontiers
        pages = sum(f.pages for f in frontiers)
        errors = sum(f.errors for f in frontiers)
        reached = sum(1 for f in frontiers if f.pages or f.errors)
        elapsed = time.monotonic() - self.started
        return (
            f"{pages} pages stored, {errors} errors, {reached} of {len(frontiers)} clinics "
            f"reached, {elapsed:.0f}s"
        )

    def log_line(self) -> None:
        log.info("progress: %s", self.summary())

    def render(self) -> Group:
        frontiers = self.frontiers
        table = Table(title="claimscan crawl", title_justify="left", expand=False)
        table.add_column("clinic")
        table.add_column("pages", justify="right")
        table.add_column("errors", justify="right")
        table.add_column("budget", justify="right")
        busiest = sorted(frontiers, key=lambda f: (f.started - f.pages - f.errors, f.started))
        for frontier in busiest[-LIVE_ROWS:][::-1]:
            table.add_row(
                Text(frontier.clinic.name[:40]),
                str(frontier.pages),
                Text(str(frontier.errors), style="red" if frontier.errors else ""),
                f"{frontier.started}/{frontier.options.max_pages}",
            )
        hidden = len(frontiers) - min(len(frontiers), LIVE_ROWS)
        footer = Text(self.summary() + (f" ({hidden} more clinics)" if hidden else ""))
        return Group(table, footer)
