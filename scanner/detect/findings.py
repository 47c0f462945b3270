"""What detection finds on a page: findings (one per sentence) and disclosures."""

from __future__ import annotations

from dataclasses import dataclass, field


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
    # Every rule and category that made a claim of this sentence, the main one first.
    rules: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()


@dataclass
class PageResult:
    findings: list[Finding] = field(default_factory=list)
    disclosures: list[Disclosure] = field(default_factory=list)
    genre: str = "marketing"  # or "editorial": see genre.py

    @property
    def claims(self) -> list[Finding]:
        return [f for f in self.findings if not f.negated]
