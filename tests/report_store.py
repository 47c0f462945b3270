"""A small, fixed store for report tests: three fictional clinics (one whose website could
not be reached), pages written in this file, hostile text included, scanned by the real
pipeline. Same input, same report, byte for byte. `review_some` adds reviewers' verdicts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from scanner.crawl.warc import WarcEvidence
from scanner.detect.scan import run_scan
from scanner.models import Clinic, ExtractedPage, FetchedPage, FetchFailure, TextBlock
from scanner.store import Store, WarcRef

NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)
CAPTURED = datetime(2026, 3, 1, 9, 30, 0, tzinfo=UTC)
HOSTILE = (
    'Our stem cells rebuild bone <script>window.__pwned = 1</script> "><img src=x '
    'onerror="window.__pwned = 2"> {{ 7*7 }} {% raw %} in weeks.'
)
FORMULA = '=HYPERLINK("http://evil.test","Stem cells cure arthritis") stem cells cure arthritis.'

PAGES = {
    "bonewell": [
        (
            "https://bonewell.test/",
            "Bonewell Clinic | Home",
            [
                ("h1", "Rebuild Bone Naturally With Stem Cells", None),
                (
                    "p",
                    "Our mesenchymal stem cell infusions reverse osteoporosis in most patients.",
                    "Rebuild Bone Naturally With Stem Cells",
                ),
                (
                    "li",
                    "No side effects, because the cells are your own.",
                    "Rebuild Bone Naturally With Stem Cells",
                ),
                ("p", "These statements have not been evaluated by the FDA.", None),
            ],
        ),
        (
            "https://bonewell.test/osteoporosis",
            "Osteoporosis | Bonewell",
            [
                ("h1", "Osteoporosis", None),
                (
                    "p",
                    "Osteoporosis thins the bones until a small fall breaks a hip.",
                    "Osteoporosis",
                ),
                (
                    "p",
                    "Our mesenchymal stem cell infusions reverse osteoporosis in most patients.",
                    "Osteoporosis",
                ),
                (
                    "p",
                    "There is no evidence that vitamins reverse osteoporosis, our doctors say.",
                    "Osteoporosis",
                ),
            ],
        ),
        (
            "https://bonewell.test/stories",
            "Patient stories | Bonewell",
            [
                ("blockquote", HOSTILE, "Patient stories"),
                ("blockquote", FORMULA, "Patient stories"),
            ],
        ),
    ],
    "jointhaven": [
        (
            "https://jointhaven.test/",
            "Joint Haven | PRP for knees",
            [
                ("h1", "PRP Injections for Knee Arthritis", None),
                (
                    "p",
                    "Our PRP injections may help relieve knee pain.",
                    "PRP Injections for Knee Arthritis",
                ),
                ("p", "Individual results may vary.", "PRP Injections for Knee Arthritis"),
            ],
        ),
    ],
}


def make_report_store(path: Path, warc_dir: Path | None = None) -> Store:
    """The fixed store; with `warc_dir`, each page is also archived for real (a WARC file
    under `warc_dir`), for tests that read evidence."""
    store = Store.open(str(path), clock=lambda: CAPTURED)
    evidence = WarcEvidence(warc_dir / "fixed.warc.gz") if warc_dir else None
    store.save_clinics([
        Clinic(id="bonewell", name="Bonewell Clinic", urls=("https://bonewell.test/",),
               country="US", region="TX"),
        Clinic(id="jointhaven", name="Joint Haven", urls=("https://jointhaven.test/",),
               country="GB"),
        Clinic(id="renewspine", name="Renew Spine", urls=("https://renewspine.test/",)),
    ])  # fmt: skip
    run = store.create_run("clinics.csv", "fixed", {"max_pages": 200}, "/evidence/fixed.warc.gz")
    record = 0
    for clinic_id, pages in PAGES.items():
        for url, title, blocks in pages:
            record += 1
            page = ExtractedPage(
                title=title,
                blocks=[
                    TextBlock(
                        tag=tag, text=text, locator=f"/html/body/{tag}[{i + 1}]", heading=heading
                    )
                    for i, (tag, text, heading) in enumerate(blocks)
                ],
            )
            body = "".join(
                f"<{tag}>{text}</{tag}>" for tag, text, _ in blocks
            ).encode()  # raw, hostile
            headers = [("Content-Type", "text/html")]
            fetched = FetchedPage(
                clinic_id=clinic_id, url=url, final_url=url, status=200, depth=0,
                fetched_at=CAPTURED, request_headers=[], response_headers=headers,
                body=body, content_type="text/html", page=page,
            )  # fmt: skip
            if evidence is not None:
                warc, sha256 = evidence.write(fetched)
            else:
                record_id = f"<urn:uuid:00000000-0000-0000-0000-{record:012d}>"
                warc, sha256 = (
                    WarcRef("/evidence/fixed.warc.gz", record_id, record * 1000, 900),
                    f"{record:064x}",
                )
            store.add_page(run.id, fetched, sha256, warc)
    store.add_failure(run.id, FetchFailure(
        clinic_id="jointhaven", url="https://jointhaven.test/prices", kind="http_error",
        message="HTTP 503", status=503, occurred_at=CAPTURED,
    ))  # fmt: skip
    store.add_failure(run.id, FetchFailure(
        clinic_id="renewspine", url="https://renewspine.test/", kind="connection",
        message="connection: Connection was refused by other side: 111", occurred_at=CAPTURED,
    ))  # fmt: skip
    store.mark_run(run.id, "completed", {"pages": record})
    if evidence is not None:
        evidence.close()
    run_scan(store)
    return store


def review_some(store: Store) -> None:
    """Verdicts as a review leaves them: the osteoporosis and knee pain claims confirmed,
    the side-effects claim dismissed, the patient stories not yet reviewed."""
    for claim in store.claims():
        if "reverse osteoporosis" in claim.sentence or "knee pain" in claim.sentence:
            store.set_verdict(claim.id, "confirmed", "Checked on the live page.", "Ana")
        elif "No side effects" in claim.sentence:
            store.set_verdict(claim.id, "dismissed", "Part of a quoted FAQ.", "Ana")
