"""What the pipeline's components learn of a doc, kept in one plain object on the doc.

spaCy's extension attributes (`doc._.name`) build an Underscore object on every read and
write, about 2 µs each, and the components read and write several per doc. Real pages are
mostly short blocks (headings, menu items, bullets, one doc each), so costs per doc weigh
more than costs per word there. The components share one `DocState` in `doc.user_data`
instead: one dictionary lookup a component.

The state also keeps the token attribute columns the components read (`column`): the word
attributes in one `doc.to_array` call on first use, the lemmas and entity types as the
components that set them wrote them. Each to_array call costs about as much as a short
block's matching.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
from spacy.attrs import (
    ENT_TYPE,
    IS_PUNCT,
    IS_SPACE,
    IS_TITLE,
    LEMMA,
    LIKE_NUM,
    LOWER,
    ORTH,
    SHAPE,
)
from spacy.tokens import Doc

if TYPE_CHECKING:
    from scanner.detect.claim_matcher import ClaimMatch
    from scanner.detect.context import Decision
    from scanner.detect.genre import GenreScore

KEY = "claimscan"
# Attributes of the word (the lexeme), the same for every token of it.
LEXICAL = [ORTH, LOWER, LIKE_NUM, SHAPE, IS_TITLE, IS_PUNCT, IS_SPACE]
LEXICAL_INDEX = {attr: i for i, attr in enumerate(LEXICAL)}


@dataclass(slots=True)
class DocState:
    sentence_starts: list[int] | None = None  # sentences.py
    labels: frozenset[int] = frozenset()  # the lexicon labels tagged in the doc (hashes)
    genre: GenreScore | None = None  # the doc's genre signals (genre.py)
    matches: list[ClaimMatch] = field(default_factory=list)  # claim_matcher.py
    decisions: list[Decision] = field(default_factory=list)  # context.py
    lexical: np.ndarray | None = None  # the LEXICAL columns
    lemma: np.ndarray | None = None  # as lemmatizer.py wrote them
    ent_type: np.ndarray | None = None  # as lexicon_ruler.py wrote them


def state(doc: Doc) -> DocState:
    """The doc's state (a new, empty one the first time)."""
    found = doc.user_data.get(KEY)
    if found is None:
        found = doc.user_data[KEY] = DocState()
    return found


def lexical(doc: Doc, known: DocState) -> np.ndarray:
    """The doc's LEXICAL columns (one row a token)."""
    if known.lexical is None:
        known.lexical = doc.to_array(LEXICAL).reshape(len(doc), len(LEXICAL))
    return known.lexical


def column(doc: Doc, attr: int, known: DocState | None = None) -> np.ndarray:
    """One attribute of every token (uint64 values, as doc.to_array gives them). `known`
    is the doc's state, when the caller has it at hand."""
    if known is None:
        known = state(doc)
    index = LEXICAL_INDEX.get(attr)
    if index is not None:
        return lexical(doc, known)[:, index]
    if attr == LEMMA and known.lemma is not None:
        return known.lemma
    if attr == ENT_TYPE and known.ent_type is not None:
        return known.ent_type
    return doc.to_array(attr).reshape(len(doc))
