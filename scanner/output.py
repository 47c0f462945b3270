"""Writing records as a table, JSON Lines or CSV; keeping scraped text inert on a terminal.

Scraped text is hostile input: on a terminal, control characters (ANSI escapes that could
recolour, retitle or rewrite the screen) are shown as visible escapes, never sent raw; in
tables it is rendered as plain text, never as Rich markup; in CSV, cells that a spreadsheet
would run as a formula are neutralised.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

OutputFormat = Literal["table", "json", "jsonl", "csv"]
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """Control characters (but newline and tab) shown as \\xNN escapes."""
    return CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: a leading =, +, -, @ gets a quote prefix."""
    text = "" if value is None else _plain(value)
    if text.startswith(FORMULA_START):
        return "'" + text
    return text


def _plain(value: Any) -> str:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cell(value: Any) -> str:
    """Table cells: like _plain, but times to the second (tables are for reading)."""
    if isinstance(value, datetime):
        return iso(value.replace(microsecond=0))
    return "" if value is None else _plain(value)


def iso(moment: datetime) -> str:
    """UTC timestamps as ISO 8601 with a Z."""
    return moment.isoformat().replace("+00:00", "Z")


def json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_records(
    records: Iterable[dict[str, Any]],
    fmt: OutputFormat,
    columns: Sequence[str],
    out: IO[str] | None = None,
    title: str | None = None,
) -> int:
    """Write records in `fmt`; tables show `columns`, JSON Lines and CSV every field."""
    out = out or sys.stdout
    count = 0
    if fmt == "json":
        rows = list(records)
        out.write(json.dumps(rows, ensure_ascii=False, default=json_default, indent=2) + "\n")
        count = len(rows)
    elif fmt == "jsonl":
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, default=json_default) + "\n")
            count += 1
    elif fmt == "csv":
        writer: Any = None
        for record in records:
            if writer is None:
                writer = csv.DictWriter(out, fieldnames=list(record), lineterminator="\n")
                writer.writeheader()
            writer.writerow({k: csv_cell(v) for k, v in record.items()})
            count += 1
    else:
        table = Table(title=title, title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for record in records:
            table.add_row(*(Text(inert(_cell(record.get(c, "")))) for c in columns))
            count += 1
        console_for(out).print(table)
    return count


# Off a terminal (a cron log, a pipe) rich would lay tables out for 80 columns and cut
# clinic names short; lay them out wide instead, unless $COLUMNS says otherwise.
OFF_TERMINAL_WIDTH = 200


def console_for(out: Any = None, stderr: bool = False, **options: Any) -> Console:
    console = Console(file=out, stderr=stderr, **options)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console = Console(file=out, stderr=stderr, width=OFF_TERMINAL_WIDTH, **options)
    return console
