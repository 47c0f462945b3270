"""Decisions that need the whole page, and one finding per sentence.

- The page's genre (genre.py). On the clinic's own marketing a benefit needs no subject in
  its sentence, and a reported study or a quoted patient is the clinic's claim (the
  context component leaves these as `soft` reasons, lifted here). On a page that writes
  about clinics (news, academic, regulator, skeptic), only words it quotes are claims,
  and only for rules that are not `pages: marketing`.
- A claim with no therapy named in its sentence (a headline "Regrow cartilage naturally",
  "They also repair discs", "Our protocol rebuilds bone") counts only on a page that names
  a regenerative therapy somewhere.
- Words inside the site's own name ("Renew Bone & Joint" in a page title) are a name.
- A sentence that several rules flag is one finding, with every rule and category.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from spacy.tokens import Doc, Span

from scanner.detect.context import DISCLOSURES, PAGE_GATED_SUBJECTS, Decision
from scanner.detect.findings import Disclosure, Finding, PageResult
from scanner.detect.genre import MARKETING, judge
from scanner.detect.rules import SEVERITY_RANK, RulePack
from scanner.detect.sentences import sentence_of
from scanner.detect.state import state

NEARBY_BLOCKS = 3  # disclosures this many blocks away count as "nearby"
# Which category leads when one sentence carries several (the most specific first).
CATEGORY_ORDER = (
    "cure", "regeneration", "safety", "approval", "success_rate", "comparative", "testimonial",
    "efficacy",
)  # fmt: skip
OPENING_QUOTES = frozenset({'"', "“", "«", "„"})
CLOSING_QUOTES = frozenset({'"', "”", "»", "“"})


def page_result(
    docs: Sequence[tuple[int, Doc]],
    pack: RulePack,
    names: Sequence[str] = (),
    texts: Sequence[str] | None = None,
) -> PageResult:
    """One page's result from its docs ((block, doc) pairs). `texts`, the docs' texts in
    the same order, saves joining each doc's tokens back into its text (doc.text)."""
    states = [state(doc) for _, doc in docs]
    genre = judge(s.genre for s in states)
    result = PageResult(genre=genre)
    therapy = docs[0][1].vocab.strings["THERAPY"] if docs else 0
    names_therapy = any(therapy in s.labels for s in states)
    for number, (block, doc) in enumerate(docs):
        if spans := doc.spans.get(DISCLOSURES, ()):
            text = texts[number] if texts is not None else doc.text
            for span in spans:
                sentence = sentence_of(doc, span.start)
                result.disclosures.append(
                    Disclosure(
                        block,
                        span.start_char,
                        span.end_char,
                        text[span.start_char : span.end_char],
                        text[sentence.start_char : sentence.end_char],
                    )
                )
    for number, (block, doc) in enumerate(docs):
        decisions = states[number].decisions
        if not decisions:
            continue
        # Texts are cut from the block's text: a Span's .text joins its tokens one by one.
        text = texts[number] if texts is not None else doc.text
        nearby = tuple(
            dict.fromkeys(
                d.sentence for d in result.disclosures if abs(d.block - block) <= NEARBY_BLOCKS
            )
        )
        decided = [
            _finding(decision, block, text, genre == MARKETING, names_therapy, nearby)
            for decision in decisions
        ]
        if names and (spans := name_spans(text, names)):
            decided = [_unless_a_name(f, spans) for f in decided]
        result.findings.extend(one_per_sentence(decided))
    return result


