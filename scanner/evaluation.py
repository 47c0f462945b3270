"""Detection quality against gold labels, and agreement between two annotators.

The gold format (JSON Lines, one page a line; the same as the project's development set):

    {"file": "page-1.txt", "kind": "clinic",
     "claims": [{"text": "...", "label": "assertive", "category": "regeneration"}],
     "near_misses": ["..."]}
    {"file": "page-2.txt", "kind": "news", "quoted_claims": [{"text": "...", "label": "..."}]}

A clinic page lists its claims (every other sentence is not one); any other kind of page
(news, academic, regulator, skeptic, patient-info, unrelated) holds no claims of its own:
a flag there is a false flag unless it is one of the clinic words the page quotes
(`quoted_claims`: neither rewarded nor punished). A flagged sentence matches a gold claim
when, in lowercase words, one contains the other or they share 70% of the shorter's words.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scanner.errors import InputError

WORD = re.compile(r"[a-z0-9%]+")
OVERLAP = 0.7


class GoldClaim(BaseModel):
    model_config = ConfigDict(extra="ignore")

    text: str = Field(min_length=1)
    label: Literal["assertive", "hedged"] = "assertive"
    category: str = "?"


class GoldPage(BaseModel):
    model_config = ConfigDict(extra="ignore")

    file: str = Field(min_length=1)
    kind: str = Field(min_length=1)
    claims: list[GoldClaim] = []
    quoted_claims: list[GoldClaim] = []
    near_misses: list[str] = []

    @property
    def is_clinic(self) -> bool:
        return self.kind == "clinic"


class Flag(BaseModel):
    """A sentence the detector flagged on a page."""

    sentence: str
    strength: str
    category: str
    rules: tuple[str, ...]


def words(text: str) -> str:
    return " ".join(WORD.findall(text.lower()))


def same_sentence(a: str, b: str) -> bool:
    na, nb = words(a), words(b)
    if not na or not nb:
        return False
    if na in nb or nb in na:
        return True
    ta, tb = set(na.split()), set(nb.split())
    return len(ta & tb) / min(len(ta), len(tb)) >= OVERLAP


def load_gold(paths: Iterable[Path]) -> list[GoldPage]:
    """Every page of the gold files; a bad line is an InputError naming file and line."""
    pages: list[GoldPage] = []
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read: {exc}") from None
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                pages.append(GoldPage.model_validate(json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not JSON: {exc.msg}") from None
            except ValidationError as exc:
                error = exc.errors()[0]
                field = ".".join(str(p) for p in error["loc"]) or "-"
                raise InputError(f"{path}:{number}: field {field!r}: {error['msg']}") from None
    return pages


class Score(BaseModel):
    found: int
    total: int

    @property
    def rate(self) -> float:
        return self.found / self.total if self.total else 0.0


class RulePrecision(BaseModel):
    rule: str
    true_flags: int
    false_flags: int

    @property
    def precision(self) -> float:
        flags = self.true_flags + self.false_flags
        return self.true_flags / flags if flags else 0.0


class Evaluation(BaseModel):
    precision: float
    recall: float
    f1: float
    true_flags: int
    false_flags: int
    claims: int
    recall_by_category: dict[str, Score]
    recall_by_strength: dict[str, Score]
    strength_agreement: float | None
    rules: list[RulePrecision]
    other_pages: int
    false_flags_on_other_pages: int
    false_flags_per_other_page: float
    quoted_claims_found: Score
    misses: list[str]
    false_flag_list: list[str]


def evaluate(pages: Sequence[GoldPage], flags: dict[str, list[Flag]]) -> Evaluation:
    """Score the flags of each page (keyed by its `file`) against the gold pages."""
    tp = fp = other_fp = quoted_found = quoted_total = strength_known = strength_same = 0
    by_category: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_strength: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    rule_counts: dict[str, Counter[str]] = defaultdict(Counter)
    misses: list[str] = []
    false_flags: list[str] = []
    for page in pages:
        page_flags = flags.get(page.file, [])
        if page.is_clinic:
            for claim in page.claims:
                hits = [f for f in page_flags if same_sentence(claim.text, f.sentence)]
                by_category[claim.category][1] += 1
                by_strength[claim.label][1] += 1
                if hits:
                    by_category[claim.category][0] += 1
                    by_strength[claim.label][0] += 1
                    strength_known += 1
                    strength_same += hits[0].strength == claim.label
                else:
                    misses.append(f"{page.file} [{claim.label}/{claim.category}] {claim.text}")
            for flag in page_flags:
                good = any(same_sentence(c.text, flag.sentence) for c in page.claims)
                tp, fp = tp + good, fp + (not good)
                for rule in flag.rules:
                    rule_counts[rule]["true" if good else "false"] += 1
                if not good:
                    false_flags.append(f"{page.file} {flag.sentence}")
        else:
            quoted_total += len(page.quoted_claims)
            quoted_found += sum(
                any(same_sentence(q.text, f.sentence) for f in page_flags)
                for q in page.quoted_claims
            )
            for flag in page_flags:
                if any(same_sentence(q.text, flag.sentence) for q in page.quoted_claims):
                    continue
                other_fp += 1
                for rule in flag.rules:
                    rule_counts[rule]["false"] += 1
                false_flags.append(f"{page.file} ({page.kind}) {flag.sentence}")
    claims = sum(total for _, total in by_category.values())
    found = sum(hit for hit, _ in by_category.values())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = found / claims if claims else 0.0
    others = sum(not p.is_clinic for p in pages)
    return Evaluation(
        precision=precision,
        recall=recall,
        f1=2 * precision * recall / (precision + recall) if precision + recall else 0.0,
        true_flags=tp,
        false_flags=fp,
        claims=claims,
        recall_by_category={
            k: Score(found=v[0], total=v[1]) for k, v in sorted(by_category.items())
        },
        recall_by_strength={
            k: Score(found=v[0], total=v[1]) for k, v in sorted(by_strength.items())
        },
        strength_agreement=strength_same / strength_known if strength_known else None,
        rules=sorted(
            (
                RulePrecision(rule=rule, true_flags=c["true"], false_flags=c["false"])
                for rule, c in rule_counts.items()
            ),
            key=lambda r: (r.precision, r.rule),
        ),
        other_pages=others,
        false_flags_on_other_pages=other_fp,
        false_flags_per_other_page=other_fp / others if others else 0.0,
        quoted_claims_found=Score(found=quoted_found, total=quoted_total),
        misses=misses,
        false_flag_list=false_flags,
    )


class Agreement(BaseModel):
    pages: int
    sentences: int
    kappa: float
    observed: float
    b_precision_against_a: float
    b_recall_against_a: float
    claims_a: int
    claims_b: int


def agreement(
    a: Sequence[GoldPage], b: Sequence[GoldPage], sentences: dict[str, list[str]]
) -> Agreement:
    """Sentence-level agreement of two annotators on the pages both labelled: Cohen's kappa
    over every sentence of those pages (claim or not), and B's claims against A's as
    precision and recall."""
    b_by_file = {page.file: page for page in b}
    both = [(page, b_by_file[page.file]) for page in a if page.file in b_by_file]
    if not both:
        raise InputError("the two gold files share no page (same `file` values)")
    counts: Counter[tuple[bool, bool]] = Counter()
    matched_b = matched_a = claims_a = claims_b = 0
    for page_a, page_b in both:
        texts_a = [c.text for c in page_a.claims]
        texts_b = [c.text for c in page_b.claims]
        claims_a, claims_b = claims_a + len(texts_a), claims_b + len(texts_b)
        matched_b += sum(any(same_sentence(x, y) for y in texts_a) for x in texts_b)
        matched_a += sum(any(same_sentence(x, y) for y in texts_b) for x in texts_a)
        for sentence in sentences.get(page_a.file, []):
            in_a = any(same_sentence(sentence, t) for t in texts_a)
            in_b = any(same_sentence(sentence, t) for t in texts_b)
            counts[(in_a, in_b)] += 1
    total = sum(counts.values())
    if not total:
        raise InputError("no sentences to compare: are the page files in --pages?")
    observed = (counts[(True, True)] + counts[(False, False)]) / total
    yes_a = (counts[(True, True)] + counts[(True, False)]) / total
    yes_b = (counts[(True, True)] + counts[(False, True)]) / total
    expected = yes_a * yes_b + (1 - yes_a) * (1 - yes_b)
    return Agreement(
        pages=len(both),
        sentences=total,
        kappa=(observed - expected) / (1 - expected) if expected < 1 else 1.0,
        observed=observed,
        b_precision_against_a=matched_b / claims_b if claims_b else 0.0,
        b_recall_against_a=matched_a / claims_a if claims_a else 0.0,
        claims_a=claims_a,
        claims_b=claims_b,
    )
