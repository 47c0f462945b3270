"""Name what went wrong with a request, in terms a researcher can read in a report."""

from __future__ import annotations

from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils._compression import _DecompressionMaxSizeExceeded
from twisted.internet import error as net
from twisted.internet.defer import CancelledError
from twisted.python.failure import Failure
from twisted.web._newclient import ResponseFailed, ResponseNeverReceived

from scanner.models import FetchErrorKind


class BudgetSpent(IgnoreRequest):
    """The clinic's page budget is spent: the request is dropped, which is not an error."""


class OffsiteRedirect(IgnoreRequest):
    """A redirect that leaves the clinic's own site."""


def classify_failure(failure: Failure) -> tuple[FetchErrorKind | None, str]:
    """(kind, message) of a failed request; kind None means: nothing to record."""
    exc = failure.value
    message = failure.getErrorMessage() or type(exc).__name__
    if isinstance(exc, BudgetSpent):
        return None, message
    if isinstance(exc, IgnoreRequest):
        if isinstance(exc.__cause__, _DecompressionMaxSizeExceeded):  # a compression bomb
            return "too_large", message
        if message.startswith("robots.txt could not be fetched"):
            return "robots_unavailable", message
        if "robots.txt" in message:
            return "robots_disallowed", "disallowed by robots.txt"
        return "other", message
    for kinds, kind in KINDS:
        if isinstance(exc, kinds):
            if kind == "connection" and _is_tls_failure(exc):
                return "tls", message
            return kind, message
    return ("tls" if _is_tls_failure(exc) else "other"), message


# Scrapy 2.19 wraps Twisted's errors in its own; both are listed, Scrapy's first.
KINDS: list[tuple[type[BaseException] | tuple[type[BaseException], ...], FetchErrorKind]] = [
    (HttpError, "http_error"),
    ((CannotResolveHostError, net.DNSLookupError), "dns"),
    ((DownloadTimeoutError, net.TimeoutError, net.TCPTimedOutError), "timeout"),
    # Scrapy cancels a download that outgrows DOWNLOAD_MAXSIZE.
    ((DownloadCancelledError, CancelledError), "too_large"),
    (
        (
            DownloadConnectionRefusedError,
            DownloadFailedError,
            ResponseDataLossError,
            net.ConnectError,
            net.ConnectionLost,
            net.ConnectionDone,
            ResponseFailed,
            ResponseNeverReceived,
        ),
        "connection",
    ),
]


def _is_tls_failure(exc: BaseException) -> bool:
    chain: list[object] = [exc, exc.__cause__, *(getattr(exc, "reasons", None) or [])]
    for item in chain:
        value = getattr(item, "value", item)
        text = f"{type(value).__module__}.{type(value).__name__} {value}"
        if "SSL" in text or "TLS" in text or "certificate" in text.lower():
            return True
    return False
