"""`claimscan demo`: the whole flow on bundled fictional clinic sites served on 127.0.0.x."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from scanner.cli.common import err_console, setup_logging
from scanner.cli.crawl import print_summary
from scanner.cli.report import report_clock
from scanner.cli.scan import print_summary as print_scan_summary
from scanner.clinics import load_clinics
from scanner.crawl.runner import run_crawl
from scanner.demo.server import FixtureServer
from scanner.detect.rules import load_pack
from scanner.detect.scan import run_scan
from scanner.errors import EXIT_INTERRUPTED, EXIT_OK, ClaimscanError
from scanner.models import CrawlOptions
from scanner.report.build import build_report
from scanner.report.render import write_report
from scanner.resources import demo_dir
from scanner.store import Store

# Loopback sites answer in microseconds: no need to wait between requests.
DEMO_OPTIONS = CrawlOptions(max_pages=50, delay=0.0, timeout=5.0, retries=1)


@click.command()
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default="claimscan-demo",
    show_default=True,
    help="Folder for the demo's store, evidence and clinic list.",
)
def demo(out: Path) -> int:
    """Crawl the bundled fictional clinic sites, scan them, report; print the report's path.

    Starts a server for four fictional clinics on 127.0.0.x (one of them dead, one full
    of crawl hazards: robots.txt, redirects, a redirect loop, a 404, a 503, a slow page,
    a PDF, a windows-1252 page, an off-site link), crawls them into OUT/claimscan.db with
    WARC evidence in OUT/claimscan-evidence/, scans the pages for claims, writes the
    report to OUT/report/ (HTML, PDF, JSON, CSV) and prints the HTML report's path.
    Nothing leaves this machine. Any earlier demo output in OUT is replaced.

    \b
    Example:
      claimscan demo --out /tmp/demo && claimscan pages --db /tmp/demo/claimscan.db
    """
    if out.exists():
        for stale in ("claimscan.db", "claimscan.db-wal", "claimscan.db-shm"):
            (out / stale).unlink(missing_ok=True)
        shutil.rmtree(out / "claimscan-evidence", ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    live = sys.stderr.isatty()
    setup_logging(live=live, verbose=0)
    db = out / "claimscan.db"
    with FixtureServer(lifetime=600) as server:
        clinics = server.write_clinic_list(demo_dir() / "clinics.csv", out / "clinics.csv")
        store = Store.open(str(db))
        try:
            result = run_crawl(
                load_clinics(clinics),
                store,
                DEMO_OPTIONS,
                out / "claimscan-evidence",
                progress="live" if live else "log",
            )
        finally:
            store.close()
    print_summary(result)
    store = Store.open(str(db))
    try:
        print_scan_summary(store, run_scan(store))
        data = build_report(store, load_pack(), report_clock(), title="Demo: fictional clinics")
        paths = write_report(data, out / "report", ["html", "json", "csv"])
        try:
            paths += write_report(data, out / "report", ["pdf"])
        except ClaimscanError as exc:  # PDF needs pango; the rest of the demo does not
            err_console.print(f"no PDF: {exc}", markup=False, highlight=False)
    finally:
        store.close()
    for line in (
        *(f"report:      {path}" for path in paths),
        f"store:       {db}",
        f"clinic list: {clinics}",
        f"look inside: claimscan pages --db {db}",
        f"             claimscan findings --db {db}",
        f"             claimscan evidence 1 --db {db}",
    ):
        err_console.print(line, markup=False, highlight=False, soft_wrap=True)
    click.echo(str(paths[0]))  # the HTML report, for scripts
    return EXIT_OK if result.completed else EXIT_INTERRUPTED
