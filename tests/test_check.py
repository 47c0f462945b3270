"""`claimscan check`: detection on local files and single URLs, without a store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.demo.server import FixtureServer
from tests.conftest import FIXTURES, claimscan

PAGE = """\
Welcome to the Summit clinic.
Our stem cell injections rebuild worn cartilage in weeks.

There is no evidence that stem cells reverse osteoporosis.
Results may vary.
"""


def check(*args: str) -> tuple[Any, str]:
    result = CliRunner().invoke(cli, ["check", *args], standalone_mode=False)
    if result.exception:
        raise result.exception
    return result.return_value, result.stdout


def jsonl(*args: str) -> list[dict[str, Any]]:
    _, out = check("--format", "jsonl", *args)
    return [json.loads(line) for line in out.splitlines()]


@pytest.fixture
def text_page(tmp_path: Path) -> Path:
    path = tmp_path / "page.txt"
    path.write_text(PAGE)
    return path


def test_a_text_file_gives_one_finding_per_claim(text_page: Path) -> None:
    [finding] = jsonl(str(text_page))
    assert finding["source"] == str(text_page)
    assert finding["rule_id"] == "regeneration-tissue"
    assert finding["category"] == "regeneration"
    assert (finding["severity"], finding["strength"], finding["negated"]) == (
        "high",
        "assertive",
        False,
    )
    assert finding["sentence"] == "Our stem cell injections rebuild worn cartilage in weeks."


def test_offsets_of_a_text_file_count_characters_of_the_file(text_page: Path) -> None:
    [finding] = jsonl(str(text_page))
    assert PAGE[finding["start"] : finding["end"]] == finding["text"] == "rebuild worn cartilage"
    assert (finding["line"], finding["col"]) == (2, 1)


def test_all_adds_negated_matches_and_disclosures(text_page: Path) -> None:
    records = jsonl(str(text_page), "--all")
    negated = [r for r in records if r["kind"] == "claim" and r["negated"]]
    assert [r["reason"] for r in negated] == ["negation"]
    assert [r["sentence"] for r in records if r["kind"] == "disclosure"] == ["Results may vary."]


def test_the_text_format_names_path_line_and_column(text_page: Path) -> None:
    _, out = check(str(text_page))
    assert out.startswith(f"{text_page}:2:1: high regeneration-tissue [assertive] Our stem cell")


def test_json_is_one_array(text_page: Path) -> None:
    _, out = check(str(text_page), "--format", "json")
    assert [r["rule_id"] for r in json.loads(out)] == ["regeneration-tissue"]


def test_html_goes_through_the_crawlers_extraction(tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text(
        "<html><head><title>Stem Cells Rebuild Bone</title></head><body>"
        "<script>var x = 'stem cells cure everything';</script>"
        "<p>Our exosome injections relieve chronic knee pain.</p></body></html>"
    )
    findings = jsonl(str(page))
    assert [(f["line"], f["block"]) for f in findings] == [(1, "title"), (2, "p")]
    extracted = "Stem Cells Rebuild Bone\nOur exosome injections relieve chronic knee pain."
    for finding in findings:
        assert extracted[finding["start"] : finding["end"]] == finding["text"]


def test_a_windows_1252_page_is_read_right() -> None:
    page = FIXTURES / "html" / "claims-1252.html"
    [finding] = jsonl(str(page))
    assert (
        finding["sentence"]
        == "Dr. Morén’s “bone renewal” stem cell infusions rebuild lost bone density."
    )


def test_a_url_is_fetched_and_scanned() -> None:
    with FixtureServer(lifetime=60) as sites:
        url = sites.url("renewbone", "/treatments/osteoporosis")
        findings = jsonl(url)
    assert findings and all(f["source"] == url for f in findings)
    assert any(f["heading"] == "Stem Cell Therapy for Osteoporosis" for f in findings)


def test_exit_codes_tell_scripts_what_was_found(text_page: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean.txt"
    clean.write_text("Our clinic is open on Mondays.\n")
    assert claimscan("check", str(text_page)).returncode == 1
    assert claimscan("check", str(clean)).returncode == 0
    assert claimscan("check", str(tmp_path / "missing.txt")).returncode == 2
    assert claimscan("check", "http://127.0.0.1:9/nothing-listens").returncode == 2


def test_fail_on_sets_the_severity_that_fails(tmp_path: Path) -> None:
    page = tmp_path / "hedged.txt"
    page.write_text("Our stem cell injections may help relieve knee pain.\n")
    assert check(str(page), "--fail-on", "high")[0] == 0
    assert check(str(page), "--fail-on", "low")[0] == 1
    assert check(str(page), "--fail-on", "none")[0] == 0


def test_hostile_text_is_shown_inert(tmp_path: Path) -> None:
    page = tmp_path / "evil.txt"
    page.write_text("Our stem cells rebuild bone \x1b[2J\x1b]0;pwned\x07 in weeks.\n")
    _, out = check(str(page))
    assert "\x1b" not in out and "\\x1b[2J" in out


def test_a_block_too_long_for_spacy_is_read_in_pieces(tmp_path: Path) -> None:
    """spaCy refuses texts over a million characters; such a line (a page can hold one) is
    cut at sentence ends, and findings keep their places in the line."""
    filler = "Our clinic is open on weekdays from nine to five. " * 24_000  # 1.2M characters
    claim = "Our stem cell injections rebuild worn cartilage."
    page = tmp_path / "long.txt"
    page.write_text(filler + claim + "\n")
    [found] = jsonl(str(page))
    assert found["sentence"] == claim
    assert (found["line"], found["start"]) == (1, len(filler) + claim.index("rebuild"))
