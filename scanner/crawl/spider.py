"""The spider: thin. It follows a clinic's own links and sitemap and yields page items;
extraction (extract.py), scope and budget (frontier.py) and storage (pipeline.py) live apart."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure
from w3lib.url import safe_url_string

from scanner.crawl.errors import classify_failure
from scanner.crawl.extract import clean_url, extract_page
from scanner.crawl.frontier import ClinicFrontier, PageRequest
from scanner.crawl.render import RENDER_META, rendered_page
from scanner.crawl.retry import MAX_RETRY_AFTER, TOO_LONG
from scanner.crawl.scope import site_key, url_key
from scanner.crawl.warc import WarcEvidence
from scanner.models import ExtractedPage, FetchedPage, FetchErrorKind, FetchFailure, Link
from scanner.store import Store

log = logging.getLogger(__name__)
HTML_TYPES = ("text/html", "application/xhtml+xml")
MAX_SITEMAPS_PER_CLINIC = 10
MAX_REDIRECTS = 10


@dataclass
class CrawlPlan:
    """Everything a crawl run needs, handed to the spider and read by the other components
    (the pipeline writes to `store` and `evidence`; the spider never does)."""

    run_id: int
    frontiers: dict[str, ClinicFrontier]
    use_sitemap: bool
    store: Store
    evidence: WarcEvidence


class ClinicSpider(Spider):
    name = "claimscan"
    # One process: each frontier's own `seen` set deduplicates, so requests skip Scrapy's
    # filter. The distributed worker (crawl/shared/) turns this on: a shared dupefilter
    # in Redis is then the authority and the frontier's set only a cache.
    shared_dedup = False

    def __init__(self, plan: CrawlPlan, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plan = plan
        self.sitemaps_fetched: dict[str, int] = {}

    async def start(self) -> AsyncIterator[Request]:
        for frontier in self.plan.frontiers.values():
            for request in self.start_of(frontier):
                yield request

    def start_of(self, frontier: ClinicFrontier) -> Iterator[Request]:
        """A clinic's first requests: its sitemaps, then its start pages."""
        if self.plan.use_sitemap:
            yield from self.sitemap_requests(frontier)
        for page in frontier.start():
            yield self.page_request(frontier, page)

    def page_request(
        self, frontier: ClinicFrontier, page: PageRequest, chain: tuple[str, ...] = ()
    ) -> Request:
        headers = {}
        if (previous := frontier.previous_of(page.url)) is not None:
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        return Request(
            page.url,
            headers=headers,
            callback=self.parse_page,
            errback=self.on_error,
            priority=page.priority,
            dont_filter=not self.shared_dedup,
            meta={
                "clinic_id": frontier.clinic.id,
                "page_depth": page.depth,
                "download_slot": site_key(page.url),
                # Redirects are followed here, not by Scrapy: each hop is stored as
                # evidence and its target goes through the frontier like any link.
                "dont_redirect": True,
                "redirect_chain": chain,
            },
        )

    def spend_budget(self, frontier: ClinicFrontier, request: Request) -> bool:
        """Pay for `request`'s page from the clinic's budget; False once it is spent."""
        if not frontier.has_budget():
            return False
        frontier.started += 1
        return True

    def follow_links(self, frontier: ClinicFrontier, links: Any, depth: int) -> Iterator[Request]:
        for link in links:
            for page in frontier.follow(link.url, link.text, depth):
                yield self.page_request(frontier, page)

    def parse_page(self, response: Response) -> Iterator[Any]:
        frontier = self.plan.frontiers[response.meta["clinic_id"]]
        depth = response.meta["page_depth"]
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        is_html = isinstance(response, TextResponse) and (
            not content_type or content_type.split(";")[0].strip().lower() in HTML_TYPES
        )
        previous = frontier.previous_of(response.url)
        if response.status == 304 and previous is not None:
            # Not modified: the earlier snapshot's content stands, and its links lead on.
            links = [Link(url=link["url"], text=link.get("text", "")) for link in previous.links]
            yield self.page(
                response,
                content_type,
                page=ExtractedPage(links=links),
                revisit_of=previous.snapshot_id,
            )
            yield from self.follow_links(frontier, links, depth + 1)
            return
        location = _location(response)
        if location is not None:
            # The target is the redirect's one link, so a resumed crawl replays it too.
            target = ExtractedPage(links=[Link(url=location)])
            yield self.page(response, content_type, page=target, final_url=location)
            yield from self.follow_redirect(frontier, response, location)
            return
        if not is_html:
            yield self.failure(response, "not_html", f"not HTML: {content_type or 'unknown type'}")
            return
        assert isinstance(response, TextResponse)
        if RENDER_META in response.meta and response.url not in frontier.scope:
            # --render: the browser followed a redirect off the clinic's site
            message = f"redirected off the clinic's site to {response.url}"
            asked = response.request.url if response.request else response.url
            yield self.failure(response, "offsite_redirect", message, url=asked)
            return
        page = extract_page(response) if 200 <= response.status < 300 else None
        if page is not None and RENDER_META not in response.meta and needs_scripts(response, page):
            frontier.may_need_render.append(response.url)
        yield self.page(response, content_type, page=page)
        if (wait := response.meta.get(TOO_LONG)) is not None:
            message = (
                f"HTTP {response.status} with Retry-After {wait:.0f} s, longer than the "
                f"{MAX_RETRY_AFTER:.0f} s a crawl waits"
            )
            yield self.failure(response, "retry_after_too_long", message, response.status)
        elif response.status >= 400:
            yield self.failure(response, "http_error", f"HTTP {response.status}", response.status)
        if page is not None:
            yield from self.follow_links(frontier, page.links, depth + 1)

    def page(
        self,
        response: Response,
        content_type: str,
        page: ExtractedPage | None = None,
        final_url: str | None = None,
        revisit_of: int | None = None,
    ) -> FetchedPage:
        body, headers = response.body, _headers(response.headers)
        request_headers = _headers(response.request.headers if response.request else {})
        rendered = None
        if (captured := response.meta.get(RENDER_META)) is not None:
            # --render: the server's own answer is the evidence; the DOM was read
            original = captured.get("original") or {}
            body = original.get("body", body)
            headers = [(str(k), str(v)) for k, v in original.get("headers", headers)]
            request_headers = [
                (str(k), str(v)) for k, v in original.get("request_headers", request_headers)
            ]
            rendered = rendered_page(response, captured)
        return FetchedPage(
            clinic_id=response.meta["clinic_id"],
            url=response.url,
            final_url=final_url or response.url,
            status=response.status,
            depth=response.meta["page_depth"],
            fetched_at=datetime.now(UTC),
            request_headers=request_headers,
            response_headers=headers,
            body=body,
            content_type=content_type,
            page=page,
            revisit_of=revisit_of,
            rendered=rendered,
        )

    def follow_redirect(
        self, frontier: ClinicFrontier, response: Response, location: str
    ) -> Iterator[Any]:
        """Follow a same-site redirect; record loops and redirects that leave the site."""
        chain = (*response.meta.get("redirect_chain", ()), response.url)
        if location not in frontier.scope:
            message = f"redirected off the clinic's site to {location}"
            yield self.failure(response, "offsite_redirect", message, url=chain[0])
        elif url_key(location) in {url_key(url) for url in chain}:
            message = "redirect loop: " + " -> ".join((*chain, location))
            yield self.failure(response, "redirect_loop", message, url=chain[0])
        elif len(chain) > MAX_REDIRECTS:
            message = f"more than {MAX_REDIRECTS} redirects"
            yield self.failure(response, "redirect_loop", message, url=chain[0])
        else:
            for page in frontier.follow(location, "", response.meta["page_depth"]):
                yield self.page_request(frontier, page, chain)

    def on_error(self, failure: Failure) -> Iterator[FetchFailure]:
        if (found := fetch_failure(failure)) is not None:
            yield found

    def failure(
        self,
        response: Response,
        kind: FetchErrorKind,
        message: str,
        status: int | None = None,
        url: str | None = None,
    ) -> FetchFailure:
        return FetchFailure(
            clinic_id=response.meta["clinic_id"],
            url=url or response.url,
            kind=kind,
            message=message,
            status=status,
            occurred_at=datetime.now(UTC),
        )

    # -- sitemaps ---------------------------------------------------------------------------

    def sitemap_requests(self, frontier: ClinicFrontier) -> Iterator[Request]:
        roots = {
            urlunsplit((p.scheme, p.netloc, "/sitemap.xml", "", ""))
            for p in map(urlsplit, frontier.clinic.urls)
        }
        for url in sorted(roots):
            yield self.sitemap_request(frontier, url)

    def sitemap_request(self, frontier: ClinicFrontier, url: str) -> Request:
        return Request(
            url,
            callback=self.parse_sitemap,
            errback=self.on_sitemap_error,
            priority=100,
            dont_filter=True,
            meta={
                "clinic_id": frontier.clinic.id,
                "sitemap": True,
                "download_slot": site_key(url),
            },
        )

    def parse_sitemap(self, response: Response) -> Iterator[Request | FetchFailure]:
        frontier = self.plan.frontiers[response.meta["clinic_id"]]
        clinic_id = frontier.clinic.id
        self.sitemaps_fetched[clinic_id] = self.sitemaps_fetched.get(clinic_id, 0) + 1
        if response.status != 200:
            return
        body = response.body
        if body[:2] == b"\x1f\x8b":
            max_size = self.settings.getint("DOWNLOAD_MAXSIZE")
            try:
                body = gunzip(body, max_size=max_size)
            except _DecompressionMaxSizeExceeded:  # a gzip bomb
                message = f"sitemap larger than {max_size} bytes once decompressed"
                yield self.failure(response, "too_large", message, response.status)
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # not XML at all: a site answering every URL with HTML
            log.info("sitemap %s is not XML; ignored", response.url)
            return
        locations = [entry["loc"] for entry in sitemap if "loc" in entry]
        if sitemap.type == "sitemapindex":
            for url in locations:
                if url in frontier.scope and self.sitemaps_fetched[clinic_id] < (
                    MAX_SITEMAPS_PER_CLINIC
                ):
                    yield self.sitemap_request(frontier, url)
        elif sitemap.type == "urlset":
            for url in locations:
                for page in frontier.follow(url, "", 1):
                    yield self.page_request(frontier, page)

    def on_sitemap_error(self, failure: Failure) -> Iterator[FetchFailure]:
        """A missing or broken sitemap is normal (the start pages' errors are what count);
        one too large to read is a hazard worth recording."""
        found = fetch_failure(failure)
        log.debug("sitemap not fetched: %s", failure.getErrorMessage())
        if found is not None and found.kind == "too_large":
            yield found


