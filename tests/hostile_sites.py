"""Hostile websites for the crawl, one hazard a site, each on its own loopback address, with a
normal clinic site among them. The server logs the full URL of every request it receives,
so a test can check that the evidence names only what was really asked for.

    with hostile_sites() as sites:
        sites.clinic_list(path)        # id,name,url: one clinic a site
        sites.received                 # every URL requested, in order

The claims the normal site (and the sites whose pages are odd but readable) make are in
CLAIMS, by site; the fetch error each hazardous site must leave is in EXPECTED_ERRORS.
"""

from __future__ import annotations

import gzip
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Handler = BaseHTTPRequestHandler
Answer = Callable[[Handler, str], None]

# Claim sentences, written for these tests. Each readable site's page must yield its own.
CLAIMS = {
    "normal": [
        "Our stem cell injections regrow worn knee cartilage.",
        "Exosome therapy is completely safe with no side effects.",
        "A 92% success rate in more than 800 patients.",
    ],
    "encoding": ["Our PRP therapy heals torn tendons in weeks."],
    "nested": ["Our cord blood stem cells rebuild damaged spinal discs."],
    "injection": [
        'Our stem cells <script>alert("x")</script> reverse osteoporosis.',
        '=HYPERLINK("http://evil.example") Exosomes regenerate cartilage.',
    ],
    "longblock": ["Our exosome infusions cure multiple sclerosis."],
}
# The fetch error (kind) each hazard must be recorded with.
EXPECTED_ERRORS = {
    "trickle": "timeout",
    "hang": "timeout",
    "huge": "too_large",
    "gzipbomb": "too_large",
    "redirectloop": "redirect_loop",
    "redirectchain": "redirect_loop",
    "jsredirect": "offsite_redirect",
    "robotshang": "robots_unavailable",
    "retryafter": "retry_after_too_long",
    "sitemapbomb": "too_large",
}
BOUNDED = ("linktrap", "calendar")  # endless links: the page budget ends them
LONG_WAIT = 30.0  # how long a hanging or trickling answer goes on


