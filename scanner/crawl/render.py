"""`--render`: clinic pages fetched by headless Chromium through scrapy-playwright (Debian's
browser, `executable_path`; nothing downloaded), for sites that write their text with
scripts.

For each page request the RenderMiddleware asks scrapy-playwright for a browser page and
hands it one page method, `capture_page`: wait for the network to settle (at most
SETTLE_SECONDS, a page whose scripts never stop is taken as it is then), note where each
text block is drawn (layout.js), and take a full-page screenshot. An event handler keeps
the server's own answer to the page's navigation (status, headers, body), which is what is
archived as the WARC response, as without --render; the rendered DOM is what extraction
and detection read, archived as a `conversion` record that refers to the response, with the
screenshot as a `resource` record. The browser follows redirects itself with --render.

What the page method and the handler produce is moved into plain meta
(`claimscan_render`) once the response is back, so the request stays picklable for retries
and for Redis.

One browser serves the crawl, with at most --concurrency pages open at once; each page is
closed when its response is built.
"""

from __future__ import annotations

import logging
from importlib import resources
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from scanner.capture.browser import FLAGS, MAX_HEIGHT, VIEWPORT, find_chromium
from scanner.models import CrawlOptions, RenderedPage

log = logging.getLogger(__name__)

SETTLE_SECONDS = 10.0  # at most, for the network to settle after the page has loaded
RENDER_META = "claimscan_render"
_KEEPER_META = "claimscan_keeper"
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"


def render_settings(options: CrawlOptions) -> dict[str, Any]:
    """scrapy-playwright's settings for a --render crawl."""
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": find_chromium(),
            "args": FLAGS,
            "headless": True,
        },
        "PLAYWRIGHT_CONTEXTS": {
            "default": {"viewport": VIEWPORT, "service_workers": "block"},
        },
        "PLAYWRIGHT_MAX_CONTEXTS": 1,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": options.concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": options.timeout * 1000,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
    }


def layout_script() -> str:
    return (resources.files("scanner.capture") / "layout.js").read_text(encoding="utf-8")


class DocumentKeeper:
    """Keeps the server's answer to the page's own navigation (not its images or scripts)."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}

    async def on_response(self, response: Any) -> None:
        request = response.request
        if not request.is_navigation_request() or request.frame.parent_frame is not None:
            return
        answer: dict[str, Any] = {
            "url": response.url,
            "status": response.status,
            "headers": list((await response.all_headers()).items()),
            "request_headers": list((await request.all_headers()).items()),
        }
        if not 300 <= response.status < 400:
            try:
                answer["body"] = await response.body()
            except Exception as exc:  # Playwright: no body kept for this answer
                answer["note"] = f"the server's answer could not be kept: {exc}"
        self.answer = answer


async def capture_page(page: Any, settle_ms: int, layout: str) -> dict[str, Any]:
    """The page method: settle, lay out, screenshot."""
    from playwright.async_api import TimeoutError

    notes = []
    try:
        await page.wait_for_load_state("networkidle", timeout=settle_ms)
    except TimeoutError:
        notes.append(f"its network had not settled in {settle_ms / 1000:g} s")
    blocks = await page.evaluate(layout)
    height = int(await page.evaluate("() => document.documentElement.scrollHeight") or 0)
    if height > MAX_HEIGHT:
        notes.append(f"screenshot cut at {MAX_HEIGHT} of its {height} pixels")
        clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": MAX_HEIGHT}
        png = await page.screenshot(clip=clip, type="png")
    else:
        png = await page.screenshot(full_page=True, type="png")
    return {"screenshot": png, "layout": blocks, "notes": notes}


class RenderMiddleware:
    """Downloader middleware: clinic pages (not sitemaps, not robots.txt) go through the
    browser; what came back is moved into plain meta for the spider."""

    def __init__(self, crawler: Crawler) -> None:
        self.layout = layout_script()
        self.settle_ms = int(SETTLE_SECONDS * 1000)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        if request.meta.get("clinic_id") is None or request.meta.get("sitemap"):
            return None
        from scrapy_playwright.page import PageMethod

        keeper = DocumentKeeper()
        request.meta["playwright"] = True
        request.meta[_KEEPER_META] = keeper
        request.meta["playwright_page_event_handlers"] = {"response": keeper.on_response}
        request.meta["playwright_page_methods"] = [
            PageMethod(capture_page, self.settle_ms, self.layout)
        ]
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        captured = _take_back(request)
        if captured is not None and "playwright" in response.flags:
            response.meta[RENDER_META] = captured
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        _take_back(request)  # a retry must not carry the browser's objects
        return None


def _take_back(request: Request) -> dict[str, Any] | None:
    keeper = request.meta.pop(_KEEPER_META, None)
    methods = request.meta.pop("playwright_page_methods", None)
    request.meta.pop("playwright_page_event_handlers", None)
    request.meta.pop("playwright", None)
    if keeper is None:
        return None
    result = methods[0].result if methods else None
    return {"original": keeper.answer, **(result or {"screenshot": b"", "layout": []})}


def rendered_page(response: Response, captured: dict[str, Any]) -> RenderedPage:
    from scanner.capture.browser import png_size

    png = captured.get("screenshot") or b""
    width, height = png_size(png) if png else (0, 0)
    notes = list(captured.get("notes", []))
    if note := captured.get("original", {}).get("note"):
        notes.append(note)
    return RenderedPage(
        html=response.text,
        screenshot=png,
        width=width,
        height=height,
        layout=list(captured.get("layout", [])),
        note="; ".join(notes),
    )
