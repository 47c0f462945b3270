"""Evidence: every response written as WARC response + request records (one file per run).

Digests are SHA-256, so a response record's WARC-Payload-Digest is the snapshot's sha256 (in
base32, as WARC writes digests). Bodies are stored decoded (no Content-Encoding), with the
headers adjusted to match, so `warcio check` verifies every record.
"""

from __future__ import annotations

import base64
import hashlib
import socket
from datetime import datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from scanner import __version__
from scanner.models import FetchedPage
from scanner.store import PreviousPage, WarcRef

DROPPED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
SERVER_NOT_MODIFIED = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


class _Sha256WARCWriter(WARCWriter):
    @staticmethod
    def _create_digester() -> Digester:
        return Digester("sha256")


def sha256_base32(digest: bytes) -> str:
    return "sha256:" + base64.b32encode(digest).decode()


class WarcEvidence:
    """Appends records to one WARC file; `resume_at` cuts off records no snapshot points to."""

    def __init__(
        self, path: Path, resume_at: int | None = None, info: dict[str, str] | None = None
    ):
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = resume_at is None or not path.exists()
        self.file: IO[bytes] = path.open("wb" if fresh else "r+b")
        if not fresh:
            assert resume_at is not None
            self.file.truncate(resume_at)
            self.file.seek(resume_at)
        self.writer = _Sha256WARCWriter(self.file, gzip=True, warc_version="1.1")
        if fresh:
            self._write_warcinfo(info or {})

    def _write_warcinfo(self, info: dict[str, str]) -> None:
        fields = {
            "software": f"claimscan/{__version__}",
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
            **info,
        }
        self.writer.write_record(self.writer.create_warcinfo_record(self.path.name, fields))
        self.file.flush()

    def write(self, page: FetchedPage) -> tuple[WarcRef, str]:
        """Write the response and its request; return where the response is and its sha256."""
        body_digest = hashlib.sha256(page.body).digest()
        warc_date = _warc_date(page.fetched_at)
        http_headers = StatusAndHeaders(
            f"{page.status} {_reason(page.status)}",
            [(k, v) for k, v in page.response_headers if k.lower() not in DROPPED_HEADERS]
            + [("Content-Length", str(len(page.body)))],
            protocol="HTTP/1.1",
        )
        # A record names the URL that was requested: a redirect's target is in its Location
        # header, kept as it came, and gets records of its own when it is fetched.
        response = self.writer.create_warc_record(
            page.url,
            "response",
            payload=BytesIO(page.body),
            length=len(page.body),
            http_headers=http_headers,
            warc_headers_dict={
                "WARC-Date": warc_date,
                "WARC-Payload-Digest": sha256_base32(body_digest),
            },
        )
        request = self._request_record(page, warc_date)
        return self._write_pair(response, request), body_digest.hex()

    def _request_record(self, page: FetchedPage, warc_date: str) -> Any:
        return self.writer.create_warc_record(
            page.url,
            "request",
            payload=BytesIO(b""),
            length=0,
            http_headers=StatusAndHeaders(
                f"GET {_request_target(page.url)} HTTP/1.1",
                _request_headers(page),
                protocol="",
                is_http_request=True,
            ),
            warc_headers_dict={"WARC-Date": warc_date},
        )

    def _write_pair(self, response: Any, request: Any) -> WarcRef:
        """The response (or revisit) record, then its request; flushed before returning."""
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        request.rec_headers.add_header("WARC-Concurrent-To", record_id)
        offset = self.file.tell()
        self.writer.write_record(response)
        length = self.file.tell() - offset
        self.writer.write_record(request)
        self.file.flush()
        return WarcRef(str(self.path), record_id, offset, length)

    def write_revisit(self, page: FetchedPage, original: PreviousPage) -> tuple[WarcRef, str]:
        """A 304 answer: a revisit record (profile server-not-modified) that refers to the
        earlier response record, and the request that got it."""
        warc_date = _warc_date(page.fetched_at)
        http_headers = StatusAndHeaders(
            f"{page.status} {_reason(page.status)}",
            [(k, v) for k, v in page.response_headers if k.lower() not in DROPPED_HEADERS],
            protocol="HTTP/1.1",
        )
        revisit = self.writer.create_revisit_record(
            page.url,
            sha256_base32(bytes.fromhex(original.sha256)),
            original.url,
            _warc_date(original.captured_at),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": warc_date, "WARC-Refers-To": original.warc_record_id},
        )
        revisit.rec_headers.replace_header("WARC-Profile", SERVER_NOT_MODIFIED)
        request = self._request_record(page, warc_date)
        return self._write_pair(revisit, request), original.sha256

    def write_resource(
        self,
        url: str,
        payload: bytes,
        content_type: str,
        captured_at: datetime,
        refers_to: str | None = None,
        record_type: str = "resource",
    ) -> tuple[WarcRef, str]:
        """A resource (a screenshot) or metadata record about `url`, with its SHA-256;
        `refers_to` is the record id of the response it was made from."""
        digest = hashlib.sha256(payload).digest()
        headers = {
            "WARC-Date": _warc_date(captured_at),
            "WARC-Payload-Digest": sha256_base32(digest),
        }
        if refers_to:
            headers["WARC-Refers-To"] = refers_to
        record = self.writer.create_warc_record(
            url,
            record_type,
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type=content_type,
            warc_headers_dict=headers,
        )
        offset = self.file.tell()
        self.writer.write_record(record)
        length = self.file.tell() - offset
        self.file.flush()
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        return WarcRef(str(self.path), record_id, offset, length), digest.hex()

    def close(self) -> None:
        self.file.close()


def read_record(path: str, offset: int) -> tuple[Any, bytes]:
    """The WARC record at `offset` of `path`, and its payload (the HTTP body, decoded)."""
    with Path(path).open("rb") as handle:
        handle.seek(offset)
        record = next(iter(ArchiveIterator(handle)))
        body = record.content_stream().read()
        return record, body


def _warc_date(moment: datetime) -> str:
    return str(datetime_to_iso_date(moment.replace(tzinfo=None), use_micros=True))


def _request_target(url: str) -> str:
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def _request_headers(page: FetchedPage) -> list[tuple[str, str]]:
    headers = list(page.request_headers)
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", urlsplit(page.url).netloc))
    return headers


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
