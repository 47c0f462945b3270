"""What keeps the review app safe to run beside hostile content.

- An access token, required on every request when the app listens beyond loopback: given
  once as `?token=...` (then kept in an HttpOnly, SameSite=Strict cookie), or as
  `Authorization: Bearer ...`.
- CSRF protection on every POST: a per-server random token in each form, and an Origin (or
  Referer) that must be this server.
- Headers on every response: a strict Content-Security-Policy (no inline script, nothing
  from elsewhere), nosniff, no framing by other sites, no referrer sent to other sites.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import URL
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_COOKIE = "claimscan_token"
# The Host names the app always answers to (the port aside).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
APP_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "frame-src 'self'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'; "
    "object-src 'none'"
)
# An archived page, rendered in a frame: no scripts, no forms, a unique origin, nothing fetched.
SANDBOX_POLICY = "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def new_secret() -> str:
    return secrets.token_urlsafe(24)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SecurityMiddleware:
    """Token check (when a token is set) and security headers, for every request."""

    def __init__(self, app: ASGIApp, token: str | None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.token is not None:
            given = request.query_params.get("token")
            if given is not None and same(given, self.token):
                # Trade the token in the address for a cookie, and drop it from the address.
                clean = URL(str(request.url)).remove_query_params("token")
                response: Response = RedirectResponse(
                    clean.path + (f"?{clean.query}" if clean.query else ""), 303
                )
                response.set_cookie(TOKEN_COOKIE, self.token, httponly=True, samesite="strict")
                await _with_headers(response)(scope, receive, send)
                return
            if not self._authorised(request):
                await _with_headers(PlainTextResponse("a valid access token is required", 401))(
                    scope, receive, send
                )
                return

        async def send_with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                for name, value in SECURITY_HEADERS.items():
                    if name.encode() not in names:
                        headers.append((name.encode(), value.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    def _authorised(self, request: Request) -> bool:
        assert self.token is not None
        cookie = request.cookies.get(TOKEN_COOKIE, "")
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        return same(cookie, self.token) or same(bearer, self.token)


SECURITY_HEADERS = {
    "content-security-policy": APP_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "same-origin",
    "cache-control": "no-store",
}


def _with_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def csrf_ok(request: Request, form_token: str, secret: str) -> bool:
    """The form carries this server's CSRF token, and the request comes from this server."""
    if not same(form_token or "", secret):
        return False
    origin = request.headers.get("origin") or request.headers.get("referer")
    if origin is None:
        return True  # not sent by every client; the token alone then decides
    return urlsplit(origin).netloc == request.headers.get("host", "")


def local_path(target: str, fallback: str = "/") -> str:
    """A redirect target that stays on this server ("/claims/x"), never "//evil" or a URL."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return fallback
