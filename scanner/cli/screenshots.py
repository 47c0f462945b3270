"""`claimscan screenshots`: visual evidence of the pages with claims."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from scanner.capture.browser import Browser
from scanner.capture.screenshots import ShotSummary, pages_to_shoot, take_screenshots
from scanner.cli.common import (
    check_clinics,
    db_option,
    default_evidence_dir,
    err_console,
    open_store,
    progress_callback,
    setup_logging,
)
from scanner.errors import EXIT_OK, InputError
from scanner.output import inert

log = logging.getLogger("scanner.screenshots")


@click.command()
@db_option
@click.option("--run", "run_id", type=int, help="Pages of this crawl run. [default: each "
              "clinic's latest run]")  # fmt: skip
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@click.option(
    "--evidence-dir",
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for the screenshots' WARC file. [default: beside the store, <db>-evidence/]",
)
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=1),
              help="Seconds a page may take to load.")  # fmt: skip
@click.option("--settle", default=10.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds to wait, at most, for the page's network to settle.")  # fmt: skip
@click.option("--again", is_flag=True, help="Take pages that have a screenshot again.")
def screenshots(
    db: str | None,
    run_id: int | None,
    clinic_ids: tuple[str, ...],
    evidence_dir: Path | None,
    timeout: float,
    settle: float,
    again: bool,
) -> int:
    """Take a full-page screenshot of every page with a claim, as visual evidence.

    Each page is loaded again, live, in headless Chromium (Debian's `chromium`, or the one
    CLAIMSCAN_CHROMIUM names), after the network settles (or --settle seconds, for pages
    whose scripts never stop). The PNG goes into a WARC file of its own as a resource
    record (SHA-256, time taken, the page's URL, WARC-Refers-To the page's response
    record), with a metadata record of where each claim sentence is on it. A screenshot
    taken after the crawl is marked so: the page may have changed since. Reports show a
    crop around each claim, outlined, and the full screenshots in an appendix; `claimscan
    evidence SNAPSHOT --part screenshot` extracts one.

    \b
    Examples:
      claimscan screenshots --db study.db
      claimscan screenshots --db study.db --run 3 --clinic renewbone
    """
    setup_logging(live=sys.stderr.isatty(), verbose=0)
    store = open_store(db)
    check_clinics(store, clinic_ids)
    if run_id is not None and run_id not in {run.id for run in store.runs()}:
        raise InputError(f"no run {run_id} in the store")
    pages = pages_to_shoot(store, run_id, clinic_ids, again)
    if not pages:
        err_console.print("no page to take: no page with a claim lacks a screenshot "
                          "(scan first, or use --again)", highlight=False)  # fmt: skip
        return EXIT_OK
    folder = evidence_dir or default_evidence_dir(db)
    with (
        Browser(timeout=timeout, settle=settle) as browser,
        progress_callback("screenshots", log, "screenshots: %d of %d pages") as on_page,
    ):
        summary = take_screenshots(store, pages, folder, browser, on_page)
    _print(summary)
    return EXIT_OK


def _print(summary: ShotSummary) -> None:
    err_console.print(
        f"took {summary.taken} of {summary.pages} pages in {summary.seconds:.1f}s; "
        f"{summary.located} of {summary.sentences} claim sentences found on them; "
        f"evidence in {summary.warc_file}",
        highlight=False,
    )
    for url, why in summary.failed:
        err_console.print(f"not taken: {inert(url)}: {inert(why)}", highlight=False)
