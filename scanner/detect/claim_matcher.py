"""The claim matcher: every claim rule's patterns, token patterns through the prefilter
(prefilter.py: each runs only on docs that hold what it needs) and phrases in one
PhraseMatcher (on NORM: lowercase, with both apostrophes of "don't" alike). Matches go to
doc.spans["claim_matches"], labelled with the rule id, all of them (the context component
picks one per rule and sentence).

Token patterns bridge gaps with filler elements ({"OP": "{0,5}"}). A filler can swallow a
word that changes the meaning ("therapy has *not* been proven"), so each match records the
tokens its fillers took (`doc._.match_free[(start, end, rule_id)]`): context triggers there
still count.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.prefilter import PrefilteredPatterns, sentence_starts
from scanner.detect.rules import RulePack

MATCHES = "claim_matches"

if not Doc.has_extension("match_free"):
    Doc.set_extension("match_free", default=None)


class ClaimMatcher:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.patterns = PrefilteredPatterns(nlp.vocab, sentences=True)
        self.phrases = PhraseMatcher(nlp.vocab, attr="NORM")
        for rule in pack.rules.values():
            for pattern in rule.patterns:
                if isinstance(pattern, list):
                    self.patterns.add(rule.id, pattern)
            phrases = [nlp.make_doc(p) for p in rule.patterns if isinstance(p, str)]
            if phrases:
                self.phrases.add(rule.id, phrases)

    def __call__(self, doc: Doc) -> Doc:
        spans: dict[tuple[int, int, str], Span] = {}
        doc._.match_free = {}
        for rule_id, start, end, taken in self.patterns(doc):
            key = (start, end, rule_id)
            if key not in spans:
                spans[key] = Span(doc, start, end, label=rule_id)
                doc._.match_free[key] = taken
        for match_id, start, end in self.phrases(doc):
            rule_id = doc.vocab.strings[match_id]
            spans.setdefault((start, end, rule_id), Span(doc, start, end, label=rule_id))
        ends = sentence_ends(doc)
        doc.spans[MATCHES] = [
            span
            for (start, end, _), span in sorted(spans.items())
            if end <= ends[start]  # a match may not cross a sentence end
        ]
        return doc


def sentence_ends(doc: Doc) -> list[int]:
    """For each token, where its sentence ends."""
    bounds = [*sentence_starts(doc)[1:], len(doc)]
    ends, at = [], 0
    for end in bounds:
        ends.extend([end] * (end - at))
        at = end
    return ends


@Language.factory("claim_matcher", default_config=PACK_CONFIG)
def make_claim_matcher(nlp: Language, name: str, rules: list[str], builtin: bool) -> ClaimMatcher:
    return ClaimMatcher(nlp, pack_for(tuple(rules), builtin))
