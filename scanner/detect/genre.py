"""Page genre: is this page the clinic's own marketing, or someone writing about clinics
(news, academic, regulator, skeptic, patient information)?

The same sentence means different things in the two: "the treatment improved pain in 80%
of patients" sells on a clinic page and reports on a journal's. Each doc counts the genre
signals of the pack (`rules/genre/*.yaml`: calls to action, prices, "our clinic" against
bylines, citations, "warning letter", "et al") into the doc's state; the detector adds
up a page's docs and judges the page with `judge`. Marketing is the prior: claimscan
crawls clinic sites, and a page with no signals either way (a single ad line) is read as
the clinic's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.prefilter import Match, PrefilteredPatterns
from scanner.detect.rules import RulePack
from scanner.detect.state import state

MARKETING, EDITORIAL = "marketing", "editorial"
# A page is editorial when its editorial signals outweigh its marketing ones by this much.
EDITORIAL_MARGIN = 2.0
EDITORIAL_MINIMUM = 3.0


@dataclass(frozen=True)
class GenreScore:
    marketing: float = 0.0
    editorial: float = 0.0


def judge(scores: Iterable[GenreScore | None]) -> str:
    """A page's genre from its docs' scores (None: a doc with no signal)."""
    marketing = editorial = 0.0
    for score in scores:
        if score is not None:
            marketing += score.marketing
            editorial += score.editorial
    if editorial >= EDITORIAL_MINIMUM and editorial >= EDITORIAL_MARGIN * marketing:
        return EDITORIAL
    return MARKETING


class PageGenre:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.patterns = PrefilteredPatterns(nlp.vocab)
        self.weights: dict[str, tuple[str, float]] = {}
        for number, signals in enumerate(pack.genre):
            key = f"{signals.genre}#{number}"
            self.weights[key] = (signals.genre, signals.weight)
            if signals.terms:
                self.phrases.add(key, [nlp.make_doc(t) for t in signals.terms])
            for pattern in signals.patterns:
                self.patterns.add(key, pattern)

    def __call__(self, doc: Doc) -> Doc:
        return self.count(doc, self.patterns(doc))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for doc, found in self.patterns.pipe(docs, batch_size):
            yield self.count(doc, found)

    def count(self, doc: Doc, patterns: list[Match]) -> Doc:
        """Add up the weights of a doc's signals (its pattern matches and its phrases)."""
        strings = doc.vocab.strings
        found = [(strings[k], s, e) for k, s, e in self.phrases(doc)]
        found += [(k, s, e) for k, s, e, _ in patterns]
        if not found:
            return doc  # no signal: the doc's score stays None
        marketing = editorial = 0.0
        for key in _longest_first(found):
            genre, weight = self.weights[key]
            if genre == MARKETING:
                marketing += weight
            else:
                editorial += weight
        state(doc).genre = GenreScore(marketing, editorial)
        return doc


def _longest_first(found: list[tuple[str, int, int]]) -> list[str]:
    """Signals that overlap count once, the longest ("ask your doctor", not also "your
    doctor" within it)."""
    taken: set[int] = set()
    keys = []
    for key, start, end in sorted(found, key=lambda f: (f[1] - f[2], f[1])):
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            keys.append(key)
    return keys


@Language.factory("page_genre", default_config=PACK_CONFIG)
def make_page_genre(nlp: Language, name: str, rules: list[str], builtin: bool) -> PageGenre:
    return PageGenre(nlp, pack_for(tuple(rules), builtin))
