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
closed when its response is built. Its pages are opened in a browser context that is
retired after CONTEXT_PAGES pages and closed once its last page is done (what a context
keeps — cache, storage, leaked script memory — goes with it), so at most two contexts live.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Self

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.http import Response

from scanner.capture.browser import (
    FLAGS,
    VIEWPORT,
    find_chromium,
    png_size,
    screenshot_clip,
    script,
    unsettled,
)
from scanner.models import CrawlOptions, RenderedPage

log = logging.getLogger(__name__)

SETTLE_SECONDS = 10.0  # at most, for the network to settle after the page has loaded
CONTEXT_PAGES = 100  # pages a browser context serves before it is retired
RENDER_META = "claimscan_render"
_KEEPER_META = "claimscan_keeper"
_CONTEXT_META = "claimscan_context"  # the Playwright context the page was in
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
        "PLAYWRIGHT_CONTEXTS": {},
        "PLAYWRIGHT_MAX_CONTEXTS": 2,  # the one in use, and the one retiring
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": options.concurrency,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": options.timeout * 1000,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
    }


class DocumentKeeper:
    """Keeps the server's answer to the page's own navigation (not its images or scripts)."""

    def __init__(self) -> None:
        self.answer: dict[str, Any] = {}
        self.context: Any = None  # the browser context the page was opened in

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


async def capture_page(page: Any, settle_ms: int, layout: str, keeper: Any) -> dict[str, Any]:
    """The page method: settle, lay out, screenshot."""
    from playwright.async_api import TimeoutError

    keeper.context = page.context
    notes = []
    try:
        await page.wait_for_load_state("networkidle", timeout=settle_ms)
    except TimeoutError:
        notes.append(unsettled(settle_ms))
    blocks = await page.evaluate(layout)
    height = int(await page.evaluate("() => document.documentElement.scrollHeight") or 0)
    clip, cut = screenshot_clip(height)
    if cut:
        notes.append(f"screenshot {cut}")
    if clip is None:
        png = await page.screenshot(full_page=True, type="png")
    else:
        png = await page.screenshot(clip=clip, type="png")
    return {"screenshot": png, "layout": blocks, "notes": notes}


class RenderMiddleware:
    """Downloader middleware: clinic pages (not sitemaps, not robots.txt) go through the
    browser, in contexts that are retired after CONTEXT_PAGES pages; what came back is
    moved into plain meta for the spider."""

    def __init__(
        self,
        crawler: Crawler | None = None,
        context_pages: int = CONTEXT_PAGES,
        closer: Callable[[Any], None] | None = None,
    ) -> None:
        self.close_context = closer or close_context
        self.layout = script("layout.js")
        self.settle_ms = int(SETTLE_SECONDS * 1000)
        self.context_pages = context_pages
        self.pages = 0  # pages sent to the browser
        self.open: dict[int, int] = {}  # context generation -> its pages not yet done

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    @property
    def generation(self) -> int:
        return self.pages // self.context_pages

    def process_request(self, request: Request) -> None:
        if request.meta.get("clinic_id") is None or request.meta.get("sitemap"):
            return None
        from scrapy_playwright.page import PageMethod

        keeper = DocumentKeeper()
        generation = self.generation
        self.pages += 1
        self.open[generation] = self.open.get(generation, 0) + 1
        request.meta["playwright"] = True
        request.meta["playwright_context"] = f"claimscan-{generation}"
        request.meta["playwright_context_kwargs"] = {
            "viewport": VIEWPORT,
            "service_workers": "block",
        }
        request.meta[_CONTEXT_META] = generation
        request.meta[_KEEPER_META] = keeper
        request.meta["playwright_page_event_handlers"] = {"response": keeper.on_response}
        request.meta["playwright_page_methods"] = [
            PageMethod(capture_page, self.settle_ms, self.layout, keeper)
        ]
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        captured = self._done(request)
        if captured is not None and "playwright" in response.flags:
            response.meta[RENDER_META] = captured
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        self._done(request)  # a retry must not carry the browser's objects
        return None

    def _done(self, request: Request) -> dict[str, Any] | None:
        generation = request.meta.pop(_CONTEXT_META, None)
        keeper = request.meta.get(_KEEPER_META)
        captured = _take_back(request)
        if generation is not None:
            self.open[generation] -= 1
            if generation < self.generation and self.open[generation] == 0:
                del self.open[generation]
                if keeper is not None and keeper.context is not None:
                    self.close_context(keeper.context)
        return captured


def close_context(context: Any) -> None:
    """Close a retired browser context, soon (the reactor runs asyncio's loop)."""
    import asyncio

    async def close() -> None:
        try:
            await context.close()
        except Exception as exc:  # already closed with the browser: nothing to free
            log.debug("closing a retired browser context: %s", exc)

    task = asyncio.ensure_future(close())
    _closing.add(task)
    task.add_done_callback(_closing.discard)


_closing: set[Any] = set()  # contexts being closed (a task must be referenced to run)


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
