"""Reports: golden HTML and JSON from a fixed store, a schema that holds, CSV for tools, a
PDF with the quotes in it, and scraped text that stays inert everywhere.

Regenerate the golden files after an intended change:
    CLAIMSCAN_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import jsonschema
import pytest
from pypdf import PdfReader

from scanner.detect.rules import load_pack
from scanner.report.build import build_report
from scanner.report.models import ReportData
from scanner.report.render import (
    json_schema,
    render_csv,
    render_html,
    render_json,
    schema_path,
    write_report,
)
from scanner.store import Store
from tests.conftest import claimscan
from tests.report_store import HOSTILE, NOW, make_report_store

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("CLAIMSCAN_REGENERATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "fixed.db"
    make_report_store(path).close()
    return path


@pytest.fixture(scope="module")
def data(store_path: Path) -> ReportData:
    return build_report(Store.open(str(store_path)), load_pack(), NOW)


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if REGENERATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        f"{name} differs from the golden file; if the change is intended, run "
        "CLAIMSCAN_REGENERATE_GOLDEN=1 .venv/bin/pytest tests/test_report.py"
    )


def test_the_html_report_matches_its_golden_file(data: ReportData) -> None:
    golden("report.html", render_html(data))


def test_the_json_report_matches_its_golden_file(data: ReportData) -> None:
    golden("report.json", render_json(data))


def test_the_json_report_follows_the_shipped_schema(data: ReportData) -> None:
    jsonschema.validate(json.loads(render_json(data)), json.loads(schema_path().read_text()))


def test_the_shipped_schema_is_the_models_schema() -> None:
    assert json.loads(schema_path().read_text()) == json_schema(), (
        "reports/report.schema.json is stale: regenerate it from scanner.report.models"
    )


def test_a_claim_on_several_pages_appears_once_with_every_page(data: ReportData) -> None:
    [bonewell] = [c for c in data.clinics if c.id == "bonewell"]
    [claim] = [c for c in bonewell.claims if c.sentence.startswith("Our mesenchymal")]
    assert [o.url for o in claim.occurrences] == [
        "https://bonewell.test/", "https://bonewell.test/osteoporosis",
    ]  # fmt: skip


def test_claims_carry_the_highlight_and_their_context(data: ReportData) -> None:
    [bonewell] = [c for c in data.clinics if c.id == "bonewell"]
    [claim] = [c for c in bonewell.claims if c.sentence.startswith("Our mesenchymal")]
    assert claim.before + claim.matched + claim.after == claim.sentence
    assert claim.matched == "reverse osteoporosis"
    assert claim.disclosures == ["These statements have not been evaluated by the FDA."]


def test_the_scope_counts_what_was_reviewed(data: ReportData) -> None:
    assert (data.scope.clinics, data.scope.pages) == (2, 4)
    assert data.scope.rule_pack_version == "claimscan-core 1.2"
    [haven] = [c for c in data.clinics if c.id == "jointhaven"]
    assert [n.url for n in haven.not_fetched] == ["https://jointhaven.test/prices"]


def test_min_severity_leaves_out_lesser_claims(store_path: Path) -> None:
    high = build_report(Store.open(str(store_path)), load_pack(), NOW, min_severity="high")
    assert {c.severity for clinic in high.clinics for c in clinic.claims} == {"high"}


def test_a_clinic_filter_keeps_only_that_clinic(store_path: Path) -> None:
    only = build_report(Store.open(str(store_path)), load_pack(), NOW, clinic_ids=["jointhaven"])
    assert [c.id for c in only.clinics] == ["jointhaven"]


def test_csv_has_one_row_per_claim_occurrence(data: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    occurrences = sum(len(c.occurrences) for clinic in data.clinics for c in clinic.claims)
    assert len(rows) == occurrences
    assert rows[0]["captured_at_utc"] == "2026-03-01T09:30:00Z"
    assert {r["claim_number"] for r in rows} >= {"1.1", "2.1"}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("<script>window.__pwned = 1</script>", "&lt;script&gt;window.__pwned = 1&lt;/script&gt;"),
        ('"><img src=x onerror=', "&#34;&gt;&lt;img src=x onerror="),
        ("{{ 7*7 }}", "{{ 7*7 }}"),
        ("{% raw %}", "{% raw %}"),
    ],
)
def test_scraped_markup_and_template_syntax_stay_plain_text_in_html(
    data: ReportData, raw: str, shown: str
) -> None:
    html = render_html(data)
    assert shown in html
    if raw != shown:
        assert raw not in html


def test_scraped_text_is_exact_in_json(data: ReportData) -> None:
    sentences = [
        claim["sentence"]
        for clinic in json.loads(render_json(data))["clinics"]
        for claim in clinic["claims"]
    ]
    assert any(HOSTILE.startswith(s.split(" in weeks")[0]) for s in sentences if "<script>" in s)


def test_csv_cells_that_would_run_as_formulas_are_neutralised(data: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    sentences = [r["sentence"] for r in rows if "HYPERLINK" in r["sentence"]]
    assert sentences and all(s.startswith("'=") for s in sentences)


def test_the_pdf_holds_the_quotes(data: ReportData, tmp_path: Path) -> None:
    [pdf] = write_report(data, tmp_path, ["pdf"])
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(pdf).pages)
    assert "Our mesenchymal stem cell infusions reverse osteoporosis in most patients." in text
    assert "Our PRP injections may help relieve knee pain." in text
    assert "{{ 7*7 }}" in text


def test_report_writes_every_format_and_prints_the_paths(store_path: Path, tmp_path: Path) -> None:
    result = claimscan("report", "--db", str(store_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    paths = [Path(line) for line in result.stdout.splitlines()]
    assert [p.name for p in paths] == ["report.html", "report.pdf", "report.json", "report.csv"]
    assert all(p.stat().st_size > 0 for p in paths)


def test_an_unknown_format_is_a_usage_error(store_path: Path, tmp_path: Path) -> None:
    result = claimscan(
        "report", "--db", str(store_path), "--out", str(tmp_path), "--format", "html,docx"
    )
    assert result.returncode == 2
    assert "choose from html, pdf, json, csv" in result.stderr


def test_a_report_for_a_clinic_not_in_the_store_is_refused(
    store_path: Path, tmp_path: Path
) -> None:
    result = claimscan("report", "--db", str(store_path), "--out", str(tmp_path / "r"),
                       "--clinic", "nosuch", "--format", "json")  # fmt: skip
    assert result.returncode == 2
    assert "no clinic 'nosuch' in the store" in result.stderr
    assert not (tmp_path / "r").exists()
