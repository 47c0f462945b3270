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

import scanner.detect.sentences  # noqa: F401  (the sentence_starts extension)

ATTRS = [ENT_TYPE, LOWER, LEMMA, ORTH, LIKE_NUM, SHAPE]
COLUMNS = {"ENT_TYPE": 0, "LOWER": 1, "LEMMA": 2, "ORTH": 3, "TEXT": 3, "LIKE_NUM": 4, "SHAPE": 5}


def sentence_starts(doc: Doc) -> list[int]:
    """Where each sentence of a doc starts (0 first, even when the doc is unsplit)."""
    if (known := doc._.sentence_starts) is not None:  # set by sentences.py
        return known
    starts = np.flatnonzero(doc.to_array(SENT_START) == 1).tolist()
    return starts if starts and starts[0] == 0 else [0, *starts]


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
    return [need for element in pattern for need in element_needs(element, strings)]


def element_needs(element: dict[str, Any], strings: StringStore) -> list[Requirement]:
    """What the token matching one element must have (nothing, for an optional element)."""
    needs: list[Requirement] = []
    if str(element.get("OP", "")) in ("", "+"):
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
    # What the first and the last token of a match must have: a match can only start at
    # a token with `first` and end at one with `last`, so the matcher runs between them.
    first: Requirement | None
    last: Requirement | None


class PrefilteredPatterns:
    def __init__(self, vocab: Vocab, sentences: bool = False) -> None:
        self.vocab = vocab
        self.sentences = sentences
        self.patterns: list[Pattern] = []
        self.index: dict[int, dict[int, list[int]]] = {}  # column -> value -> patterns
        self.read: list[int] = []  # the columns some pattern needs, and their attributes
        self.attrs: list[int | str] = []
        self.always: list[int] = []  # patterns with nothing to index them by

    def add(self, key: str, pattern: list[dict[str, Any]]) -> None:
        matcher = Matcher(self.vocab, validate=True)
        matcher.add(key, [pattern])
        fillers = frozenset(i for i, e in enumerate(pattern) if is_filler(e))
        needs = requirements(pattern, self.vocab.strings)
        first = element_needs(pattern[0], self.vocab.strings)
        last = element_needs(pattern[-1], self.vocab.strings)
        self.patterns.append(
            Pattern(
                key, matcher, fillers, needs, first[0] if first else None, last[0] if last else None
            )
        )
        # Index the pattern by the values of its most selective need: a doc's values then
        # name the few patterns worth checking, instead of checking every pattern.
        if needs:
            anchor = min(needs, key=lambda n: len(n.values))
            index = self.index.setdefault(anchor.column, {})
            for value in anchor.values:
                index.setdefault(value, []).append(len(self.patterns) - 1)
        else:
            self.always.append(len(self.patterns) - 1)
        self.read = sorted({*self.read, *(n.column for n in needs)})
        self.attrs = [ATTRS[c] for c in self.read]

    def __call__(self, doc: Doc) -> Iterator[tuple[str, int, int, tuple[int, ...]]]:
        """(key, start, end, tokens the pattern's gap fillers took) for every match."""
        if not self.patterns or not len(doc):
            return
        array = doc.to_array(self.attrs).reshape(len(doc), -1)
        columns = {c: array[:, i] for i, c in enumerate(self.read)}
        present = {c: set(values.tolist()) for c, values in columns.items()}
        candidates = set(self.always)
        for column, index in self.index.items():
            for value in present[column].intersection(index):
                candidates.update(index[value])
        sentences: Sentences | None = None
        for number in sorted(candidates):
            pattern = self.patterns[number]
            if any(present[n.column].isdisjoint(n.values) for n in pattern.needs):
                continue  # something the pattern needs is nowhere in the doc
            if sentences is None:
                sentences = Sentences(doc, columns, self.sentences)
            for run in sentences.holding(pattern.needs):
                start, end = sentences.narrow(run, pattern.first, pattern.last)
                if start >= end:
                    continue
                part = doc[start:end] if (start, end) != (0, len(doc)) else doc
                for _key, s, e, alignment in pattern.matcher(part, with_alignments=True):  # type: ignore[misc]
                    fillers = pattern.fillers
                    taken = tuple(start + s + i for i, a in enumerate(alignment) if a in fillers)
                    yield pattern.key, start + s, start + e, taken


class Sentences:
    """A doc's sentences, to find the runs of them that hold what a pattern needs."""

    def __init__(self, doc: Doc, columns: dict[int, np.ndarray], split: bool = True) -> None:
        self.length = len(doc)
        starts = sentence_starts(doc) if split else [0]
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
                column = self.column(need.column)
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

    def column(self, number: int) -> list[int]:
        values = self.values.get(number)
        if values is None:
            values = self.values[number] = self.columns[number].tolist()
        return values

    def narrow(
        self, run: tuple[int, int], first: Requirement | None, last: Requirement | None
    ) -> tuple[int, int]:
        """The part of a run from its first token that can start a match to its last token
        that can end one (empty when there is none)."""
        start, end = run
        if first is not None:
            values, column = first.values, self.column(first.column)
            start = next((i for i in range(start, end) if column[i] in values), end)
        if last is not None and start < end:
            values, column = last.values, self.column(last.column)
            end = next((i + 1 for i in range(end - 1, start - 1, -1) if column[i] in values), start)
        return start, end
