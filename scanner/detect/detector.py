"""Run detection over pages: blocks of text in, findings and disclosures out.

A page's blocks go through the pipeline one doc per block (no sentence crosses a block);
what needs the whole page (its genre, whether it names a therapy) is decided in page.py.
A finding is one sentence: every rule that makes a claim of it is in `rules`, the main one
(the most severe, then the most specific category) in `rule_id`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from pathlib import Path

from spacy.tokens import Doc

from scanner.detect.findings import Disclosure, Finding, PageResult
from scanner.detect.packs import pack_for
from scanner.detect.page import page_result
from scanner.detect.pipeline import build_pipeline
from scanner.detect.rules import RulePack

PAGES_PER_CHUNK = 64

__all__ = ["Detector", "Disclosure", "Finding", "PageResult"]


class Detector:
    def __init__(self, extra_rules: Iterable[Path] = (), builtin: bool = True) -> None:
        folders = tuple(str(Path(d).resolve()) for d in extra_rules)
        self.pack: RulePack = pack_for(folders, builtin)
        self.nlp = build_pipeline([Path(f) for f in folders], builtin)

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
            items = [
                (text, (p, b)) for p, blocks in enumerate(chunk) for b, text in enumerate(blocks)
            ]
            docs: list[list[tuple[int, Doc]]] = [[] for _ in chunk]
            for doc, (p, b) in self.nlp.pipe(items, as_tuples=True, batch_size=batch_size):
                docs[p].append((b, doc))
            for page_docs, site_names in zip(docs, chunk_names, strict=True):
                yield page_result(page_docs, self.pack, site_names)
