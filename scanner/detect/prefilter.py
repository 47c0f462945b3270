"""Token patterns that run only where they can match: a regex engine's required-literal
prefilter, for spaCy's Matcher.

spaCy evaluates `IN` lists (and SHAPE, REGEX) in Python, for every token a pattern looks
at, and a Matcher's cost grows with its patterns. So each pattern gets a Matcher of its own
and the values its required elements need (an ENT_TYPE, a LEMMA from a list, a SHAPE, a
number). A pattern runs on a doc only if the doc holds every one of them somewhere (sets
of the values in the doc's attribute columns), and then only on the sentences that hold
them all (with `sentences=True`: a match never crosses a sentence end). Results are the
same as running every pattern everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import ENT_TYPE, LEMMA, LIKE_NUM, LOWER, ORTH, SENT_START, SHAPE
from spacy.matcher import Matcher
from spacy.strings import StringStore
from spacy.tokens import Doc
from spacy.vocab import Vocab

ATTRS = [ENT_TYPE, LOWER, LEMMA, ORTH, LIKE_NUM, SHAPE]
COLUMNS = {"ENT_TYPE": 0, "LOWER": 1, "LEMMA": 2, "ORTH": 3, "TEXT": 3, "LIKE_NUM": 4, "SHAPE": 5}
COLUMN_IDS = range(len(ATTRS))


def is_filler(element: dict[str, Any]) -> bool:
    """A gap element: any number of tokens, constrained at most by what they may not be."""
    op = str(element.get("OP", ""))
    return op == "*" or op.startswith("{")


@dataclass(frozen=True)
class Requirement:
    """Some token of the doc must have one of `values` in attribute column `column`."""

    column: int
    values: frozenset[int]


def requirements(pattern: list[dict[str, Any]], strings: StringStore) -> list[Requirement]:
    """What a pattern's required elements need, where that can be told from the pattern."""
    needs = []
    for element in pattern:
        if str(element.get("OP", "")) not in ("", "+"):
            continue  # optional or filler
        for attr, value in element.items():
            if attr not in COLUMNS:
                continue
            if attr == "LIKE_NUM":
                if value is True:
                    needs.append(Requirement(COLUMNS[attr], frozenset({1})))
                continue
            allowed = value.get("IN") if isinstance(value, dict) else [value]
            if allowed is None:  # NOT_IN and the like: no requirement
                continue
            needs.append(
                Requirement(COLUMNS[attr], frozenset(strings.add(str(v)) for v in allowed))
            )
    return needs


@dataclass
class Pattern:
    key: str
    matcher: Matcher
    fillers: frozenset[int]
    needs: list[Requirement]


class PrefilteredPatterns:
    def __init__(self, vocab: Vocab, sentences: bool = False) -> None:
        self.vocab = vocab
        self.sentences = sentences
        self.patterns: list[Pattern] = []
        self.used: set[int] = set()  # the columns some pattern needs

    def add(self, key: str, pattern: list[dict[str, Any]]) -> None:
        matcher = Matcher(self.vocab, validate=True)
        matcher.add(key, [pattern])
        fillers = frozenset(i for i, e in enumerate(pattern) if is_filler(e))
        needs = requirements(pattern, self.vocab.strings)
        self.used.update(n.column for n in needs)
        self.patterns.append(Pattern(key, matcher, fillers, needs))

    def __call__(self, doc: Doc) -> Iterator[tuple[str, int, int, tuple[int, ...]]]:
        """(key, start, end, tokens the pattern's gap fillers took) for every match."""
        if not self.patterns or not len(doc):
            return
        columns = doc.to_array(ATTRS)
        present = [set(columns[:, c].tolist()) if c in self.used else set() for c in COLUMN_IDS]
        sentences = Sentences(doc, columns) if self.sentences else None
        for pattern in self.patterns:
            if any(present[n.column].isdisjoint(n.values) for n in pattern.needs):
                continue  # something the pattern needs is nowhere in the doc
            for start, end in sentences.holding(pattern.needs) if sentences else [(0, len(doc))]:
                part = doc[start:end] if (start, end) != (0, len(doc)) else doc
                for _key, s, e, alignment in pattern.matcher(part, with_alignments=True):  # type: ignore[misc]
                    fillers = pattern.fillers
                    taken = tuple(start + s + i for i, a in enumerate(alignment) if a in fillers)
                    yield pattern.key, start + s, start + e, taken


class Sentences:
    """A doc's sentences, to find the runs of them that hold what a pattern needs."""

    def __init__(self, doc: Doc, columns: np.ndarray) -> None:
        self.length = len(doc)
        starts = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
        starts = starts if starts and starts[0] == 0 else [0, *starts]
        self.bounds = list(zip(starts, [*starts[1:], self.length], strict=True))
        self.columns = columns
        self.values: dict[int, list[int]] = {}  # column -> its values, as Python ints
        self.holds: dict[Requirement, list[bool]] = {}

    def holding(self, needs: list[Requirement]) -> list[tuple[int, int]]:
        """(start, end) token ranges of consecutive sentences that each hold every need."""
        if len(self.bounds) == 1:
            return [(0, self.length)]
        ok = [True] * len(self.bounds)
        for need in needs:
            holds = self.holds.get(need)
            if holds is None:
                column = self.values.get(need.column)
                if column is None:
                    column = self.values[need.column] = self.columns[:, need.column].tolist()
                holds = self.holds[need] = [
                    not need.values.isdisjoint(column[start:end]) for start, end in self.bounds
                ]
            ok = [a and b for a, b in zip(ok, holds, strict=True)]
        runs: list[tuple[int, int]] = []
        for (start, end), good in zip(self.bounds, ok, strict=True):
            if not good:
                continue
            if runs and runs[-1][1] == start:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((start, end))
        return runs
