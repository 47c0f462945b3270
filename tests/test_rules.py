"""Every rule's own examples, and rules about rules (semgrep-rules style lints)."""

from __future__ import annotations

from functools import cache

import pytest

from scanner.detect.detector import Detector
from scanner.detect.rules import ClaimRule, load_pack

PACK = load_pack()
RULES = sorted(PACK.rules.values(), key=lambda r: r.id)


@cache
def detector() -> Detector:
    return Detector()


def fired(rule_id: str, text: str) -> bool:
    """Does the rule make a claim on a page of this one text (sentences split as usual)?"""
    return any(f.rule_id == rule_id for f in detector().page([text]).claims)


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [(r.id, text) for r in RULES for text in r.examples.flag],
)
def test_flag_examples_are_flagged(rule_id: str, text: str) -> None:
    assert fired(rule_id, text), f"{rule_id} should flag: {text}"


@pytest.mark.parametrize(
    ("rule_id", "text"),
    [(r.id, text) for r in RULES for text in r.examples.passes],
)
def test_pass_examples_are_not_flagged(rule_id: str, text: str) -> None:
    assert not fired(rule_id, text), f"{rule_id} should not flag: {text}"


def test_rule_ids_are_unique_and_match_their_files() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_every_rule_is_documented_and_exemplified(rule: ClaimRule) -> None:
    assert rule.message.strip()
    assert len(rule.rationale.split()) >= 20, "a rationale says why, with its regulatory basis"
    assert rule.references, "at least one reference"
    assert len(rule.examples.flag) >= 2, "at least two flag examples"
    assert len(rule.examples.passes) >= 2, "at least two pass examples"


def test_every_category_has_a_rule() -> None:
    categories = {rule.category for rule in RULES}
    assert categories == {
        "efficacy", "regeneration", "cure", "safety", "approval", "success_rate",
        "testimonial", "comparative",
    }  # fmt: skip


def test_every_lexicon_label_is_used_by_a_rule_or_the_subject_check() -> None:
    used = " ".join(str(rule.patterns) for rule in RULES)
    for lexicon in PACK.lexicons:
        for label, _term in lexicon.labelled_terms():
            assert label in used or label in {"THERAPY", "THERAPY_REF", "CLINIC"}, label
