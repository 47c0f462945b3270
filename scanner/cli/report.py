"""`claimscan report`: render the store's findings as HTML, PDF, JSON and CSV."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import click

from scanner.cli.check import no_builtin_option, rules_option
from scanner.cli.common import check_clinics, db_option, open_store
from scanner.detect.rules import SEVERITIES, load_pack
from scanner.errors import EXIT_OK
from scanner.report.build import build_report
from scanner.report.render import FORMATS, write_report
from scanner.report.visuals import report_visuals


def report_clock() -> datetime:
    """Now, or $SOURCE_DATE_EPOCH for a reproducible report (the reproducible-builds way)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    return datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)


def parse_formats(_ctx: click.Context, _param: click.Parameter, value: str) -> list[str]:
    formats = [f.strip().lower() for f in value.split(",") if f.strip()]
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise click.BadParameter(f"choose from {', '.join(FORMATS)} (got {value!r})")
    return list(dict.fromkeys(formats))


@click.command()
@db_option
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write report.html, report.pdf, report.json, report.csv into.",
)
@click.option(
    "--format",
    "formats",
    default=",".join(FORMATS),
    show_default=True,
    callback=parse_formats,
    help="Comma-separated formats to write.",
)
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@click.option(
    "--min-severity",
    type=click.Choice(list(reversed(SEVERITIES))),
    default="low",
    show_default=True,
    help="Leave out claims below this severity.",
)
@click.option(
    "--title",
    default="Health claims on clinic websites",
    show_default=True,
    help="The report's title.",
)
@click.option(
    "--only",
    type=click.Choice(["all", "confirmed", "open"]),
    default="all",
    show_default=True,
    help="Only claims reviewers confirmed, or only those not yet decided.",
)
@rules_option
@no_builtin_option
def report(
    db: str | None,
    out: Path,
    formats: list[str],
    clinic_ids: tuple[str, ...],
    min_severity: str,
    title: str,
    only: str,
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
) -> int:
    """Write a regulatory-style report of the claims found, and print the files' paths.

    The HTML report is one self-contained file (no external requests, print-friendly): a
    cover with the scope, a summary with a chart, a section per clinic quoting each claim
    with its page, heading, capture time, SHA-256 and WARC record, why it is a problem,
    and an appendix on method and limits. The PDF is the same report. JSON follows the
    schema in reports/report.schema.json; CSV has one row per claim occurrence. Each
    clinic's latest crawl is reported; run `claimscan scan` first. Set SOURCE_DATE_EPOCH
    for a reproducible report date.

    \b
    Examples:
      claimscan report --db study.db --out report/
      claimscan report --db study.db --out report/ --format html,csv --min-severity high
    """
    store = open_store(db)
    check_clinics(store, clinic_ids)
    pack = load_pack(rules_dirs, builtin=not no_builtin_rules)
    data = build_report(store, pack, report_clock(), clinic_ids, min_severity, title, only)
    visuals = report_visuals(store, data) if {"html", "pdf"} & set(formats) else None
    for path in write_report(data, out, formats, visuals):
        click.echo(str(path))
    return EXIT_OK