def send(handler: Handler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    headers.setdefault("Content-Type", "text/html; charset=utf-8")
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def html(*paragraphs: str, links: tuple[str, ...] = ()) -> bytes:
    anchors = "".join(f'<a href="{link}">more</a> ' for link in links)
    text = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>Clinic</title></head><body>{text}{anchors}</body></html>".encode()


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def gzip_of_zeros(size: int) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", compresslevel=9) as packed:
        chunk = b"\0" * 1_000_000
        for _ in range(size // len(chunk)):
            packed.write(chunk)
    return out.getvalue()


BOMB = gzip_of_zeros(300_000_000)  # 300 MB of zeros, about 300 KB packed


# -- one answer a site ------------------------------------------------------------------------


def normal(h: Handler, path: str) -> None:
    pages = {
        "/": html(CLAIMS["normal"][0], links=("/about", "/results")),
        "/about": html(CLAIMS["normal"][1], links=("/",)),
        "/results": html(CLAIMS["normal"][2], links=("/",)),
    }
    send(h, 200, pages[path]) if path in pages else send(h, 404, html("Not found"))


def linktrap(h: Handler, path: str) -> None:
    n = int(path.strip("/")) if path.strip("/").isdigit() else 0
    send(h, 200, html(f"Page {n}", links=(f"/{n + 1}", f"/{n + 2}")))


def calendar(h: Handler, path: str) -> None:
    month = int(parse_qs(urlsplit(path).query).get("month", ["0"])[0] or 0)
    links = (f"/calendar?month={month + 1}", f"/calendar?month={month - 1}")
    send(h, 200, html(f"Events in month {month}", links=links))


def trickle(h: Handler, path: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    deadline = time.monotonic() + LONG_WAIT
    while time.monotonic() < deadline:  # one byte at a time, slower than any timeout
        h.wfile.write(b"<")
        h.wfile.flush()
        time.sleep(0.3)


def hang(h: Handler, path: str) -> None:
    time.sleep(LONG_WAIT)


def huge(h: Handler, path: str) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.send_header("Content-Length", str(50_000_000))
    h.end_headers()
    chunk = b"<p>" + b"x" * 65_533
    for _ in range(50_000_000 // len(chunk)):
        h.wfile.write(chunk)


def gzipbomb(h: Handler, path: str) -> None:
    send(h, 200, BOMB, Content_Encoding="gzip")


def encoding(h: Handler, path: str) -> None:
    claim = CLAIMS["encoding"][0].encode()
    body = b"<html><body><p>\xff\xfe broken \xc3\x28 bytes</p><p>" + claim + b"</p></body></html>"
    send(h, 200, body)  # says UTF-8, is not


def nested(h: Handler, path: str) -> None:
    depth = 100_000
    body = "<div>" * depth + f"<p>{CLAIMS['nested'][0]}</p>" + "</div>" * depth
    send(h, 200, f"<html><body>{body}</body></html>".encode())


def redirectloop(h: Handler, path: str) -> None:
    send(h, 302, Location="/b" if path == "/a" else "/a")


def redirectchain(h: Handler, path: str) -> None:
    step = int(path.strip("/r") or 0) if path.startswith("/r") else 0
    send(h, 302, Location=f"/r{step + 1}")


def jsredirect(h: Handler, path: str) -> None:
    send(h, 302, Location="javascript:alert(document.domain)")


def robotshang(h: Handler, path: str) -> None:
    if path == "/robots.txt":
        time.sleep(LONG_WAIT)
        return
    normal(h, path)


def robotshuge(h: Handler, path: str) -> None:
    if path == "/robots.txt":
        rules = "".join(f"Disallow: /private/{n}/\n" for n in range(100_000))
        send(h, 200, ("User-agent: *\n" + rules).encode(), Content_Type="text/plain")
        return
    send(h, 200, html("A clinic behind a very long robots.txt."))


def retryafter(h: Handler, path: str) -> None:
    send(h, 503, html("Come back later"), Retry_After="3600")


def sitemapbomb(h: Handler, path: str) -> None:
    if path == "/sitemap.xml":
        send(h, 200, BOMB, Content_Type="application/xml")  # gzip magic, no header
        return
    send(h, 200, html("A clinic with a sitemap that explodes."))


def injection(h: Handler, path: str) -> None:
    send(h, 200, html(*(escape(c) for c in CLAIMS["injection"])))


def longblock(h: Handler, path: str) -> None:
    # 1.2 MB: past spaCy's 1,000,000 characters, within the test crawl's --max-size
    filler = "Parking is free behind the building on weekdays and at weekends. " * 18_500
    send(h, 200, html(filler + CLAIMS["longblock"][0]))


ANSWERS: dict[str, Answer] = {
    "normal": normal, "linktrap": linktrap, "calendar": calendar, "trickle": trickle,
    "hang": hang, "huge": huge, "gzipbomb": gzipbomb, "encoding": encoding, "nested": nested,
    "redirectloop": redirectloop, "redirectchain": redirectchain, "jsredirect": jsredirect,
    "robotshang": robotshang, "robotshuge": robotshuge, "retryafter": retryafter,
    "sitemapbomb": sitemapbomb, "injection": injection, "longblock": longblock,
}  # fmt: skip


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a crawler hanging up on a hazard is expected, not worth a traceback


class HostileSites:
    def __init__(self) -> None:
        self.received: list[str] = []
        self._lock = threading.Lock()
        self._servers: dict[str, QuietServer] = {}

    def url(self, site: str, path: str = "/") -> str:
        host, port = self._servers[site].server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def clinic_list(self, path: Path) -> Path:
        rows = [f"{site},Clinic {site},{self.url(site)}" for site in ANSWERS]
        path.write_text("id,name,url\n" + "\n".join(rows) + "\n")
        return path

    def start(self) -> None:
        for number, (site, answer) in enumerate(ANSWERS.items()):
            server = QuietServer((f"127.0.0.{60 + number}", 0), self._handler(answer))
            self._servers[site] = server
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def _handler(self, answer: Answer) -> type[BaseHTTPRequestHandler]:
        sites = self

        class Hostile(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                host, port = self.server.server_address[:2]
                with sites._lock:
                    sites.received.append(f"http://{host!s}:{port}{self.path}")
                path = urlsplit(self.path).path if "?" not in self.path else self.path
                own_robots = answer in (robotshang, robotshuge)
                if (path == "/robots.txt" and not own_robots) or (
                    path == "/sitemap.xml" and answer is not sitemapbomb
                ):
                    send(self, 404, b"", Content_Type="text/plain")
                    return
                # the crawler giving up on an answer is what a hazard is for
                with suppress(BrokenPipeError, ConnectionResetError):
                    answer(self, path)

            def log_message(self, *_args: Any) -> None:
                pass

        return Hostile


@contextmanager
def hostile_sites() -> Iterator[HostileSites]:
    sites = HostileSites()
    sites.start()
    try:
        yield sites
    finally:
        sites.stop()
