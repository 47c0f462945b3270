"""The claimscan command line: thin commands that parse, call the parts, and print."""

from __future__ import annotations

import importlib
import sys

import click

from scanner import __version__
from scanner.cli.common import run_command

# name -> (module, function, one line of help). A command's module is imported only when
# the command runs (or its --help is asked for): spaCy, Scrapy and SQLAlchemy take seconds
# to import, and `claimscan --help` or `--version` should not wait for them.
COMMANDS: dict[str, tuple[str, str, str]] = {
    "crawl": ("scanner.cli.crawl", "crawl", "Crawl the clinics of a list into the store."),
    "scan": ("scanner.cli.scan", "scan", "Find claims in the stored pages."),
    "rescan": ("scanner.cli.history", "rescan", "Crawl again, scan, and show what changed."),
    "diff": ("scanner.cli.history", "diff_command", "What changed between two runs."),
    "claims": ("scanner.cli.history", "claims", "Claims with stable ids, history, verdicts."),
    "review": ("scanner.cli.review", "review", "Triage claims in a browser."),
    "verdict": ("scanner.cli.review", "verdict", "Record a verdict on a claim."),
    "report": ("scanner.cli.report", "report", "Write the report: HTML, PDF, JSON, CSV."),
    "findings": ("scanner.cli.scan", "findings", "List the findings of the last scan."),
    "check": ("scanner.cli.check", "check", "Find claims in files or URLs, no store needed."),
    "evaluate": (
        "scanner.cli.evaluate", "evaluate", "Score detection against your own gold labels.",
    ),
    "rules": ("scanner.cli.rules", "rules", "List the claim rules in force."),
    "pages": ("scanner.cli.inspect", "pages", "List the stored pages."),
    "runs": ("scanner.cli.inspect", "runs", "List the crawl runs."),
    "errors": ("scanner.cli.inspect", "errors", "List what could not be fetched, and why."),
    "evidence": ("scanner.cli.inspect", "evidence", "Show the archived record of a snapshot."),
    "screenshots": (
        "scanner.cli.screenshots", "screenshots", "Screenshot every page with a claim.",
    ),
    "demo": ("scanner.cli.demo", "demo", "Run the whole flow on bundled fixture sites."),
    "worker": ("scanner.cli.worker", "worker", "Crawl a queued distributed run."),
    "status": ("scanner.cli.worker", "status", "Progress of a queued distributed run."),
}  # fmt: skip


class LazyGroup(click.Group):
    """A group whose commands are imported when used (click's documented lazy pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, name, _ = COMMANDS[cmd_name]
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, help_text) for name, (_, _, help_text) in COMMANDS.items()]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
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
      claimscan evaluate gold.jsonl --pages pages/   detection against your own labels
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


def main() -> None:
    sys.exit(run_command(cli))
