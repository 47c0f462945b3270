"""The claim matcher: every claim rule's patterns, token patterns in spaCy Matchers and
phrases in one PhraseMatcher (on LOWER). Matches go to doc.spans["claim_matches"], labelled
with the rule id, all of them (the context component picks one per rule and sentence).

Speed. spaCy evaluates `IN` lists in Python, for every token a pattern looks at. So each
token pattern is prefiltered: a pattern runs on a block only if the block holds every value
its required elements need (an ENT_TYPE, a LEMMA from a list, a number), checked against the
sets of values in the block's attribute columns — a regex engine's required-literal
prefilter. Results are the same as running every pattern everywhere.

Token patterns bridge gaps with filler elements ({"OP": "{0,5}"}). A filler can swallow a
word that changes the meaning ("therapy has *not* been proven"), so each match records the
tokens its fillers took (`doc._.match_free[(start, end, rule_id)]`): context triggers there
still count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spacy.attrs import ENT_TYPE, LEMMA, LIKE_NUM, LOWER, ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import StringStore
from spacy.tokens import Doc, Span

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.rules import RulePack

MATCHES = "claim_matches"
COLUMNS = {"ENT_TYPE": 0, "LOWER": 1, "LEMMA": 2, "ORTH": 3, "TEXT": 3, "LIKE_NUM": 4}

if not Doc.has_extension("match_free"):
    Doc.set_extension("match_free", default=None)


def is_filler(element: dict[str, Any]) -> bool:
    """A gap element: any number of tokens, constrained at most by what they may not be."""
    op = str(element.get("OP", ""))
    return op == "*" or op.startswith("{")


@dataclass(frozen=True)
class Requirement:
    """Some token of the sentence must have one of `values` in attribute column `column`."""

    column: int
    values: frozenset[int]


def requirements(pattern: list[dict[str, Any]], strings: StringStore) -> list[Requirement]:
    """What a pattern's required elements need, where that can be told from the pattern."""
    needs = []
    for element in pattern:
        if str(element.get("OP", "")) not in ("", "+"):
            continue  # optional or filler
        for attr, value in element.items():
            if attr not in COLUMNS:
                continue
            if attr == "LIKE_NUM":
                if value is True:
                    needs.append(Requirement(COLUMNS[attr], frozenset({1})))
                continue
            allowed = value.get("IN") if isinstance(value, dict) else [value]
            if allowed is None:  # NOT_IN and the like: no requirement
                continue
            needs.append(
                Requirement(COLUMNS[attr], frozenset(strings.add(str(v)) for v in allowed))
            )
    return needs


@dataclass
class TokenPattern:
    rule_id: str
    matcher: Matcher
    fillers: frozenset[int]
    needs: list[Requirement]


class ClaimMatcher:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.patterns: list[TokenPattern] = []
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        for rule in pack.rules.values():
            for number, pattern in enumerate(rule.patterns):
                if isinstance(pattern, list):
                    matcher = Matcher(nlp.vocab, validate=True)
                    matcher.add(f"{rule.id}#{number}", [pattern])
                    fillers = frozenset(i for i, e in enumerate(pattern) if is_filler(e))
                    needs = requirements(pattern, nlp.vocab.strings)
                    self.patterns.append(TokenPattern(rule.id, matcher, fillers, needs))
            phrases = [nlp.make_doc(p) for p in rule.patterns if isinstance(p, str)]
            if phrases:
                self.phrases.add(rule.id, phrases)

    def __call__(self, doc: Doc) -> Doc:
        spans: dict[tuple[int, int, str], Span] = {}
        doc._.match_free = {}
        if len(doc):
            self.match_tokens(doc, spans)
        for key, start, end in self.phrases(doc):
            rule_id = doc.vocab.strings[key]
            spans.setdefault((start, end, rule_id), Span(doc, start, end, label=rule_id))
        doc.spans[MATCHES] = [
            span
            for _, span in sorted(spans.items())
            if span.end <= span.sent.end  # a match may not cross a sentence end
        ]
        return doc

    def match_tokens(self, doc: Doc, spans: dict[tuple[int, int, str], Span]) -> None:
        columns = doc.to_array([ENT_TYPE, LOWER, LEMMA, ORTH, LIKE_NUM])
        present = [set(columns[:, c].tolist()) for c in range(columns.shape[1])]
        for pattern in self.patterns:
            if any(present[n.column].isdisjoint(n.values) for n in pattern.needs):
                continue  # something the pattern needs is nowhere in the doc
            for _key, start, end, alignment in pattern.matcher(doc, with_alignments=True):  # type: ignore[misc]
                key = (start, end, pattern.rule_id)
                if key not in spans:
                    spans[key] = Span(doc, start, end, label=pattern.rule_id)
                    fillers = pattern.fillers
                    doc._.match_free[key] = tuple(
                        start + i for i, e in enumerate(alignment) if e in fillers
                    )


@Language.factory("claim_matcher", default_config=PACK_CONFIG)
def make_claim_matcher(nlp: Language, name: str, rules: list[str], builtin: bool) -> ClaimMatcher:
    return ClaimMatcher(nlp, pack_for(tuple(rules), builtin))
