"""Token patterns that run only where they can match: a regex engine's required-literal
prefilter, for spaCy's Matcher, worked out for a whole batch of docs at once.

spaCy evaluates `IN` lists (and SHAPE, REGEX) in Python, for every token a pattern looks
at, and a Matcher's cost grows with its patterns. So each pattern gets a Matcher of its own
and the values its required elements need (an ENT_TYPE, a LEMMA from a list, a SHAPE, a
number): its requirements. Each requirement is one bit. For a batch of docs, numpy gives
every token the bits of the requirements it meets and every sentence (with
`sentences=True`; else every doc) the union of its tokens' bits. A pattern runs only on
the runs of consecutive sentences that hold all its bits, from the first token that can
start a match to the last that can end one. Results are the same as running every pattern
everywhere (tests/test_prefilter.py); the per-doc Python work is gone, which was most of
the matcher's time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from spacy.attrs import ENT_TYPE, IS_TITLE, LEMMA, LIKE_NUM, LOWER, ORTH, SHAPE
from spacy.matcher import Matcher
from spacy.strings import StringStore
from spacy.tokens import Doc
from spacy.util import minibatch
from spacy.vocab import Vocab

from scanner.detect.sentences import sentence_starts
from scanner.detect.state import LEXICAL_INDEX, column, lexical, state

ATTRS = [ENT_TYPE, LOWER, LEMMA, ORTH, LIKE_NUM, SHAPE, IS_TITLE]
COLUMNS = {
    "ENT_TYPE": 0, "LOWER": 1, "LEMMA": 2, "ORTH": 3, "TEXT": 3, "LIKE_NUM": 4, "SHAPE": 5,
    "IS_TITLE": 6,
}  # fmt: skip
FLAGS = frozenset({"LIKE_NUM", "IS_TITLE"})  # true or false: a requirement only when true
WORD = 64  # requirement bits per uint64 word

# (pattern key, start, end, tokens the pattern's gap fillers took)
Match = tuple[str, int, int, tuple[int, ...]]


def is_filler(element: dict[str, Any]) -> bool:
    """A gap element: any number of tokens, constrained at most by what they may not be."""
    op = str(element.get("OP", ""))
    return op == "*" or op.startswith("{")


@dataclass(frozen=True)
class Requirement:
    """Some token must have one of `values` in attribute column `column`."""

    column: int
    values: frozenset[int]


def requirements(pattern: list[dict[str, Any]], strings: StringStore) -> list[Requirement]:
    """What a pattern's required elements need, where that can be told from the pattern."""
    return [need for element in pattern for need in element_needs(element, strings)]


def is_required(element: dict[str, Any]) -> bool:
    """Must some token match the element ("", "+", "{1,5}", "{2}"; not "?", "*", "{0,3}")?"""
    op = str(element.get("OP", ""))
    if op in ("", "+"):
        return True
    least = re.match(r"\{(\d+)", op)
    return least is not None and int(least.group(1)) >= 1


def element_needs(element: dict[str, Any], strings: StringStore) -> list[Requirement]:
    """What the token matching one element must have (nothing, for an optional element)."""
    needs: list[Requirement] = []
    if is_required(element):
        for attr, value in element.items():
            if attr not in COLUMNS:
                continue
            if attr in FLAGS:
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
        self.bits = RequirementBits()
        self._needs: Needs | None = None

    def add(self, key: str, pattern: list[dict[str, Any]]) -> None:
        matcher = Matcher(self.vocab, validate=True)
        matcher.add(key, [pattern])
        fillers = frozenset(i for i, e in enumerate(pattern) if is_filler(e))
        needs = requirements(pattern, self.vocab.strings)
        first = element_needs(pattern[0], self.vocab.strings)
        last = element_needs(pattern[-1], self.vocab.strings)
        for need in needs:
            self.bits.add(need)
        self._needs = None  # the bits may have grown a word
        self.patterns.append(
            Pattern(
                key, matcher, fillers, needs, first[0] if first else None, last[0] if last else None
            )
        )

    def __call__(self, doc: Doc) -> list[Match]:
        """Every match in one doc."""
        return self.matches([doc])[0]

    def pipe(self, docs: Iterable[Doc], batch_size: int) -> Iterator[tuple[Doc, list[Match]]]:
        """Each doc with its matches, worked out `batch_size` docs at a time (for a spaCy
        component's own `pipe`)."""
        for batch in minibatch(docs, batch_size):
            yield from zip(batch, self.matches(batch), strict=True)

    def matches(self, docs: Sequence[Doc]) -> list[list[Match]]:
        """Every match of every pattern, for each doc of a batch."""
        found: list[list[Match]] = [[] for _ in docs]
        if not self.patterns:
            return found
        if self._needs is None:
            self._needs = Needs(self.patterns, self.bits)
        batch = Batch(docs, self.bits, self.sentences)
        for number, d, start, end in batch.ranges(self._needs):
            pattern, doc = self.patterns[number], docs[d]
            part = doc[start:end] if (start, end) != (0, len(doc)) else doc
            for _key, s, e, alignment in pattern.matcher(part, with_alignments=True):  # type: ignore[misc]
                fillers = pattern.fillers
                taken = tuple(start + s + i for i, a in enumerate(alignment) if a in fillers)
                found[d].append((pattern.key, start + s, start + e, taken))
        return found


