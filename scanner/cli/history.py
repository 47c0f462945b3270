"""`claimscan rescan`, `diff` and `claims`: scheduled rescans and what changed."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.text import Text

from scanner.cli.check import no_builtin_option, rules_option
from scanner.cli.common import (
    check_clinics,
    db_option,
    err_console,
    open_store,
    refuse_foreign_sqlite,
    text_or_json_option,
)
from scanner.cli.crawl import CrawlArgs, crawl_into, crawl_options
from scanner.clinics import load_clinics
from scanner.detect.scan import run_scan
from scanner.errors import EXIT_CHANGES, EXIT_INTERRUPTED, EXIT_OK
from scanner.history.diff import Diff, DiffItem, diff
from scanner.output import inert, write_records
from scanner.store import Store
from scanner.store.lock import store_lock

STATUSES = ("new", "persisting", "changed", "removed", "not_checked")
VERDICT_CHOICES = ("open", "confirmed", "dismissed")


@click.command()
@click.argument("clinics", type=click.Path(path_type=Path, dir_okay=False))
@db_option
@rules_option
@no_builtin_option
@click.option(
    "--fail-on",
    type=click.Choice(["new", "changed", "none"]),
    default="none",
    show_default=True,
    help="Exit 3 when there are new claims (new), or new or changed ones (changed).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes that run detection.",
)
@crawl_options
def rescan(
    clinics: Path,
    db: str | None,
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
    fail_on: str,
    workers: int,
    **kw: Any,
) -> int:
    """Crawl again, scan, and report what changed since the previous run.

    Pages are requested with If-None-Match / If-Modified-Since from their last snapshot:
    a 304 answer, or a body with the same SHA-256, reuses the earlier findings without
    scanning the page again. Claims are then compared with the previous completed run:
    new, removed, changed (reworded in place), persisting, and not checked (their pages
    could not be fetched this time: never counted as removed). The first rescan of a new
    store is a plain crawl and scan.

    \b
    Exit codes: 0 done; 3 changes found (per --fail-on); 75 another run holds the store;
    130 interrupted (run it again to resume); 2 bad input.

    \b
    Example (weekly, from cron):
      claimscan rescan clinics.csv --db /data/study.db --fail-on changed
    """
    clinic_list = load_clinics(clinics)  # a bad list stops before the store is touched
    args = CrawlArgs.from_cli(conditional=True, **kw)
    with store_lock(db):
        refuse_foreign_sqlite(db)
        store = Store.open(db)
        try:
            result = crawl_into(store, db, clinic_list, args)
            if not result.completed:
                return EXIT_INTERRUPTED
            summary = run_scan(store, rules_dirs, not no_builtin_rules, workers)
            err_console.print(
                f"scanned {summary.pages} changed pages, reused findings of {summary.reused} "
                f"unchanged ones ({summary.claims} claims found in scanned pages)",
                highlight=False,
            )
            changes = diff(store)
        finally:
            store.close()
    print_diff(changes)
    if fail_on == "new" and changes.new:
        return EXIT_CHANGES
    if fail_on == "changed" and (changes.new or changes.changed):
        return EXIT_CHANGES
    return EXIT_OK


@click.command("diff")
@db_option
@click.option(
    "--from", "from_run", type=int, help="The earlier run. [default: the one before --to]"
)
@click.option("--to", "to_run", type=int, help="The later run. [default: the latest scanned run]")
@text_or_json_option
def diff_command(db: str | None, from_run: int | None, to_run: int | None, fmt: str) -> int:
    """Show what changed between two runs, claim by claim.

    New claims, removed claims ("present on DATE1; absent on DATE2"), changed claims
    (before and after), the number that persisted, claims not checked because their pages
    could not be fetched, and the pages that could not be fetched. JSON: an object with
    lists new, removed, changed, not_checked (each item: claim_id, clinic, category,
    severity, strength, sentence, before, after, urls, note), persisting, unreachable.

    \b
    Examples:
      claimscan diff --db study.db
      claimscan diff --db study.db --from 3 --to 7 --format json
    """
    store = open_store(db)
    changes = diff(store, from_run, to_run)
    if fmt == "json":
        sys.stdout.write(changes.model_dump_json(indent=2) + "\n")
    else:
        print_diff(changes)
    return EXIT_OK


def print_diff(changes: Diff) -> None:
    console = Console(highlight=False, soft_wrap=True)
    since = (
        f"run {changes.from_run} ({changes.from_date:%Y-%m-%d})" if changes.from_date else "nothing"
    )
    console.print(
        Text(
            f"Changes from {since} to run {changes.to_run} ({changes.to_date:%Y-%m-%d})",
            style="bold",
        )
    )
    sections: list[tuple[str, list[DiffItem], str]] = [
        ("New claims", changes.new, "+"),
        ("Changed claims", changes.changed, "~"),
        ("Removed claims", changes.removed, "-"),
        ("Not checked this time (pages could not be fetched)", changes.not_checked, "?"),
    ]
    for title, items, mark in sections:
        console.print(Text(f"{title}: {len(items)}"))
        for item in items:
            console.print(_line(item, mark))
    console.print(Text(f"Persisting claims: {changes.persisting}"))
    if changes.unreachable:
        console.print(Text(f"Could not be fetched this time: {len(changes.unreachable)}"))
        for page in changes.unreachable:
            console.print(Text(f"  ! [{page.clinic}] {inert(page.url)} ({inert(page.reason)})"))
    if not changes.has_changes:
        console.print(Text("No change in claims."))


def _line(item: DiffItem, mark: str) -> Text:
    head = f"  {mark} [{item.clinic}] {item.severity} {item.category}: "
    if item.before is not None:
        body = f"“{inert(item.before)}” → “{inert(item.after or '')}”"
    else:
        body = f"“{inert(item.sentence)}”"
    tail = f"  {inert(', '.join(item.urls))}" + (f"  ({item.note})" if item.note else "")
    return Text(head + body + tail)


@click.command()
@db_option
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUSES),
    help="Only claims with this status (repeatable).",
)
@click.option(
    "--verdict",
    "verdicts",
    multiple=True,
    type=click.Choice(VERDICT_CHOICES),
    help="Only claims with this reviewers' verdict (repeatable); open means not yet decided.",
)
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "jsonl", "csv"]),
    default="table",
    show_default=True,
    help="table for people; json, jsonl, csv for tools.",
)
def claims(
    db: str | None,
    statuses: tuple[str, ...],
    verdicts: tuple[str, ...],
    clinic_ids: tuple[str, ...],
    fmt: str,
) -> int:
    """List claims with their stable ids, where they stand after the latest run, and
    the reviewers' verdicts.

    A claim is one clinic's statement (same category, same words once case and
    punctuation are set aside) across pages and runs; reworded in place it keeps its id.
    Fields: id, clinic, category, severity, strength, sentence, urls, first_seen,
    last_seen, status (new, persisting, changed, removed, not_checked), runs, and
    verdict (open, confirmed, dismissed; open again when the claim was reworded since),
    reviewer, decided_at, note.

    \b
    Examples:
      claimscan claims --db study.db --status new --status changed --format csv
      claimscan claims --db study.db --verdict open
    """
    store = open_store(db)
    check_clinics(store, clinic_ids)
    decided = store.verdicts()
    records = []
    for claim in store.claims(statuses, clinic_ids):
        found = decided.get(claim.id)
        record = claim.model_dump() | {
            "verdict": found.standing if found else "open",
            "reviewer": found.reviewer if found else "",
            "decided_at": found.decided_at if found else None,
            "note": found.note if found else "",
        }
        if not verdicts or record["verdict"] in verdicts:
            records.append(record)
    columns = ("id", "clinic", "status", "verdict", "severity", "sentence", "last_seen")
    write_records(records, fmt, columns, title="claims")  # type: ignore[arg-type]
    return EXIT_OK
