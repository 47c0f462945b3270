"""A generator of clinic-style pages for benchmarks: real-like prose, not random strings.

Random word salad makes every token a new string, so spaCy's tokenizer cache never helps
and bare tokenization runs about 10x slower than on real pages; a ratio against it flatters
the detector. These pages are built from a grammar of the sentences clinic sites are made
of (the treatment and what it is said to do, how it works, the disease, logistics, doctors'
credentials, hedges, disclaimers, patient stories) over a natural vocabulary, so words
repeat the way they do in a large crawl. `python benchmarks/corpus.py DIR` compares its
tokenizer rate with that of the .txt pages in DIR (for example the development set).
"""

from __future__ import annotations

import random
import sys
import time
from itertools import accumulate
from pathlib import Path

SLOTS: dict[str, list[str]] = {
    "therapy": [
        "stem cell therapy",
        "our exosome injections",
        "PRP",
        "mesenchymal stem cells",
        "regenerative medicine",
        "our protocol",
        "cord tissue infusions",
        "platelet-rich plasma",
        "bone marrow concentrate",
        "our regenerative program",
        "cellular therapy",
    ],
    "verb": [
        "rebuilds",
        "regenerates",
        "relieves",
        "reverses",
        "repairs",
        "may help relieve",
        "could restore",
        "improves",
        "reduces",
        "supports",
        "can ease",
        "stimulates",
    ],
    "target": [
        "bone density",
        "worn cartilage",
        "knee pain",
        "osteoporosis",
        "damaged discs",
        "shortness of breath",
        "mobility",
        "chronic back pain",
        "joint stiffness",
        "tendon injuries",
        "inflammation",
        "nerve damage",
        "fine lines",
        "energy levels",
    ],
    "condition": [
        "osteoarthritis",
        "osteoporosis",
        "degenerative disc disease",
        "COPD",
        "a rotator cuff tear",
        "plantar fasciitis",
        "multiple sclerosis",
        "type 2 diabetes",
        "tennis elbow",
        "sciatica",
    ],
    "body": ["knee", "hip", "shoulder", "lower back", "spine", "ankle", "elbow", "neck", "wrist"],
    "doctor": ["Dr. Patel", "Dr. Moreno", "Dr. Chen", "our medical director", "Dr. Okafor"],
    "city": ["Phoenix", "Cancun", "Austin", "Tampa", "San Diego", "Denver", "Nashville"],
    "time": ["a few weeks", "three months", "six weeks", "one visit", "two days", "a year"],
    "number": ["85", "90", "92", "94", "78", "80"],
    "activity": ["golf", "tennis", "hiking", "gardening", "running", "playing with my grandkids"],
}
FRAMES = [
    # claims of many kinds
    "{therapy} {verb} {target} without surgery.",
    "In most patients, {therapy} {verb} {target} within {time}.",
    "Our patients report a {number}% improvement in {target} after treatment.",
    "Because the cells come from your own body, there are no side effects.",
    "Regenerate. Repair. Restore.",
    "Say goodbye to {target} and get back to {activity}.",
    "After my second visit I was able to enjoy {activity} again.",
    "{therapy} is a natural alternative to joint replacement.",
    "Our laboratory is FDA registered and follows strict guidelines.",
    # context: hedges, negations, research, questions
    "There is no evidence that {therapy} {verb} {target}.",
    "Researchers are investigating whether {therapy} {verb} {target} in mice.",
    "Is {therapy} right for your {body}?",
    "Results vary, and {therapy} is not approved by the FDA for {condition}.",
    # the rest of a clinic page
    "{condition} is a common cause of pain in the {body}, especially after age fifty.",
    "Over time the cartilage that cushions the {body} wears down and the bones rub together.",
    "Many people with {condition} are told that surgery is their only option.",
    "{doctor} has treated patients in {city} for more than fifteen years.",
    "Call our office in {city} to schedule a free consultation with {doctor}.",
    "The procedure takes about an hour and most patients go home the same day.",
    "We accept most major credit cards and offer financing for every treatment plan.",
    "During your first visit we review your medical history and any recent imaging.",
    "The clinic is open Monday through Friday and parking is free for patients.",
    "Bring a list of your current medications and wear comfortable clothing.",
    "Our team will explain each step of the process and answer your questions.",
    "Ice and rest for a day or two are usually all that is needed afterwards.",
]
BLOCKS_PER_PAGE = 12
# Sentences of free prose between the frames, their words drawn from English words by a
# Zipf law (rank ** -ZIPF), as natural text draws them: common words repeat, rare ones
# keep the tokenizer's cache honest.
PROSE_SHARE = 0.5
ZIPF = 1.3


class Prose:
    def __init__(self, rng: random.Random) -> None:
        from spacy.lookups import load_lookups

        table = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
        words = sorted({w for w in table.values() if w.isalpha() and w.islower() and len(w) > 1})
        rng.shuffle(words)
        self.words = words
        self.cumulative = list(accumulate(1 / (rank + 1) ** ZIPF for rank in range(len(words))))
        self.rng = rng

    def sentence(self) -> str:
        n = self.rng.randint(8, 24)
        return " ".join(self.rng.choices(self.words, cum_weights=self.cumulative, k=n)) + "."


def sentence(rng: random.Random, prose: Prose) -> str:
    if rng.random() < PROSE_SHARE:
        text = prose.sentence()
    else:
        frame = rng.choice(FRAMES)
        text = frame.format(**{slot: rng.choice(values) for slot, values in SLOTS.items()})
    return text[0].upper() + text[1:]


def corpus(megabytes: float, seed: int = 7) -> list[list[str]]:
    """Pages of 12 blocks of 1 to 5 sentences, until the text is big enough."""
    rng = random.Random(seed)
    prose = Prose(rng)
    pages: list[list[str]] = []
    size = 0
    while size < megabytes * 1_000_000:
        page = []
        for _ in range(BLOCKS_PER_PAGE):
            block = " ".join(sentence(rng, prose) for _ in range(rng.randint(1, 5)))
            page.append(block)
            size += len(block) + 1
        pages.append(page)
    return pages


def repeated(blocks: list[str], megabytes: float) -> list[str]:
    """Blocks repeated until they hold `megabytes` of text, as a large crawl would."""
    out: list[str] = []
    size = 0
    while size < megabytes * 1_000_000 and blocks:
        for block in blocks:
            out.append(block)
            size += len(block) + 1
    return out


def tokenizer_rate(blocks: list[str]) -> float:
    """Words per second of bare spacy.blank("en") tokenization over the blocks."""
    import spacy

    nlp = spacy.blank("en")
    n_words = sum(len(b.split()) for b in blocks)
    started = time.perf_counter()
    for _ in nlp.pipe(blocks, batch_size=256):
        pass
    return n_words / (time.perf_counter() - started)


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python benchmarks/corpus.py DIR_OF_TXT_PAGES")
    real = [
        line.strip()
        for path in sorted(Path(sys.argv[1]).glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    generated = [b for page in corpus(3.0) for b in page]
    real_rate = tokenizer_rate(repeated(real, 3.0))
    generated_rate = tokenizer_rate(generated)
    print(f"tokenizer on {sys.argv[1]} repeated to 3 MB: {real_rate:12,.0f} words/s")
    print(f"tokenizer on the generated corpus (3 MB):   {generated_rate:12,.0f} words/s")
    print(f"ratio generated / real: {generated_rate / real_rate:.2f}")


if __name__ == "__main__":
    main()
