"""Run detection over pages: blocks of text in, findings and disclosures out.

A page's blocks go through the pipeline one doc per block (no sentence crosses a block);
what needs the whole page (its genre, whether it names a therapy) is decided in page.py.
A finding is one sentence: every rule that makes a claim of it is in `rules`, the main one
(the most severe, then the most specific category) in `rule_id`.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from itertools import islice
from pathlib import Path

from spacy.tokens import Doc

from scanner.detect.findings import Disclosure, Finding, PageResult
from scanner.detect.packs import pack_for
from scanner.detect.page import page_result
from scanner.detect.pipeline import build_pipeline
from scanner.detect.rules import RulePack
from scanner.detect.state import state

PAGES_PER_CHUNK = 64

__all__ = ["Detector", "Disclosure", "Finding", "PageResult"]


class Detector:
    def __init__(self, extra_rules: Iterable[Path] = (), builtin: bool = True) -> None:
        folders = tuple(str(Path(d).resolve()) for d in extra_rules)
        self.pack: RulePack = pack_for(folders, builtin)
        self.nlp = build_pipeline([Path(f) for f in folders], builtin)
        # The pipeline's objects live as long as the process: move them (and everything
        # loaded before) out of the collector's way, so its full collections, which a
        # pipeline's churn of small objects triggers often, do not walk them each time
        # (about 8% of detection time, measured with benchmarks/scan.py's corpus).
        gc.freeze()

    def page(self, blocks: Sequence[str]) -> PageResult:
        return next(self.pages([blocks]))

    def pages(
        self,
        pages: Iterable[Sequence[str]],
        batch_size: int = 256,
        names: Iterable[Sequence[str]] | None = None,
    ) -> Iterator[PageResult]:
        """Results for each page, in order, streaming blocks through nlp.pipe in batches.
        `names`, one sequence per page, are the site's own names (the clinic's name): words
        inside one, in a title or standing alone, are not claims ("Renew Bone & Joint")."""
        iterator = iter(pages)
        named = iter(names) if names is not None else None
        while chunk := list(islice(iterator, PAGES_PER_CHUNK)):
            chunk_names = [next(named, ()) if named else () for _ in chunk]
            # A block too long for spaCy goes through in pieces, each a doc of its own:
            # `places[p][i]` is the block and the offset in it of page p's i-th piece.
            places: list[list[tuple[int, int]]] = []
            items = []
            for p, blocks in enumerate(chunk):
                places.append([])
                for b, text in enumerate(blocks):
                    for offset, piece in split_block(text):
                        items.append((piece, (p, len(places[p]))))
                        places[p].append((b, offset))
            with collector_paused():
                results = self._chunk(items, chunk_names, places, batch_size)
            yield from results

    def _chunk(
        self,
        items: list[tuple[str, tuple[int, int]]],
        names: list[Sequence[str]],
        places: list[list[tuple[int, int]]],
        batch_size: int,
    ) -> list[PageResult]:
        docs: list[list[tuple[int, Doc]]] = [[] for _ in places]
        texts: list[list[str]] = [[] for _ in places]
        for (doc, (p, i)), (text, _) in zip(
            self.nlp.pipe(items, as_tuples=True, batch_size=batch_size), items, strict=True
        ):
            docs[p].append((i, doc))
            texts[p].append(text)
        results = []
        for page_docs, page_texts, site_names, where in zip(
            docs, texts, names, places, strict=True
        ):
            result = page_result(page_docs, self.pack, site_names, page_texts)
            split = any(offset for _, offset in where)  # else piece i is block i
            results.append(in_blocks(result, where) if split else result)
            for _, doc in page_docs:
                if doc.spans or state(doc).decisions:
                    release(doc)
        return results


def release(doc: Doc) -> None:
    """Break the reference cycles a detected doc holds (its spans and the decisions that
    hold spans point back at it), so that it is freed when the last reference goes, not
    when the cyclic collector gets to it. (A doc with neither holds no cycle.)"""
    doc.spans.clear()
    doc.user_data.clear()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a chunk of pages is detected: the chunk's docs
    are alive until its results are made, so the collector's passes over them, which the
    pipeline's many small objects trigger again and again, find nothing to free. They
    took about a sixth of detection time (benchmarks/scan.py's corpus, against the
    collector off). Reference counting still frees what it can (release() breaks a
    detected doc's cycles); the collector runs again after the chunk."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# spaCy refuses a text over nlp.max_length (1,000,000 characters); a page can hold one
# block that long. Pieces of at most this many characters stay far below it.
MAX_PIECE = 100_000
SENTENCE_END = re.compile(r"[.!?\u2026\u3002][\"\u201d\u2019)\]]*\s+")


def split_block(text: str, size: int = MAX_PIECE) -> list[tuple[int, str]]:
    """A block as (offset, text) pieces of at most `size` characters, cut after a sentence
    end where there is one, else at a space, else anywhere. Short blocks are one piece."""
    if len(text) <= size:
        return [(0, text)]
    pieces = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        cut = end
        if end < len(text):
            window = text[start:end]
            ends = list(SENTENCE_END.finditer(window))
            if ends and ends[-1].end() > size // 2:
                cut = start + ends[-1].end()
            elif (space := window.rfind(" ")) > size // 2:
                cut = start + space + 1
        pieces.append((start, text[start:cut]))
        start = cut
    return pieces


def in_blocks(result: PageResult, where: list[tuple[int, int]]) -> PageResult:
    """Findings and disclosures of pieces, as places in their blocks."""
    findings = [
        replace(f, block=where[f.block][0], start=f.start + where[f.block][1],
                end=f.end + where[f.block][1],
                sentence_start=f.sentence_start + where[f.block][1])
        for f in result.findings
    ]  # fmt: skip
    disclosures = [
        replace(d, block=where[d.block][0], start=d.start + where[d.block][1],
                end=d.end + where[d.block][1])
        for d in result.disclosures
    ]  # fmt: skip
    return PageResult(findings=findings, disclosures=disclosures, genre=result.genre)
