"""`claimscan evaluate`: detection scored against a researcher's own gold labels, and two
annotators' agreement. Fixture pages and labels are written for these tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.errors import InputError
from scanner.evaluation import GoldPage, agreement, same_sentence

CLINIC = """\
Harbor Regenerative Clinic
Our stem cell injections rebuild worn cartilage in weeks.
Exosome therapy is completely safe for every patient.
Patients leave our office with a spring in their step.
PRP relieves chronic knee pain.
Parking is free behind the building.
"""
NEWS = """\
Regulators fault clinic over stem cell ads
The complaint says consumers were told the injections were safe, according to the agency.
A billboard on Route 9 reads "stem cells cure arthritis for good" in red letters.
Experts said the clinics offer no evidence, the reporter was told.
"""
GOLD = [
    {
        "file": "clinic.txt",
        "kind": "clinic",
        "claims": [
            {"text": "Our stem cell injections rebuild worn cartilage in weeks.",
             "label": "assertive", "category": "regeneration"},
            {"text": "Exosome therapy is completely safe for every patient.",
             "label": "assertive", "category": "safety"},
            {"text": "Patients leave our office with a spring in their step.",
             "label": "hedged", "category": "testimonial"},
        ],
    },
    {
        "file": "news.txt",
        "kind": "news",
        "quoted_claims": [{"text": "stem cells cure arthritis for good", "label": "assertive"}],
    },
]  # fmt: skip


def write_gold(path: Path, pages: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(p) + "\n" for p in pages))
    return path


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "clinic.txt").write_text(CLINIC)
    (pages / "news.txt").write_text(NEWS)
    write_gold(tmp_path / "gold.jsonl", GOLD)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["evaluate", *args], standalone_mode=False)
    if result.exception:
        raise result.exception
    return result.return_value, result.stdout


def scores(sample: Path) -> dict[str, Any]:
    code, out = run(str(sample / "gold.jsonl"), "--pages", str(sample / "pages"),
                    "--format", "json")  # fmt: skip
    assert code == 0
    return json.loads(out)


def test_precision_recall_and_f1_count_sentences_against_the_labels(sample: Path) -> None:
    result = scores(sample)
    # Found: the cartilage and safety claims; missed: the spring in their step;
    # flagged but not labelled: PRP relieves knee pain.
    assert (result["true_flags"], result["false_flags"], result["claims"]) == (2, 1, 3)
    assert result["precision"] == pytest.approx(2 / 3)
    assert result["recall"] == pytest.approx(2 / 3)
    assert result["f1"] == pytest.approx(2 / 3)
    assert result["misses"] == [
        "clinic.txt [hedged/testimonial] Patients leave our office with a spring in their step."
    ]


def test_recall_is_given_by_category_and_by_strength(sample: Path) -> None:
    result = scores(sample)
    assert result["recall_by_category"] == {
        "regeneration": {"found": 1, "total": 1},
        "safety": {"found": 1, "total": 1},
        "testimonial": {"found": 0, "total": 1},
    }
    assert result["recall_by_strength"] == {
        "assertive": {"found": 2, "total": 2},
        "hedged": {"found": 0, "total": 1},
    }
    assert result["strength_agreement"] == 1.0


def test_each_rule_shows_the_false_flags_it_made(sample: Path) -> None:
    rules = {r["rule"]: r for r in scores(sample)["rules"]}
    assert rules["efficacy-condition"]["false_flags"] == 1
    assert rules["regeneration-tissue"] == {
        "rule": "regeneration-tissue", "true_flags": 1, "false_flags": 0, "precision": 1.0,
    }  # fmt: skip


def test_a_news_page_has_no_claims_of_its_own_and_quoted_words_are_not_counted(
    sample: Path,
) -> None:
    result = scores(sample)
    assert result["other_pages"] == 1
    assert result["false_flags_on_other_pages"] == 0
    assert result["false_flags_per_other_page"] == 0.0
    assert result["quoted_claims_found"] == {"found": 1, "total": 1}


def test_the_text_report_lists_misses_without_reading_them_as_markup(sample: Path) -> None:
    code, out = run(str(sample / "gold.jsonl"), "--pages", str(sample / "pages"))
    assert code == 0
    assert "precision 0.667  recall 0.667  f1 0.667" in out
    assert "clinic.txt [hedged/testimonial] Patients leave our office" in out


def test_a_bad_gold_line_names_its_file_and_line(sample: Path) -> None:
    gold = sample / "bad.jsonl"
    gold.write_text(json.dumps(GOLD[0]) + "\n" + '{"file": "x.txt"}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: field 'kind'"):
        run(str(gold), "--pages", str(sample / "pages"))


def test_a_page_missing_from_the_folder_is_an_input_error(sample: Path) -> None:
    gold = write_gold(sample / "more.jsonl", [*GOLD, {"file": "gone.txt", "kind": "clinic"}])
    with pytest.raises(InputError, match=r"gone\.txt: no such page file"):
        run(str(gold), "--pages", str(sample / "pages"))


def test_two_annotators_agreement_is_cohens_kappa_over_every_sentence(sample: Path) -> None:
    # B labels the cartilage claim and the knee pain line; A the three of GOLD.
    knee = {"text": "PRP relieves chronic knee pain.", "label": "assertive"}
    write_gold(sample / "b.jsonl", [{**GOLD[0], "claims": [GOLD[0]["claims"][0], knee]}])
    code, out = run("--agreement", str(sample / "gold.jsonl"), str(sample / "b.jsonl"),
                    "--pages", str(sample / "pages"), "--format", "json")  # fmt: skip
    result = json.loads(out)
    assert code == 0
    # Six sentences: both yes 1, A only 2, B only 1, both no 2.
    observed, expected = 3 / 6, (3 / 6) * (2 / 6) + (3 / 6) * (4 / 6)
    assert (result["pages"], result["sentences"]) == (1, 6)
    assert result["kappa"] == pytest.approx((observed - expected) / (1 - expected))
    assert result["b_precision_against_a"] == pytest.approx(1 / 2)
    assert result["b_recall_against_a"] == pytest.approx(1 / 3)


def test_agreement_needs_pages_in_common() -> None:
    a = [GoldPage(file="a.txt", kind="clinic")]
    b = [GoldPage(file="b.txt", kind="clinic")]
    with pytest.raises(InputError, match="share no page"):
        agreement(a, b, {})


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Stem cells rebuild cartilage.", "Our stem cells rebuild cartilage in weeks!", True),
        ("Stem cells rebuild cartilage in the knee.", "stem cells rebuild knee cartilage", True),
        ("Stem cells rebuild cartilage.", "Parking is free behind the building.", False),
        ("", "Anything at all.", False),
    ],
)
def test_sentences_match_by_containment_or_most_of_their_words(a: str, b: str, same: bool) -> None:
    assert same_sentence(a, b) is same
