"""Screenshots as evidence, with real Chromium: every page with a claim is taken, archived in
a WARC resource record that points at the page's response, each claim located on it; the
report shows a crop around each claim and the review app too; a page whose scripts never
let the network settle is taken within the bound."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from warcio.archiveiterator import ArchiveIterator

from scanner.capture.browser import png_size
from scanner.crawl.warc import read_record
from scanner.demo.server import FixtureServer
from scanner.detect.rules import load_pack
from scanner.review.app import create_app
from scanner.store import Store
from tests.conftest import FAST, claimscan
from tests.page_server import serve_pages
from tests.test_warc import warcio_check

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (make test installs it)"
    ),
]


@pytest.fixture(scope="module")
def shot(
    sites: FixtureServer, demo_clinics: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The fixture sites crawled, scanned and their pages with claims screenshotted."""
    folder = tmp_path_factory.mktemp("shots")
    db = str(folder / "s.db")
    assert claimscan("crawl", str(demo_clinics), "--db", db, *FAST).returncode == 0
    assert claimscan("scan", "--db", db).returncode == 0
    taken = claimscan("screenshots", "--db", db, "--settle", "2", timeout=300)
    assert taken.returncode == 0, taken.stderr
    assert "claim sentences found on them" in taken.stderr
    return folder / "s.db"


def pages_with_claims(store: Store) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {}
    for finding in store.findings("claim"):
        if finding.block_tag not in ("title", "meta"):  # text a browser shows
            found.setdefault(finding.snapshot_id, set()).add(finding.sentence)
    return found


def test_every_page_with_a_claim_is_archived_as_a_screenshot(shot: Path) -> None:
    store = Store.open(str(shot))
    shots = store.screenshots()
    expected = {f.snapshot_id for f in store.findings("claim")}
    assert set(shots) == expected
    [warc] = {s.warc_file for s in shots.values()}
    checked = warcio_check(Path(warc))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    responses = {store.snapshot(i).warc_record_id: i for i in shots}
    images, metadata = {}, {}
    with Path(warc).open("rb") as stream:
        for record in ArchiveIterator(stream):
            headers = record.rec_headers
            if record.rec_type == "resource":
                assert headers.get_header("Content-Type") == "image/png"
                snapshot_id = responses[headers.get_header("WARC-Refers-To")]
                assert headers.get_header("WARC-Target-URI") == store.snapshot(snapshot_id).url
                images[headers.get_header("WARC-Record-ID")] = snapshot_id
            elif record.rec_type == "metadata":
                about = json.loads(record.content_stream().read())
                metadata[headers.get_header("WARC-Refers-To")] = about
    assert sorted(images.values()) == sorted(shots)
    for snapshot_id, screenshot in shots.items():
        assert images[screenshot.warc_record_id] == snapshot_id
        png = read_record(screenshot.warc_file, screenshot.warc_offset)[1]
        assert png_size(png) == (screenshot.width, screenshot.height)
        about = metadata[screenshot.warc_record_id]
        assert about["taken"] == "after" and about["page"] == screenshot.url


def test_each_claim_is_found_inside_its_screenshot(shot: Path) -> None:
    store = Store.open(str(shot))
    shots = store.screenshots()
    for snapshot_id, sentences in pages_with_claims(store).items():
        screenshot = shots[snapshot_id]
        for sentence in sentences:
            box = screenshot.box_of(sentence)
            assert box is not None, (screenshot.url, sentence)
            x, y, w, h = box
            assert min(x, y) >= 0 and w > 0 and h > 0
            assert x + w <= screenshot.width and y + h <= screenshot.height


def test_evidence_lists_and_extracts_a_screenshot(shot: Path, tmp_path: Path) -> None:
    snapshot_id = next(iter(Store.open(str(shot)).screenshots()))
    listed = claimscan("evidence", str(snapshot_id), "--db", str(shot), "--part", "records")
    assert listed.returncode == 0 and "screenshot" in listed.stdout
    assert "after the capture" in listed.stdout
    out = tmp_path / "page.png"
    extracted = claimscan(
        "evidence", str(snapshot_id), "--db", str(shot), "--part", "screenshot", "--out", str(out)
    )
    assert extracted.returncode == 0, extracted.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_shows_each_claim_on_its_page(shot: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    made = claimscan("report", "--db", str(shot), "--out", str(out), "--format", "html,pdf,json")
    assert made.returncode == 0, made.stderr
    html = (out / "report.html").read_text()
    data = json.loads((out / "report.json").read_text())
    claims = [c for clinic in data["clinics"] for c in clinic["claims"] + clinic["open_claims"]]
    located = [
        c for c in claims if any((o["screenshot"] or {}).get("box") for o in c["occurrences"])
    ]
    assert located
    crops = html.count('<figure class="crop">')
    assert crops == len(located)
    assert html.count('<figure class="screenshot">') == len(Store.open(str(shot)).screenshots())
    assert (out / "report.pdf").stat().st_size > 0


def test_the_review_app_shows_the_claim_on_its_page(shot: Path) -> None:
    store = Store.open(str(shot))
    evidence = shot.parent / "s-evidence"
    client = TestClient(create_app(store, load_pack(), [evidence]), base_url="http://127.0.0.1")
    shown = {sentence for found in pages_with_claims(store).values() for sentence in found}
    claim = next(c for c in store.claims() if c.sentence in shown)
    page = client.get(f"/claims/{claim.id}")
    assert f"/claims/{claim.id}/crop.jpg" in page.text
    image = client.get(f"/claims/{claim.id}/crop.jpg")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"


# -- a page whose scripts never let the network settle ---------------------------------------

RESTLESS = """<html><head><title>Restless clinic</title></head><body>
<h1>Restless clinic</h1><p>Our stem cell injections regrow worn knee cartilage.</p>
<script>setInterval(() => fetch("/ping?" + Date.now()).catch(() => {}), 150);</script>
</body></html>"""


@pytest.fixture
def restless_site() -> Iterator[str]:
    with serve_pages({"/": RESTLESS}) as server:
        yield server.url


def test_a_page_that_never_settles_is_taken_within_the_bound(
    restless_site: str, tmp_path: Path
) -> None:
    clinics = tmp_path / "clinics.csv"
    clinics.write_text(f"id,name,url\nrestless,Restless Clinic,{restless_site}\n")
    db = str(tmp_path / "r.db")
    assert claimscan("crawl", str(clinics), "--db", db, *FAST, "--no-sitemap").returncode == 0
    assert claimscan("scan", "--db", db).returncode == 0
    started = time.monotonic()
    taken = claimscan("screenshots", "--db", db, "--settle", "2", "--timeout", "10")
    assert taken.returncode == 0, taken.stderr
    assert time.monotonic() - started < 60
    [screenshot] = Store.open(db).screenshots().values()
    assert "network had not settled in 2 s" in screenshot.note
    assert screenshot.box_of("Our stem cell injections regrow worn knee cartilage.")


def test_without_chromium_the_command_says_what_to_install(
    shot: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    copy = tmp_path / "s.db"
    shutil.copy(shot, copy)
    monkeypatch.setenv("PATH", str(tmp_path))  # no chromium on it
    monkeypatch.setenv("CLAIMSCAN_CHROMIUM", str(tmp_path / "nothing-here"))
    result = claimscan("screenshots", "--db", str(copy), "--again")
    assert result.returncode == 1
    assert "no Chromium found: install Debian's (apt-get install chromium)" in result.stderr