class RequirementBits:
    """Each requirement a bit; for each attribute column, the bits each value sets. Bits
    are kept as uint64 words: word w of every token is one contiguous array."""

    def __init__(self) -> None:
        self.number: dict[Requirement, int] = {}
        self.columns: list[int] = []  # the columns a requirement reads
        self._tables: dict[int, tuple[np.ndarray, np.ndarray]] | None = None

    @property
    def words(self) -> int:
        return max(1, (len(self.number) + WORD - 1) // WORD)

    def add(self, need: Requirement) -> None:
        if need not in self.number:
            self.number[need] = len(self.number)
            self.columns = sorted({*self.columns, need.column})
            self._tables = None

    def bit(self, need: Requirement) -> tuple[int, np.uint64]:
        """The word a requirement's bit is in, and that bit."""
        number = self.number[need]
        return number // WORD, np.uint64(1 << (number % WORD))

    def tables(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """For each column: its sorted values, and the bits each one sets (one row a word)."""
        if self._tables is None:
            by_value: dict[int, dict[int, list[Requirement]]] = {}
            for need in self.number:
                for value in need.values:
                    by_value.setdefault(need.column, {}).setdefault(value, []).append(need)
            self._tables = {}
            for column, values in by_value.items():
                keys = sorted(values)
                masks = np.zeros((self.words, len(keys)), dtype=np.uint64)
                for k, key in enumerate(keys):
                    for need in values[key]:
                        word, bit = self.bit(need)
                        masks[word, k] |= bit
                self._tables[column] = (np.array(keys, dtype=np.uint64), masks)
        return self._tables

    def of_tokens(self, columns: np.ndarray) -> np.ndarray:
        """Each token's bits, one row a word (`columns`: the tokens' values, one column for
        each of self.columns)."""
        bits = np.zeros((self.words, len(columns)), dtype=np.uint64)
        tables = self.tables()
        for i, number in enumerate(self.columns):
            keys, masks = tables[number]
            values = columns[:, i]
            at = np.minimum(np.searchsorted(keys, values), len(keys) - 1)
            hit = np.flatnonzero(keys[at] == values)
            bits[:, hit] |= masks[:, at[hit]]
        return bits


class Needs:
    """The patterns' requirements as arrays: what each needs in a sentence (one row a
    pattern, one column a word of bits), and the one bit its first and its last token
    must have (as an index into `bits`, or -1)."""

    def __init__(self, patterns: Sequence[Pattern], bits: RequirementBits) -> None:
        self.all = np.zeros((len(patterns), bits.words), dtype=np.uint64)
        for row, pattern in enumerate(patterns):
            for need in pattern.needs:
                word, bit = bits.bit(need)
                self.all[row, word] |= bit
        self.bits: list[tuple[int, np.uint64]] = []  # (word, bit) of the first/last needs
        self.first = np.array([self._index(p.first, bits) for p in patterns], dtype=np.int64)
        self.last = np.array([self._index(p.last, bits) for p in patterns], dtype=np.int64)

    def _index(self, need: Requirement | None, bits: RequirementBits) -> int:
        if need is None:
            return -1
        if (found := bits.bit(need)) not in self.bits:
            self.bits.append(found)
        return self.bits.index(found)


class Batch:
    """The sentences of a batch of docs laid end to end (with `sentences=False`, each doc
    one sentence), with the bits of each token and of each sentence."""

    def __init__(self, docs: Sequence[Doc], bits: RequirementBits, sentences: bool) -> None:
        sizes = [len(doc) for doc in docs]
        lengths = np.array(sizes, dtype=np.int64)
        self.offset = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
        self.length = int(lengths.sum())
        present = [(doc, state(doc)) for doc, size in zip(docs, sizes, strict=True) if size]
        columns = np.zeros((self.length, len(bits.columns)), dtype=np.uint64)
        words = np.concatenate([lexical(doc, known) for doc, known in present]) if present else None
        for i, number in enumerate(bits.columns):
            attr = ATTRS[number]
            if words is not None and attr in LEXICAL_INDEX:
                columns[:, i] = words[:, LEXICAL_INDEX[attr]]
            elif present:
                columns[:, i] = np.concatenate([column(doc, attr, known) for doc, known in present])
        firsts = self.offset[lengths > 0]
        if sentences:
            local: list[int] = []
            for (doc, known), offset in zip(present, firsts.tolist(), strict=True):
                local.extend([offset + s for s in known.sentence_starts or sentence_starts(doc)])
            starts = np.array(local, dtype=np.int64)
        else:
            starts = firsts
        self.starts = np.append(starts, self.length)  # and where the last one ends
        # The doc of each sentence: the last doc that starts at or before it (empty docs
        # start where the next one does, so the last of equals is the right one).
        self.doc_of = np.searchsorted(self.offset, starts, side="right") - 1
        self.token_bits = bits.of_tokens(columns)
        self.sentence_bits = (
            np.bitwise_or.reduceat(self.token_bits, starts, axis=1)
            if len(starts)
            else np.zeros((bits.words, 0), dtype=np.uint64)
        )

    def ranges(self, needs: Needs) -> Iterator[tuple[int, int, int, int]]:
        """(pattern, doc, start, end) token ranges where each pattern can match: runs of
        consecutive sentences of one doc that hold all it needs, narrowed to where a match
        can start (a token with its first bit) and end (its last bit). All patterns at
        once, pattern by pattern."""
        sentence_bits = self.sentence_bits
        if not sentence_bits.shape[1]:
            return
        holds = np.ones((len(needs.all), sentence_bits.shape[1]), dtype=bool)
        for word in range(needs.all.shape[1]):
            need = needs.all[:, word : word + 1]
            holds &= (sentence_bits[word] & need) == need
        pattern, sentence = np.nonzero(holds)  # by pattern, then by sentence
        if not len(pattern):
            return
        # Runs: a good sentence starts one unless the one before it is good for the same
        # pattern and of the same doc.
        docs = self.doc_of[sentence]
        new = np.ones(len(sentence), dtype=bool)
        new[1:] = (np.diff(sentence) != 1) | (np.diff(docs) != 0) | (np.diff(pattern) != 0)
        firsts = np.flatnonzero(new)
        lasts = np.append(firsts[1:], len(sentence)) - 1
        run_pattern = pattern[firsts]
        run_start = self.starts[sentence[firsts]]
        run_end = self.starts[sentence[lasts] + 1]
        run_doc = docs[firsts]
        run_start = self._narrow(run_start, run_end, needs.first[run_pattern], needs, True)
        run_end = self._narrow(run_start, run_end, needs.last[run_pattern], needs, False)
        base = self.offset[run_doc]
        for p, d, start, end in zip(
            run_pattern.tolist(),
            run_doc.tolist(),
            (run_start - base).tolist(),
            (run_end - base).tolist(),
            strict=True,
        ):
            if start < end:
                yield p, d, start, end

    def _narrow(
        self, start: np.ndarray, end: np.ndarray, bit: np.ndarray, needs: Needs, forward: bool
    ) -> np.ndarray:
        """Each run's first token with its bit (`bit`: an index into needs.bits, -1 for
        none) (forward; else the run's end), or the token after its last one with it
        (backward; else the run's start)."""
        narrowed = start.copy() if forward else end.copy()
        for number in np.unique(bit[bit >= 0]).tolist():
            runs = np.flatnonzero(bit == number)
            word, value = needs.bits[number]
            able = np.flatnonzero(self.token_bits[word] & value)
            if forward:
                at = np.searchsorted(able, start[runs])
                found = np.append(able, self.length)[at]
                narrowed[runs] = np.minimum(found, end[runs])
            else:
                at = np.searchsorted(able, end[runs]) - 1
                found = np.where(at >= 0, np.append(able, -1)[at] + 1, start[runs])
                narrowed[runs] = np.maximum(found, start[runs])
        return narrowed
