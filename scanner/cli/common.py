"""What the commands share: the --db option, logging, and turning errors into exit codes."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

import click
from rich.logging import RichHandler

from scanner.errors import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ClaimscanError,
    InputError,
)
from scanner.output import console_for

if TYPE_CHECKING:
    from scanner.store import Store

db_option = click.option(
    "--db",
    envvar="CLAIMSCAN_DB",
    metavar="PATH_OR_URL",
    help="The store: a SQLite file path or an SQLAlchemy URL. "
    "[env: CLAIMSCAN_DB; default: claimscan.db]",
)

text_or_json_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="text for people; json for tools.",
)

# Messages are not wrapped: off a terminal (cron logs) a wrapped line is a broken line.
err_console = console_for(stderr=True, soft_wrap=True)


def open_store(db: str | None) -> Store:
    """An existing store. Only `crawl` (and `rescan`, `demo`) create one: a mistyped --db
    must fail, not answer from a new empty store (a cron job would never notice)."""
    from scanner.store import Store

    path = sqlite_file(db)
    if path is not None and not path.is_file():
        raise InputError(f"no store at {path} (crawl first, or check --db)")
    refuse_foreign_sqlite(db)
    return Store.open(db)


# Tables every claimscan store has (and alembic's version table).
STORE_TABLES = {"alembic_version", "clinics", "runs", "snapshots"}


def refuse_foreign_sqlite(db: str | None) -> None:
    """An existing SQLite file that is not a claimscan store is refused, never altered: it
    is read through a read-only connection before the store would migrate it."""
    import sqlite3

    path = sqlite_file(db)
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return
    try:
        with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as connection:
            tables = {name for (name,) in connection.execute("SELECT name FROM sqlite_master")}
            connection.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path}: not a readable SQLite store ({exc})") from None
    if not tables >= STORE_TABLES:
        raise InputError(
            f"{path}: a SQLite file, but not a claimscan store (left as it is; check --db)"
        )


def check_clinics(store: Store, clinic_ids: Iterable[str]) -> None:
    """An unknown --clinic id is a usage error naming it, not an empty answer."""
    known = {clinic.id for clinic in store.clinics()}
    if unknown := sorted(set(clinic_ids) - known):
        raise InputError(
            f"no clinic {', '.join(map(repr, unknown))} in the store "
            f"(its clinics: {', '.join(sorted(known)) or 'none'})"
        )


def hide_password(url: str) -> str:
    """A URL fit to print: its password (if any) replaced by ***."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def default_evidence_dir(db: str | None) -> Path:
    """WARC files live beside a SQLite store (`x.db` -> `x-evidence/`), else in ./."""
    path = sqlite_file(db)
    return path.parent / f"{path.stem}-evidence" if path else Path("claimscan-evidence")


def sqlite_file(db: str | None) -> Path | None:
    """The file of a SQLite store (None for another database or an in-memory one)."""
    from sqlalchemy.engine import make_url

    from scanner.store import database_url

    url = make_url(database_url(db))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database)
    return None


@contextmanager
def progress_callback(
    label: str, log: logging.Logger, message: str
) -> Iterator[Callable[[int, int], None]]:
    """A `(done, total)` callback for long work: a progress bar on a terminal, else a log
    line (`message` % (done, total))."""
    if not sys.stderr.isatty():
        yield lambda done, total: log.info(message, done, total)
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    columns = (TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console, transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda done, total: progress.update(task, completed=done, total=total)


def setup_logging(live: bool, verbose: int) -> None:
    """Warnings above a live display on a terminal; plain timestamped lines otherwise."""
    root = logging.getLogger()
    root.handlers.clear()
    if live:
        handler: logging.Handler = RichHandler(console=err_console, show_path=False)
        root.setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)
    # Scrapy resets its loggers' levels when a crawl starts, so filter at the handler.
    handler.addFilter(_LibraryFilter({0: logging.WARNING, 1: logging.INFO}.get(verbose, 0)))
    root.addHandler(handler)


class _LibraryFilter(logging.Filter):
    """Let the libraries' records through from `level` up; claimscan's own all pass."""

    LIBRARIES = (
        "scrapy", "twisted", "py.warnings", "alembic", "protego", "filelock", "weasyprint",
        "fontTools",
    )  # fmt: skip
    # Failed fetches are logged once, by claimscan's pipeline; these repeat them with
    # tracebacks, so they show only with --verbose.
    REPEATS = ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry")

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name in self.REPEATS:
            return record.levelno >= self.level and self.level < logging.WARNING
        if record.name.split(".")[0] in self.LIBRARIES:
            return record.levelno >= self.level
        return True


def run_command(command: Callable[..., Any]) -> int:
    """Run the click group; ClaimscanError becomes its message and exit code."""
    try:
        result = command(standalone_mode=False)
    except ClaimscanError as exc:
        err_console.print(f"claimscan: {exc}", markup=False, highlight=False)
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.Abort:
        err_console.print("claimscan: interrupted", markup=False)
        return EXIT_INTERRUPTED
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_FAILURE
    # Commands return their exit code; click returns it (or an Exit's code) here.
    return result if isinstance(result, int) else EXIT_OK
