"""One writer at a time: a lock held for the whole of a crawl, scan or rescan, so that two
overlapping scheduled runs cannot interleave their writes. The second one stops at once.

SQLite: an flock on `<store>.lock` beside the file (released by the OS if the process
dies). PostgreSQL: a session-level advisory lock keyed by the database.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scanner.errors import StoreLocked
from scanner.store.database import database_url


@contextmanager
def store_lock(path_or_url: str | None, name: str = "store", wait: bool = False) -> Iterator[None]:
    """Hold the store's lock `name`; `wait` blocks until it is free instead of refusing."""
    url = make_url(database_url(path_or_url))
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        suffix = ".lock" if name == "store" else f".{name}.lock"
        with _file_lock(Path(f"{url.database}{suffix}"), str(url.database), wait):
            yield
    elif url.get_backend_name() == "postgresql":
        with _advisory_lock(url.render_as_string(hide_password=False), name, wait):
            yield
    else:
        yield


@contextmanager
def _file_lock(path: Path, store: str, wait: bool) -> Iterator[None]:
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise StoreLocked(
                f"another claimscan run is using the store {store} ({holder}); "
                "this one stops without touching it"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(url: str, name: str, wait: bool) -> Iterator[None]:
    digest = hashlib.sha256(f"claimscan:{name}:{url}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            if wait:
                connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
            else:
                got = connection.execute(
                    text("SELECT pg_try_advisory_lock(:key)"), {"key": key}
                ).scalar()
                if not got:
                    raise StoreLocked(
                        "another claimscan run is using this database; this one stops"
                    )
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()
    finally:
        engine.dispose()
