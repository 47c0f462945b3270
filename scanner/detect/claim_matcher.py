"""The claim matcher: every claim rule's patterns in one Matcher (token patterns) and one
PhraseMatcher (phrases, on LOWER). Matches go to doc.spans["claim_matches"], labelled with
the rule id, all of them (the context component picks one per rule and sentence).

Token patterns bridge gaps with filler elements ({"OP": "{0,5}"}). A filler can swallow a
word that changes the meaning ("therapy has *not* been proven"), so each match records the
tokens its fillers took (`span._.free`): context triggers there still count.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.rules import RulePack

MATCHES = "claim_matches"

if not Span.has_extension("free"):
    Span.set_extension("free", default=())


def is_filler(element: dict[str, Any]) -> bool:
    """A gap element: any number of tokens, constrained at most by what they may not be."""
    op = str(element.get("OP", ""))
    return op == "*" or op.startswith("{")


class ClaimMatcher:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.fillers: dict[str, tuple[str, frozenset[int]]] = {}
        for rule in pack.rules.values():
            for number, pattern in enumerate(rule.patterns):
                if isinstance(pattern, list):
                    key = f"{rule.id}#{number}"
                    self.matcher.add(key, [pattern])
                    fillers = frozenset(i for i, e in enumerate(pattern) if is_filler(e))
                    self.fillers[key] = (rule.id, fillers)
            phrases = [nlp.make_doc(p) for p in rule.patterns if isinstance(p, str)]
            if phrases:
                self.phrases.add(rule.id, phrases)

    def __call__(self, doc: Doc) -> Doc:
        strings = doc.vocab.strings
        spans: dict[tuple[int, int, str], Span] = {}
        for key, start, end, alignment in self.matcher(doc, with_alignments=True):  # type: ignore[misc]
            rule_id, fillers = self.fillers[strings[key]]
            span = Span(doc, start, end, label=rule_id)
            span._.free = tuple(start + i for i, e in enumerate(alignment) if e in fillers)
            spans.setdefault((start, end, rule_id), span)
        for key, start, end in self.phrases(doc):
            rule_id = strings[key]
            spans.setdefault((start, end, rule_id), Span(doc, start, end, label=rule_id))
        doc.spans[MATCHES] = [
            span
            for _, span in sorted(spans.items())
            if span.end <= span.sent.end  # a match may not cross a sentence end
        ]
        return doc


@Language.factory("claim_matcher", default_config=PACK_CONFIG)
def make_claim_matcher(nlp: Language, name: str, rules: list[str], builtin: bool) -> ClaimMatcher:
    return ClaimMatcher(nlp, pack_for(tuple(rules), builtin))
