"""Per-clinic crawl state: depth, duplicates, scope, and replaying stored pages on resume."""

from __future__ import annotations

from scanner.crawl.frontier import ClinicFrontier
from scanner.models import Clinic, CrawlOptions
from scanner.store import StoredPage

CLINIC = Clinic(id="bone", name="Bone", urls=("https://bone.test/",))


def frontier(**options: int) -> ClinicFrontier:
    return ClinicFrontier(CLINIC, CrawlOptions(**options))


def urls(f: ClinicFrontier, url: str, depth: int = 1) -> list[str]:
    return [request.url for request in f.follow(url, "", depth)]


def test_start_urls_are_requested_at_depth_zero() -> None:
    [request] = frontier().start()
    assert (request.url, request.depth) == ("https://bone.test/", 0)


def test_a_page_is_requested_once_however_it_is_linked() -> None:
    f = frontier()
    assert urls(f, "https://bone.test/a") == ["https://bone.test/a"]
    assert urls(f, "http://www.bone.test/a") == []


def test_links_off_the_site_are_not_followed() -> None:
    assert urls(frontier(), "https://elsewhere.test/") == []


def test_links_deeper_than_max_depth_are_not_followed() -> None:
    f = frontier(max_depth=2)
    assert urls(f, "https://bone.test/two", depth=2) == ["https://bone.test/two"]
    assert urls(f, "https://bone.test/three", depth=3) == []


def test_the_budget_counts_requests_sent() -> None:
    f = frontier(max_pages=2)
    assert f.has_budget()
    f.started = 2
    assert not f.has_budget()


def test_on_resume_stored_pages_are_replayed_not_requested() -> None:
    f = frontier()
    f.resume_from(
        [
            StoredPage(
                "bone", "https://bone.test/", 0, [{"url": "https://bone.test/a", "text": ""}]
            ),
            StoredPage(
                "bone", "https://bone.test/a", 1, [{"url": "https://bone.test/b", "text": ""}]
            ),
        ],
        failed={"https://bone.test/gone"},
    )
    assert [r.url for r in f.start()] == ["https://bone.test/b"]
    assert f.replayed == 2
    assert urls(f, "https://bone.test/gone") == []
    assert f.started == 3  # two stored pages and a failure spent budget in the first session
