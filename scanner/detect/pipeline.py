"""Build the detection pipeline from a rule pack. No trained model, nothing downloaded:

    blank English -> sentence_splitter -> claimscan_lemmatizer -> lexicon_ruler -> page_genre
                  -> claim_matcher -> claim_context

A trained pipeline is never required; the components only need token text and lemmas.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language

# Registering the factories is importing them.
from scanner.detect import (  # noqa: F401
    claim_matcher,
    context,
    genre,
    lemmatizer,
    lexicon_ruler,
    sentences,
)

# Scraped text often glues a heading to the next sentence ("Cure AutismDue to ..."): split
# a word where three lowercase letters meet a capitalised word ("LinkedIn" splits harmlessly;
# "iPhone", "McDonald" and "YouTube" do not split).
GLUED_WORDS = r"(?<=[a-z]{3})(?=[A-Z][a-z])"


def build_pipeline(extra_rules: Iterable[Path] = (), builtin: bool = True) -> Language:
    pack = {"rules": [str(Path(d).resolve()) for d in extra_rules], "builtin": builtin}
    nlp = spacy.blank("en")
    infixes = [*(nlp.Defaults.infixes or ()), GLUED_WORDS]
    tokenizer: Any = nlp.tokenizer
    tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    nlp.add_pipe("sentence_splitter")
    nlp.add_pipe("claimscan_lemmatizer")
    nlp.add_pipe("lexicon_ruler", config=pack)
    nlp.add_pipe("page_genre", config=pack)
    nlp.add_pipe("claim_matcher", config=pack)
    nlp.add_pipe("claim_context", config=pack)
    return nlp
