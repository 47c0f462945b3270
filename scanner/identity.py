"""When two findings are the same claim: same clinic, same category, same sentence once
case, whitespace and punctuation are set aside."""

from __future__ import annotations

import hashlib
import re

WORDS = re.compile(r"[^\W_]+|%", re.UNICODE)


def normalize_sentence(sentence: str) -> str:
    """ "Stem cells  REBUILD bone!" -> "stem cells rebuild bone"."""
    return " ".join(WORDS.findall(sentence.lower()))


def claim_key(clinic_id: str, category: str, sentence: str) -> str:
    """A stable identifier of a claim: the same words at the same clinic, any page, any run."""
    text = f"{clinic_id}\x1f{category}\x1f{normalize_sentence(sentence)}"
    return hashlib.sha256(text.encode()).hexdigest()[:16]