def _finding(
    decision: Decision,
    block: int,
    text: str,
    marketing: bool,
    names_therapy: bool,
    nearby: tuple[str, ...],
) -> Finding:
    span = decision.span
    sentence = sentence_of(span.doc, span.start)
    negated, reason = decision.negated, decision.reason
    if decision.soft and marketing and reason in decision.soft:
        negated, reason = False, None
    if not negated and decision.subject in PAGE_GATED_SUBJECTS and not names_therapy:
        negated, reason = True, "no_subject"
    if not negated and not marketing and (decision.marketing_only or not quoted(span)):
        negated, reason = True, "editorial"
    return Finding(
        rule_id=decision.rule_id,
        category=decision.category,
        severity=decision.severity,
        strength=decision.strength,
        negated=negated,
        reason=reason,
        block=block,
        start=span.start_char,
        end=span.end_char,
        text=text[span.start_char : span.end_char],
        sentence=text[sentence.start_char : sentence.end_char],
        sentence_start=sentence.start_char,
        cues=decision.cues,
        subject=decision.subject,
        disclosures=nearby,
        rules=(decision.rule_id,),
        categories=(decision.category,),
    )


# What separates a page title's parts: "Knee Pain | Renew Bone & Joint", "Home - Vita Cell"
# (also an en or em dash, a middle dot, a guillemet or "::").
TITLE_SEPARATOR = re.compile(r"\s*(?:\||\u2013|\u2014|\u00b7|\u00bb|::|\s-\s)\s*")
TITLE_WORDS = 15


def name_spans(text: str, names: Sequence[str]) -> list[tuple[int, int]]:
    """Where a block holds the site's own name: the whole name anywhere, and, in a short
    line such as a title, a part between separators that is the name's first words (two or
    more: "Renew Bone & Joint" of "Renew Bone & Joint Regenerative Center")."""
    lowered = text.lower()
    spans = []
    for name in names:
        words = name.lower().split()
        if not words:
            continue
        whole = " ".join(words)
        spans += [(m.start(), m.end()) for m in re.finditer(re.escape(whole), lowered)]
        if len(text.split()) > TITLE_WORDS or not TITLE_SEPARATOR.search(text):
            continue
        at = 0
        for part in TITLE_SEPARATOR.split(text):
            start = text.index(part, at) if part else at
            at = start + len(part)
            part_words = part.lower().split()
            if len(part_words) >= 2 and part_words == words[: len(part_words)]:
                spans.append((start, start + len(part)))
    return spans


def _unless_a_name(finding: Finding, spans: list[tuple[int, int]]) -> Finding:
    """A claim whose matched words are all inside the site's name is the name."""
    if not finding.negated and any(s <= finding.start and finding.end <= e for s, e in spans):
        return replace(finding, negated=True, reason="site_name")
    return finding


def one_per_sentence(findings: list[Finding]) -> list[Finding]:
    """Merge a block's findings sentence by sentence: the claims of a sentence become one
    finding led by the main one; a sentence with no claim keeps its main non-claim (shown
    with --all)."""
    by_sentence: dict[int, list[Finding]] = {}
    for finding in findings:
        by_sentence.setdefault(finding.sentence_start, []).append(finding)
    merged = []
    for group in by_sentence.values():
        claims = sorted((f for f in group if not f.negated), key=_rank)
        if not claims:
            merged.append(min(group, key=_rank))
            continue
        main = claims[0]
        merged.append(
            replace(
                main,
                strength="assertive"
                if any(f.strength == "assertive" for f in claims)
                else main.strength,
                cues=tuple(dict.fromkeys(c for f in claims for c in f.cues)),
                rules=tuple(f.rule_id for f in claims),
                categories=tuple(dict.fromkeys(f.category for f in claims)),
            )
        )
    return sorted(merged, key=lambda f: (f.start, f.rule_id))


def _rank(finding: Finding) -> tuple[Any, ...]:
    return (
        -SEVERITY_RANK[finding.severity],
        CATEGORY_ORDER.index(finding.category),
        finding.start,
        finding.start - finding.end,  # the longer match quotes more of the claim
        finding.rule_id,
    )


def quoted(span: Span) -> bool:
    """Is the match inside quotation marks in its block? On a page that writes about
    clinics, quoted words are the clinic's; the page's own sentences are not claims."""
    doc = span.doc
    marks = OPENING_QUOTES | CLOSING_QUOTES
    opened = sum(1 for t in doc[: span.start] if t.text in marks) % 2 == 1
    return opened and any(t.text in CLOSING_QUOTES for t in doc[span.end :])
