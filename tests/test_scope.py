"""A clinic's own site, and which links are fetched first."""

from __future__ import annotations

import pytest

from scanner.crawl.scope import SiteScope, link_priority, site_key, url_key


@pytest.mark.parametrize(
    ("url", "inside"),
    [
        ("https://clinic.test/treatments", True),
        ("http://www.clinic.test/", True),  # the www twin, any scheme
        ("https://CLINIC.test/faq", True),
        ("https://blog.clinic.test/", False),  # another host of the same domain
        ("https://clinic.test.evil.example/", False),
        ("https://other.test/", False),
    ],
)
def test_the_site_is_the_start_hosts_and_their_www_variants(url: str, inside: bool) -> None:
    assert (url in SiteScope(["https://clinic.test/"])) is inside


def test_ip_hosts_have_no_www_variant() -> None:
    scope = SiteScope(["http://127.0.0.2:8000/"])
    assert "http://127.0.0.2:8000/page" in scope
    assert "http://www.127.0.0.2/" not in scope


def test_politeness_is_per_site_with_www_folded_and_ports_kept() -> None:
    assert site_key("https://www.clinic.test/a") == site_key("http://clinic.test/b")
    assert site_key("http://127.0.0.2:8001/") != site_key("http://127.0.0.2:8002/")


def test_the_same_page_under_www_or_https_is_one_page() -> None:
    assert url_key("http://www.clinic.test/a?x=1") == url_key("https://clinic.test/a?x=1")
    assert url_key("https://clinic.test") == url_key("https://clinic.test/")
    assert url_key("https://clinic.test/a?x=1") != url_key("https://clinic.test/a?x=2")


@pytest.mark.parametrize(
    ("likely", "unlikely"),
    [
        ("/treatments/stem-cells", "/about-our-building"),
        ("/testimonials", "/blog/2019/05/"),
        ("/faq", "/privacy-policy"),
        ("/pricing", "/cart"),
        ("/conditions/osteoporosis", "/wp-login"),
    ],
)
def test_claim_likely_links_come_first(likely: str, unlikely: str) -> None:
    base = "https://clinic.test"
    assert link_priority(base + likely, "", 1) > link_priority(base + unlikely, "", 1)


def test_anchor_text_counts_too() -> None:
    url = "https://clinic.test/p?id=7"
    assert link_priority(url, "Patient success stories", 1) > link_priority(url, "Directions", 1)


def test_deeper_links_wait_longer() -> None:
    url = "https://clinic.test/treatments"
    assert link_priority(url, "", 1) > link_priority(url, "", 3)