def fetch_failure(failure: Failure) -> FetchFailure | None:
    """The fetch error a failed request leaves; None for what is not one (e.g. the page
    budget was spent)."""
    request = failure.request  # type: ignore[attr-defined]
    kind, message = classify_failure(failure)
    if kind is None:
        return None
    return FetchFailure(
        clinic_id=request.meta["clinic_id"],
        url=request.url,
        kind=kind,
        message=message,
        occurred_at=datetime.now(UTC),
    )


# A page with less visible text than this that loads scripts is probably written by them.
SCRIPTED_TEXT_CHARS = 200


def needs_scripts(response: TextResponse, page: ExtractedPage) -> bool:
    """Almost no text in the HTML, and scripts to write it: a page to read with --render."""
    text = sum(len(block.text) for block in page.blocks if block.tag not in ("title", "meta"))
    return text < SCRIPTED_TEXT_CHARS and b"<script" in response.body.lower()


def _location(response: Response) -> str | None:
    """The absolute target of a redirect response, or None for any other response."""
    if response.status not in (301, 302, 303, 307, 308):
        return None
    location = response.headers.get(b"Location")
    if not location:
        return None
    target = response.urljoin(safe_url_string(location.decode("latin-1").strip()))
    return clean_url(target) or target


def _headers(headers: Any) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]
