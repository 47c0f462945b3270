"""The context component: decides what each claim match means in its sentence, ConText-style.

Triggers come from the pack's context files, each with a category, a direction and a scope
in tokens; a terminator ("but", ";") ends a scope, and a pseudo-trigger ("no longer") cancels
the trigger words inside it. For each rule and sentence the component keeps one match and
sets its extension attributes:

- negation, attribution or research framing in scope, a neutral question, or a claim about
  the body rather than the treatment ("cartilage protects the bones"): `negated` is True
  and `reason` says why (not a claim; shown only with --all);
- what only the page can settle goes to `soft`: a report of a study or of someone's words
  ("study", "reported"), and a claim with no subject in the sentence ("no_subject"). The
  detector lifts them on a clinic's marketing page and keeps them elsewhere;
- a hedge in scope: `strength` is "hedged" and `severity` one step lower (still a claim).

Disclosure phrases go to doc.spans["disclosures"]; the decisions, one per rule and
sentence, to the doc's state (page.py makes them one finding per sentence).
"""

from __future__ import annotations

from bisect import bisect_right
from functools import cached_property
from itertools import chain
from typing import NamedTuple

from spacy.attrs import ENT_TYPE, IS_PUNCT, IS_SPACE
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from scanner.detect.claim_matcher import ClaimMatch
from scanner.detect.packs import PACK_CONFIG, pack_for
from scanner.detect.rules import EDITORIAL_ONLY, ClaimRule, RulePack
from scanner.detect.sentences import sentence_starts
from scanner.detect.state import column, state

DISCLOSURES = "disclosures"
SUBJECT_LABELS = frozenset({"THERAPY", "THERAPY_REF", "CLINIC"})
# Subjects that count only on a page that names a regenerative therapy somewhere.
PAGE_GATED_SUBJECTS = frozenset({"reference", "anaphor", "headline", "page", "reader", "none"})
ANAPHORS = frozenset({"it", "they", "this", "these", "those", "that", "which", "each"})
READER = frozenset({"you", "your", "you'll", "you're", "yourself", "i", "my", "me", "i'm"})
# What a sentence about the body, not the treatment, starts with: "Cartilage cushions the
# joint", "Symptoms typically ease by noon".
BODY_LABELS = frozenset({"STRUCTURE", "CONDITION", "OTHER_TX"})
# A line this short with no sentence end is a heading, bullet or tagline: judged on its words.
FRAGMENT_WORDS = 10
AUDIENCE_WORDS = frozenset({"for", "with", "among"})
YES_NO_STARTS = frozenset((
    "is", "are", "am", "was", "were", "can", "could", "do", "does", "did", "will", "would",
    "should", "shall", "may", "might", "has", "have", "had", "must",
))  # fmt: skip
NEUTRAL_AFTER_HOW = frozenset((
    "effective", "safe", "long", "much", "many", "often", "well", "soon", "quickly",
    "successful", "expensive", "likely", "common", "painful", "risky", "fast", "old", "big",
))  # fmt: skip
SUPPRESSING = ("negation", "attribution", "research", "regulatory", "description", "deficit")
LOWER_SEVERITY = {"high": "medium", "medium": "low", "low": "low"}


class Decision(NamedTuple):
    """What one rule's match means in its sentence. (Kept apart from the span: spaCy keys a
    span's extension attributes by its offsets, and two rules may match the same words.)
    Decisions and triggers are named tuples: a doc makes many, and a frozen dataclass
    costs three times as much to build."""

    span: Span
    rule_id: str
    category: str
    severity: str
    strength: str
    negated: bool
    reason: str | None
    cues: tuple[str, ...]
    subject: str
    soft: tuple[str, ...]  # reasons only the page can settle (see the module's docstring)
    marketing_only: bool  # the rule counts on marketing pages only (`pages: marketing`)


class Trigger(NamedTuple):
    category: str
    direction: str
    max_scope: int
    start: int
    end: int
    only_before: frozenset[str] = frozenset()  # lemmas the claim must start with (if any)


