"""Pydantic models at every boundary: clinic lists in, crawled pages and runs out.

The store keeps its own SQLAlchemy tables (scanner/store/schema.py); these models are what
the rest of claimscan reads and writes through it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CLINIC_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


def check_http_url(value: str) -> str:
    """Accept an absolute http(s) URL with a host; return it stripped of whitespace."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an absolute http(s) URL")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise ValueError(f"{value!r} has an invalid port") from None
    return value


HttpUrlStr = Annotated[str, AfterValidator(check_http_url)]


class Clinic(BaseModel):
    """One clinic of a clinic list: a name and one or more start URLs on its own site."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, Field(pattern=CLINIC_ID.pattern)]
    name: Annotated[str, Field(min_length=1)]
    urls: Annotated[tuple[HttpUrlStr, ...], Field(min_length=1)]
    country: str | None = None
    region: str | None = None
    tags: tuple[str, ...] = ()
    notes: str | None = None


class TextBlock(BaseModel):
    """A run of visible text that no sentence crosses: a heading, paragraph, list item, ..."""

    model_config = ConfigDict(frozen=True)

    tag: str
    text: str
    locator: str
    heading: str | None = None


# Text a reader will not find written on the page, by the tag of its block.
BLOCK_SOURCES = {"title": "title", "meta": "meta description", "img": "image alt text"}
SOURCE_NOTES = {
    "title": "in the page title (shown in the browser tab and search results)",
    "meta description": "in the page's meta description (in the page source and search "
    "results, not shown on the page)",
    "image alt text": "in an image's alt text (read by screen readers, not shown as text)",
}


def block_source(tag: str) -> str:
    """Where a block's text is on its page: "text" (shown on it), or "title", "meta
    description" or "image alt text"."""
    return BLOCK_SOURCES.get(tag, "text")


def page_blocks(title: str, description: str, blocks: list[TextBlock]) -> list[TextBlock]:
    """A page's text as detection reads it: the title, the meta description, then the
    body's blocks (title and description are page text a regulator would cite)."""
    head = [
        TextBlock(tag="title", text=title, locator="/html/head/title"),
        TextBlock(tag="meta", text=description, locator="/html/head/meta[@name='description']"),
    ]
    return [b for b in head if b.text] + list(blocks)


class Link(BaseModel):
    model_config = ConfigDict(frozen=True)

    url: str
    text: str = ""


class ExtractedPage(BaseModel):
    """What text extraction makes of one HTML page."""

    title: str = ""
    description: str = ""
    language: str | None = None
    blocks: list[TextBlock] = []
    links: list[Link] = []


class CrawlOptions(BaseModel):
    """How to crawl: the limits and politeness settings of one crawl run."""

    model_config = ConfigDict(extra="forbid")

    max_pages: Annotated[int, Field(ge=1)] = 200
    max_depth: Annotated[int, Field(ge=0)] = 4
    obey_robots: bool = True
    use_sitemap: bool = True
    user_agent: str | None = None
    delay: Annotated[float, Field(ge=0)] = 1.0
    autothrottle: bool = True
    concurrency: Annotated[int, Field(ge=1)] = 32
    per_site: Annotated[int, Field(ge=1)] = 2
    timeout: Annotated[float, Field(gt=0)] = 30.0
    retries: Annotated[int, Field(ge=0)] = 2
    max_size: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    # Send If-None-Match / If-Modified-Since from each URL's last snapshot (rescans).
    conditional: bool = False
    # Fetch pages with headless Chromium (scrapy-playwright): read the rendered page, and
    # keep a screenshot of it (crawl/render.py).
    render: bool = False


RunStatus = Literal["running", "interrupted", "completed", "failed"]


class CrawlRun(BaseModel):
    id: int
    started_at: datetime
    finished_at: datetime | None
    status: RunStatus
    clinic_list: str
    clinic_list_sha256: str
    settings: dict[str, Any]
    stats: dict[str, Any]
    warc_file: str


class RenderedPage(BaseModel):
    """A page as headless Chromium rendered it (--render): its DOM, which extraction read,
    and a full-page screenshot with where each text block is on it."""

    html: str
    screenshot: bytes
    width: int
    height: int
    layout: list[dict[str, Any]]  # [{"text", "box": [x, y, w, h]}]
    note: str = ""


