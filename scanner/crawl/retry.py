"""Retries that do what the server asked: a 429 or 503 answer with a Retry-After header is
tried again after that wait, not at once. A wait longer than MAX_RETRY_AFTER is not
waited for (a crawl of hundreds of sites should not stall on one): the page is recorded
as a fetch error of kind `retry_after_too_long`. Everything else is Scrapy's
RetryMiddleware as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.task import deferLater

MAX_RETRY_AFTER = 60.0  # seconds; AutoThrottle's longest delay too
TOO_LONG = "retry_after_too_long"  # set in request.meta to the wait asked for


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header's wait in seconds: a number of seconds, or an HTTP date. None
    when there is no header, or it says neither."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class RetryAfterMiddleware(RetryMiddleware):
    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        wait = None
        if response.status in (429, 503) and not request.meta.get("dont_retry", False):
            wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is not None:
            if wait > MAX_RETRY_AFTER:
                request.meta[TOO_LONG] = wait  # the response's meta is its request's
                return response
            if request.meta.get("retry_times", 0) < self.max_retry_times:
                # the running reactor (importing it at the top would install the default)
                from twisted.internet import reactor

                await maybe_deferred_to_future(deferLater(reactor, wait, lambda: None))
        return super().process_response(request, response)