class ClaimContext:
    def __init__(self, nlp: Language, pack: RulePack) -> None:
        self.rules: dict[str, ClaimRule] = pack.rules
        # NORM folds both apostrophes of "n't" into "not", and is lowercase.
        self.matcher = PhraseMatcher(nlp.vocab, attr="NORM")
        self.kinds: dict[str, tuple[str, str, int, frozenset[str]]] = {}
        # Disclosures are looked for in every doc; the other triggers only where a claim
        # rule matched (most blocks have no match, and most have a "no", "may" or "our").
        self.disclosures = PhraseMatcher(nlp.vocab, attr="NORM")
        for rules in pack.context:
            for trigger in rules.triggers():
                phrase = [nlp.make_doc(trigger.phrase)]
                if rules.category == "disclosure":
                    self.disclosures.add("DISCLOSURE", phrase)
                    continue
                before = frozenset(w.lower() for w in rules.only_before)
                kind = (rules.category, trigger.direction, trigger.max_scope, before)
                key = "|".join(map(str, kind[:3])) + "|" + ",".join(sorted(before))
                self.kinds[key] = kind
                self.matcher.add(key, phrase)

    def __call__(self, doc: Doc) -> Doc:
        if found := self.disclosures(doc):
            doc.spans[DISCLOSURES] = filter_spans(
                [Span(doc, start, end, label="DISCLOSURE") for _, start, end in found]
            )
        known = state(doc)
        matches: list[ClaimMatch] = known.matches
        if not matches:
            return doc
        sentences = Sentences(doc, self.find_triggers(doc))
        # One decision per rule and sentence: of its matches there, the earliest (then the
        # longest) that is a claim, else the earliest (then longest) of all.
        groups: dict[tuple[int, str], list[ClaimMatch]] = {}
        for match in matches:
            groups.setdefault((sentences.of(match.start).start, match.rule_id), []).append(match)
        decisions = []
        for (start, rule_id), group in groups.items():
            sentence = sentences.of(start)
            decided = (
                self.decide(Span(doc, m.start, m.end, label=rule_id), rule_id, sentence, m.taken)
                for m in sorted(group, key=lambda m: (m.start, m.start - m.end))
            )  # decided one at a time, up to the first claim
            first = next(decided)
            decisions.append(next((d for d in chain([first], decided) if not d.negated), first))
        known.decisions = sorted(decisions, key=lambda d: (d.span.start, d.rule_id))
        return doc

    def find_triggers(self, doc: Doc) -> list[Trigger]:
        found = []
        for key, start, end in self.matcher(doc):
            category, direction, scope, only_before = self.kinds[doc.vocab.strings[key]]
            found.append(Trigger(category, direction, scope, start, end, only_before))
        pseudo = [t for t in found if t.category == "pseudo"]
        return [
            t for t in found
            if t.category == "pseudo"
            or not any(p.start <= t.start and t.end <= p.end for p in pseudo)
        ]  # fmt: skip

    def decide(
        self, span: Span, rule_id: str, sentence: Sentence, taken: tuple[int, ...]
    ) -> Decision:
        rule = self.rules[rule_id]
        free = set(taken)
        in_scope = [
            t for t in sentence.triggers
            if _reaches(t, span, sentence.stops) or _swallowed(t, span, free)
        ]  # fmt: skip
        categories = {t.category for t in in_scope}
        subject = "any" if rule.subject == "any" else sentence.subject(span, rule.category)
        if rule.subject == "page" and subject == "none":
            subject = "page"
        reason = next((c for c in SUPPRESSING if c in categories), None)
        if sentence.question == "neutral":
            reason = "question"
        elif reason is None and subject == "background":
            reason = "no_subject"
        soft = tuple(c for c in EDITORIAL_ONLY if c in categories)
        if subject == "none":
            soft += ("no_subject",)
        hedged = "hedge" in categories
        return Decision(
            span=span,
            rule_id=rule.id,
            category=rule.category,
            severity=LOWER_SEVERITY[rule.severity] if hedged else rule.severity,
            strength="hedged" if hedged else "assertive",
            negated=reason is not None or bool(soft),
            reason=reason or (soft[0] if soft else None),
            cues=tuple(
                f"{t.category}:{sentence.text(t)}" for t in in_scope if t.category != "terminate"
            ),
            subject=subject,
            soft=soft if reason is None else (),
            marketing_only=rule.pages == "marketing",
        )


