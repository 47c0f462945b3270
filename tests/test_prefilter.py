"""The prefilter runs each token pattern only where it can match, for a whole batch of docs
at once; what it finds must be exactly what the same patterns find run everywhere."""

from __future__ import annotations

import random
from typing import Any

import pytest
from spacy.language import Language
from spacy.tokens import Doc

from scanner.detect.pipeline import build_pipeline
from scanner.detect.prefilter import Match, PrefilteredPatterns, is_required
from scanner.detect.rules import load_pack
from scanner.detect.sentences import sentence_starts

# Written for this test: claims, negations, headings, several sentences a block, names.
TEXTS = [
    "",
    "Home",
    "Stem cell therapy rebuilds worn cartilage. No surgery, no downtime!",
    "Our exosome protocol may help relieve chronic back pain (results vary).",
    "There is no evidence that these injections regenerate bone.",
    "Regrow Cartilage Naturally",
    "I could finally walk again after my second infusion; the pain was gone.",
    "Call 555-0142 today. Prices start at $4,900 per treatment.",
    "Welcome to Summit Regenerative Spine Center of Denver",
    "A 2019 study found that PRP improved knee function in 80% of patients.",
    "The FDA has not approved any stem cell product for osteoporosis.",
    "Safe, natural and FDA registered: over 95% success rate!",
    "Cartilage cushions the joint. It wears away with age. Our cells repair it.",
    "?!. ... ;",
]


@pytest.fixture(scope="module")
def nlp() -> Language:
    return build_pipeline()


def rule_texts() -> list[str]:
    """Every flag and pass example of the built-in rules, and word salads made of their
    words and punctuation (matches at block edges, runs of sentences, stray marks)."""
    pack = load_pack()
    examples = [e for r in pack.rules.values() for e in (*r.examples.flag, *r.examples.passes)]
    words = " ".join(examples).replace(".", " . ").split()
    rng = random.Random(11)
    salads = [" ".join(rng.choices(words, k=rng.randint(1, 40))) for _ in range(150)]
    return [*TEXTS, *examples, *salads]


def everywhere(patterns: PrefilteredPatterns, doc: Doc) -> list[Match]:
    """The same patterns, each run over the whole doc with no prefilter."""
    found = []
    for pattern in patterns.patterns:
        for _, start, end, alignment in pattern.matcher(doc, with_alignments=True):  # type: ignore[misc]
            taken = tuple(start + i for i, a in enumerate(alignment) if a in pattern.fillers)
            found.append((pattern.key, start, end, taken))
    return found


def in_one_sentence(doc: Doc, matches: list[Match]) -> set[Match]:
    starts = sentence_starts(doc)
    ends = [*starts[1:], len(doc)]
    return {
        m
        for m in matches
        if any(s <= m[1] and m[2] <= e for s, e in zip(starts, ends, strict=True))
    }


@pytest.mark.parametrize("component", ["claim_matcher", "page_genre", "lexicon_ruler"])
def test_prefiltered_patterns_find_what_the_patterns_find_everywhere(
    nlp: Language, component: str
) -> None:
    """The claim patterns (within one sentence: the matcher drops the rest), the genre
    signals and the clinic-name pattern, over a batch holding every kind of text."""
    upstream = [name for name, _ in nlp.pipeline]
    before = upstream[: upstream.index(component)]
    docs = list(nlp.pipe(rule_texts(), disable=[n for n in upstream if n not in before]))
    pipe: Any = nlp.get_pipe(component)
    patterns: PrefilteredPatterns = pipe.names if component == "lexicon_ruler" else pipe.patterns
    batched = patterns.matches(docs)
    assert sum(map(len, batched)) > 0  # the texts exercise the patterns
    for doc, found in zip(docs, batched, strict=True):
        expected = everywhere(patterns, doc)
        if patterns.sentences:
            assert in_one_sentence(doc, found) == in_one_sentence(doc, expected), doc.text
        else:
            assert sorted(found) == sorted(expected), doc.text


def test_a_batch_finds_what_each_doc_finds_alone(nlp: Language) -> None:
    docs = list(nlp.pipe(rule_texts()[:60], disable=["claim_matcher", "claim_context"]))
    patterns: PrefilteredPatterns = nlp.get_pipe("claim_matcher").patterns  # type: ignore[attr-defined]
    assert patterns.matches(docs) == [patterns(doc) for doc in docs]


def test_a_pattern_with_no_requirement_runs_on_every_doc(nlp: Language) -> None:
    patterns = PrefilteredPatterns(nlp.vocab, sentences=True)
    patterns.add("ANY_WORD", [{"IS_ALPHA": True}])
    docs = [nlp.make_doc(t) for t in ("", "Knee", "one two. three")]
    assert [len(m) for m in patterns.matches(docs)] == [0, 1, 3]


@pytest.mark.parametrize(
    ("op", "required"),
    [("", True), ("+", True), ("{1,5}", True), ("{2}", True), ("{1,}", True),
     ("?", False), ("*", False), ("{0,3}", False), ("{,2}", False), ("!", False)],
)  # fmt: skip
def test_an_element_is_required_when_some_token_must_match_it(op: str, required: bool) -> None:
    element = {"LOWER": "knee", **({"OP": op} if op else {})}
    assert is_required(element) is required


def test_matcher_patterns_are_checked_by_spacy(nlp: Language) -> None:
    """A pattern spaCy cannot compile is refused when it is added, not silently skipped."""
    patterns = PrefilteredPatterns(nlp.vocab)
    with pytest.raises(ValueError):
        patterns.add("BROKEN", [{"LOWER": {"IN": "not a list"}}])
