"""`claimscan worker` and `claimscan status`: the two ends of a distributed crawl."""

from __future__ import annotations

import time
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from scanner.cli.common import db_option, default_evidence_dir, err_console, setup_logging
from scanner.cli.crawl import progress_mode, redis_option
from scanner.crawl.shared.coordinator import active_runs, connect, load_plan, progress, wait_for_run
from scanner.crawl.shared.leases import new_worker_id
from scanner.crawl.shared.worker import run_worker
from scanner.errors import EXIT_INTERRUPTED, EXIT_OK
from scanner.store import Store


@click.command()
@redis_option("The Redis the crawl was queued in (redis://HOST:6379/0).", required=True)
@db_option
@click.option(
    "--evidence-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="CLAIMSCAN_EVIDENCE_DIR",
    help="Folder for this worker's WARC file. [default: beside a SQLite store, else "
    "./claimscan-evidence]",
)
@click.option(
    "--wait",
    default=300.0,
    show_default=True,
    help="Seconds to wait for a crawl to be queued before exiting.",
)
@click.option(
    "--lease-seconds",
    default=30.0,
    show_default=True,
    help="How long a stopped worker's sites and requests stay its own before others "
    "take them up (it renews them every third of this while alive).",
)
@click.option(
    "--progress",
    type=click.Choice(["auto", "live", "log", "off"]),
    default="auto",
    show_default=True,
    help="Live table on a terminal, log lines otherwise.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for Scrapy's debug).")
def worker(
    redis_url: str,
    db: str | None,
    evidence_dir: Path | None,
    wait: float,
    lease_seconds: float,
    progress: str,
    verbose: int,
) -> int:
    """Crawl a run queued with `claimscan crawl --redis`, with any number of other workers.

    Start one or more on each machine, all with the same --redis and --db. Each takes
    whole sites: a site is crawled by one worker at a time (a lease in Redis, renewed while
    the worker lives), so the run's --per-site and --delay limits hold across all workers.
    Pages go to the shared store, WARC records to a file of this worker's own in
    --evidence-dir. A worker that stops (Ctrl-C, kill, crash) hands back, or after
    --lease-seconds leaves to the others, every request it had not finished.

    The worker exits when the run is done (exit 0; the last one marks it completed), when
    nothing was queued within --wait seconds (exit 0), or when interrupted (exit 130: start
    it again to rejoin).

    \b
    Example:
      claimscan worker --redis redis://queue:6379/0 \\
          --db postgresql+psycopg://claimscan@db/claimscan --evidence-dir /data/warc
    """
    mode = progress_mode(progress)
    setup_logging(live=mode == "live", verbose=verbose)
    server = connect(redis_url)
    run_id = wait_for_run(server, wait)
    if run_id is None:
        err_console.print(f"no crawl queued within {wait:g} s; nothing to do", markup=False)
        return EXIT_OK
    plan = load_plan(server, run_id)
    name = new_worker_id()
    with Store.open(db) as store:
        result = run_worker(
            server,
            redis_url,
            plan,
            store,
            evidence_dir or default_evidence_dir(db),
            name,
            lease_seconds=lease_seconds,
            progress=mode,
        )
    if result.completed_run:
        state = "run completed"
    elif result.run_done:
        state = "run done"
    else:
        state = f"stopped ({result.finish_reason}); start a worker again to go on"
    err_console.print(
        f"worker {name}, run {result.run_id}: {state}; this worker stored {result.pages} "
        f"pages, {result.errors} errors; evidence in {result.warc_file}",
        markup=False,
        highlight=False,
        soft_wrap=True,  # one line, for the logs workers usually write to
    )
    return EXIT_OK if result.run_done else EXIT_INTERRUPTED


@click.command()
@redis_option("The Redis of the distributed crawls (redis://HOST:6379/0).", required=True)
@db_option
@click.option("--watch", is_flag=True, help="Refresh every --every seconds until none is left.")
@click.option("--every", default=5.0, show_default=True, help="Seconds between refreshes.")
def status(redis_url: str, db: str | None, watch: bool, every: float) -> int:
    """Show the distributed crawls queued in Redis: start entries, requests queued and in
    flight, workers alive, sites being crawled, pages and errors stored.

    \b
    Example:
      claimscan status --redis redis://queue:6379/0 --db postgresql+psycopg://... --watch
    """
    server = connect(redis_url)
    with Store.open(db) as store:
        while True:
            runs = active_runs(server)
            table = Table(title="distributed crawls", title_justify="left")
            columns = ("run", "clinics", "to start", "queued", "in flight", "workers", "sites",
                       "pages", "errors")  # fmt: skip
            for column in columns:
                table.add_column(column, justify="right")
            for run_id in runs:
                p = progress(server, store, run_id)
                table.add_row(*map(str, (
                    p.run_id, p.clinics, p.start_entries, p.queued, p.in_flight,
                    p.workers_alive, p.sites_held, p.pages, p.errors,
                )))  # fmt: skip
            Console().print(table if runs else "no distributed crawl is queued")
            if not watch or not runs:
                return EXIT_OK
            try:
                time.sleep(every)
            except KeyboardInterrupt:
                return EXIT_INTERRUPTED
