"""The lexicon ruler: tags lexicon terms (THERAPY, CONDITION, OUTCOME_REGENERATION, ...) as
entities, so that claim rules can say `{"ENT_TYPE": "STRUCTURE"}`. Terms match on LOWER or
LEMMA, as their lexicon says; where terms overlap, the longest wins."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
from spacy.attrs import ENT_IOB, ENT_TYPE
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.prefilter import Match, PrefilteredPatterns
from scanner.detect.rules import RulePack
from scanner.detect.state import state

MISSING, INSIDE, BEGIN = 0, 1, 3  # spaCy's ENT_IOB codes


def spellings(term: str) -> list[str]:
    """A term and its hyphenated twin: "soft tissue" also matches "soft-tissue"."""
    words = term.split()
    return [term, "-".join(words)] if len(words) == 2 else [term]


# Capitalised in a Title Case headline, but never part of a name: "Rebuild Bone At Our Clinic".
NOT_IN_NAMES = [
    "at", "our", "your", "my", "with", "in", "the", "to", "a", "an", "we", "you", "is", "are",
    "by", "on", "from", "how", "why", "what", "can", "will", "visit", "call", "book", "near",
]  # fmt: skip


def name_pattern(suffixes: list[str]) -> list[dict[str, Any]]:
    """Capitalised words (and "&", "and", "of" between them) up to a name suffix."""
    word = {"IS_TITLE": True, "LOWER": {"NOT_IN": NOT_IN_NAMES}}
    return [
        {**word, "OP": "{1,5}"},
        {"LOWER": {"IN": ["&", "and", "of", "for"]}, "OP": "?"},
        {**word, "OP": "{0,3}"},
        {"LOWER": {"IN": suffixes}, "IS_TITLE": True},
    ]


class LexiconRuler:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.matchers = {
            "LOWER": PhraseMatcher(nlp.vocab, attr="LOWER"),
            "LEMMA": PhraseMatcher(nlp.vocab, attr="LEMMA"),
        }
        self.names = PrefilteredPatterns(nlp.vocab)  # runs only where a suffix word is
        self.labels: set[str] = set()
        for lexicon in pack.lexicons:
            if lexicon.name_suffixes:
                self.names.add(
                    lexicon.label, name_pattern([s.lower() for s in lexicon.name_suffixes])
                )
            attr = lexicon.match.upper()
            by_label: dict[str, list[str]] = {}
            for label, term in lexicon.labelled_terms():
                by_label.setdefault(label, []).extend(spellings(term))
            for label, terms in by_label.items():
                # Lemma patterns go through the pipeline so far (the lemmatizer).
                docs = list(nlp.pipe(terms)) if attr == "LEMMA" else list(map(nlp.make_doc, terms))
                self.matchers[attr].add(label, docs)
                self.labels.add(label)

    def __call__(self, doc: Doc) -> Doc:
        return self.tag(doc, self.names(doc))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for doc, names in self.names.pipe(docs, batch_size):
            yield self.tag(doc, names)

    def tag(self, doc: Doc, names: list[Match]) -> Doc:
        """Tag a doc's lexicon terms, and the names (clinic names) found in it."""
        found = [match for matcher in self.matchers.values() for match in matcher(doc)]
        found += [(doc.vocab.strings[label], s, e) for label, s, e, _ in names]
        if not found:  # most short blocks ("Home", "Contact us") hold no term
            state(doc).ent_type = np.zeros(len(doc), dtype=np.uint64)
            return doc
        # Longest first, then earliest (as spacy.util.filter_spans), written straight into
        # the entity columns: Span objects and the doc.ents setter cost more than matching.
        # Tokens outside every term keep their entity tag unset (spaCy reads that as "O").
        found.sort(key=lambda m: (m[1] - m[2], m[1]))
        iob, types = [MISSING] * len(doc), [0] * len(doc)
        labels = set()
        for label, start, end in found:
            if not any(iob[start:end]):  # no longer term took one of its tokens
                iob[start:end] = [BEGIN] + [INSIDE] * (end - start - 1)
                types[start:end] = [label] * (end - start)
                labels.add(label)
        columns = np.array((iob, types), dtype=np.uint64)
        doc.from_array([ENT_IOB, ENT_TYPE], columns.T)  # type: ignore[arg-type]
        known = state(doc)
        known.labels = frozenset(labels)
        known.ent_type = columns[1]
        return doc


@Language.factory("lexicon_ruler", default_config=PACK_CONFIG)
def make_lexicon_ruler(nlp: Language, name: str, rules: list[str], builtin: bool) -> LexiconRuler:
    return LexiconRuler(nlp, pack_for(tuple(rules), builtin))
