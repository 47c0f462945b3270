"""`claimscan evaluate`: detection quality against a researcher's own gold labels, and the
agreement of two annotators."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from scanner.cli.check import no_builtin_option, rules_option
from scanner.cli.common import text_or_json_option
from scanner.detect.sources import load_source
from scanner.errors import EXIT_OK, InputError
from scanner.evaluation import (
    Agreement,
    Evaluation,
    Flag,
    GoldPage,
    agreement,
    load_gold,
    words,
)
from scanner.evaluation import (
    evaluate as score,
)
from scanner.output import inert


@click.command()
@click.argument("gold", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--pages",
    "pages_dir",
    required=True,
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="The folder holding the page files the gold lines name (.txt or .html).",
)
@click.option(
    "--agreement",
    "compare",
    is_flag=True,
    help="Compare two annotators' gold files (A then B) instead of scoring detection.",
)
@text_or_json_option
@click.option("--show", default=20, show_default=True, help="Misses and false flags to list.")
@rules_option
@no_builtin_option
def evaluate(
    gold: tuple[Path, ...],
    pages_dir: Path,
    compare: bool,
    fmt: str,
    show: int,
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
) -> int:
    """Score detection against gold labels: precision, recall and F1, by category and by
    strength, each rule's precision, false flags per non-clinic page, and the misses and
    false flags themselves.

    Gold files are JSON Lines, one page a line (the README's "Evaluating detection" gives
    the format): a clinic page lists its claims; any other page (news, academic,
    regulator...) has none of its own, so every flag there is a false flag unless it is a
    clinic's words the page quotes.

    With --agreement, GOLD is two annotators' files over the same pages: Cohen's kappa on
    every sentence of the pages both labelled, and B's claims against A's as precision
    and recall.

    \b
    Examples:
      claimscan evaluate sample/gold.jsonl --pages sample/pages
      claimscan evaluate gold-*.jsonl --pages pages/ --format json > scores.json
      claimscan evaluate --agreement anna.jsonl ben.jsonl --pages pages/

    Exit codes: 0 scored, 2 a bad gold line (named by file and line) or a missing page.
    """
    pages = load_gold(gold)
    sources = {page.file: _source(pages_dir, page) for page in pages}
    if compare:
        if len(gold) != 2:
            raise InputError("--agreement compares exactly two gold files: A.jsonl B.jsonl")
        result = agreement(load_gold(gold[:1]), load_gold(gold[1:]), _sentences(sources))
        _print_agreement(result, fmt)
        return EXIT_OK
    from scanner.detect.detector import Detector  # spaCy: imported when detection runs

    detector = Detector(rules_dirs, builtin=not no_builtin_rules)
    names = list(sources)
    results = detector.pages([[b.text for b in sources[n].blocks] for n in names])
    flags = {name: _flags(result.claims) for name, result in zip(names, results, strict=True)}
    _print_evaluation(score(pages, flags), fmt, show)
    return EXIT_OK


def _source(folder: Path, page: GoldPage) -> Any:
    path = folder / page.file
    if not path.is_file():
        raise InputError(f"{path}: no such page file (named by the gold line of {page.file!r})")
    return load_source(str(path))


def _flags(claims: list[Any]) -> list[Flag]:
    """One flag per distinct sentence, assertive if any of its findings is."""
    by_sentence: dict[str, Flag] = {}
    for finding in claims:
        key = words(finding.sentence)
        kept = by_sentence.get(key)
        if kept is None:
            by_sentence[key] = Flag(
                sentence=finding.sentence,
                strength=finding.strength,
                category=finding.category,
                rules=finding.rules,
            )
        elif finding.strength == "assertive":
            by_sentence[key] = kept.model_copy(update={"strength": "assertive"})
    return list(by_sentence.values())


def _sentences(sources: dict[str, Any]) -> dict[str, list[str]]:
    import spacy

    import scanner.detect.sentences  # noqa: F401  (registers the sentence_splitter)

    nlp = spacy.blank("en")
    nlp.add_pipe("sentence_splitter")
    return {
        name: [s.text for doc in nlp.pipe(b.text for b in source.blocks) for s in doc.sents]
        for name, source in sources.items()
    }


def _print_evaluation(result: Evaluation, fmt: str, show: int) -> None:
    if fmt == "json":
        data = result.model_dump()
        data["rules"] = [
            {**r.model_dump(), "precision": round(r.precision, 3)} for r in result.rules
        ]
        sys.stdout.write(json.dumps(data, indent=2) + "\n")
        return
    console = Console(highlight=False, soft_wrap=True)
    console.print(
        f"precision {result.precision:.3f}  recall {result.recall:.3f}  f1 {result.f1:.3f}  "
        f"({result.true_flags} true and {result.false_flags} false flags on clinic pages, "
        f"{result.claims} gold claims)"
    )
    strength = result.strength_agreement
    console.print(
        f"false flags on other pages: {result.false_flags_on_other_pages} on "
        f"{result.other_pages} pages ({result.false_flags_per_other_page:.2f} per page); "
        f"quoted claims found {result.quoted_claims_found.found}/"
        f"{result.quoted_claims_found.total}; hedged/assertive agreement "
        + (f"{strength:.3f}" if strength is not None else "-")
    )
    table = Table("recall by", "found", "of", "recall")
    for name, scores in (("category", result.recall_by_category),
                         ("strength", result.recall_by_strength)):  # fmt: skip
        for key, s in scores.items():
            table.add_row(Text(f"{name}: {key}"), str(s.found), str(s.total), f"{s.rate:.2f}")
    console.print(table)
    rules = Table("rule", "true flags", "false flags", "precision")
    for r in result.rules:
        rules.add_row(Text(r.rule), str(r.true_flags), str(r.false_flags), f"{r.precision:.2f}")
    console.print(rules)
    for title, items in (("missed claims", result.misses),
                         ("false flags", result.false_flag_list)):  # fmt: skip
        if show and items:
            console.print(f"{title} ({len(items)}):")
            for line in items[:show]:
                console.print("  " + inert(line), markup=False)  # page text: never markup


def _print_agreement(result: Agreement, fmt: str) -> None:
    if fmt == "json":
        sys.stdout.write(json.dumps(result.model_dump(), indent=2) + "\n")
        return
    Console(highlight=False, soft_wrap=True).print(
        f"{result.pages} pages, {result.sentences} sentences: Cohen's kappa "
        f"{result.kappa:.3f} (observed agreement {result.observed:.3f})\n"
        f"B against A: precision {result.b_precision_against_a:.3f}, recall "
        f"{result.b_recall_against_a:.3f} ({result.claims_a} claims in A, "
        f"{result.claims_b} in B)"
    )