class Sentence:
    """What the context rules need to know of one sentence, worked out once."""

    def __init__(
        self,
        doc: Doc,
        start: int,
        end: int,
        labels: set[str],
        triggers: list[Trigger],
        is_word: list[bool],
    ) -> None:
        self.doc = doc
        self.start, self.end = start, end
        self.labels = labels
        self.triggers = [t for t in triggers if start <= t.start and t.end <= end]
        self.stops = [t.start for t in self.triggers if t.category == "terminate"]
        # Its words (not punctuation or space), as token indices: Token objects are made
        # only for the few that a rule looks at.
        self.word_ids = [i for i in range(start, end) if is_word[i]]
        self.question = _question(doc, end, self.word_ids)
        self.ends_sentence = end > start and doc[end - 1].text in (".", "!", "…")

    @cached_property
    def words(self) -> list[Token]:
        return [self.doc[i] for i in self.word_ids]

    def text(self, trigger: Trigger) -> str:
        """A trigger's words as written."""
        if trigger.end - trigger.start == 1:
            return self.doc[trigger.start].text
        return self.doc[trigger.start : trigger.end].text

    def subject(self, span: Span, category: str = "") -> str:
        """Who the claim is about: a therapy named in the sentence ("therapy"); the clinic
        or a reference such as "our protocol" ("reference"); an anaphor ("they", "it"); a
        headline, bullet or tagline ("headline"); the reader or a patient speaking
        ("reader"); the body, a disease or conventional care, not the treatment
        ("background"); or "none"."""
        if "THERAPY" in self.labels:
            return "therapy"
        if self.labels & SUBJECT_LABELS:
            return "reference"
        if not self.word_ids:
            return "none"
        first = self.words[0]
        if first.lower_ in ANAPHORS:
            return "anaphor"
        before = [t for t in self.words if t.i <= span.start]
        about_the_body = any(
            t.ent_type_ in BODY_LABELS and not _audience(t) for t in before[:5]
        ) or (
            # "A rare complication of bisphosphonates is ...": conventional care
            category != "comparative" and any(t.ent_type_ == "OTHER_TX" for t in before)
        )
        if about_the_body and self.ends_sentence:
            return "background"  # "Symptoms typically ease by noon.", "Cartilage cushions."
        if span.start <= first.i + 1 or first.ent_type_.startswith("OUTCOME"):
            return "headline"
        if len(self.word_ids) <= FRAGMENT_WORDS and self.question == "" and not self.ends_sentence:
            return "headline"
        if any(t.lower_ in READER for t in self.words if t.i < span.start):
            return "reader"
        return "background" if about_the_body else "none"


class Sentences:
    """The sentences of a doc, each worked out when first asked for."""

    def __init__(self, doc: Doc, triggers: list[Trigger]) -> None:
        self.doc = doc
        self.triggers = triggers
        self.starts = sentence_starts(doc)
        known = state(doc)
        self.ents = column(doc, ENT_TYPE, known)
        words = (column(doc, IS_PUNCT, known) == 0) & (column(doc, IS_SPACE, known) == 0)
        self.is_word = words.tolist()
        self.cache: dict[int, Sentence] = {}

    def of(self, token: int) -> Sentence:
        index = bisect_right(self.starts, token) - 1
        start = self.starts[index]
        sentence = self.cache.get(start)
        if sentence is None:
            end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.doc)
            strings = self.doc.vocab.strings
            labels = {strings[h] for h in set(self.ents[start:end].tolist()) if h}
            sentence = self.cache[start] = Sentence(
                self.doc, start, end, labels, self.triggers, self.is_word
            )
        return sentence


