"""Generated clinic sites for crawl fault tests: `count` sites of `pages` pages each, every
site on its own loopback address (so each is its own site to the crawler), every answer
taking `latency` seconds. The server logs when each request arrived and when it was
answered, and counts the requests each site is answering at once.

Page n links to pages 2n+1 and 2n+2 and back home, so every page is reachable from the
home page (depth at most log2(pages)).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Answered:
    site: str
    path: str
    arrived: float
    answered: float


class GeneratedSites:
    def __init__(self, count: int, pages: int, latency: float = 0.05) -> None:
        self.count, self.pages, self.latency = count, pages, latency
        self.log: list[Answered] = []
        self.in_flight: dict[str, int] = {}  # requests being answered now, by site
        self.most_in_flight: dict[str, int] = {}  # the most at once, by site
        self._lock = threading.Lock()
        self._servers: dict[str, ThreadingHTTPServer] = {}

    def page(self, n: int) -> bytes:
        links = "".join(
            f'<li><a href="/p{child}">Treatment page {child}</a></li>'
            for child in (2 * n + 1, 2 * n + 2)
            if child < self.pages
        )
        return (
            f"<html><head><title>Page {n}</title></head><body><h1>Page {n}</h1>"
            f"<p>Our stem cell program number {n} is described here.</p>"
            f'<ul>{links}</ul><a href="/">Home</a></body></html>'
        ).encode()

    def url(self, site: str) -> str:
        host, port = self._servers[site].server_address[:2]
        return f"http://{host!s}:{port}/"

    def clinic_list(self, path: Path) -> Path:
        rows = [f"site{i},Generated Clinic {i},{self.url(f'site{i}')}" for i in range(self.count)]
        path.write_text("id,name,url\n" + "\n".join(rows) + "\n")
        return path

    def answering(self, site: str, change: int) -> None:
        with self._lock:
            now = self.in_flight.get(site, 0) + change
            self.in_flight[site] = now
            self.most_in_flight[site] = max(self.most_in_flight.get(site, 0), now)

    def paths(self) -> set[str]:
        return {"/"} | {f"/p{n}" for n in range(1, self.pages)}

    def start(self) -> None:
        for i in range(self.count):
            name = f"site{i}"
            server = ThreadingHTTPServer((f"127.0.0.{20 + i}", 0), self._handler(name))
            server.daemon_threads = True
            self._servers[name] = server
            threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        for server in self._servers.values():
            server.shutdown()
            server.server_close()

    def _handler(self, name: str) -> type[BaseHTTPRequestHandler]:
        sites = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                arrived = time.monotonic()
                sites.answering(name, +1)
                try:
                    time.sleep(sites.latency)
                    path = self.path.split("?")[0]
                    number = 0 if path == "/" else _page_number(path)
                    if number is None or number >= sites.pages:
                        self.send_response(404)
                        body = b"<html><body>Not found</body></html>"
                    else:
                        self.send_response(200)
                        body = sites.page(number)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                finally:
                    sites.answering(name, -1)
                    with sites._lock:
                        sites.log.append(Answered(name, self.path, arrived, time.monotonic()))

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler


def _page_number(path: str) -> int | None:
    digits = path.removeprefix("/p")
    return int(digits) if path.startswith("/p") and digits.isdigit() else None


@contextmanager
def generated_sites(count: int, pages: int, latency: float = 0.05) -> Iterator[GeneratedSites]:
    sites = GeneratedSites(count, pages, latency)
    sites.start()
    try:
        yield sites
    finally:
        sites.stop()
