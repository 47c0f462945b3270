"""Run detection over pages: blocks of text in, findings and disclosures out.

A page's blocks go through the pipeline one doc per block (no sentence crosses a block).
One decision needs the whole page: a claim without a therapy named in its sentence (a
headline "Regrow cartilage naturally", "They also repair discs", "Our protocol rebuilds
bone") counts only on a page that names a regenerative therapy somewhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from spacy.tokens import Doc

from scanner.detect.context import CLAIMS, DISCLOSURES, PAGE_GATED_SUBJECTS
from scanner.detect.packs import pack_for
from scanner.detect.pipeline import build_pipeline
from scanner.detect.rules import RulePack

NEARBY_BLOCKS = 3  # disclosures this many blocks away count as "nearby"
PAGES_PER_CHUNK = 64


@dataclass(frozen=True)
class Disclosure:
    block: int
    start: int  # character offsets in the block's text
    end: int
    text: str
    sentence: str


@dataclass(frozen=True)
class Finding:
    rule_id: str
    category: str
    severity: str
    strength: str
    negated: bool
    reason: str | None
    block: int
    start: int  # character offsets of the match in the block's text
    end: int
    text: str
    sentence: str
    sentence_start: int
    cues: tuple[str, ...]
    subject: str
    disclosures: tuple[str, ...] = ()


@dataclass
class PageResult:
    findings: list[Finding] = field(default_factory=list)
    disclosures: list[Disclosure] = field(default_factory=list)

    @property
    def claims(self) -> list[Finding]:
        return [f for f in self.findings if not f.negated]


class Detector:
    def __init__(self, extra_rules: Iterable[Path] = (), builtin: bool = True) -> None:
        folders = tuple(str(Path(d).resolve()) for d in extra_rules)
        self.pack: RulePack = pack_for(folders, builtin)
        self.nlp = build_pipeline([Path(f) for f in folders], builtin)

    def page(self, blocks: Sequence[str]) -> PageResult:
        return next(self.pages([blocks]))

    def pages(self, pages: Iterable[Sequence[str]], batch_size: int = 256) -> Iterator[PageResult]:
        """Results for each page, in order, streaming blocks through nlp.pipe in batches."""
        iterator = iter(pages)
        while chunk := list(islice(iterator, PAGES_PER_CHUNK)):
            items = [
                (text, (p, b)) for p, blocks in enumerate(chunk) for b, text in enumerate(blocks)
            ]
            docs: list[list[tuple[int, Doc]]] = [[] for _ in chunk]
            for doc, (p, b) in self.nlp.pipe(items, as_tuples=True, batch_size=batch_size):
                docs[p].append((b, doc))
            for page_docs in docs:
                yield self._page_result(page_docs)

    def _page_result(self, docs: list[tuple[int, Doc]]) -> PageResult:
        result = PageResult()
        names_therapy = any(ent.label_ == "THERAPY" for _, doc in docs for ent in doc.ents)
        for block, doc in docs:
            for span in doc.spans[DISCLOSURES]:
                result.disclosures.append(
                    Disclosure(block, span.start_char, span.end_char, span.text, span.sent.text)
                )
        for block, doc in docs:
            for span in doc.spans[CLAIMS]:
                negated, reason = span._.negated, span._.reason
                if not negated and span._.subject in PAGE_GATED_SUBJECTS and not names_therapy:
                    negated, reason = True, "no_subject"
                nearby = tuple(
                    dict.fromkeys(
                        d.sentence for d in result.disclosures
                        if abs(d.block - block) <= NEARBY_BLOCKS
                    )
                )  # fmt: skip
                result.findings.append(
                    Finding(
                        rule_id=span._.rule_id,
                        category=span._.category,
                        severity=span._.severity,
                        strength=span._.strength,
                        negated=negated,
                        reason=reason,
                        block=block,
                        start=span.start_char,
                        end=span.end_char,
                        text=span.text,
                        sentence=span.sent.text,
                        sentence_start=span.sent.start_char,
                        cues=span._.cues,
                        subject=span._.subject,
                        disclosures=nearby,
                    )
                )
        return result
