"""`claimscan pages`, `runs` and `evidence`: look at what the store holds."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from scanner.cli.common import check_clinics, db_option, open_store
from scanner.crawl.warc import read_record
from scanner.errors import EXIT_OK, InputError, StoreError
from scanner.models import PageSnapshot
from scanner.output import OutputFormat, inert, write_records
from scanner.store import Store

format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "jsonl", "csv"]), default="table",
    show_default=True, help="table for people; jsonl or csv for tools.",
)  # fmt: skip


def page_record(snapshot: PageSnapshot) -> dict[str, Any]:
    return {
        "id": snapshot.id,
        "run": snapshot.run_id,
        "clinic": snapshot.clinic_id,
        "url": snapshot.url,
        "final_url": snapshot.final_url,
        "status": snapshot.status,
        "content_type": snapshot.content_type,
        "fetched_at": snapshot.fetched_at,
        "sha256": snapshot.sha256,
        "bytes": snapshot.body_length,
        "title": snapshot.title,
        "blocks": len(snapshot.blocks),
        "warc_file": str(Path(snapshot.warc_file).resolve()),
        "warc_record_id": snapshot.warc_record_id,
        "warc_offset": snapshot.warc_offset,
    }


@click.command()
@db_option
@click.option("--run", "run_id", type=int, help="Only this crawl run.")
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@format_option
def pages(db: str | None, run_id: int | None, clinic_ids: tuple[str, ...], fmt: str) -> int:
    """List the stored page snapshots.

    JSON Lines and CSV carry every field: id, run, clinic, url, final_url, status,
    content_type, fetched_at (UTC), sha256, bytes, title, blocks, warc_file (absolute),
    warc_record_id, warc_offset.

    \b
    Example:
      claimscan pages --format jsonl | jq -r 'select(.status >= 400) | .url'
    """
    store = open_store(db)
    check_clinics(store, clinic_ids)
    records = (page_record(s) for s in store.snapshots(run_id, clinic_ids))
    columns = ("id", "clinic", "status", "url", "fetched_at", "title")
    write_records(records, _fmt(fmt), columns, title="stored pages")
    return EXIT_OK


@click.command()
@db_option
@format_option
def runs(db: str | None, fmt: str) -> int:
    """List crawl runs: when each started and finished, its status, pages and errors.

    A run is `running` while it crawls (or if it was killed), `interrupted` after Ctrl-C,
    and `completed` when every clinic was crawled. The same `claimscan crawl` command
    resumes the latest unfinished run of the same clinic list.

    \b
    Examples:
      claimscan runs --db study.db
      claimscan runs --db study.db --format csv > runs.csv
    """
    store = open_store(db)
    records = (
        {
            "id": run.id,
            "status": run.status,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "pages": run.stats.get("pages", ""),
            "errors": run.stats.get("errors", ""),
            "clinic_list": run.clinic_list,
            "warc_file": run.warc_file,
        }
        for run in store.runs()
    )
    columns = ("id", "status", "started_at", "finished_at", "pages", "errors", "clinic_list")
    write_records(records, _fmt(fmt), columns, title="crawl runs")
    return EXIT_OK


@click.command()
@db_option
@click.option("--run", "run_id", type=int, help="Only this crawl run. [default: every run]")
@click.option("--clinic", "clinic_ids", multiple=True, help="Only this clinic id (repeatable).")
@format_option
def errors(db: str | None, run_id: int | None, clinic_ids: tuple[str, ...], fmt: str) -> int:
    """List what could not be fetched or scanned in crawls, and why.

    One row per error: run, clinic, url, kind, status, message, occurred_at (UTC). Fetch
    errors: http_error, dns, timeout, connection, tls, redirect_loop, too_large, not_html,
    robots_disallowed, robots_unavailable, retry_after_too_long, ... A page that was fetched
    but that detection failed on is a scan_error (occurred_at is when it was fetched). `runs`
    counts fetch errors; this names them.

    \b
    Examples:
      claimscan errors --db study.db --run 3
      claimscan errors --db study.db --clinic renewbone --format csv > errors.csv
    """
    store = open_store(db)
    check_clinics(store, clinic_ids)
    if run_id is not None and run_id not in {run.id for run in store.runs()}:
        raise InputError(f"no run {run_id} in the store")
    wanted = set(clinic_ids)
    fetch = [
        {
            "run": error.run_id,
            "clinic": error.clinic_id,
            "url": error.url,
            "kind": error.kind,
            "status": error.status,
            "message": error.message,
            "occurred_at": error.occurred_at,
        }
        for error in store.errors(run_id)
    ]
    scan = [
        {
            "run": error.run_id,
            "clinic": error.clinic_id,
            "url": error.url,
            "kind": "scan_error",
            "status": error.status,
            "message": error.message,
            "occurred_at": error.fetched_at,
        }
        for error in store.scan_errors(run_id)
    ]
    records = sorted(
        (r for r in fetch + scan if not wanted or r["clinic"] in wanted),
        key=lambda r: (r["run"], r["clinic"], r["url"], r["kind"]),
    )
    columns = ("run", "clinic", "kind", "status", "url", "message")
    write_records(records, _fmt(fmt), columns, title="fetch and scan errors")
    return EXIT_OK


@click.command()
@click.argument("snapshot_id", type=int)
@db_option
@click.option(
    "--part",
    type=click.Choice(["response", "headers", "body", "warc", "screenshot", "records"]),
    default="response",
    show_default=True,
    help="response: HTTP headers and body; warc: the raw WARC record (gzip); screenshot: "
    "the page's latest screenshot (PNG); records: list every record of the snapshot.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write to this file instead of standard output.",
)
def evidence(snapshot_id: int, db: str | None, part: str, out: Path | None) -> int:
    """Print or extract the archived response of a snapshot, from its WARC file.

    On a terminal the archived text is shown inert (control characters escaped); with
    --out, or into a pipe, the bytes are written exactly as archived. --part records lists
    the snapshot's evidence: its response record and the screenshots of its page (with
    their record ids, SHA-256 and when they were taken).

    \b
    Examples:
      claimscan evidence 12                      # headers and body
      claimscan evidence 12 --part body --out page.html
      claimscan evidence 12 --part warc --out page.warc.gz && warcio check page.warc.gz
      claimscan evidence 12 --part records
      claimscan evidence 12 --part screenshot --out page.png
    """
    store = open_store(db)
    snapshot = store.snapshot(snapshot_id)
    if part == "records":
        _list_records(store, snapshot_id)
        return EXIT_OK
    if part == "screenshot":
        shot = store.screenshots([snapshot_id]).get(snapshot_id)
        if shot is None:
            raise InputError(
                f"snapshot {snapshot_id} has no screenshot (claimscan screenshots takes them)"
            )
        if out is None and sys.stdout.isatty():
            raise InputError("a screenshot is a PNG: give --out FILE or pipe it")
        data = read_record(shot.warc_file, shot.warc_offset)[1]
        if out is not None:
            out.write_bytes(data)
            click.echo(str(out), err=True)
        else:
            sys.stdout.buffer.write(data)
        return EXIT_OK
    if not Path(snapshot.warc_file).is_file():
        raise StoreError(
            f"the WARC file of snapshot {snapshot_id} is missing: {snapshot.warc_file}"
        )
    if part == "warc":
        with Path(snapshot.warc_file).open("rb") as handle:
            handle.seek(snapshot.warc_offset)
            data = handle.read(snapshot.warc_length)
    else:
        record, body = read_record(snapshot.warc_file, snapshot.warc_offset)
        headers = record.http_headers.to_bytes() if record.http_headers else b""
        data = {"response": headers + body, "headers": headers, "body": body}[part]
    if out is not None:
        out.write_bytes(data)
        click.echo(str(out), err=True)
    elif sys.stdout.isatty():
        sys.stdout.write(inert(data.decode("utf-8", errors="replace")) + "\n")
    else:
        sys.stdout.buffer.write(data)
    return EXIT_OK


def _list_records(store: Store, snapshot_id: int) -> None:
    snapshot = store.snapshot(snapshot_id)
    rows = [
        {
            "record": snapshot.warc_record_id,
            "type": "response" if snapshot.revisit_of is None else "revisit",
            "taken": "at capture",
            "at": snapshot.fetched_at,
            "sha256": snapshot.sha256,
            "url": snapshot.url,
            "warc_file": snapshot.warc_file,
        }
    ]
    for shot in store.all_screenshots([snapshot_id]):
        rows.append(
            {
                "record": shot.warc_record_id,
                "type": "screenshot",
                "taken": "at capture" if shot.taken == "at" else "after the capture",
                "at": shot.captured_at,
                "sha256": shot.sha256,
                "url": shot.url,
                "warc_file": shot.warc_file,
            }
        )
    columns = ("type", "taken", "at", "sha256", "record")
    write_records(iter(rows), "table", columns, title=f"evidence of snapshot {snapshot_id}")


def _fmt(value: str) -> OutputFormat:
    return value  # type: ignore[return-value]
