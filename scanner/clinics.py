"""Read and validate a clinic list (CSV with a header row, JSON or YAML).

Every problem names the file, the line and the field, and all problems of a file are
reported together, before any crawling starts.

CSV columns: `name` and `url` are required (`website` is accepted for `url`); `id`,
`country`, `region`, `tags` and `notes` are optional. A `url` cell may hold several start
URLs separated by spaces, `;` or `|`; `tags` are separated by `;`, `,` or `|`.
JSON and YAML: a list of objects (or an object with a `clinics` list) with the same keys;
`url` may be a string or a list, and `urls` a list.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from pydantic import ValidationError

from scanner import yaml_input
from scanner.errors import ClinicListError
from scanner.models import Clinic

KNOWN_FIELDS = ("id", "name", "url", "urls", "country", "region", "tags", "notes")
ALIASES = {"website": "url", "site": "url", "homepage": "url", "state": "region"}
URL_SEPARATORS = re.compile(r"[\s;|]+")
TAG_SEPARATORS = re.compile(r"\s*[;,|]\s*")


@dataclass(frozen=True)
class RawRecord:
    """One clinic as written in the file, before validation, and where it was written."""

    line: int
    fields: dict[str, Any]


@dataclass(frozen=True)
class ClinicList:
    path: Path
    clinics: list[Clinic]
    warnings: list[str]

    @property
    def sha256(self) -> str:
        """A fingerprint of the list's content: same clinics and URLs, same fingerprint."""
        canonical = json.dumps([c.model_dump(mode="json") for c in self.clinics], sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()


def load_clinics(path: Path) -> ClinicList:
    """Read a clinic list; raise ClinicListError naming every problem found."""
    if not path.is_file():
        raise ClinicListError([f"{path}: no such file"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ClinicListError(
            [f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})"]
        ) from None
    suffix = path.suffix.lower()
    warnings: list[str] = []
    if suffix in (".json", ".yaml", ".yml"):
        records = list(_read_structured(path, text))
    else:
        records = list(_read_csv(path, text, warnings))
    clinics = _validate(path, records)
    return ClinicList(path=path, clinics=clinics, warnings=warnings)


def _read_csv(path: Path, text: str, warnings: list[str]) -> Iterator[RawRecord]:
    reader = csv.reader(text.splitlines(keepends=True))
    try:
        header = next(reader)
    except StopIteration:
        raise ClinicListError([f"{path}:1: the file is empty; expected a header row"]) from None
    except csv.Error as exc:
        raise ClinicListError([f"{path}:1: {exc}"]) from None
    columns = [_canonical_field(name) for name in header]
    missing = [name for name in ("name", "url") if name not in columns]
    if missing:
        found = ", ".join(repr(h) for h in header) or "nothing"
        raise ClinicListError(
            [f"{path}:1: header: missing required column {m!r} (found {found})" for m in missing]
        )
    unknown = [h for h, c in zip(header, columns, strict=True) if c not in KNOWN_FIELDS and h]
    if unknown:
        warnings.append(f"{path}:1: ignoring unknown column(s): {', '.join(unknown)}")
    try:
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            if len(row) > len(columns):
                raise ClinicListError(
                    [f"{path}:{line}: row has {len(row)} cells but the header has {len(columns)}"]
                )
            fields = {
                column: cell.strip()
                for column, cell in zip(columns, row, strict=False)
                if column in KNOWN_FIELDS and cell.strip()
            }
            yield RawRecord(line=line, fields=fields)
    except csv.Error as exc:
        raise ClinicListError([f"{path}:{reader.line_num}: {exc}"]) from None


def _read_structured(path: Path, text: str) -> Iterator[RawRecord]:
    """JSON or YAML: parse with YAML's composer so every item keeps its line number."""
    if path.suffix.lower() == ".json":
        try:
            json.loads(text)
        except json.JSONDecodeError as exc:
            raise ClinicListError([f"{path}:{exc.lineno}: invalid JSON: {exc.msg}"]) from None
        except RecursionError:
            raise ClinicListError([f"{path}:1: nested too deeply to be a clinic list"]) from None
    try:
        root = yaml_input.compose(text)
        data = yaml_input.load(text)
    except RecursionError:
        raise ClinicListError([f"{path}:1: nested too deeply to be a clinic list"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise ClinicListError([f"{path}:{line}: invalid YAML: {exc}"]) from None
    if isinstance(data, dict) and "clinics" in data and isinstance(root, yaml.MappingNode):
        root = next(v for k, v in root.value if k.value == "clinics")
        data = data["clinics"]
    if not isinstance(data, list) or not isinstance(root, yaml.SequenceNode):
        raise ClinicListError([f"{path}:1: expected a list of clinics (or a 'clinics' list)"])
    for node, item in zip(root.value, data, strict=True):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            raise ClinicListError([f"{path}:{line}: expected a clinic object, got {item!r}"])
        yield RawRecord(line=line, fields={_canonical_field(str(k)): v for k, v in item.items()})


def _canonical_field(name: str) -> str:
    key = name.strip().lower()
    return ALIASES.get(key, key)


def _validate(path: Path, records: Iterable[RawRecord]) -> list[Clinic]:
    problems: list[str] = []
    clinics: list[Clinic] = []
    first_line_of_id: dict[str, int] = {}
    first_line_of_url: dict[str, int] = {}
    for record in records:
        try:
            clinic = Clinic.model_validate(_normalise(record.fields))
        except ValidationError as exc:
            problems.extend(f"{path}:{record.line}: {m}" for m in _explain(exc, record.fields))
            continue
        if clinic.id in first_line_of_id:
            problems.append(
                f"{path}:{record.line}: id: duplicate clinic {clinic.id!r} "
                f"(first on line {first_line_of_id[clinic.id]})"
            )
            continue
        first_line_of_id[clinic.id] = record.line
        for url in clinic.urls:
            key = _url_key(url)
            if key in first_line_of_url:
                problems.append(
                    f"{path}:{record.line}: url: duplicate start URL {url!r} "
                    f"(first on line {first_line_of_url[key]})"
                )
            first_line_of_url.setdefault(key, record.line)
        clinics.append(clinic)
    if problems:
        raise ClinicListError(problems)
    if not clinics:
        raise ClinicListError([f"{path}: no clinics in the list"])
    return clinics


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    """Turn the file's loose shapes (strings with separators, aliases) into Clinic fields."""
    out: dict[str, Any] = {k: v for k, v in fields.items() if k in KNOWN_FIELDS}
    urls: list[Any] = []
    for key in ("url", "urls"):
        value = out.pop(key, None)
        if isinstance(value, str):
            urls.extend(u for u in URL_SEPARATORS.split(value) if u)
        elif isinstance(value, list):
            urls.extend(value)
        elif value is not None:
            urls.append(value)
    out["urls"] = urls
    if isinstance(out.get("tags"), str):
        out["tags"] = [t for t in TAG_SEPARATORS.split(out["tags"].strip()) if t]
    if "id" not in out and isinstance(out.get("name"), str):
        out["id"] = slugify(out["name"])
    for key in ("id", "country", "region", "notes"):
        if key in out and not isinstance(out[key], str):
            out[key] = str(out[key])
    return out


def _explain(exc: ValidationError, fields: dict[str, Any]) -> list[str]:
    """One `field: message` per real problem, in the file's own terms (`url`, not `urls`)."""
    errors = exc.errors()
    fields_in_error = {error["loc"][0] for error in errors if error["loc"]}
    messages = []
    for error in errors:
        field = str(error["loc"][0]) if error["loc"] else "-"
        item_errors = any(len(e["loc"]) > 1 and e["loc"][0] == "urls" for e in errors)
        if field == "urls" and error["type"] == "too_short" and item_errors:
            continue  # an item's own error says more
        if field == "id" and "id" not in fields and "name" in fields_in_error:
            continue  # the id comes from the name, whose error is reported
        messages.append(f"{'url' if field == 'urls' else field}: {_message(error)}")
    return messages


def _message(error: Any) -> str:
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message.removeprefix("Value error, ")
    if error["type"] == "string_pattern_mismatch":
        message = "must be lowercase letters, digits, '.', '_' or '-' (at most 80)"
    if error["type"] == "too_short" and error["loc"][:1] == ("urls",):
        message = "at least one start URL is required"
    if error["type"] == "missing":
        message = "required"
    return message


def slugify(name: str) -> str:
    """A clinic id from its name: 'Renew Bone Clinic (Austin)' -> 'renew-bone-clinic-austin'."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")
    return slug[:80].rstrip("-") or "clinic"


def _url_key(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    return f"{host}:{parts.port or ''}{parts.path.rstrip('/')}?{parts.query}"
