"""Sentence boundaries: the sentence_splitter sets exactly the sentences spaCy's
Sentencizer sets, and keeps their starts on the doc for the later components."""

from __future__ import annotations

import random

import pytest
import spacy

from scanner.detect.sentences import SENTENCE_ENDS, sentence_starts
from scanner.detect.state import state

TEXTS = [
    "",
    "A heading with no end",
    "One sentence. Two sentences! Three?",
    'She said "it worked." Then she left.',
    "Really?! Yes... it did (mostly). Done",
    "Ends with a bracket (like this.) And goes on.",
    "Wait . . . what? 3.5 mm of cartilage… grew back。 Next",
    "Trailing punctuation only!!!",
    "!? starts with marks. ok",
]


def sentencizer() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": SENTENCE_ENDS})
    return nlp


def splitter() -> spacy.language.Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentence_splitter")
    return nlp


@pytest.mark.parametrize("text", TEXTS)
def test_the_splitter_sets_the_sentences_spacy_sets(text: str) -> None:
    ours, theirs = splitter()(text), sentencizer()(text)
    assert [s.text for s in ours.sents] == [s.text for s in theirs.sents]
    assert [t.is_sent_start for t in ours] == [t.is_sent_start for t in theirs]


def test_the_starts_are_kept_on_the_doc_and_read_from_there() -> None:
    doc = splitter()("Cells were injected. Pain eased! Then it returned")
    assert state(doc).sentence_starts == [0, 4, 7]
    assert sentence_starts(doc) == [0, 4, 7]
    state(doc).sentence_starts = None  # a doc from elsewhere: read from its tokens
    assert sentence_starts(doc) == [0, 4, 7]


def test_the_splitter_agrees_with_spacy_on_any_run_of_words_and_marks() -> None:
    """Word salads of words, sentence ends, quotes and brackets in every order."""
    rng = random.Random(5)
    pieces = ["cells", "Knee", ".", "!", "?", "...", "…", "。", "!?", '"', "(", ")", ",", "x"]
    ours, theirs = splitter(), sentencizer()
    for _ in range(500):
        text = " ".join(rng.choice(pieces) for _ in range(rng.randint(1, 16)))
        expected = [t.is_sent_start for t in theirs(text)]
        assert [t.is_sent_start for t in ours(text)] == expected, text
