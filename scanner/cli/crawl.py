"""`claimscan crawl`: crawl a clinic list into the store."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import click
from rich.table import Table
from rich.text import Text

from scanner.cli.common import (
    db_option,
    default_evidence_dir,
    err_console,
    hide_password,
    refuse_foreign_sqlite,
    setup_logging,
)
from scanner.clinics import ClinicList, load_clinics
from scanner.crawl.progress import ProgressMode
from scanner.crawl.runner import CrawlResult, run_crawl
from scanner.crawl.shared.coordinator import connect, enqueue_crawl
from scanner.errors import EXIT_INTERRUPTED, EXIT_OK
from scanner.models import CrawlOptions
from scanner.output import inert
from scanner.store import Store, database_url
from scanner.store.lock import store_lock

SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
MIN_SIZE = 1024


def parse_size(_ctx: click.Context, _param: click.Parameter, value: str) -> int:
    text = value.strip().upper().removesuffix("B").removesuffix("I")
    unit = text[-1:] if text[-1:] in SIZE_UNITS else ""
    try:
        size = int(float(text.removesuffix(unit)) * SIZE_UNITS[unit])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a size such as 10MB or 500K") from None
    if size < MIN_SIZE:
        raise click.BadParameter(f"{value!r} is smaller than a web page can be (at least 1K)")
    return size


def crawl_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of a crawl, shared by `crawl` and `rescan`."""
    options = [
        click.option(
            "--evidence-dir",
            type=click.Path(path_type=Path, file_okay=False),
            envvar="CLAIMSCAN_EVIDENCE_DIR",
            help="Folder for the WARC files. [default: beside the store, <db>-evidence/]",
        ),
        click.option(
            "--max-pages",
            default=200,
            show_default=True,
            type=click.IntRange(min=1),
            help="Pages fetched per clinic.",
        ),
        click.option(
            "--max-depth",
            default=4,
            show_default=True,
            type=click.IntRange(min=0),
            help="Link depth from a start URL.",
        ),
        click.option(
            "--ignore-robots", is_flag=True, help="Do not obey robots.txt (logged loudly)."
        ),
        click.option("--no-sitemap", is_flag=True, help="Do not read the sites' sitemap.xml."),
        click.option(
            "--user-agent", help="User-Agent to send. [default: claimscan/VERSION (+URL)]"
        ),
        click.option(
            "--delay",
            default=1.0,
            show_default=True,
            type=click.FloatRange(min=0),
            help="Seconds between requests to one site (AutoThrottle's minimum).",
        ),
        click.option(
            "--no-autothrottle", is_flag=True, help="Fixed delay instead of AutoThrottle."
        ),
        click.option(
            "--concurrency",
            default=32,
            show_default=True,
            type=click.IntRange(min=1),
            help="Requests in flight in all (many clinics crawl in parallel).",
        ),
        click.option(
            "--per-site",
            default=2,
            show_default=True,
            type=click.IntRange(min=1),
            help="Requests in flight per site.",
        ),
        click.option(
            "--timeout",
            default=30.0,
            show_default=True,
            type=click.FloatRange(min=0, min_open=True),
            help="Seconds before a fetch fails.",
        ),
        click.option(
            "--retries",
            default=2,
            show_default=True,
            type=click.IntRange(min=0),
            help="Retries of a failed fetch.",
        ),
        click.option(
            "--max-size",
            default="10MB",
            show_default=True,
            callback=parse_size,
            help="Largest response accepted.",
        ),
        click.option(
            "--render",
            is_flag=True,
            help="Fetch pages with headless Chromium (for sites whose text scripts write), "
            "and keep a screenshot of each. Needs Debian's chromium.",
        ),
        click.option("--fresh", is_flag=True, help="Start a new run even if one was interrupted."),
        click.option(
            "--progress",
            type=click.Choice(["auto", "live", "log", "off"]),
            default="auto",
            show_default=True,
            help="Live table on a terminal, log lines otherwise.",
        ),
        click.option(
            "-v", "--verbose", count=True, help="More log output (-vv for Scrapy's debug)."
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def progress_mode(choice: str) -> ProgressMode:
    """--progress auto: a live table on a terminal, log lines otherwise."""
    if choice == "auto":
        return "live" if sys.stderr.isatty() else "log"
    return cast(ProgressMode, choice)


@dataclass(frozen=True)
class CrawlArgs:
    options: CrawlOptions
    evidence_dir: Path | None
    fresh: bool
    mode: ProgressMode
    verbose: int

    @classmethod
    def from_cli(cls, conditional: bool = False, **kw: Any) -> CrawlArgs:
        mode = progress_mode(kw["progress"])
        options = CrawlOptions(
            max_pages=kw["max_pages"],
            max_depth=kw["max_depth"],
            obey_robots=not kw["ignore_robots"],
            use_sitemap=not kw["no_sitemap"],
            user_agent=kw["user_agent"],
            delay=kw["delay"],
            autothrottle=not kw["no_autothrottle"],
            concurrency=kw["concurrency"],
            per_site=kw["per_site"],
            timeout=kw["timeout"],
            retries=kw["retries"],
            max_size=kw["max_size"],
            conditional=conditional,
            render=kw["render"],
        )
        if options.render:
            from scanner.capture.browser import find_chromium

            find_chromium()  # before anything is fetched: say what is missing
        return cls(options, kw["evidence_dir"], kw["fresh"], mode, kw["verbose"])


def print_warnings(clinic_list: ClinicList) -> None:
    for warning in clinic_list.warnings:
        err_console.print(f"warning: {warning}", markup=False, highlight=False)


def crawl_into(
    store: Store, db: str | None, clinic_list: ClinicList, args: CrawlArgs
) -> CrawlResult:
    print_warnings(clinic_list)
    setup_logging(live=args.mode == "live", verbose=args.verbose)
    evidence_dir = args.evidence_dir or default_evidence_dir(db)
    result = run_crawl(
        clinic_list, store, args.options, evidence_dir, fresh=args.fresh, progress=args.mode
    )
    print_summary(result)
    return result


def redis_option(
    help: str, required: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--redis",
        "redis_url",
        envvar="CLAIMSCAN_REDIS",
        metavar="URL",
        required=required,
        help=f"{help} [env: CLAIMSCAN_REDIS]",
    )


@click.command()
@click.argument("clinics", type=click.Path(path_type=Path, dir_okay=False))
@db_option
@redis_option(
    "Distributed crawl: queue the run in this Redis (redis://HOST:6379/0) for "
    "`claimscan worker` processes to crawl."
)
@crawl_options
def crawl(clinics: Path, db: str | None, redis_url: str | None, **kw: Any) -> int:
    """Crawl the websites of a clinic list into the store, with WARC evidence.

    CLINICS is a CSV file with a header row (columns name and url required; id, country,
    region, tags, notes optional; several URLs in one cell separated by spaces or ';'),
    or a JSON or YAML list of objects with the same keys. The list is checked first: any
    problem stops the command with exit code 2 before anything is fetched.

    Each clinic's crawl stays on its own site (its hosts and their www variants), obeys
    robots.txt, reads sitemap.xml, fetches claim-likely pages (treatments, conditions,
    testimonials, FAQ, pricing) first, and stops at --max-pages. Dead or hostile sites
    are recorded and skipped. Interrupted (Ctrl-C, kill, crash), the same command resumes
    the run without fetching again what is stored. One run writes to a store at a time:
    a second exits with code 75.

    Limits: a response over --max-size is recorded as too_large; text blocks are read in
    pieces of at most 100,000 characters; markup nested deeper than libxml2 builds (2,048
    elements) is read flat, without its tree. `claimscan errors` lists what could not be
    fetched.

    With --redis, nothing is fetched here: the run is queued in Redis and crawled by
    `claimscan worker` processes on any number of machines, sharing the store (use
    PostgreSQL when they are on several machines). Run again, it reports the queued run.

    \b
    Examples:
      claimscan crawl clinics.csv --db study.db --max-pages 100
      claimscan crawl clinics.csv --redis redis://queue:6379/0 \\
          --db postgresql+psycopg://claimscan@db/claimscan
    """
    clinic_list = load_clinics(clinics)  # a bad list stops before the store is touched
    args = CrawlArgs.from_cli(**kw)
    if redis_url:
        return queue_crawl(redis_url, db, clinic_list, args)
    with store_lock(db):
        refuse_foreign_sqlite(db)
        store = Store.open(db)
        try:
            result = crawl_into(store, db, clinic_list, args)
        finally:
            store.close()
    return EXIT_OK if result.completed else EXIT_INTERRUPTED


def queue_crawl(redis_url: str, db: str | None, clinic_list: ClinicList, args: CrawlArgs) -> int:
    print_warnings(clinic_list)
    server = connect(redis_url)
    with Store.open(db) as store:
        queued = enqueue_crawl(server, store, clinic_list, args.options, fresh=args.fresh)
    run = queued.run
    if queued.already_queued:
        message = f"run {run.id} of this clinic list is already queued ({run.status})"
    else:
        message = f"run {run.id} queued: {queued.clinics} clinics"
    where = f"--redis {hide_password(redis_url)} --db {hide_password(database_url(db))}"
    err_console.print(
        f"{message}; start workers with:\n  claimscan worker {where}\n"
        f"and follow them with:\n  claimscan status {where}",
        markup=False,
        highlight=False,
    )
    return EXIT_OK


def print_summary(result: CrawlResult) -> None:
    run = result.run
    table = Table(title=f"run {run.id}: {run.status}", title_justify="left")
    for column in ("clinic", "pages", "errors", "reused"):
        table.add_column(column, justify="left" if column == "clinic" else "right")
    for outcome in result.clinics:
        table.add_row(
            Text(inert(outcome.name)),
            str(outcome.pages),
            str(outcome.errors),
            str(outcome.reused),
        )
    err_console.print(table)
    verb = "resumed and " if result.resumed else ""
    state = "completed" if result.completed else "interrupted: run the same command to resume"
    err_console.print(
        f"{verb}{state}; {result.pages} pages, {result.errors} errors; evidence in {run.warc_file}",
        markup=False,
        highlight=False,
    )
    err_console.print(
        "pages counts every response archived, redirects and error statuses included; "
        "a report reviews the HTML pages among them and names the rest",
        markup=False,
        highlight=False,
    )
    scripted = [(o, url) for o in result.clinics for url in o.may_need_render]
    if scripted:
        err_console.print(
            f"{len(scripted)} pages may need --render: their HTML holds almost no text and "
            "loads scripts, which may write it (crawl again with --render to read them):",
            markup=False,
            highlight=False,
        )
        for outcome, url in scripted[:10]:
            err_console.print(f"  {inert(outcome.clinic_id)}: {inert(url)}", highlight=False)
        if len(scripted) > 10:
            err_console.print(f"  and {len(scripted) - 10} more", highlight=False)
