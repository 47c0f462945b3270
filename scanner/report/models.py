"""What a report holds: `ReportData` is the JSON report (its JSON Schema ships as
reports/report.schema.json); `HtmlContext` adds what only the HTML and PDF need (the chart's
geometry). Templates receive one HtmlContext; all sorting and grouping is done before."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = "2.1"


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Scope(Model):
    clinics: int
    clinics_unreachable: int = Field(
        description="Clinics whose website could not be reviewed at all (no page fetched)."
    )
    pages: int = Field(
        description="Pages reviewed: HTML pages fetched in the latest crawl of each clinic."
    )
    responses: int = Field(
        description="Responses archived by those crawls (the crawl's page count): the pages "
        "reviewed, redirects and error responses."
    )
    claims: int = Field(
        description="Claims this report presents: confirmed ones, and open ones unless "
        "only=confirmed (dismissed claims are never presented)."
    )
    confirmed: int = Field(description="Claims reviewers confirmed.")
    open: int = Field(description="Claims flagged and not yet reviewed (or reworded since).")
    dismissed: int = Field(description="Claims reviewers dismissed: left out of the report.")
    draft: bool = Field(
        description="The report presents claims not yet reviewed: a draft, not for sending."
    )
    crawl_started: datetime | None
    crawl_finished: datetime | None
    rule_pack_version: str
    rule_pack_sha256: str
    min_severity: str
    only: str = Field(
        default="all",
        description="all (confirmed claims as findings, open ones apart), confirmed or open.",
    )


class ScreenshotRef(Model):
    """A full-page screenshot of the page (claimscan screenshots), archived in a WARC
    resource record."""

    warc_record_id: str
    sha256: str = Field(description="SHA-256 of the PNG.")
    captured_at: datetime
    taken: str = Field(
        description="'at capture' (the crawl's browser) or 'after capture' (loaded again "
        "later: the page may have changed since)."
    )
    width: int
    height: int
    box: list[float] | None = Field(
        description="Where the sentence is on the screenshot: x, y, width, height in pixels; "
        "null when it was not found on the page as loaded then."
    )
    note: str = Field(description="What was not as it should be when it was taken.")


class Occurrence(Model):
    """One place a claim was seen: a page, when, and the evidence that holds it."""

    url: str
    heading: str | None = Field(
        description="The heading above the sentence; none when the sentence is a heading."
    )
    block: str = Field(description="The HTML element the sentence was in (p, li, h2, ...).")
    source: str = Field(
        description="Where on the page: text, title, meta description (in the page's source, "
        "not shown) or image alt text (not shown as text)."
    )
    captured_at: datetime
    sha256: str = Field(description="SHA-256 of the page as received.")
    warc_record_id: str
    snapshot_id: int
    screenshot: ScreenshotRef | None = None


class ClaimHistory(Model):
    claim_id: str = Field(description="The claim's stable id (claimscan claims).")
    status: str
    first_seen: datetime
    last_seen: datetime
    runs: list[int] = Field(description="The crawl runs the claim was present in.")


class ClaimReview(Model):
    verdict: str
    reviewer: str
    decided_at: datetime
    note: str
    needs_review: bool = Field(description="Reworded since the verdict was given.")
    log: list[dict[str, str]] = Field(
        description="Every verdict change: at, reviewer, from, to, note."
    )


class Claim(Model):
    number: str = Field(description="The claim's number in this report, e.g. 2.3.")
    rule_id: str
    category: str
    categories: list[str] = Field(
        description="Every category the sentence was flagged for, the main one first."
    )
    severity: str
    strength: str
    sentence: str = Field(description="The verbatim sentence.")
    before: str = Field(description="The sentence up to the matched words.")
    matched: str = Field(description="The words the rule matched.")
    after: str = Field(description="The sentence after the matched words.")
    context_before: str = Field(description="Text of the same block before the sentence.")
    context_after: str = Field(description="Text of the same block after the sentence.")
    occurrences: list[Occurrence]
    disclosures: list[str] = Field(description="Disclosures near the claim on its pages.")
    page_disclosures: list[str] = Field(description="Other disclosures on the claim's pages.")
    message: str = Field(description="What the rule finds; its rationale is in `rules`.")
    history: ClaimHistory | None = None
    review: ClaimReview | None = None
    status: str = Field(
        default="open",
        description="The reviewers' standing of the claim: confirmed, open (not yet reviewed, "
        "or reworded since its verdict) or dismissed.",
    )


class Change(Model):
    clinic: str
    category: str
    sentence: str
    before: str | None = None
    urls: list[str]
    note: str = ""


class Changes(Model):
    """Claim by claim, what changed since the previous run."""

    from_run: int
    from_date: datetime
    to_run: int
    to_date: datetime
    new: list[Change]
    changed: list[Change]
    removed: list[Change]
    not_checked: list[Change]
    persisting: int


class PageReviewed(Model):
    url: str
    status: int
    captured_at: datetime
    title: str


class NotFetched(Model):
    url: str
    kind: str
    message: str = Field(description="The recorded reason, without the kind repeated.")


class NotScanned(Model):
    url: str
    message: str = Field(description="Why detection failed on the page.")


class ClinicSection(Model):
    number: int
    id: str
    name: str
    country: str | None
    region: str | None
    sites: list[str]
    last_visited: datetime | None
    pages: list[PageReviewed]
    not_fetched: list[NotFetched]
    not_scanned: list[NotScanned] = Field(
        description="Pages fetched but not reviewed: detection failed on them (claimscan "
        "errors lists them). Not counted in pages."
    )
    redirects: int = Field(
        description="Redirect responses archived by the latest crawl: counted by the crawl, "
        "not pages to review."
    )
    error_responses: int = Field(
        description="Error responses (such as 404 or 503) archived by the latest crawl: "
        "counted by the crawl, not pages to review; also listed in not_fetched."
    )
    reachable: bool = Field(description="At least one page of the website was reviewed.")
    claims: list[Claim] = Field(
        description="Confirmed claims (with only=open: none; with only=confirmed: the same)."
    )
    open_claims: list[Claim] = Field(
        description="Claims flagged and not yet reviewed (with only=confirmed: none)."
    )
    flagged: int = Field(description="Every claim detected, whatever its verdict.")
    by_verdict: dict[str, int] = Field(
        description="Every claim detected, by verdict: confirmed, open, dismissed (dismissed "
        "ones are left out; with only=..., so are the others)."
    )
    counts: dict[str, int] = Field(
        description="Presented claims (claims + open_claims) by category."
    )


class SummaryRow(Model):
    clinic_id: str
    clinic_name: str
    reachable: bool
    by_category: dict[str, int] = Field(description="Presented claims by category.")
    by_severity: dict[str, int] = Field(description="Presented claims by severity.")
    confirmed: int = Field(description="Claims reviewers confirmed (shown or not).")
    open: int = Field(description="Claims not yet reviewed (shown or not).")
    dismissed: int = Field(description="Claims reviewers dismissed (never shown).")
    total: int = Field(description="Claims this report presents for the clinic.")


class RuleEntry(Model):
    id: str
    category: str
    severity: str
    message: str
    rationale: str
    references: list[str]


class ReportData(Model):
    """The report as data: what the JSON report is, and what the HTML report shows."""

    schema_version: str = SCHEMA_VERSION
    title: str
    generated_at: datetime
    scope: Scope
    categories: list[str]
    summary: list[SummaryRow]
    changes: Changes | None = None
    clinics: list[ClinicSection]
    rules: list[RuleEntry] = Field(description="The rules behind the claims presented.")


class Bar(Model):
    """One coloured piece of a horizontal bar of the summary chart (SVG user units)."""

    x: float
    width: float
    severity: str
    count: int


class ChartRow(Model):
    label: str
    y: float
    bars: list[Bar]
    total: int
    total_x: float
    note: str = ""  # written instead of the total ("website not reviewed")


class Chart(Model):
    title: str
    width: float
    height: float
    label_width: float
    rows: list[ChartRow]
    ticks: list[tuple[float, int]]


class FullScreenshot(Model):
    url: str
    captured_at: datetime
    taken: str
    sha256: str
    image: str  # a data: URI (scaled down)


class HtmlContext(Model):
    data: ReportData
    chart: Chart
    severities: list[str]
    # SVG fill colours by severity: WeasyPrint ignores CSS fills in SVG, so the chart is
    # drawn with presentation attributes.
    colours: dict[str, str]
    presented: str  # what the report's claim counts count, in words
    notes: dict[str, str]  # where text not shown on the page came from, in words
    # Images from the screenshots (report/visuals.py): a crop around each claim, by claim
    # number, and each page's full screenshot for the appendix, as data: URIs.
    crops: dict[str, str] = {}
    shots: list[FullScreenshot] = []
