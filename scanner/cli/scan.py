"""`claimscan scan` and `claimscan findings`: detection over the store, and its results."""

from __future__ import annotations

import logging
import sys
from collections import Counter
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import click
from rich.table import Table
from rich.text import Text
from sqlalchemy.engine import make_url

from scanner.cli.check import no_builtin_option, rules_option
from scanner.cli.common import (
    check_clinics,
    db_option,
    err_console,
    open_store,
    progress_callback,
    setup_logging,
)
from scanner.cli.inspect import format_option
from scanner.detect.scan import ScanSummary, run_scan
from scanner.errors import EXIT_OK
from scanner.models import StoredFinding, block_source
from scanner.output import OutputFormat, inert, write_records
from scanner.store import Store, database_url
from scanner.store.lock import store_lock

log = logging.getLogger("scanner.scan")


@click.command()
@db_option
@rules_option
@no_builtin_option
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Processes that run detection (the store is written by this one).",
)
def scan(db: str | None, rules_dirs: tuple[Path, ...], no_builtin_rules: bool, workers: int) -> int:
    """Find claims in the stored pages that the current rules have not scanned.

    Each page is scanned once per rule pack: run it again with the same rules and there
    is nothing to do; change a rule (or add --rules) and every stored page is scanned
    again, its findings replaced. Findings keep the page, rule, matched words, sentence,
    block locator and heading, offsets, strength, severity and nearby disclosures.

    \b
    Examples:
      claimscan scan --db study.db
      claimscan scan --db study.db --workers 4 --rules my-rules/
    """
    setup_logging(live=sys.stderr.isatty(), verbose=0)
    # On PostgreSQL scans split the work row by row (several may run at once, on several
    # machines); on SQLite one scan holds the store.
    exclusive = make_url(database_url(db)).get_backend_name() != "postgresql"
    with store_lock(db) if exclusive else nullcontext():
        store = open_store(db)
        summary = _scan_with_progress(store, rules_dirs, not no_builtin_rules, workers)
    if summary.scan_id is None:
        err_console.print(
            f"nothing to scan: every stored page was scanned with {summary.pack_version}",
            highlight=False,
        )
        return EXIT_OK
    print_summary(store, summary)
    return EXIT_OK


def _scan_with_progress(
    store: Store, rules_dirs: tuple[Path, ...], builtin: bool, workers: int
) -> ScanSummary:
    with progress_callback("scanning", log, "scanned %d of %d pages") as on_batch:
        return run_scan(store, rules_dirs, builtin, workers, on_batch)


def print_summary(store: Store, summary: ScanSummary) -> None:
    counts: Counter[tuple[str, str]] = Counter(
        (f.clinic_id, f.category or "") for f in store.findings("claim")
    )
    categories = sorted({c for _, c in counts})
    table = Table(title="claims by clinic and category", title_justify="left")
    table.add_column("clinic")
    for category in categories:
        table.add_column(category, justify="right")
    for clinic in sorted({c for c, _ in counts}):
        table.add_row(Text(inert(clinic)), *(str(counts[(clinic, c)] or "") for c in categories))
    err_console.print(table)
    reused = f", {summary.reused} unchanged pages reused" if summary.reused else ""
    err_console.print(
        f"scanned {summary.pages} pages with {summary.pack_version} in {summary.seconds:.1f}s"
        f"{reused}: {summary.claims} claims, {summary.disclosures} disclosures",
        highlight=False,
    )
    if summary.failed:
        err_console.print(
            f"warning: detection failed on {summary.failed} pages; each is recorded as a scan "
            "error (claimscan errors lists them, reports name them) and the scan went on",
            highlight=False,
        )


def finding_record(finding: StoredFinding) -> dict[str, Any]:
    return {
        "id": finding.id,
        "kind": finding.kind,
        "clinic": finding.clinic_id,
        "rule_id": finding.rule_id,
        "category": finding.category,
        "severity": finding.severity,
        "strength": finding.strength,
        "text": finding.text,
        "sentence": finding.sentence,
        "url": finding.url,
        "heading": finding.heading,
        "block": finding.block_tag,
        "source": block_source(finding.block_tag),
        "locator": finding.block_locator,
        "start": finding.start,
        "end": finding.end,
        "fetched_at": finding.fetched_at,
        "snapshot": finding.snapshot_id,
        "sha256": finding.sha256,
        "warc_record_id": finding.warc_record_id,
        "disclosures": finding.disclosures,
    }


@click.command()
@db_option
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@click.option("--disclosures", is_flag=True, help="List disclosures instead of claims.")
@format_option
def findings(db: str | None, clinic_ids: tuple[str, ...], disclosures: bool, fmt: str) -> int:
    """List what `claimscan scan` found in the stored pages, one row per occurrence.

    JSON Lines and CSV carry every field: id, kind, clinic, rule_id, category, severity,
    strength, text, sentence, url, heading, block, source (text, title, meta
    description or image alt text), locator, start, end, fetched_at,
    snapshot, sha256, warc_record_id, disclosures.

    \b
    Example:
      claimscan findings --db study.db --format csv > findings.csv
    """
    store = open_store(db)
    check_clinics(store, clinic_ids)
    kind = "disclosure" if disclosures else "claim"
    records = (finding_record(f) for f in store.findings(kind, clinic_ids))
    columns = ("clinic", "severity", "rule_id", "sentence", "url")
    fmt_: OutputFormat = fmt  # type: ignore[assignment]
    write_records(records, fmt_, columns, title="claims" if kind == "claim" else "disclosures")
    return EXIT_OK
