"""The claimscan command line: thin commands that parse, call the parts, and print."""

from __future__ import annotations

import sys

import click

from scanner import __version__
from scanner.cli.check import check
from scanner.cli.common import run_command
from scanner.cli.crawl import crawl
from scanner.cli.demo import demo
from scanner.cli.history import claims, diff_command, rescan
from scanner.cli.inspect import evidence, pages, runs
from scanner.cli.report import report
from scanner.cli.review import review, verdict
from scanner.cli.rules import rules
from scanner.cli.scan import findings, scan
from scanner.cli.worker import status, worker


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="claimscan")
def cli() -> None:
    """Find unsupported medical marketing claims on clinic websites.

    \b
    The flow, one command per step, each reading and writing the store:
      claimscan crawl clinics.csv     crawl the clinics' sites into the store
      claimscan scan                  find claims in the stored pages
      claimscan rescan clinics.csv    crawl again, scan, and show what changed
      claimscan diff                  what changed between two runs
      claimscan claims                claims with stable ids, history and status
      claimscan review                triage claims in a browser (confirm, dismiss)
      claimscan verdict ID confirmed  record a verdict from a script
      claimscan report --out report/  write the report: HTML, PDF, JSON, CSV
      claimscan findings              list the claims found
      claimscan check page.html       find claims in files or URLs, no store needed
      claimscan rules                 list the claim rules in force
      claimscan pages                 list what was stored
      claimscan evidence 12           show the archived response of snapshot 12
      claimscan demo                  run the flow on bundled fixture sites

    \b
    Outgrown one machine? Queue the crawl in Redis and crawl it with workers:
      claimscan crawl clinics.csv --redis redis://HOST/0 --db postgresql+psycopg://...
      claimscan worker --redis ... --db ...   on each machine, as many as you like
      claimscan status --redis ... --db ...   queued, in flight, workers, pages

    The store is a SQLite file (claimscan.db in the current folder) unless --db or
    $CLAIMSCAN_DB names another file or an SQLAlchemy URL.

    \b
    Exit codes: 0 success, 1 failure (check: claims found), 2 bad input or usage,
    3 changes found (rescan --fail-on), 75 the store is in use by another run,
    130 interrupted.
    """


for command in (
    crawl, scan, rescan, diff_command, claims, review, verdict, report, findings, check, rules,
    pages, runs, evidence, demo, worker, status,
):  # fmt: skip
    cli.add_command(command)


def main() -> None:
    sys.exit(run_command(cli))
