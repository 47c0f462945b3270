"""`claimscan check`: detection alone, on local text or HTML files or single URLs."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from rich.console import Console
from rich.text import Text

from scanner.cli.common import err_console
from scanner.detect.rules import SEVERITY_RANK
from scanner.detect.sources import Block, Source, expand, load_source
from scanner.errors import EXIT_FAILURE, EXIT_OK
from scanner.output import inert

if TYPE_CHECKING:
    from scanner.detect.findings import Finding, PageResult

FAIL_ON = {"any": 1, "low": 1, "medium": 2, "high": 3, "none": 99}

rules_option = click.option(
    "--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
    help="A rule pack folder to add (repeatable); same-id rules replace built-in ones.",
)  # fmt: skip
no_builtin_option = click.option(
    "--no-builtin-rules", is_flag=True, help="Use only the --rules packs, not the built-in one."
)


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "jsonl", "json"]),
    default="text",
    show_default=True,
    help="text for people; jsonl (one finding a line) or json.",
)
@rules_option
@no_builtin_option
@click.option(
    "--all",
    "show_all",
    is_flag=True,
    help="Also show matches that are not claims (negated, attributed, research, "
    "questions) and disclosures.",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON)),
    default="any",
    show_default=True,
    help="Exit 1 when a claim of this severity or higher is found.",
)
def check(
    sources: tuple[str, ...],
    fmt: str,
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
    show_all: bool,
    fail_on: str,
) -> int:
    """Find claims in local .txt or .html files, folders of them, single URLs or standard
    input (-), without any store.

    A folder stands for the .html, .htm and .txt files under it. A .txt file is read one
    line per block; HTML goes through the crawler's extraction
    (title, meta description, visible text blocks; encodings honoured). Offsets (start,
    end) count characters of the .txt file, or of the extracted text of an HTML page
    (its blocks joined by newlines).

    \b
    Text output:   path:line:col: severity rule_id [strength] sentence
    JSON Lines:    source, rule_id, category (the main ones), rules, categories (all
                   of the sentence's), page_genre (marketing|editorial), severity
                   (high|medium|low), strength (assertive|hedged), negated, reason,
                   text, sentence, start, end, line, col, block, locator, heading,
                   cues, disclosures

    Exit codes: 1 when a claim at or above --fail-on is found, 0 when none, 2 on a usage
    error (a missing file, an unreadable URL, a bad rule file).

    \b
    Examples:
      claimscan check page.html notes.txt
      claimscan check saved-pages/ --format jsonl
      claimscan check https://clinic.example/stem-cells --format jsonl
      claimscan check site/*.html --fail-on high --rules my-rules/
    """
    from scanner.detect.detector import Detector  # spaCy: imported when detection runs

    loaded = [load_source(name) for name in expand(list(sources))]
    detector = Detector(rules_dirs, builtin=not no_builtin_rules)
    results = detector.pages([[b.text for b in source.blocks] for source in loaded])
    records: list[dict[str, Any]] = []
    worst = 0
    for source, result in zip(loaded, results, strict=True):
        for finding in result.findings:
            if finding.negated and not show_all:
                continue
            records.append(finding_record(source, finding, result.genre))
            if not finding.negated:
                worst = max(worst, SEVERITY_RANK[finding.severity])
        if show_all:
            records.extend(disclosure_records(source, result))
    write(records, fmt)
    claims = sum(1 for r in records if r["kind"] == "claim" and not r["negated"])
    if fmt == "text":
        err_console.print(f"{claims} claim(s) in {len(loaded)} source(s)", highlight=False)
    return EXIT_FAILURE if worst >= FAIL_ON[fail_on] else EXIT_OK


def finding_record(source: Source, finding: Finding, genre: str) -> dict[str, Any]:
    block = source.blocks[finding.block]
    return {
        "kind": "claim",
        "source": source.name,
        "rule_id": finding.rule_id,
        "category": finding.category,
        "rules": list(finding.rules),
        "categories": list(finding.categories),
        "page_genre": genre,
        "severity": finding.severity,
        "strength": finding.strength,
        "negated": finding.negated,
        "reason": finding.reason,
        "text": finding.text,
        "sentence": finding.sentence,
        "start": block.offset + finding.start,
        "end": block.offset + finding.end,
        "line": block.line,
        "col": block.column + finding.sentence_start,
        "block": block.tag,
        "locator": block.locator,
        "heading": block.heading,
        "cues": list(finding.cues),
        "disclosures": list(finding.disclosures),
    }


def disclosure_records(source: Source, result: PageResult) -> list[dict[str, Any]]:
    records = []
    for disclosure in result.disclosures:
        block: Block = source.blocks[disclosure.block]
        records.append(
            {
                "kind": "disclosure",
                "source": source.name,
                "negated": True,  # a disclosure is not a claim
                "text": disclosure.text,
                "sentence": disclosure.sentence,
                "start": block.offset + disclosure.start,
                "end": block.offset + disclosure.end,
                "line": block.line,
            }
        )
    return records


def write(records: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "jsonl":
        for record in records:
            sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    elif fmt == "json":
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2) + "\n")
    else:
        console = Console(highlight=False, soft_wrap=True)
        for record in records:
            console.print(text_line(record))


def text_line(record: dict[str, Any]) -> Text:
    """`path:line:col: severity rule [strength] sentence`, the match highlighted."""
    if record["kind"] == "disclosure":
        return Text(f"{record['source']}:{record['line']}: disclosure {inert(record['sentence'])}",
                    style="dim")  # fmt: skip
    status = f" ({record['reason']})" if record["negated"] else ""
    head = (
        f"{record['source']}:{record['line']}:{record['col']}: {record['severity']} "
        f"{record['rule_id']} [{record['strength']}]{status} "
    )
    sentence = inert(record["sentence"])
    line = Text(head, style="dim" if record["negated"] else "")
    line.append(sentence)
    at = sentence.find(inert(record["text"]))
    if at >= 0 and not record["negated"]:
        line.stylize("bold red", len(head) + at, len(head) + at + len(inert(record["text"])))
    if others := [r for r in record["rules"] if r != record["rule_id"]]:
        line.append(f"  (also {', '.join(others)})", style="dim")
    return line