def _audience(token: Token) -> bool:
    """A disease named as who is treated, not as the subject: "for stroke patients", "in
    people with MS"."""
    start = token
    while start.ent_iob_ == "I" and start.i > 0:
        start = start.nbor(-1)
    return start.i > 0 and start.nbor(-1).lower_ in AUDIENCE_WORDS


def _swallowed(trigger: Trigger, span: Span, free: set[int]) -> bool:
    """A trigger on tokens that a pattern's gap filler took counts as in scope."""
    if trigger.category in ("terminate", "pseudo", "disclosure", "deficit"):
        return False
    if not any(i in free for i in range(trigger.start, trigger.end)):
        return False
    doc = span.doc
    return trigger.end >= len(doc) or _allowed_before(trigger, doc[trigger.end])


def _allowed_before(trigger: Trigger, word: Token) -> bool:
    """A trigger with `only_before` lemmas reaches a claim only where one of them follows it."""
    return not trigger.only_before or word.lemma_.lower() in trigger.only_before


def _reaches(trigger: Trigger, span: Span, stops: list[int]) -> bool:
    """Does the trigger's scope reach the span, with no terminator in between?"""
    if trigger.category in ("terminate", "pseudo", "disclosure"):
        return False
    if not _allowed_before(trigger, span[0]):
        return False
    if trigger.start < span.start < trigger.end:  # runs into the span: "can [help relieve]"
        return trigger.direction in ("forward", "bidirectional")
    if trigger.category == "hedge" and span.start <= trigger.start < span.end:
        return True  # a hedge within the claim's words: "[a promising treatment]"
    if trigger.end <= span.start and trigger.direction in ("forward", "bidirectional"):
        gap = (trigger.end, span.start)
    elif trigger.start >= span.end and trigger.direction in ("backward", "bidirectional"):
        gap = (span.end, trigger.start)
    else:
        return False
    return gap[1] - gap[0] <= trigger.max_scope and not any(gap[0] <= s < gap[1] for s in stops)


def _question(doc: Doc, end: int, words: list[int]) -> str:
    """ "neutral" for a question that asserts nothing ("Is stem cell therapy right for you?",
    "How effective is PRP?"); "presupposing" for one that takes a benefit as given ("How
    stem cells help treat MS", "Did you know that exosomes
    reverse hair loss?"); "" for a statement. (`words`: the sentence's words, as token
    indices; the sentence ends before token `end`.)"""
    if not words:
        return ""
    first = doc[words[0]].lower_
    if doc[end - 1].text != "?" and not _unmarked_question(doc, words):
        return ""
    second = doc[words[1]].lower_ if len(words) > 1 else ""
    if first in ("how", "why"):
        return "neutral" if second in NEUTRAL_AFTER_HOW else "presupposing"
    third = doc[words[2]].lower_ if len(words) > 2 else ""
    if first in ("do", "did") and second == "you" and third == "know":
        return "presupposing"  # "Did you know that exosomes reverse hair loss?"
    return "neutral"


def _unmarked_question(doc: Doc, words: list[int]) -> bool:
    """A heading that asks without a question mark: "Can Stem Cells Cure Autism", "How
    Effective Is PRP" (but not a bullet such as "Can ease knee pain")."""
    if len(words) < 2 or (words[-1] + 1 < len(doc) and doc[words[-1] + 1].text == "."):
        return False
    first, second = doc[words[0]].lower_, doc[words[1]]
    if first in ("how", "why"):
        return True
    return first in YES_NO_STARTS and (
        second.ent_type_ in SUBJECT_LABELS | {"STRUCTURE"}
        or second.lower_ in {"you", "i", "it", "they", "we", "the", "a", "an", "this", "my"}
    )


@Language.factory("claim_context", default_config=PACK_CONFIG)
def make_claim_context(nlp: Language, name: str, rules: list[str], builtin: bool) -> ClaimContext:
    return ClaimContext(nlp, pack_for(tuple(rules), builtin))
