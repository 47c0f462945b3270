"""Item pipeline: write each page's WARC records, then its snapshot, in one transaction.

Order matters for crash safety: the WARC record is written and flushed first, the snapshot
committed second. A crash in between leaves a WARC record that no snapshot points to; a
resumed run cuts such trailing records off (WarcEvidence(resume_at=...)).
"""

from __future__ import annotations

import json
import logging
from typing import Any, Self

from scrapy.crawler import Crawler

from scanner.crawl.spider import ClinicSpider
from scanner.crawl.warc import WarcEvidence
from scanner.errors import DuplicatePage
from scanner.models import FetchedPage, FetchFailure
from scanner.store import Store

log = logging.getLogger(__name__)


def archive_rendering(
    store: Store, evidence: WarcEvidence, page: FetchedPage, snapshot_id: int, response_id: str
) -> None:
    """--render: the DOM the browser made of the page (a conversion record), its screenshot
    (a resource record) and where its text blocks are on it (a metadata record), each
    referring to the server's response; the screenshot goes to the store too."""
    rendered = page.rendered
    assert rendered is not None
    html = rendered.html.encode("utf-8")
    evidence.write_resource(page.url, html, "text/html; charset=utf-8", page.fetched_at,
                            response_id, record_type="conversion")  # fmt: skip
    if not rendered.screenshot:
        return
    ref, sha256 = evidence.write_resource(
        page.url, rendered.screenshot, "image/png", page.fetched_at, response_id
    )
    about = {"screenshot": ref.record_id, "page": page.url, "taken": "at",
             "note": rendered.note, "size": [rendered.width, rendered.height],
             "blocks": rendered.layout}  # fmt: skip
    evidence.write_resource(page.url, json.dumps(about, ensure_ascii=False).encode(),
                            "application/json", page.fetched_at, ref.record_id,
                            record_type="metadata")  # fmt: skip
    store.add_screenshot(
        snapshot_id, page.url, page.fetched_at, "at", sha256, (rendered.width, rendered.height),
        boxes=[{"text": b.get("text", ""), "box": b.get("box")} for b in rendered.layout],
        note=rendered.note, warc=ref,
    )  # fmt: skip


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
                snapshot_id = plan.store.add_page(plan.run_id, item, sha256, warc)
            except DuplicatePage as exc:
                # Another worker (or a clinic sharing this site) stored it first; the
                # WARC record written above stays as an unreferenced extra.
                log.info("%s: not stored again: %s", item.clinic_id, exc)
                return item
            frontier.pages += 1
            if item.rendered is not None:
                archive_rendering(plan.store, plan.evidence, item, snapshot_id, warc.record_id)
            if self.crawler.stats:
                self.crawler.stats.inc_value("claimscan/pages_stored")
        elif isinstance(item, FetchFailure):
            plan.store.add_failure(plan.run_id, item)
            frontier.errors += 1
            log.info("%s: %s %s (%s)", item.clinic_id, item.kind, item.url, item.message)
            if self.crawler.stats:
                self.crawler.stats.inc_value(f"claimscan/errors/{item.kind}")
        return item
