"""The claim matcher: every claim rule's patterns, token patterns through the prefilter
(prefilter.py: each runs only on docs that hold what it needs) and phrases in one
PhraseMatcher (on NORM: lowercase, with both apostrophes of "don't" alike). Matches go to
the doc's state (state.py), all of them, as ClaimMatch tuples (the context component picks one
per rule and sentence, and makes Span objects only of those it decides on).

Token patterns bridge gaps with filler elements ({"OP": "{0,5}"}). A filler can swallow a
word that changes the meaning ("therapy has *not* been proven"), so each match records the
tokens its fillers took (`taken`): context triggers there still count.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.prefilter import Match, PrefilteredPatterns
from scanner.detect.rules import RulePack
from scanner.detect.sentences import sentence_starts
from scanner.detect.state import state


class ClaimMatch(NamedTuple):
    start: int
    end: int
    rule_id: str
    taken: tuple[int, ...]  # the tokens the pattern's gap fillers took


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
        return self.record(doc, self.patterns(doc))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for doc, found in self.patterns.pipe(docs, batch_size):
            yield self.record(doc, found)

    def record(self, doc: Doc, found: list[Match]) -> Doc:
        """Write a doc's pattern matches and its phrase matches into the doc, in order."""
        matches: dict[tuple[int, int, str], tuple[int, ...]] = {}
        for rule_id, start, end, taken in found:
            matches.setdefault((start, end, rule_id), taken)
        for match_id, start, end in self.phrases(doc):
            matches.setdefault((start, end, doc.vocab.strings[match_id]), ())
        if matches:
            starts = sentence_starts(doc)
            # A match may not cross a sentence end.
            state(doc).matches = [
                ClaimMatch(start, end, rule_id, taken)
                for (start, end, rule_id), taken in sorted(matches.items())
                if bisect_right(starts, start) == bisect_right(starts, end - 1)
            ]
        return doc


@Language.factory("claim_matcher", default_config=PACK_CONFIG)
def make_claim_matcher(nlp: Language, name: str, rules: list[str], builtin: bool) -> ClaimMatcher:
    return ClaimMatcher(nlp, pack_for(tuple(rules), builtin))
