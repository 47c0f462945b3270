"""Per-clinic crawl state: what was seen, what the page budget allows, counters for progress.

On resume, pages already stored are not fetched again: their stored links are replayed
instead, so the crawl reaches the same frontier it had when it stopped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from scanner.crawl.scope import SiteScope, link_priority, url_key
from scanner.models import Clinic, CrawlOptions
from scanner.store import PreviousPage, StoredPage


@dataclass(frozen=True)
class PageRequest:
    """A page the frontier wants fetched."""

    url: str
    depth: int
    priority: int


@dataclass
class ClinicFrontier:
    clinic: Clinic
    options: CrawlOptions
    stored: dict[str, StoredPage] = field(default_factory=dict)
    previous: dict[str, PreviousPage] = field(default_factory=dict)  # for conditional requests
    failed: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    started: int = 0  # requests sent (the page budget counts these)
    pages: int = 0  # responses stored
    errors: int = 0
    replayed: int = 0  # pages already in the store, not fetched again
    may_need_render: list[str] = field(default_factory=list)  # little text, scripts to write it

    def __post_init__(self) -> None:
        self.scope = SiteScope(self.clinic.urls)

    def start(self) -> Iterator[PageRequest]:
        for url in self.clinic.urls:
            yield from self.follow(url, "", 0)

    def follow(self, url: str, anchor_text: str, depth: int) -> Iterator[PageRequest]:
        """The requests to make for a link: none, the link itself, or (when the page is
        already stored) the not-yet-stored pages its stored links lead to."""
        pending = [(url, anchor_text, depth)]
        while pending:
            url, anchor_text, depth = pending.pop()
            if depth > self.options.max_depth or url not in self.scope:
                continue
            key = url_key(url)
            if key in self.seen:
                continue
            self.seen.add(key)
            stored = self.stored.get(key)
            if stored is not None:
                self.replayed += 1
                self.started += 1
                pending.extend((link["url"], link["text"], depth + 1) for link in stored.links)
            elif key in self.failed:
                self.started += 1
            else:
                yield PageRequest(url, depth, link_priority(url, anchor_text, depth))

    def previous_of(self, url: str) -> PreviousPage | None:
        return self.previous.get(url_key(url)) if self.options.conditional else None

    def has_budget(self) -> bool:
        return self.started < self.options.max_pages

    def resume_from(self, stored: list[StoredPage], failed: set[str]) -> None:
        self.stored = {url_key(page.url): page for page in stored}
        self.failed = {url_key(url) for url in failed}
        self.pages = len(self.stored)
