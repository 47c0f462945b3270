"""Scraped text stays inert wherever claimscan shows it."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from scanner.output import csv_cell, inert, write_records


def test_terminal_escape_sequences_are_shown_not_run() -> None:
    assert inert("red\x1b[31m alert\x07") == "red\\x1b[31m alert\\x07"


def test_newlines_and_tabs_stay() -> None:
    assert inert("a\nb\tc") == "a\nb\tc"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)"])
def test_csv_cells_that_would_run_as_formulas_are_neutralised(cell: str) -> None:
    assert csv_cell(cell) == "'" + cell


def test_ordinary_csv_cells_are_unchanged() -> None:
    assert csv_cell("Stem cells rebuild bone") == "Stem cells rebuild bone"


def test_csv_writes_times_as_utc_iso() -> None:
    out = io.StringIO()
    write_records([{"at": datetime(2026, 1, 2, tzinfo=UTC)}], "csv", ["at"], out)
    assert out.getvalue() == "at\n2026-01-02T00:00:00Z\n"


def test_json_lines_keep_text_exactly() -> None:
    out = io.StringIO()
    write_records([{"text": "<script>alert(1)</script> {{ 7*7 }}"}], "jsonl", ["text"], out)
    assert json.loads(out.getvalue()) == {"text": "<script>alert(1)</script> {{ 7*7 }}"}


def test_tables_print_markup_as_plain_text() -> None:
    out = io.StringIO()
    write_records([{"title": "[bold red]not markup[/] \x1b[2J"}], "table", ["title"], out)
    printed = out.getvalue()
    assert "[bold red]not markup[/]" in printed
    assert "\x1b" not in printed


def test_tables_off_a_terminal_keep_long_names_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    out = io.StringIO()  # a file, as in a cron log: not a terminal
    sentence = "Our stem cell protocol rebuilds lost bone density in twelve weeks. " * 2
    record = {"clinic": "renewbone-regenerative-institute", "sentence": sentence.strip()}
    write_records([record], "table", ["clinic", "sentence"], out)
    assert record["clinic"] in out.getvalue()
    assert record["sentence"] in out.getvalue()
