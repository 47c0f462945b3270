"""What `claimscan check` reads: a text file, an HTML file or a URL, as text blocks with the
offsets needed to point back into the source.

A `.txt` file is one block per non-empty line, and offsets count characters in the file.
HTML (a file or a URL) goes through the crawler's extraction: the title, the meta
description, then the page's blocks; offsets count characters in the extracted text, which
is the blocks joined by newlines (so `line` is the block's number).
"""

from __future__ import annotations

import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.error import URLError

from scanner.errors import InputError
from scanner.models import page_blocks

HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml", ".php", ".asp", ".aspx"}
MAX_FETCH = 10 * 1024 * 1024


@dataclass(frozen=True)
class Block:
    text: str
    offset: int  # where the block starts in the source's text
    line: int  # 1-based
    column: int  # 1-based column of the block's first character
    tag: str = "p"
    locator: str = ""
    heading: str | None = None


@dataclass(frozen=True)
class Source:
    name: str  # the path or URL as given
    blocks: list[Block]


TEXT_SUFFIXES = {".txt", ".text", ".md"}
CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r", "\f", "\v"}


def expand(names: list[str]) -> list[str]:
    """The sources named: a folder stands for the HTML and text files under it (sorted);
    files, URLs and "-" (standard input) stand for themselves."""
    expanded = []
    for name in names:
        path = Path(name)
        if name == "-" or name.startswith(("http://", "https://")) or not path.is_dir():
            expanded.append(name)
            continue
        wanted = HTML_SUFFIXES | TEXT_SUFFIXES
        found = sorted(
            str(p) for p in path.rglob("*") if p.suffix.lower() in wanted and p.is_file()
        )
        if not found:
            raise InputError(f"{name}: no .html, .htm or .txt files under this folder")
        expanded.extend(found)
    return expanded


def load_source(name: str, timeout: float = 20.0) -> Source:
    if name.startswith(("http://", "https://")):
        return _from_url(name, timeout)
    if name == "-":
        return text_source(name, _decode(sys.stdin.buffer.read()))
    path = Path(name)
    if path.is_dir():  # expand() makes a folder its files; here only by mistake
        raise InputError(f"{name}: is a folder, not a file")
    if not path.exists():
        raise InputError(f"{name}: no such file")
    try:
        data = path.read_bytes()  # a regular file, or a device or pipe such as /dev/null
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror}") from None
    if b"\0" in data[:8192]:
        raise InputError(f"{name}: not text or HTML (binary data)")
    if path.suffix.lower() in HTML_SUFFIXES or data.lstrip()[:1] == b"<":
        return _from_html(name, path.resolve().as_uri(), data)
    text = _decode(data)
    sample = text[:8192]
    if sample and sum(c in CONTROL for c in sample) > len(sample) / 4:
        raise InputError(f"{name}: not text or HTML (control characters: not a text encoding)")
    return text_source(name, text)


def text_source(name: str, text: str) -> Source:
    blocks, offset = [], 0
    for number, line in enumerate(text.splitlines(keepends=True), 1):
        stripped = line.strip()
        if stripped:
            indent = len(line) - len(line.lstrip())
            blocks.append(Block(stripped, offset + indent, number, indent + 1, tag="line"))
        offset += len(line)
    return Source(name, blocks)


def _from_html(name: str, url: str, body: bytes, content_type: str = "") -> Source:
    # The crawler's extraction, and Scrapy with it, is imported only for HTML.
    from scrapy.http import HtmlResponse

    from scanner.crawl.extract import extract_page

    headers = {"Content-Type": content_type} if content_type else {}
    page = extract_page(HtmlResponse(url=url, body=body, headers=headers))
    blocks, offset = [], 0
    for number, block in enumerate(page_blocks(page.title, page.description, page.blocks), 1):
        blocks.append(Block(block.text, offset, number, 1, block.tag, block.locator, block.heading))
        offset += len(block.text) + 1
    return Source(name, blocks)


def _from_url(url: str, timeout: float) -> Source:
    from scanner.crawl.settings import DEFAULT_USER_AGENT

    request = urllib.request.Request(url, headers={"User-Agent": DEFAULT_USER_AGENT})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as reply:
            body = reply.read(MAX_FETCH + 1)
            content_type = reply.headers.get("Content-Type", "")
            final_url = reply.geturl()
    except (URLError, TimeoutError, ValueError) as exc:
        raise InputError(f"{url}: cannot fetch: {getattr(exc, 'reason', exc)}") from None
    if len(body) > MAX_FETCH:
        raise InputError(f"{url}: larger than {MAX_FETCH // 1024 // 1024} MB")
    if content_type.startswith("text/plain"):
        return text_source(url, _decode(body))
    return _from_html(url, final_url, body, content_type)


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
