"""A lookup lemmatizer that ignores case, using spacy-lookups-data's English table.

spaCy's own lookup lemmatizer looks words up as written, and the table is case-sensitive:
"Reverses" in a heading stays "Reverses". This one looks up the lowercase form, so lemmas
are lowercase and headings match like body text. Each distinct word is looked up once per
process and remembered, which keeps it cheap next to tokenization.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from spacy.attrs import LEMMA, LOWER
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.tokens import Doc
from spacy.vocab import Vocab

from scanner.detect.state import column, state


@cache
def lemma_table() -> Table:
    return load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")


class LowercaseLookupLemmatizer:
    def __init__(self, vocab: Vocab) -> None:
        self.strings = vocab.strings
        self.table = lemma_table()
        self.lemma_of: dict[int, int] = {}  # hash of a lowercase form -> hash of its lemma

    def __call__(self, doc: Doc) -> Doc:
        if len(doc) == 0:
            return doc
        known, lemma = self.lemma_of.get, self._lemma
        doc_state = state(doc)
        forms = column(doc, LOWER, doc_state).tolist()
        lemmas = [known(form) or lemma(form) for form in forms]
        array = np.array(lemmas, dtype=np.uint64)
        doc.from_array([LEMMA], array.reshape(-1, 1))  # type: ignore[arg-type]
        doc_state.lemma = array
        return doc

    def _lemma(self, form: int) -> int:
        lemma = self.lemma_of.get(form)
        if lemma is None:
            text = self.strings[form]
            lemma = self.lemma_of[form] = self.strings.add(self.table.get(text, text))
        return lemma


@cache
def lemmas() -> frozenset[str]:
    """Every lemma the table gives some word."""
    return frozenset(str(value) for value in lemma_table().values())


@Language.factory("claimscan_lemmatizer")
def make_lemmatizer(nlp: Language, name: str) -> LowercaseLookupLemmatizer:
    return LowercaseLookupLemmatizer(nlp.vocab)
