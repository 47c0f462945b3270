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
    return any(rule_id in f.rules for f in detector().page([text]).claims)


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


def _token_values(pattern: object) -> list[str]:
    """Every word a token pattern compares a token's text, LOWER or LEMMA with."""
    values: list[str] = []
    for element in pattern if isinstance(pattern, list) else []:
        for attr in ("ORTH", "TEXT", "LOWER", "LEMMA", "NORM"):
            value = element.get(attr)
            if isinstance(value, str):
                values.append(value)
            elif isinstance(value, dict):
                values.extend(str(v) for key in ("IN", "NOT_IN") for v in value.get(key, []))
    return values


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_token_patterns_name_single_tokens(rule: ClaimRule) -> None:
    """A token pattern compares one token at a time: "long-term" or "won't", which the
    tokenizer splits, would never match (write them as phrases or as token sequences)."""
    nlp = detector().nlp
    split = sorted(
        {v for p in rule.patterns for v in _token_values(p) if len(nlp.make_doc(v)) != 1}
    )
    assert not split, f"{rule.id}: these are several tokens each: {split}"
