"""Sentence boundaries from punctuation, as spaCy's Sentencizer sets them, at array speed.

A sentence ends at one of `SENTENCE_ENDS`; punctuation right after it (a closing quote or
bracket) stays with it, and the next word starts a new sentence. That is spaCy's
Sentencizer rule, but it creates a Token object for every token of every doc; this reads
two attribute columns instead. The starts are kept on the doc (its DocState, state.py)
for the components after it, which would otherwise read them back token by token.
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np
from spacy.attrs import IS_PUNCT, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.vocab import Vocab

from scanner.detect.state import column, state

SENTENCE_ENDS = [".", "!", "?", "!?", "?!", "...", "…", "。"]
START, INSIDE = 1, np.uint64(2**64 - 1)  # SENT_START codes: 1, and -1 as uint64


class SentenceSplitter:
    def __init__(self, vocab: Vocab, punct_chars: list[str]) -> None:
        self.ends = frozenset(vocab.strings.add(p) for p in punct_chars)

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            state(doc).sentence_starts = [0]
            return doc
        known = state(doc)
        orths = column(doc, ORTH, known).tolist()
        starts = [0]
        ends = [i for i, orth in enumerate(orths) if orth in self.ends]
        if ends:  # else one sentence (most headings and bullets)
            puncts = column(doc, IS_PUNCT, known).tolist()
            after = 0  # where the last sentence found starts
            for end in ends:
                if end < after:
                    continue  # an end inside the run of punctuation before that start
                # The next sentence starts at the first word after the end and whatever
                # punctuation follows it (closing quotes, brackets, more ends).
                start = end + 1
                while start < len(orths) and (puncts[start] or orths[start] in self.ends):
                    start += 1
                if start < len(orths):
                    starts.append(start)
                after = start
        marks = np.full((len(doc), 1), INSIDE, dtype=np.uint64)
        marks[starts, 0] = START
        doc.from_array([SENT_START], marks)  # type: ignore[arg-type]
        known.sentence_starts = starts
        return doc


def sentence_starts(doc: Doc) -> list[int]:
    """Where each sentence of a doc starts (0 first, even when the doc is unsplit)."""
    if (known := state(doc).sentence_starts) is not None:
        return known
    starts = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    return starts if starts and starts[0] == 0 else [0, *starts]


def sentence_of(doc: Doc, token: int) -> Span:
    """The sentence a token is in (as `doc[token].sent`, without walking the tokens)."""
    starts = sentence_starts(doc)
    index = bisect_right(starts, token) - 1
    end = starts[index + 1] if index + 1 < len(starts) else len(doc)
    return doc[starts[index] : end]


@Language.factory("sentence_splitter", default_config={"punct_chars": SENTENCE_ENDS})
def make_sentence_splitter(nlp: Language, name: str, punct_chars: list[str]) -> SentenceSplitter:
    return SentenceSplitter(nlp.vocab, punct_chars)
