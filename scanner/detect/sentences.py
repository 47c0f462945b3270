"""Sentence boundaries from punctuation, as spaCy's Sentencizer sets them, at array speed.

A sentence ends at one of `SENTENCE_ENDS`; punctuation right after it (a closing quote or
bracket) stays with it, and the next word starts a new sentence. That is spaCy's
Sentencizer rule, but it creates a Token object for every token of every doc; this reads
two attribute columns instead. The starts are kept on the doc (`doc._.sentence_starts`)
for the components after it, which would otherwise read them back token by token.
"""

from __future__ import annotations

import numpy as np
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc
from spacy.vocab import Vocab

SENTENCE_ENDS = [".", "!", "?", "!?", "?!", "...", "…", "。"]
START, INSIDE = 1, np.uint64(2**64 - 1)  # SENT_START codes: 1, and -1 as uint64

if not Doc.has_extension("sentence_starts"):
    Doc.set_extension("sentence_starts", default=None)


class SentenceSplitter:
    def __init__(self, vocab: Vocab, punct_chars: list[str]) -> None:
        self.ends = frozenset(vocab.strings.add(p) for p in punct_chars)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            doc._.sentence_starts = [0]
            return doc
        columns = doc.to_array([ORTH, IS_PUNCT]).tolist()
        starts = [0]
        seen_end = False
        for i, (orth, punct) in enumerate(columns):
            is_end = orth in self.ends
            if seen_end and not punct and not is_end:
                starts.append(i)
                seen_end = False
            elif is_end:
                seen_end = True
        marks = np.full((len(doc), 1), INSIDE, dtype=np.uint64)
        marks[starts, 0] = START
        doc.from_array([SENT_START], marks)  # type: ignore[arg-type]
        doc._.sentence_starts = starts
        return doc


@Language.factory("sentence_splitter", default_config={"punct_chars": SENTENCE_ENDS})
def make_sentence_splitter(nlp: Language, name: str, punct_chars: list[str]) -> SentenceSplitter:
    return SentenceSplitter(nlp.vocab, punct_chars)