class FetchedPage(BaseModel):
    """One HTTP response as the spider hands it to the store (an item in Scrapy's terms)."""

    clinic_id: str
    url: str
    final_url: str
    status: int
    depth: int
    fetched_at: datetime
    request_headers: list[tuple[str, str]]
    response_headers: list[tuple[str, str]]
    body: bytes
    content_type: str
    page: ExtractedPage | None
    revisit_of: int | None = None  # a 304: the earlier snapshot whose content this is
    rendered: RenderedPage | None = None  # --render: what the browser made of it


FetchErrorKind = Literal[
    "http_error",
    "dns",
    "timeout",
    "connection",
    "tls",
    "redirect_loop",
    "offsite_redirect",
    "too_large",
    "robots_disallowed",
    "robots_unavailable",
    "not_html",
    "retry_after_too_long",
    "other",
]


class FetchFailure(BaseModel):
    """A request that produced no storable page, or an HTTP error status."""

    clinic_id: str
    url: str
    kind: FetchErrorKind
    message: str
    status: int | None = None
    occurred_at: datetime


class PageSnapshot(BaseModel):
    """One stored fetch of one URL at one time, with a pointer to its WARC evidence."""

    id: int
    run_id: int
    clinic_id: str
    url: str
    final_url: str
    status: int
    depth: int
    content_type: str
    fetched_at: datetime
    sha256: str
    body_length: int
    headers: list[tuple[str, str]]
    title: str
    description: str
    blocks: list[TextBlock]
    warc_file: str
    warc_record_id: str
    warc_offset: int
    warc_length: int
    revisit_of: int | None = None  # a 304: the content is this earlier snapshot's
    scan_error: str | None = None  # why detection failed on the page, when it did

    @property
    def reviewed(self) -> bool:
        """A page whose content is known: a 2xx answer, or a 304 revisit of one."""
        return 200 <= self.status < 300 or self.revisit_of is not None


class FetchErrorRecord(BaseModel):
    id: int
    run_id: int
    clinic_id: str
    url: str
    kind: str
    message: str
    status: int | None
    occurred_at: datetime


class ScanRun(BaseModel):
    id: int
    rule_pack_sha256: str
    rule_pack_version: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    snapshots: int
    findings: int
    workers: int


class StoredFinding(BaseModel):
    """A finding as the store keeps it, with the page and evidence it came from."""

    id: int
    scan_id: int
    kind: Literal["claim", "disclosure"]
    clinic_id: str
    snapshot_id: int
    url: str
    fetched_at: datetime
    sha256: str
    warc_file: str
    warc_record_id: str
    rule_id: str | None
    category: str | None
    severity: str | None
    strength: str | None
    text: str
    sentence: str
    block_index: int
    block_tag: str
    block_locator: str
    heading: str | None
    start: int
    end: int
    sentence_start: int
    cues: list[str]
    disclosures: list[str]
    categories: list[str] = []  # every category of the sentence, the main one first


ClaimStatus = Literal["new", "persisting", "changed", "removed", "not_checked"]


class ClaimRecord(BaseModel):
    """A claim as `claimscan claims` lists it."""

    id: str
    clinic: str
    category: str
    categories: list[str]
    rule_id: str
    severity: str
    strength: str
    sentence: str
    urls: list[str]
    first_seen: datetime
    last_seen: datetime
    status: ClaimStatus
    runs: list[int]


class ClaimStateRecord(BaseModel):
    claim_id: str
    run_id: int
    status: ClaimStatus
    sentence: str
    previous_sentence: str | None
    detail: dict[str, Any]


Verdict = Literal["open", "confirmed", "dismissed"]


class VerdictRecord(BaseModel):
    claim_id: str
    verdict: Verdict
    note: str
    reviewer: str
    decided_at: datetime
    sentence: str  # the wording the verdict was given on
    needs_review: bool = False  # the claim was reworded since

    @property
    def standing(self) -> str:
        """The verdict in force: open again once the claim was reworded since."""
        return "open" if self.needs_review else self.verdict


class VerdictLogEntry(BaseModel):
    claim_id: str
    at: datetime
    reviewer: str
    from_verdict: str
    to_verdict: str
    note: str
    sentence: str


class ClaimOccurrenceRecord(BaseModel):
    run_id: int
    snapshot_id: int
    url: str
    heading: str | None
    block_locator: str
    sentence: str
    captured_at: datetime
    sha256: str
    warc_record_id: str
