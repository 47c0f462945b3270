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
from markupsafe import escape
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
from tests.report_store import HOSTILE, NOW, make_report_store, review_some

GOLDEN = Path(__file__).parent / "golden"
REGENERATE = os.environ.get("CLAIMSCAN_REGENERATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "fixed.db"
    store = make_report_store(path)
    review_some(store)
    store.close()
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
    assert (data.scope.clinics, data.scope.clinics_unreachable, data.scope.pages) == (3, 1, 4)
    assert data.scope.rule_pack_version == "claimscan-core 1.4"
    [haven] = [c for c in data.clinics if c.id == "jointhaven"]
    assert [n.url for n in haven.not_fetched] == ["https://jointhaven.test/prices"]


def test_confirmed_claims_are_the_findings_and_open_ones_stand_apart(data: ReportData) -> None:
    [bonewell] = [c for c in data.clinics if c.id == "bonewell"]
    assert [c.matched for c in bonewell.claims] == ["reverse osteoporosis"]
    assert {c.status for c in bonewell.claims} == {"confirmed"}
    assert {c.status for c in bonewell.open_claims} == {"open"}
    assert len(bonewell.open_claims) == 3
    assert [c.number for c in bonewell.claims + bonewell.open_claims] == [
        "1.1", "1.2", "1.3", "1.4",
    ]  # fmt: skip
    assert bonewell.by_verdict == {"confirmed": 1, "open": 3, "dismissed": 1}
    scope = data.scope
    assert (scope.confirmed, scope.open, scope.dismissed, scope.draft) == (2, 3, 1, True)


def test_dismissed_claims_are_left_out_and_counted(data: ReportData) -> None:
    sentences = [c.sentence for s in data.clinics for c in s.claims + s.open_claims]
    assert not any("No side effects" in s for s in sentences)
    html = render_html(data)
    assert "No side effects" not in html
    assert "1 dismissed by reviewers (not shown)" in html
    assert "were dismissed and are not reported" in html


def test_a_report_with_open_claims_is_marked_draft(data: ReportData) -> None:
    html = render_html(data)
    assert "DRAFT — this report includes 3 claims" in html
    assert "NOT YET REVIEWED".lower() in html.lower()
    assert html.count('class="badge open"') == 3


def test_only_confirmed_says_when_a_clinic_has_claims_but_none_confirmed(
    store_path: Path, tmp_path: Path
) -> None:
    path = tmp_path / "undecided.db"
    make_report_store(path).close()  # scanned, nobody has reviewed anything yet
    data = build_report(Store.open(str(path)), load_pack(), NOW, only="confirmed")
    [bonewell] = [c for c in data.clinics if c.id == "bonewell"]
    assert bonewell.claims == [] and bonewell.open_claims == []
    html = render_html(data)
    assert "5 claims flagged, none confirmed yet" in html
    assert "No claims of" not in html.split('id="clinic-bonewell"')[1].split("</section>")[0]
    assert data.scope.draft is False and "DRAFT" not in html


def test_an_unreachable_clinic_is_its_own_case_with_its_reason(data: ReportData) -> None:
    [spine] = [c for c in data.clinics if c.id == "renewspine"]
    assert not spine.reachable
    assert [(n.kind, n.message) for n in spine.not_fetched] == [
        ("connection", "Connection was refused by other side: 111"),
    ]  # the kind is not repeated in the reason
    [row] = [r for r in data.summary if r.clinic_id == "renewspine"]
    html = render_html(data)
    assert "website could not be reviewed" in html
    assert "connection: Connection was refused by other side: 111" in html
    assert "connection: connection:" not in html.lower()
    assert row.reachable is False


def test_the_rules_are_explained_once_in_the_appendix(data: ReportData) -> None:
    html = render_html(data)
    used = {c.rule_id for s in data.clinics for c in s.claims + s.open_claims}
    assert {r.id for r in data.rules} == used
    for rule in data.rules:
        assert html.count(str(escape(rule.rationale))) == 1
        assert f'id="rule-{rule.id}"' in html


def test_min_severity_leaves_out_lesser_claims(store_path: Path) -> None:
    high = build_report(Store.open(str(store_path)), load_pack(), NOW, min_severity="high")
    shown = [c for clinic in high.clinics for c in clinic.claims + clinic.open_claims]
    assert shown and {c.severity for c in shown} == {"high"}


def test_a_clinic_filter_keeps_only_that_clinic(store_path: Path) -> None:
    only = build_report(Store.open(str(store_path)), load_pack(), NOW, clinic_ids=["jointhaven"])
    assert [c.id for c in only.clinics] == ["jointhaven"]


def test_csv_has_one_row_per_claim_occurrence(data: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    claims = [c for clinic in data.clinics for c in clinic.claims + clinic.open_claims]
    assert len(rows) == sum(len(c.occurrences) for c in claims)
    assert rows[0]["captured_at_utc"] == "2026-03-01T09:30:00Z"
    assert {r["claim_number"] for r in rows} >= {"1.1", "2.1"}


def test_csv_rows_carry_the_claim_id_and_its_verdict(data: ReportData) -> None:
    rows = list(csv.DictReader(io.StringIO(render_csv(data))))
    confirmed = [r for r in rows if r["verdict"] == "confirmed"]
    assert confirmed and all(len(r["claim_id"]) == 16 for r in rows)
    assert {(r["reviewer"], r["review_note"]) for r in confirmed} == {
        ("Ana", "Checked on the live page."),
    }  # fmt: skip
    assert all(r["decided_at_utc"] == "2026-03-01T09:30:00Z" for r in confirmed)
    assert {r["verdict"] for r in rows} == {"confirmed", "open"}
    assert all(r["reviewer"] == "" for r in rows if r["verdict"] == "open")


def test_text_not_shown_on_the_page_is_named_for_where_it_came_from(data: ReportData) -> None:
    sources = {
        o.source
        for s in data.clinics
        for c in s.claims + s.open_claims
        for o in c.occurrences
        if c.sentence == "Rebuild Bone Naturally With Stem Cells"
    }
    assert sources == {"text"}
    html = render_html(data)
    assert "in the page title" not in html  # no claim here comes from a title


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
        for claim in clinic["claims"] + clinic["open_claims"]
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


def test_claims_show_their_verdicts_and_filter_by_them(store_path: Path) -> None:
    result = claimscan("claims", "--db", str(store_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    verdicts = {c["verdict"] for c in listed}
    assert verdicts == {"confirmed", "dismissed", "open"}
    [dismissed] = [c for c in listed if c["verdict"] == "dismissed"]
    assert (dismissed["reviewer"], dismissed["note"]) == ("Ana", "Part of a quoted FAQ.")
    args = ("claims", "--db", str(store_path), "--verdict", "confirmed", "--format", "json")
    confirmed = json.loads(claimscan(*args).stdout)
    assert len(confirmed) == 2 and {c["verdict"] for c in confirmed} == {"confirmed"}
    table = claimscan("claims", "--db", str(store_path), "--verdict", "open").stdout
    assert "verdict" in table and "open" in table and "confirmed" not in table
