"""Serve the bundled fictional clinic sites on 127.0.0.x, for the demo and the tests.

Each folder of `sites/` is one site, served on its own loopback address (so each has its
own host, as real clinics do) and a free port. A `_site.yaml` in the folder gives the
address and the site's misbehaviour: redirects, slow pages, fixed statuses (with extra
headers, such as Retry-After), content types.
Every request is logged, so tests can check what a crawl fetched. The server stops by
itself after `lifetime` seconds, in case its owner never does.

    with FixtureServer() as server:
        print(server.url("renewbone"))          # http://127.0.0.2:PORT/
"""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

from scanner.resources import demo_dir

SITES_DIR = demo_dir() / "sites"
TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml", ".txt": "text/plain"}


@dataclass
class SiteConfig:
    name: str
    root: Path
    host: str
    redirects: dict[str, str] = field(default_factory=dict)
    slow: dict[str, float] = field(default_factory=dict)
    status: dict[str, int] = field(default_factory=dict)
    content_types: dict[str, str] = field(default_factory=dict)
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # extra, by path
    latency: float = 0.0  # seconds every answer of the site takes
    overlay: Path | None = None

    @classmethod
    def load(cls, root: Path) -> SiteConfig:
        config: dict[str, Any] = yaml.safe_load((root / "_site.yaml").read_text()) or {}
        return cls(name=root.name, root=root, **config)


@dataclass(frozen=True)
class Hit:
    site: str
    path: str
    user_agent: str
    at: float = field(default_factory=time.monotonic)  # when the request arrived


class FixtureServer:
    def __init__(self, sites_dir: Path = SITES_DIR, lifetime: float = 900.0) -> None:
        self.sites = {
            s.name: s for s in map(SiteConfig.load, sorted(sites_dir.iterdir())) if s.root.is_dir()
        }
        self.base = dict(self.sites)
        self.overlay: Path | None = None
        self.lifetime = lifetime
        self.hits: list[Hit] = []
        self._lock = threading.Lock()
        # Requests being answered now, and the most at once, by site (politeness tests).
        self.in_flight: dict[str, int] = {}
        self.most_in_flight: dict[str, int] = {}
        self._servers: dict[str, ThreadingHTTPServer] = {}
        self._timer: threading.Timer | None = None

    def __enter__(self) -> FixtureServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def start(self) -> None:
        for site in self.sites.values():
            server = ThreadingHTTPServer((site.host, 0), _handler(self, site))
            server.daemon_threads = True
            self._servers[site.name] = server
            threading.Thread(target=server.serve_forever, name=site.name, daemon=True).start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        for server in self._servers.values():
            server.shutdown()
            server.server_close()
        self._servers.clear()

    def use_overlay(self, overlay: Path | None) -> None:
        """Serve a second version of the sites: a file in `overlay/<site>/` replaces the
        site's own, and an `_site.yaml` there adds to (and overrides) the site's config."""
        self.overlay = overlay
        for name, base in self.base.items():
            folder = overlay / name if overlay else None
            extra: dict[str, Any] = {}
            if folder and (folder / "_site.yaml").is_file():
                extra = yaml.safe_load((folder / "_site.yaml").read_text()) or {}
            self.sites[name] = SiteConfig(
                name=name,
                root=base.root,
                host=base.host,
                redirects={**base.redirects, **extra.get("redirects", {})},
                slow={**base.slow, **extra.get("slow", {})},
                status={**base.status, **extra.get("status", {})},
                content_types={**base.content_types, **extra.get("content_types", {})},
                headers={**base.headers, **extra.get("headers", {})},
                latency=float(extra.get("latency", base.latency)),
                overlay=folder if folder and folder.is_dir() else None,
            )

    def url(self, site: str, path: str = "/") -> str:
        host, port = self._servers[site].server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def fill_in(self, body: bytes, site: str) -> bytes:
        """Put the live addresses into a page: @@BASE@@ is the site's own base URL (no
        trailing slash), @@URL:name@@ another site's (with its trailing slash)."""
        if b"@@" not in body:
            return body
        body = body.replace(b"@@BASE@@", self.url(site).rstrip("/").encode())
        for name in self._servers:
            body = body.replace(f"@@URL:{name}@@".encode(), self.url(name).encode())
        return body

    def write_clinic_list(self, template: Path, out: Path) -> Path:
        """A clinic list from a template naming the sites (@@URL:name@@), with @@DEAD@@
        standing for a site that does not answer."""
        text = self.fill_in(template.read_bytes(), next(iter(self._servers))).decode()
        out.write_text(text.replace("@@DEAD@@", dead_url()))
        return out

    def record(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    def answering(self, site: str, change: int) -> None:
        """Count a request in (+1) or out (-1) of those being answered for a site."""
        with self._lock:
            now = self.in_flight.get(site, 0) + change
            self.in_flight[site] = now
            self.most_in_flight[site] = max(self.most_in_flight.get(site, 0), now)

    def paths(self, site: str) -> list[str]:
        with self._lock:
            return [h.path for h in self.hits if h.site == site]


def dead_url() -> str:
    """A URL where nothing listens (a port bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def _handler(server: FixtureServer, site: SiteConfig) -> type[BaseHTTPRequestHandler]:
    name = site.name

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FixtureClinic/1.0"

        def do_GET(self) -> None:
            server.answering(name, +1)
            try:
                self.answer()
            finally:
                server.answering(name, -1)

        def answer(self) -> None:
            path = urlsplit(self.path).path
            site = server.sites[name]  # the current version of the site
            server.record(Hit(site.name, self.path, self.headers.get("User-Agent", "")))
            if site.latency:
                time.sleep(site.latency)
            if path in site.slow:
                time.sleep(site.slow[path])
            if path in site.redirects:
                self.send(HTTPStatus.MOVED_PERMANENTLY, b"", {"Location": site.redirects[path]})
            elif path in site.status:
                body = f"<html><body><h1>Error {site.status[path]}</h1></body></html>".encode()
                headers = {"Content-Type": "text/html", **site.headers.get(path, {})}
                self.send(site.status[path], body, headers)
            elif (file := _resolve_in(site, path)) is not None:
                content_type = site.content_types.get(path) or TYPES.get(file.suffix, "text/html")
                body = server.fill_in(file.read_bytes(), site.name)
                etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
                if self.headers.get("If-None-Match") == etag:
                    self.send(HTTPStatus.NOT_MODIFIED, b"", {"ETag": etag})
                else:
                    self.send(HTTPStatus.OK, body, {"Content-Type": content_type, "ETag": etag})
            else:
                body = b"<html><body><h1>Page not found</h1></body></html>"
                self.send(HTTPStatus.NOT_FOUND, body, {"Content-Type": "text/html"})

        def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for header, value in headers.items():
                self.send_header(header, value)
            if status != HTTPStatus.NOT_MODIFIED:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # requests are recorded in server.hits

    return Handler


def _resolve_in(site: SiteConfig, path: str) -> Path | None:
    """The file for a path: the overlay's, if it has one, else the site's own."""
    if site.overlay is not None and (file := _resolve(site.overlay, path)) is not None:
        return file
    return _resolve(site.root, path)


def _resolve(root: Path, path: str) -> Path | None:
    """The file for a URL path: /x -> x, x.html or x/index.html; nothing outside root."""
    relative = unquote(path).lstrip("/")
    if relative.startswith("_") or ".." in relative.split("/"):
        return None
    base = root / relative
    for candidate in (base, base.with_name(base.name + ".html"), base / "index.html"):
        if candidate.is_file() and root.resolve() in candidate.resolve().parents:
            return candidate
    return None
