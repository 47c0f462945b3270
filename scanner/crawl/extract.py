"""Visible text of an HTML page as ordered blocks, plus its title, description and links.

A block is text that no sentence crosses: a heading, paragraph, list item, table cell,
blockquote, image alt text, or a run of loose text between block elements. `<br>` also ends
a block, since pages use it to stack lines that carry no punctuation. Scripts, styles, forms'
option lists and hidden elements (`hidden`, `aria-hidden="true"`, inline `display:none` or
`visibility:hidden`) are dropped. Decoding is Scrapy's: the HTTP header, a BOM, `<meta charset>`
or a sniffed encoding, so a windows-1252 page comes out right.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from lxml import etree
from scrapy.http import TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS
from scrapy.utils.response import get_base_url
from w3lib.encoding import html_to_unicode

from scanner.models import ExtractedPage, Link, TextBlock

SKIP_TAGS = frozenset((
    "script", "style", "noscript", "template", "svg", "math", "head", "iframe", "object",
    "embed", "canvas", "select", "datalist", "audio", "video", "map",
))  # fmt: skip
HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
BLOCK_TAGS = HEADINGS | frozenset((
    "p", "div", "li", "td", "th", "blockquote", "section", "article", "main", "header",
    "footer", "nav", "aside", "ul", "ol", "dl", "dt", "dd", "table", "thead", "tbody", "tfoot",
    "tr", "caption", "figure", "figcaption", "form", "fieldset", "legend", "address", "pre",
    "details", "summary", "dialog", "hr", "body", "html", "center", "menu",
))  # fmt: skip
QUOTED = frozenset({"p", "div", "footer", "blockquote"})  # reported as "blockquote" when quoted
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
SPACES = re.compile(r"\s+")
INVISIBLE = re.compile("[\u00ad\u200b\u200c\u200d\u2060\ufeff]")
SKIPPED_EXTENSIONS = frozenset("." + ext for ext in IGNORED_EXTENSIONS)


def normalize_text(text: str) -> str:
    """NFC, no invisible characters, every run of (non-breaking) spaces made one space."""
    text = INVISIBLE.sub("", unicodedata.normalize("NFC", text))
    return SPACES.sub(" ", text).strip()


def is_hidden(element: etree._Element) -> bool:
    attrib = element.attrib
    if "hidden" in attrib or attrib.get("aria-hidden", "").strip().lower() == "true":
        return True
    if element.tag == "input" and attrib.get("type", "").lower() == "hidden":
        return True
    style = attrib.get("style")
    return bool(style and HIDDEN_STYLE.search(style))


class _BlockCollector:
    """Walks the tree once, in document order, cutting text into blocks."""

    def __init__(self, tree: etree._ElementTree) -> None:
        self.tree = tree
        self.blocks: list[TextBlock] = []
        self.buffer: list[str] = []
        self.open_blocks: list[etree._Element] = []
        self.emitted: dict[etree._Element, int] = {}
        self.heading: str | None = None
        self.skipped: set[etree._Element] = set()

    def flush(self) -> None:
        text = normalize_text("".join(self.buffer))
        self.buffer.clear()
        if text and self.open_blocks:
            self.emit(self.open_blocks[-1], text)

    def emit(self, element: etree._Element, text: str, tag: str | None = None) -> None:
        count = self.emitted.get(element, 0) + 1
        self.emitted[element] = count
        locator = self.tree.getpath(element) + (f"#{count}" if count > 1 else "")
        tag = tag or str(element.tag)
        if tag in QUOTED and any(e.tag == "blockquote" for e in self.open_blocks):
            tag = "blockquote"
        if tag in HEADINGS:
            self.heading = text
        self.blocks.append(TextBlock(tag=tag, text=text, locator=locator, heading=self.heading))

    def walk(self, root: etree._Element) -> list[TextBlock]:
        self.open_blocks.append(root)
        walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        for event, element in walker:
            tag = element.tag
            if not isinstance(tag, str):  # a comment or processing instruction: only its tail
                if element.tail:
                    self.buffer.append(element.tail)
                continue
            if event == "start":
                self.start(walker, element, tag)
            else:
                self.end(element, tag)
        self.flush()
        return self.blocks

    def start(self, walker: etree.iterwalk, element: etree._Element, tag: str) -> None:
        if tag in SKIP_TAGS or is_hidden(element):
            walker.skip_subtree()
            self.skipped.add(element)
            return
        if tag in BLOCK_TAGS:
            self.flush()
            self.open_blocks.append(element)
        elif tag == "br":
            self.flush()
        elif tag == "img":
            alt = normalize_text(element.get("alt", ""))
            if alt:
                self.flush()
                self.emit(element, alt, tag="img")
        if element.text:
            self.buffer.append(element.text)

    def end(self, element: etree._Element, tag: str) -> None:
        if tag in BLOCK_TAGS and element not in self.skipped:
            self.flush()
            self.open_blocks.pop()
        if element.tail:
            self.buffer.append(element.tail)


def browser_decoded(response: TextResponse) -> TextResponse:
    """The response decoded as a browser would: BOM, HTTP header, <meta>, then UTF-8, then
    windows-1252 (the WHATWG fallback for English-language pages). Scrapy's own last resort
    is a statistical guess, which takes short windows-1252 texts for windows-1250."""
    content_type = response.headers.get(b"Content-Type")
    encoding, _ = html_to_unicode(
        content_type.decode("latin-1") if content_type else None,
        response.body,
        default_encoding="cp1252",
        auto_detect_fun=_utf8_or_cp1252,
    )
    return response if encoding == response.encoding else response.replace(encoding=encoding)


def _utf8_or_cp1252(body: bytes) -> str | None:
    for encoding in ("utf-8", "cp1252"):
        try:
            body.decode(encoding)
        except UnicodeDecodeError:
            continue
        return encoding
    return None


def extract_page(response: TextResponse) -> ExtractedPage:
    """Title, meta description, language, text blocks and links of an HTML response."""
    response = browser_decoded(response)
    root = response.selector.root
    if not isinstance(root, etree._Element):
        return ExtractedPage()
    tree = root.getroottree()
    title = normalize_text(" ".join(root.xpath("//title//text()")))
    description = ""
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in ("description", "og:description") and meta.get("content"):
            description = description or normalize_text(meta.get("content", ""))
    language = root.get("lang") if root.tag == "html" else None
    links = extract_links(response, root)
    body = root.find("body")
    blocks = _BlockCollector(tree).walk(body if body is not None else root)
    if _cut_short(root):
        # libxml2 stops building the tree past 2,048 nested elements and drops the
        # rest of the page: read the text again with a parser that builds no tree.
        blocks = _flat_blocks(response.text)
    return ExtractedPage(
        title=title,
        description=description,
        language=language,
        blocks=blocks,
        links=links,
    )


def extract_links(response: TextResponse, root: etree._Element) -> list[Link]:
    """Every distinct http(s) link of the page (hidden menus included), fragment removed."""
    base = get_base_url(response)
    seen: set[str] = set()
    links: list[Link] = []
    for anchor in root.iter("a", "area"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        url = clean_url(urljoin(base, href))
        if url is None or url in seen:
            continue
        seen.add(url)
        text = normalize_text(anchor.text_content() or anchor.get("title") or "")
        links.append(Link(url=url, text=text[:200]))
    return links


def clean_url(url: str) -> str | None:
    """An http(s) URL without its fragment, or None for other schemes and binary files."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if Path(parts.path).suffix.lower() in SKIPPED_EXTENSIONS:
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


