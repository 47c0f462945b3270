"""Triage in a real browser: Debian's Chromium, driven by Playwright, keys only.

Screenshots of the list and of a claim page are saved in build/screenshots/.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from scanner.detect.rules import load_pack
from scanner.report.build import build_report
from scanner.report.render import render_html
from scanner.review.app import create_app
from scanner.store import Store
from tests.report_store import NOW, make_report_store
from tests.test_report_browser import CHROMIUM, FLAGS, SCREENSHOTS

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Store]]:
    folder = tmp_path_factory.mktemp("review")
    store = make_report_store(folder / "review.db", warc_dir=folder / "evidence")
    app = create_app(store, load_pack(), [folder / "evidence"])
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", store
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def triaged(served: tuple[str, Store]) -> dict[str, Any]:
    """Open the list, confirm the first claim and dismiss the second, by keyboard."""
    from playwright.sync_api import sync_playwright

    base, _ = served
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + "/")
        page.screenshot(path=str(SCREENSHOTS / "review-list.png"))
        rows = page.locator("tr.row .sentence").all_inner_texts()
        page.keyboard.press("Enter")  # the first row is selected
        page.wait_for_url("**/claims/*")
        page.fill("#reviewer", "Ana")
        page.locator("body").click(
            position={"x": 5, "y": 5}
        )  # leave the field: keys are shortcuts again
        page.screenshot(path=str(SCREENSHOTS / "review-claim.png"), full_page=True)
        first_url = page.url
        page.keyboard.press("c")
        page.wait_for_url(lambda url: url != first_url)
        second_url = page.url
        assert page.input_value("#reviewer") == "Ana"  # remembered
        page.keyboard.press("d")
        page.wait_for_url(lambda url: url != second_url)
        pwned = page.evaluate("typeof window.__pwned")
        browser.close()
    return {
        "rows": rows,
        "first": first_url,
        "second": second_url,
        "dialogs": dialogs,
        "pwned": pwned,
    }


def test_the_list_shows_the_claims(triaged: dict[str, Any]) -> None:
    assert len(triaged["rows"]) >= 4


def test_keys_confirm_one_claim_and_dismiss_the_next(
    triaged: dict[str, Any], served: tuple[str, Store]
) -> None:
    _, store = served
    first = triaged["first"].rsplit("/", 1)[-1].split("?")[0]
    second = triaged["second"].rsplit("/", 1)[-1].split("?")[0]
    verdicts = store.verdicts()
    assert (verdicts[first].verdict, verdicts[first].reviewer) == ("confirmed", "Ana")
    assert verdicts[second].verdict == "dismissed"
    assert [e.to_verdict for e in store.verdict_log()] == ["confirmed", "dismissed"]


def test_a_report_of_confirmed_claims_holds_only_those(
    triaged: dict[str, Any], served: tuple[str, Store]
) -> None:
    _, store = served
    first = triaged["first"].rsplit("/", 1)[-1].split("?")[0]
    [confirmed] = [c for c in store.claims() if c.id == first]
    data = build_report(store, load_pack(), NOW, only="confirmed")
    sentences = [claim.sentence for clinic in data.clinics for claim in clinic.claims]
    assert sentences == [confirmed.sentence]
    assert "Confirmed by Ana" in render_html(data)


def test_scraped_text_never_ran_in_the_app(triaged: dict[str, Any]) -> None:
    assert (triaged["pwned"], triaged["dialogs"]) == ("undefined", [])


def test_screenshots_are_saved_for_people_to_look_at(triaged: dict[str, Any]) -> None:
    for name in ("review-list.png", "review-claim.png"):
        assert (SCREENSHOTS / name).stat().st_size > 10_000


def test_search_filters_bulk_dismiss_and_undo_in_the_browser(
    triaged: dict[str, Any], served: tuple[str, Store]
) -> None:
    """After the keyboard triage: search the list, narrow it with a filter that applies on
    change, dismiss two claims at once with one note, then undo with z."""
    from playwright.sync_api import sync_playwright

    base, store = served
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(base + "/")
        page.fill("#search", "stem cells")
        page.press("#search", "Enter")
        page.wait_for_url("**q=stem+cells*")
        sentences = page.locator("tr.row .sentence").all_inner_texts()
        assert sentences and all("stem cells" in s.lower() for s in sentences)
        page.fill("#search", "")
        page.press("#search", "Enter")
        page.wait_for_url(lambda url: "q=stem" not in url)
        page.select_option("select[name=clinic]", "bonewell")  # no button pressed
        page.wait_for_url("**clinic=bonewell*")
        picks = page.locator("input.pick")
        assert picks.count() >= 2
        ids = [picks.nth(i).get_attribute("value") for i in range(2)]
        before = {i: store.verdicts().get(i) for i in ids}
        picks.nth(0).check()
        picks.nth(1).check()
        assert page.inner_text("#selected-count") == "2 selected"
        page.fill("#bulk-note", "duplicate of a footer line")
        if not page.input_value("#bulk-reviewer"):
            page.fill("#bulk-reviewer", "Ana")
        page.screenshot(path=str(SCREENSHOTS / "review-list-bulk.png"), full_page=True)
        page.click("#bulk-dismiss")
        page.wait_for_selector("#flash")
        assert "Saved: 2 claims dismissed." in page.inner_text("#flash")
        after = store.verdicts()
        assert {after[i].verdict for i in ids} == {"dismissed"}  # type: ignore[index]
        assert {after[i].note for i in ids} == {"duplicate of a footer line"}  # type: ignore[index]
        assert "clinic=bonewell" in page.url  # the view is kept
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("z")
        page.wait_for_url("**done=undone*")
        assert "Undone: 2 claims" in page.inner_text("#flash")
        undone = store.verdicts()
        for claim_id, earlier in before.items():
            now = undone[claim_id]  # type: ignore[index]
            assert now.verdict == (earlier.verdict if earlier else "open")
        browser.close()
    assert (SCREENSHOTS / "review-list-bulk.png").stat().st_size > 10_000
