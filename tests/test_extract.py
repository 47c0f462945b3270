"""Text extraction from saved HTML, through Scrapy's HtmlResponse as the crawler sees it."""

from __future__ import annotations

import pytest
from scrapy.http import HtmlResponse

from scanner.crawl.extract import clean_url, extract_page, normalize_text
from scanner.models import ExtractedPage
from tests.conftest import FIXTURES

HTML = FIXTURES / "html"


def extract(name: str, headers: dict[str, str] | None = None) -> ExtractedPage:
    body = (HTML / name).read_bytes()
    response = HtmlResponse(
        url=f"https://www.example-clinic.test/{name}", body=body, headers=headers
    )
    return extract_page(response)


@pytest.fixture(scope="module")
def article() -> ExtractedPage:
    return extract("article.html")


def texts(page: ExtractedPage) -> list[str]:
    return [block.text for block in page.blocks]


def test_title_is_whitespace_normalised(article: ExtractedPage) -> None:
    assert article.title == "Knee care guide"


def test_meta_description_is_found_whatever_the_case_of_its_name(article: ExtractedPage) -> None:
    assert article.description == "A guide to knee care."


def test_language_comes_from_the_html_element(article: ExtractedPage) -> None:
    assert article.language == "en-US"


def test_blocks_keep_document_order(article: ExtractedPage) -> None:
    order = texts(article)
    assert order.index("Caring for your knees") < order.index("First paragraph ends here.")
    assert order.index("Rest and ice") < order.index("Physical therapy") < order.index("Brace")


def test_each_paragraph_is_its_own_block(article: ExtractedPage) -> None:
    assert "First paragraph ends here." in texts(article)
    assert "Second paragraph with bold and a link inside." in texts(article)


def test_a_line_break_ends_a_block(article: ExtractedPage) -> None:
    assert "Loose text in a div" in texts(article)
    assert "and a line after a break" in texts(article)


def test_blocks_carry_their_tag(article: ExtractedPage) -> None:
    tags = {block.text: block.tag for block in article.blocks}
    assert tags["Caring for your knees"] == "h1"
    assert tags["Rest and ice"] == "li"
    assert tags["Option"] == "th"
    assert tags["Brace"] == "td"
    assert tags["My knee feels new."] == "blockquote"
    assert tags["Diagram of a knee joint"] == "img"
    assert tags["The knee joint."] == "figcaption"


def test_locators_are_xpaths_that_find_the_block_again(article: ExtractedPage) -> None:
    response = HtmlResponse(url="https://x.test/", body=(HTML / "article.html").read_bytes())
    for block in article.blocks:
        if "#" in block.locator or block.tag == "img":
            continue
        found = response.xpath(block.locator)
        assert len(found) == 1, block
        assert normalize_text(found.xpath("string()").get() or "").startswith(block.text[:10])


def test_locators_are_unique(article: ExtractedPage) -> None:
    locators = [block.locator for block in article.blocks]
    assert len(locators) == len(set(locators))


def test_blocks_know_the_heading_they_sit_under(article: ExtractedPage) -> None:
    headings = {block.text: block.heading for block in article.blocks}
    assert headings["First paragraph ends here."] == "Caring for your knees"
    assert headings["Rest and ice"] == "Options"


@pytest.mark.parametrize(
    "hidden",
    [
        "Hidden by attribute.",
        "Hidden by style.",
        "Invisible by style.",
        "Hidden from assistive tech.",
        "Please enable JavaScript.",
        "Template text.",
        "JSON-LD text",
        "font-family",
    ],
)
def test_hidden_and_non_visible_text_is_dropped(article: ExtractedPage, hidden: str) -> None:
    assert not any(hidden in text for text in texts(article))


def test_invisible_characters_and_non_breaking_spaces_are_normalised(
    article: ExtractedPage,
) -> None:
    assert "Zerowidth and softhyphen and two spaces." in texts(article)


def test_links_resolve_against_the_base_href_and_drop_fragments(article: ExtractedPage) -> None:
    urls = [link.url for link in article.links]
    assert "https://www.example-clinic.test/blog/treatments/knee" in urls
    assert "https://www.example-clinic.test/blog/faq" in urls
    assert "https://www.example-clinic.test/" in urls


