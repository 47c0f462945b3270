"""The HTML report in a real browser: Debian's Chromium, driven by Playwright.

`make test` installs Chromium with apt (scripts/setup-system.sh). Screenshots are saved in
build/screenshots/ for a person to look at.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from scanner.detect.rules import load_pack
from scanner.report.build import build_report
from scanner.report.render import write_report
from tests.conftest import REPO
from tests.report_store import NOW, make_report_store

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "build" / "screenshots"
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def report_html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    store = make_report_store(folder / "fixed.db")
    [html] = write_report(build_report(store, load_pack(), NOW), folder / "out", ["html"])
    return html


@pytest.fixture(scope="module")
def browser_page(report_html: Path) -> Iterator[tuple[Any, list[str], list[str]]]:
    from playwright.sync_api import sync_playwright

    requests: list[str] = []
    dialogs: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        page.on("request", lambda request: requests.append(request.url))
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(report_html.as_uri())
        yield page, requests, dialogs
        browser.close()


def test_the_report_has_its_sections(browser_page: Any) -> None:
    page, _, _ = browser_page
    assert page.locator("#cover h1").inner_text() == "Health claims on clinic websites"
    assert page.locator("#summary").is_visible()
    assert page.locator("section.clinic h2").all_inner_texts() == [
        "1. Bonewell Clinic",
        "2. Joint Haven",
        "3. Renew Spine",
    ]
    assert page.locator("#appendix h3").all_inner_texts()[:2] == ["Methodology", "Limitations"]


def test_quotes_are_shown_with_the_matched_words_highlighted(browser_page: Any) -> None:
    page, _, _ = browser_page
    marks = page.locator("blockquote.quote mark").all_inner_texts()
    assert "reverse osteoporosis" in marks
    assert page.locator("article.claim").count() >= 4


def test_the_chart_is_drawn(browser_page: Any) -> None:
    page, _, _ = browser_page
    bars = page.locator("figure.chart svg rect.bar")
    assert bars.count() >= 2
    assert all(
        box["width"] > 0 for box in (bars.nth(i).bounding_box() for i in range(bars.count()))
    )


def test_no_script_ran_and_nothing_was_fetched(browser_page: Any) -> None:
    page, requests, dialogs = browser_page
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    assert page.locator("img").count() == 0
    assert "<script>window.__pwned = 1</script>" in page.locator("body").inner_text()


def test_a_screenshot_is_saved_for_people_to_look_at(browser_page: Any) -> None:
    page, _, _ = browser_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "report-top.png"))
    page.locator("#clinic-bonewell").scroll_into_view_if_needed()
    page.evaluate("document.querySelector('#clinic-bonewell').scrollIntoView()")
    page.screenshot(path=str(SCREENSHOTS / "report-clinic.png"))
    assert (SCREENSHOTS / "report-top.png").stat().st_size > 10_000
