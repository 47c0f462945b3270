"""WARC evidence: records that verify, hashes that match, clean files after a crash."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from scanner.crawl.warc import WarcEvidence, read_record, sha256_base32
from scanner.models import FetchedPage


def fetched(url: str, body: bytes, headers: list[tuple[str, str]] | None = None) -> FetchedPage:
    return FetchedPage(
        clinic_id="bone",
        url=url,
        final_url=url,
        status=200,
        depth=0,
        fetched_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        request_headers=[("User-Agent", "claimscan-test")],
        response_headers=headers or [("Content-Type", "text/html")],
        body=body,
        content_type="text/html",
        page=None,
    )


def warcio_check(path: Path) -> subprocess.CompletedProcess[str]:
    warcio = Path(sys.executable).parent / "warcio"
    return subprocess.run([str(warcio), "check", str(path)], capture_output=True, text=True)


def test_a_response_record_holds_the_body_and_its_sha256(tmp_path: Path) -> None:
    evidence = WarcEvidence(tmp_path / "run.warc.gz")
    ref, sha256 = evidence.write(fetched("https://bone.test/", b"<p>Rebuild bone</p>"))
    evidence.close()
    record, body = read_record(ref.file, ref.offset)
    assert body == b"<p>Rebuild bone</p>"
    assert sha256 == hashlib.sha256(body).hexdigest()
    assert record.rec_headers.get_header("WARC-Record-ID") == ref.record_id
    assert record.rec_headers.get_header("WARC-Payload-Digest") == sha256_base32(
        bytes.fromhex(sha256)
    )
    assert record.rec_headers.get_header("WARC-Target-URI") == "https://bone.test/"
    assert record.rec_headers.get_header("WARC-Date") == "2026-01-02T03:04:05Z"


def test_each_response_has_a_request_record_pointing_to_it(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    evidence = WarcEvidence(path)
    ref, _ = evidence.write(fetched("https://bone.test/a?x=1", b"a"))
    evidence.close()
    with path.open("rb") as handle:
        records = [(r.rec_type, r.rec_headers) for r in ArchiveIterator(handle)]
    assert [t for t, _ in records] == ["warcinfo", "response", "request"]
    assert records[2][1].get_header("WARC-Concurrent-To") == ref.record_id


def test_warcio_check_passes_on_the_file(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    evidence = WarcEvidence(path)
    for n in range(3):
        evidence.write(fetched(f"https://bone.test/{n}", f"page {n}".encode() * 100))
    evidence.close()
    result = warcio_check(path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_decoded_body_drops_its_content_encoding_header(tmp_path: Path) -> None:
    headers = [("Content-Type", "text/html"), ("Content-Encoding", "gzip"), ("Content-Length", "9")]
    evidence = WarcEvidence(tmp_path / "run.warc.gz")
    ref, _ = evidence.write(fetched("https://bone.test/", b"plain body", headers))
    evidence.close()
    record, _ = read_record(ref.file, ref.offset)
    assert record.http_headers.get_header("Content-Encoding") is None
    assert record.http_headers.get_header("Content-Length") == "10"
    assert warcio_check(Path(ref.file)).returncode == 0


def test_resuming_cuts_off_records_that_no_snapshot_points_to(tmp_path: Path) -> None:
    path = tmp_path / "run.warc.gz"
    evidence = WarcEvidence(path)
    kept, _ = evidence.write(fetched("https://bone.test/kept", b"kept"))
    evidence.write(fetched("https://bone.test/orphan", b"written, but never stored"))
    evidence.close()
    with path.open("ab") as handle:  # and a crash in the middle of a record
        handle.write(b"\x1f\x8b\x08\x00garbage")

    resumed = WarcEvidence(path, resume_at=kept.offset + kept.length)
    resumed.write(fetched("https://bone.test/next", b"next"))
    resumed.close()

    with path.open("rb") as handle:
        uris = [
            r.rec_headers.get_header("WARC-Target-URI")
            for r in ArchiveIterator(handle)
            if r.rec_type == "response"
        ]
    assert uris == ["https://bone.test/kept", "https://bone.test/next"]
    assert warcio_check(path).returncode == 0


def test_a_redirect_to_anything_is_archived_under_the_requested_url(tmp_path: Path) -> None:
    """A hostile Location (a script URL, another host) stays in the response's headers as it
    came; the records name the URL that was requested, and the file stays valid."""
    page = fetched("https://clinic.test/offer", b"", [("Location", "javascript:alert(1)")])
    hop = page.model_copy(update={"status": 302, "final_url": "javascript:alert(1)"})
    evidence = WarcEvidence(tmp_path / "x.warc.gz")
    evidence.write(hop)
    evidence.close()
    with (tmp_path / "x.warc.gz").open("rb") as handle:
        records = [r for r in ArchiveIterator(handle) if r.rec_type in ("request", "response")]
    assert {r.rec_headers.get_header("WARC-Target-URI") for r in records} == {
        "https://clinic.test/offer"
    }
    [response] = [r for r in records if r.rec_type == "response"]
    assert response.http_headers.get_header("Location") == "javascript:alert(1)"
    assert warcio_check(tmp_path / "x.warc.gz").returncode == 0
