"""One headless Chromium for a command's page captures: Debian's browser (no download),
driven by Playwright; a fresh context (no cookies, no cache) for each page; the browser
restarted every RESTART_AFTER pages, which bounds its memory.

A capture loads the page, waits for the network to settle (at most `settle` seconds: a page
whose scripts never stop is taken as it is then), finds each claim sentence on it
(locate.js) and takes a full-page PNG (at most MAX_HEIGHT pixels tall)."""

from __future__ import annotations

import os
import shutil
import struct
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from scanner.errors import ClaimscanError

CHROMIUM_ENV = "CLAIMSCAN_CHROMIUM"
FLAGS = [
    "--headless=new", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio",
    # Chromium's sandbox cannot run as root; for any other user it stays on, since the
    # pages it renders are the crawl's hostile input.
    *(["--no-sandbox"] if os.geteuid() == 0 else []),
]  # fmt: skip
VIEWPORT = {"width": 1280, "height": 900}
MAX_HEIGHT = 16_000  # pixels: a taller page is cut there (Chromium's largest texture)
RESTART_AFTER = 50  # pages per browser process
Box = tuple[float, float, float, float]  # x, y, width, height in page pixels


class BrowserUnavailable(ClaimscanError):
    """No Chromium to drive (or no Playwright to drive it with)."""


def find_chromium() -> str:
    """Debian's Chromium, or the one CLAIMSCAN_CHROMIUM names."""
    named = os.environ.get(CHROMIUM_ENV)
    for candidate in (named, shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise BrowserUnavailable(
        "no Chromium found: install Debian's (apt-get install chromium) or name one with "
        f"{CHROMIUM_ENV}=/path/to/chromium"
    )


@dataclass(frozen=True)
class Capture:
    url: str  # as asked for
    captured_at: datetime
    png: bytes = b""
    width: int = 0
    height: int = 0
    boxes: list[Box | None] = field(default_factory=list)  # one per sentence asked about
    html: str = ""  # the rendered DOM
    notes: tuple[str, ...] = ()  # what was not as it should be, in words
    error: str | None = None  # nothing could be captured

    @property
    def note(self) -> str:
        return "; ".join(self.notes)


def script(name: str) -> str:
    """One of the scripts run in the page (locate.js, layout.js)."""
    return (resources.files("scanner.capture") / name).read_text(encoding="utf-8")


def unsettled(settle_ms: int) -> str:
    return f"its network had not settled in {settle_ms / 1000:g} s"


def screenshot_clip(height: int) -> tuple[dict[str, int] | None, str | None]:
    """The clip of a page `height` pixels tall (None: the full page), and why it is cut."""
    if height <= MAX_HEIGHT:
        return None, None
    clip = {"x": 0, "y": 0, "width": VIEWPORT["width"], "height": MAX_HEIGHT}
    return clip, f"cut at {MAX_HEIGHT} of its {height} pixels"


class Browser:
    def __init__(
        self, timeout: float = 30.0, settle: float = 10.0, user_agent: str | None = None
    ) -> None:
        self.timeout_ms = int(timeout * 1000)
        self.settle_ms = int(settle * 1000)
        self.user_agent = user_agent
        self.executable = find_chromium()
        self.locate = script("locate.js")
        self.pages = 0
        self._playwright: Any = None
        self._browser: Any = None

    def __enter__(self) -> Browser:
        try:
            from playwright.sync_api import sync_playwright
        except ImportError as exc:
            raise BrowserUnavailable(
                "Playwright is not installed: pip install 'claimscan[render]'"
            ) from exc
        self._playwright = sync_playwright().start()
        self._launch()
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._browser is not None:
            self._browser.close()
        if self._playwright is not None:
            self._playwright.stop()

    def _launch(self) -> None:
        self._browser = self._playwright.chromium.launch(
            executable_path=self.executable, args=FLAGS
        )

    def capture(self, url: str, sentences: list[str]) -> Capture:
        from playwright.sync_api import Error, TimeoutError

        if self.pages and self.pages % RESTART_AFTER == 0:
            self._browser.close()
            self._launch()
        self.pages += 1
        captured_at = datetime.now(UTC)
        notes: list[str] = []
        context = self._browser.new_context(
            viewport=VIEWPORT, user_agent=self.user_agent, service_workers="block"
        )
        try:
            page = context.new_page()
            page.set_default_timeout(self.timeout_ms)
            page.on("dialog", lambda dialog: dialog.dismiss())
            try:
                page.goto(url, wait_until="load", timeout=self.timeout_ms)
            except TimeoutError:
                notes.append(f"the page had not loaded in {self.timeout_ms / 1000:g} s")
            try:
                page.wait_for_load_state("networkidle", timeout=self.settle_ms)
            except TimeoutError:
                notes.append(unsettled(self.settle_ms))
            boxes = [_box(b) for b in page.evaluate(self.locate, sentences)]
            height = int(page.evaluate("() => document.documentElement.scrollHeight") or 0)
            clip, cut = screenshot_clip(height)
            if cut:
                notes.append(cut)
            if clip is None:
                png = page.screenshot(full_page=True, type="png")
            else:  # a clip beyond the viewport is captured too
                png = page.screenshot(clip=clip, type="png")
            html = page.content()
        except Error as exc:
            return Capture(url, captured_at, notes=tuple(notes), error=_first_line(exc))
        finally:
            context.close()
        width, tall = png_size(png)
        boxes = [b if b is not None and b[1] < tall else None for b in boxes]
        return Capture(url, captured_at, png, width, tall, boxes, html, tuple(notes))


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's header."""
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def _box(value: Any) -> Box | None:
    if not value:
        return None
    x, y, w, h = (float(v) for v in value)
    return (round(x, 1), round(y, 1), round(w, 1), round(h, 1))


def _first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