# libxml2 builds at most 2,048 nested elements (XML_PARSE_HUGE), then drops the rest: a
# tree this deep was probably cut there.
DEEP = 2000


def _cut_short(root: etree._Element) -> bool:
    """Did the parser stop at its depth limit? Only a page this deep can have."""
    if sum(1 for _ in root.iter()) < DEEP:
        return False
    return bool(root.xpath(f"boolean(//*[count(ancestor::*) >= {DEEP}])"))


class _FlatText(HTMLParser):
    """Text blocks from a stream of tags: a block ends where a block tag opens or closes;
    script, style and the like are skipped. No tree, so no depth limit."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[TextBlock] = []
        self.parts: list[str] = []
        self.tags: list[str] = ["body"]
        self.skipping = 0
        self.heading: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self.skipping += 1
        elif tag in BLOCK_TAGS:
            self.flush()
            self.tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self.skipping = max(0, self.skipping - 1)
        elif tag in BLOCK_TAGS:
            self.flush()
            if len(self.tags) > 1:
                self.tags.pop()

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)

    def flush(self) -> None:
        text = normalize_text("".join(self.parts))
        self.parts = []
        if not text:
            return
        tag = self.tags[-1]
        number = len(self.blocks) + 1
        block = TextBlock(tag=tag, text=text, locator=f"/deep/{tag}[{number}]",
                          heading=None if tag in HEADINGS else self.heading)  # fmt: skip
        self.blocks.append(block)
        if tag in HEADINGS:
            self.heading = text


def _flat_blocks(html: str) -> list[TextBlock]:
    reader = _FlatText()
    reader.feed(html)
    reader.close()
    reader.flush()
    return reader.blocks
