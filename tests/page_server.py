"""A one-site HTTP server of fixed pages on 127.0.0.1, for tests that need a page or two of
their own (with scripts, say). Unknown paths answer "pong" with 200 (what a page's scripts
poll), robots.txt 404. Every path requested is logged."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class PageServer:
    url: str  # the home page, with a trailing slash
    received: list[str] = field(default_factory=list)


@contextmanager
def serve_pages(pages: dict[str, str]) -> Iterator[PageServer]:
    site = PageServer("")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            site.received.append(self.path)
            body = pages.get(self.path.split("?")[0], "pong").encode()
            self.send_response(404 if self.path == "/robots.txt" else 200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    site.url = f"http://127.0.0.1:{server.server_address[1]}/"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
