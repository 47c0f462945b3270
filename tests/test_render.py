"""`crawl --render`, with real Chromium: a claim that only a script writes is read, the
server's answer is archived as before with the rendered page and its screenshot beside it,
and a page whose scripts never stop is taken within the bound. Without --render such a page
is named in the crawl's summary."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from scanner.capture.browser import png_size
from scanner.crawl.warc import read_record
from scanner.store import Store
from tests.conftest import claimscan
from tests.page_server import PageServer, serve_pages
from tests.test_warc import warcio_check

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs it)"
    ),
]

SCRIPTED_CLAIM = "Our stem cell infusion rebuilds crumbling vertebrae."
STATIC_CLAIM = "Our exosome therapy is completely safe with no side effects."
PAGES = {
    # the text is written by a script: the HTML says only "Loading"
    "/": (
        "<html><head><title>Scripted Spine Clinic</title></head><body><div id='app'>Loading"
        "</div><script>document.getElementById('app').innerHTML = '<h1>Spine care</h1>"
        f'<p>{SCRIPTED_CLAIM}</p><a href="/safety">Safety</a><a href="/busy">News</a>\';'
        "</script></body></html>"
    ),
    "/safety": f"<html><body><h1>Safety</h1><p>{STATIC_CLAIM}</p></body></html>",
    # scripts that never let the network settle
    "/busy": (
        "<html><body><p>Our PRP injections heal torn tendons.</p><script>"
        "setInterval(() => fetch('/ping?' + Date.now()).catch(() => {}), 150);"
        "</script></body></html>"
    ),
}
OPTIONS = ["--delay", "0", "--timeout", "20", "--retries", "0", "--no-sitemap", "--progress", "log"]


@pytest.fixture(scope="module")
def site() -> Iterator[PageServer]:
    with serve_pages(PAGES) as server:
        yield server


def crawl_and_scan(site: PageServer, folder: Path, *extra: str) -> tuple[Path, str, float]:
    clinics = folder / "clinics.csv"
    clinics.write_text(f"id,name,url\nscripted,Scripted Spine Clinic,{site.url}\n")
    db = folder / "s.db"
    started = time.monotonic()
    crawled = claimscan("crawl", str(clinics), "--db", str(db), *OPTIONS, *extra, timeout=180)
    seconds = time.monotonic() - started
    assert crawled.returncode == 0, crawled.stderr
    assert claimscan("scan", "--db", str(db)).returncode == 0
    return db, crawled.stderr, seconds


def sentences(db: Path) -> set[str]:
    return {f.sentence for f in Store.open(str(db)).findings("claim")}


@pytest.fixture(scope="module")
def rendered(site: PageServer, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    db, _, seconds = crawl_and_scan(site, tmp_path_factory.mktemp("rendered"), "--render")
    return db, seconds


def test_without_render_the_scripted_claim_is_missed_and_the_page_named(
    site: PageServer, tmp_path: Path
) -> None:
    db, summary, _ = crawl_and_scan(site, tmp_path)
    assert SCRIPTED_CLAIM not in sentences(db)
    assert "1 pages may need --render" in summary
    assert f"scripted: {site.url}" in summary


def test_with_render_the_scripted_claim_and_the_pages_it_links_are_read(
    rendered: tuple[Path, float],
) -> None:
    db, seconds = rendered
    found = sentences(db)
    assert SCRIPTED_CLAIM in found
    assert STATIC_CLAIM in found  # /safety is linked only from the scripted text
    assert seconds < 120  # /busy never settles: it is taken at the bound


def test_the_warc_holds_the_answer_the_rendering_and_the_screenshot(
    rendered: tuple[Path, float],
) -> None:
    db, _ = rendered
    store = Store.open(str(db))
    home = next(s for s in store.snapshots() if s.url.endswith("/"))
    assert b"Loading" in read_record(home.warc_file, home.warc_offset)[1]  # the server's own
    checked = warcio_check(Path(home.warc_file))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    refers: dict[str, list[tuple[str, str]]] = {}
    with Path(home.warc_file).open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            if record.rec_type in ("conversion", "resource", "metadata"):
                refers.setdefault(headers.get_header("WARC-Refers-To"), []).append(
                    (record.rec_type, headers.get_header("Content-Type"))
                )
    rendered_kinds = sorted(refers[home.warc_record_id])
    assert rendered_kinds == [("conversion", "text/html; charset=utf-8"), ("resource", "image/png")]
    shot = store.screenshots([home.id])[home.id]
    assert shot.taken == "at"
    assert refers[shot.warc_record_id] == [("metadata", "application/json")]
    png = read_record(shot.warc_file, shot.warc_offset)[1]
    assert png_size(png) == (shot.width, shot.height)


def test_the_claim_is_located_on_the_screenshot_taken_at_capture(
    rendered: tuple[Path, float], tmp_path: Path
) -> None:
    db, _ = rendered
    store = Store.open(str(db))
    home = next(s for s in store.snapshots() if s.url.endswith("/"))
    shot = store.screenshots([home.id])[home.id]
    box = shot.box_of(SCRIPTED_CLAIM)
    assert box is not None
    x, y, w, h = box
    assert min(x, y) >= 0 and x + w <= shot.width and y + h <= shot.height
    busy = next(s for s in store.snapshots() if s.url.endswith("/busy"))
    assert "network had not settled" in store.screenshots([busy.id])[busy.id].note
    out = tmp_path / "report"
    made = claimscan("report", "--db", str(db), "--out", str(out), "--format", "html,json")
    assert made.returncode == 0, made.stderr
    data = json.loads((out / "report.json").read_text())
    [clinic] = data["clinics"]
    claim = next(c for c in clinic["open_claims"] if c["sentence"] == SCRIPTED_CLAIM)
    assert claim["occurrences"][0]["screenshot"]["taken"] == "at capture"
    assert f'id="claim-{claim["number"]}"' in (out / "report.html").read_text()
    assert '<figure class="crop">' in (out / "report.html").read_text()


def test_a_browser_context_is_retired_after_its_pages_and_closed_when_they_are_done() -> None:
    from scrapy import Request

    from scanner.crawl.render import RenderMiddleware

    closed: list[object] = []
    middleware = RenderMiddleware(context_pages=2, closer=closed.append)
    requests = [Request(f"http://clinic.test/{n}", meta={"clinic_id": "c"}) for n in range(3)]
    for request in requests:
        middleware.process_request(request)
    names = [r.meta["playwright_context"] for r in requests]
    assert names == ["claimscan-0", "claimscan-0", "claimscan-1"]
    old_context = object()
    for request in requests[:2]:
        request.meta["claimscan_keeper"].context = old_context
    middleware.process_exception(requests[0], TimeoutError())
    assert closed == []  # one of its pages is still open
    middleware.process_exception(requests[1], TimeoutError())
    assert closed == [old_context]
    assert "playwright_page_methods" not in requests[1].meta  # picklable again for a retry
    middleware.process_exception(requests[2], TimeoutError())
    assert closed == [old_context]  # the context in use stays open
