"""robots.txt read the conservative way: a site whose robots.txt does not answer in time
(it hangs, or answers 5xx) is not crawled, and the clinic gets a `robots_unavailable`
error, as RFC 9309 advises. Scrapy's RobotsTxtMiddleware would crawl such a site as if
everything were allowed, after waiting through every retry of the robots.txt request.

A robots.txt that is missing (404) allows everything, as before; one on a site that does
not answer at all (connection refused, no DNS) lets the page requests fail with their own,
more telling, errors.
"""

from __future__ import annotations

from typing import Any

from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from scanner.crawl.errors import classify_failure

ROBOTS_TIMEOUT = 10.0  # seconds for robots.txt, however long a page may take
UNAVAILABLE = "robots.txt could not be fetched"


class Unavailable:
    """Stands for a robots.txt that did not answer: it allows nothing."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def allowed(self, url: str, user_agent: Any) -> bool:
        return False


class ConservativeRobotsTxtMiddleware(RobotsTxtMiddleware):
    def process_request_2(self, rp: Any, request: Request) -> None:
        if isinstance(rp, Unavailable):
            raise IgnoreRequest(f"{UNAVAILABLE}: {rp.reason}")
        super().process_request_2(rp, request)

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._settle(netloc, Unavailable(f"HTTP {response.status}"))
            return
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        kind, message = classify_failure(Failure(exc))
        if kind == "timeout":
            self._settle(netloc, Unavailable(f"no answer in time ({message})"))
            return
        super()._robots_error(exc, netloc)

    def _settle(self, netloc: str, parser: Unavailable) -> None:
        waiting = self._parsers[netloc]
        self._parsers[netloc] = parser  # type: ignore[assignment]
        waiting.callback(parser)  # type: ignore[union-attr, arg-type]


class RobotsTimeoutMiddleware:
    """robots.txt requests get a short timeout and no retries."""

    def process_request(self, request: Request, spider: Any = None) -> None:
        if request.meta.get("dont_obey_robotstxt") and request.url.endswith("/robots.txt"):
            timeout = request.meta.get("download_timeout")
            request.meta["download_timeout"] = min(timeout or ROBOTS_TIMEOUT, ROBOTS_TIMEOUT)
            request.meta["max_retry_times"] = 0