def test_links_keep_their_anchor_text(article: ExtractedPage) -> None:
    anchors = {link.url: link.text for link in article.links}
    assert anchors["https://www.example-clinic.test/blog/treatments/knee"] == "Knee treatments"


def test_mail_script_and_binary_links_are_not_followed(article: ExtractedPage) -> None:
    urls = " ".join(link.url for link in article.links)
    assert "mailto:" not in urls
    assert "javascript:" not in urls
    assert "brochure.pdf" not in urls


def test_a_meta_declared_windows_1252_page_decodes_right() -> None:
    page = extract("windows-1252.html")
    assert page.title == "Café – “quotes”"
    assert texts(page) == ["Naïve café owners’ “smart quotes” — and €5 fees."]


def test_an_undeclared_windows_1252_page_is_sniffed() -> None:
    page = extract("undeclared-1252.html")
    assert texts(page) == ["Crème brûlée – “delicious”, says the maître d’hôtel."]


def test_the_http_header_charset_wins_over_guessing() -> None:
    body = "<p>Señora’s clinic</p>".encode("cp1252")
    response = HtmlResponse(
        url="https://x.test/",
        body=body,
        headers={"Content-Type": "text/html; charset=windows-1252"},
    )
    assert texts(extract_page(response)) == ["Señora’s clinic"]


def test_a_page_without_body_element_still_yields_text() -> None:
    response = HtmlResponse(url="https://x.test/", body=b"<p>Just a fragment.</p>")
    assert texts(extract_page(response)) == ["Just a fragment."]


def test_no_sentence_runs_across_two_blocks() -> None:
    body = b"<div><p>Our cells rebuild</p><p>bone in weeks</p></div>"
    page = extract_page(HtmlResponse(url="https://x.test/", body=body))
    assert texts(page) == ["Our cells rebuild", "bone in weeks"]


def test_inline_elements_join_without_invented_spaces() -> None:
    body = b"<p>Stem<span>cell</span> <em>therapy</em></p>"
    page = extract_page(HtmlResponse(url="https://x.test/", body=body))
    assert texts(page) == ["Stemcell therapy"]


def test_comment_tails_are_kept() -> None:
    body = b"<p>Before<!-- a comment --> after the comment.</p>"
    page = extract_page(HtmlResponse(url="https://x.test/", body=body))
    assert texts(page) == ["Before after the comment."]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Clinic.TEST/a?b=1#frag", "https://clinic.test/a?b=1"),
        ("https://clinic.test", "https://clinic.test/"),
        ("ftp://clinic.test/file", None),
        ("https://clinic.test/photo.JPG", None),
        ("http://[bad", None),
    ],
)
def test_clean_url(url: str, expected: str | None) -> None:
    assert clean_url(url) == expected


@pytest.mark.parametrize("depth", [100, 2_100, 20_000])
def test_text_nested_past_the_parsers_limit_is_still_read(depth: int) -> None:
    """libxml2 drops everything past about 2,048 nested elements; a page must not hide its
    claims that way (nor lose the text after them)."""
    body = (
        "<html><head><title>Deep</title><style>p {color: red}</style></head><body>"
        "<h1>Our treatments</h1><p>Book a visit today.</p>"
        + "<div>" * depth + "<p>Our stem cells rebuild worn cartilage.</p>" + "</div>" * depth
        + "<p>Call us on weekdays.</p></body></html>"
    )  # fmt: skip
    page = extract_page(HtmlResponse(url="https://clinic.test/", body=body.encode()))
    texts = [b.text for b in page.blocks]
    assert texts == [
        "Our treatments", "Book a visit today.", "Our stem cells rebuild worn cartilage.",
        "Call us on weekdays.",
    ]  # fmt: skip
    assert page.title == "Deep"
    [claim] = [b for b in page.blocks if "cartilage" in b.text]
    assert (claim.tag, claim.heading) == ("p", "Our treatments")
