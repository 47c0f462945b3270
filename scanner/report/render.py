"""Render report data: HTML (Jinja2 templates in reports/), PDF (WeasyPrint, from the same
HTML), JSON (validated against the shipped schema) and CSV (one row per occurrence of each claim the
report presents, with its id and verdict).

Scraped text is hostile: templates autoescape everything, undefined names are errors, the
scraped text is only ever data handed to a template (never a template itself), the PDF
renderer may fetch nothing, and CSV cells that a spreadsheet would run are neutralised.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scanner.detect.rules import SEVERITIES
from scanner.errors import ClaimscanError
from scanner.models import SOURCE_NOTES
from scanner.output import csv_cell, iso
from scanner.report.models import Bar, Chart, ChartRow, HtmlContext, ReportData
from scanner.resources import data_dir

if TYPE_CHECKING:
    from scanner.report.visuals import Visuals

FORMATS = ("html", "pdf", "json", "csv")
CHART_WIDTH, LABEL_WIDTH, ROW_HEIGHT = 640.0, 220.0, 28.0
CSV_COLUMNS = [
    "clinic_id", "clinic_name", "country", "region", "claim_number", "claim_id", "verdict",
    "reviewer", "decided_at_utc", "review_note", "rule_id", "category", "categories",
    "severity", "strength", "sentence", "matched_text", "url", "heading", "block", "source",
    "captured_at_utc", "sha256", "warc_record_id", "snapshot_id", "disclosures",
    "rule_pack_version",
]  # fmt: skip
COLOURS = {"high": "#a4262c", "medium": "#c5701a", "low": "#6b7d8c"}
PRESENTED = {
    "all": "confirmed and not yet reviewed",
    "confirmed": "confirmed only",
    "open": "not yet reviewed only",
}


def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(data_dir("reports")),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["utc"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "—"
    env.filters["day"] = lambda moment: moment.strftime("%d %B %Y") if moment else "—"
    env.filters["label"] = lambda name: str(name).replace("_", " ")
    return env


def chart(data: ReportData) -> Chart:
    """A horizontal bar per clinic, one piece per severity, scaled to the largest total."""
    most = max((row.total for row in data.summary), default=0) or 1
    scale = (CHART_WIDTH - LABEL_WIDTH - 40) / most
    rows = []
    for i, row in enumerate(data.summary):
        x, bars = LABEL_WIDTH, []
        note = "" if row.reachable else "website not reviewed"
        for severity in SEVERITIES:
            count = row.by_severity.get(severity, 0)
            if count:
                bars.append(
                    Bar(
                        x=round(x, 1), width=round(count * scale, 1), severity=severity, count=count
                    )
                )
                x += count * scale
        label = row.clinic_name if len(row.clinic_name) <= 32 else row.clinic_name[:31] + "…"
        rows.append(
            ChartRow(
                label=label,
                y=i * ROW_HEIGHT + 24,
                bars=bars,
                total=row.total,
                total_x=round(x + 6, 1),
                note=note,
            )
        )
    step = max(1, -(-most // 5))
    ticks = [(round(LABEL_WIDTH + n * scale, 1), n) for n in range(0, most + 1, step)]
    title = f"Claims per clinic by severity ({PRESENTED[data.scope.only]})"
    return Chart(title=title, width=CHART_WIDTH, height=len(rows) * ROW_HEIGHT + 44,
                 label_width=LABEL_WIDTH, rows=rows, ticks=ticks)  # fmt: skip


def render_html(data: ReportData, visuals: Visuals | None = None) -> str:
    context = HtmlContext(
        data=data,
        chart=chart(data),
        severities=list(SEVERITIES),
        colours=COLOURS,
        presented=PRESENTED[data.scope.only],
        notes=SOURCE_NOTES,
        crops=visuals.crops if visuals else {},
        shots=visuals.shots if visuals else [],
    )
    return templates().get_template("report.html").render(report=context)


def render_pdf(html: str, target: Path) -> None:
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except OSError as exc:  # its system libraries (pango) are missing
        raise ClaimscanError(
            f"cannot make a PDF: {exc}. Install pango (apt-get install libpango-1.0-0 "
            "libpangoft2-1.0-0) or choose --format html,json,csv"
        ) from None
    # A report is self-contained: the renderer fetches nothing; its pictures are data: URIs.
    HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(target)


def render_json(data: ReportData) -> str:
    return data.model_dump_json(indent=2) + "\n"


def json_schema() -> dict[str, Any]:
    schema = ReportData.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://github.com/claimscan/claimscan/reports/report.schema.json"
    return schema


def schema_path() -> Path:
    return data_dir("reports") / "report.schema.json"


def render_csv(data: ReportData) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for clinic in data.clinics:
        for claim in clinic.claims + clinic.open_claims:
            review = claim.review if claim.status != "open" else None
            for occurrence in claim.occurrences:
                row = [
                    clinic.id, clinic.name, clinic.country, clinic.region, claim.number,
                    claim.history.claim_id if claim.history else "", claim.status,
                    review.reviewer if review else "",
                    iso(review.decided_at) if review else "", review.note if review else "",
                    claim.rule_id, claim.category, " | ".join(claim.categories), claim.severity,
                    claim.strength, claim.sentence, claim.matched, occurrence.url,
                    occurrence.heading, occurrence.block, occurrence.source,
                    iso(occurrence.captured_at), occurrence.sha256, occurrence.warc_record_id,
                    occurrence.snapshot_id, " | ".join(claim.disclosures),
                    data.scope.rule_pack_version,
                ]  # fmt: skip
                writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def write_report(
    data: ReportData, out: Path, formats: list[str], visuals: Visuals | None = None
) -> list[Path]:
    """Write one file per format into `out`; return their paths. `visuals` (crops of the
    screenshots) go into the HTML and PDF."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    html = render_html(data, visuals) if {"html", "pdf"} & set(formats) else ""
    for fmt in formats:
        path = out / f"report.{fmt}"
        if fmt == "html":
            path.write_text(html, encoding="utf-8")
        elif fmt == "pdf":
            render_pdf(html, path)
        elif fmt == "json":
            text = render_json(data)
            _validate(json.loads(text))
            path.write_text(text, encoding="utf-8")
        elif fmt == "csv":
            path.write_text(render_csv(data), encoding="utf-8")
        written.append(path)
    return written


def _validate(document: dict[str, Any]) -> None:
    jsonschema.validate(document, json.loads(schema_path().read_text()))
