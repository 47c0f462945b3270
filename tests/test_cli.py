"""The command line: help that explains, documented commands, exit codes scripts can use."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from scanner.cli import COMMANDS as TABLE
from scanner.cli import cli
from scanner.store import Store
from tests.conftest import REPO, claimscan

COMMANDS = sorted(TABLE)


def command_named(name: str) -> click.Command:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None
    return command


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_explains_itself(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`claimscan {name} --help` shows no example"
    assert "\\b" not in result.output  # click's no-rewrap marker, printed as text
    command = command_named(name)
    assert command.help and len(command.help) > 60
    assert command.name == name


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert re.search(rf"claimscan {name}\b", readme), f"README does not show `claimscan {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_of_a_command_has_help(name: str) -> None:
    for param in command_named(name).params:
        if isinstance(param, click.Option):
            assert param.help, f"{name} {param.opts} has no help"


def test_the_version_is_printed() -> None:
    result = claimscan("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("claimscan, version ")


def test_an_unknown_command_is_a_usage_error() -> None:
    assert claimscan("crawll").returncode == 2


def test_a_missing_clinic_list_is_a_usage_error(tmp_path: Path) -> None:
    result = claimscan("crawl", str(tmp_path / "nope.csv"), "--db", str(tmp_path / "s.db"))
    assert result.returncode == 2
    assert "nope.csv: no such file" in result.stderr


def test_a_bad_size_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "c.csv").write_text("name,url\nA,https://a.test/\n")
    result = claimscan("crawl", str(tmp_path / "c.csv"), "--max-size", "lots")
    assert result.returncode == 2
    assert "is not a size" in result.stderr


def test_pages_of_an_empty_store_is_an_empty_list(tmp_path: Path) -> None:
    Store.open(str(tmp_path / "s.db")).close()
    result = claimscan("pages", "--db", str(tmp_path / "s.db"), "--format", "jsonl")
    assert (result.returncode, result.stdout) == (0, "")


def test_the_store_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store.open(str(tmp_path / "env.db")).close()
    monkeypatch.setenv("CLAIMSCAN_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(cli, ["runs", "--format", "jsonl"], standalone_mode=False)
    assert result.exit_code == 0 and result.exception is None


@pytest.mark.parametrize("command", ["claims", "scan", "findings", "pages", "runs", "review"])
def test_a_mistyped_store_fails_and_creates_nothing(tmp_path: Path, command: str) -> None:
    result = claimscan(command, "--db", str(tmp_path / "stuyd.db"))
    assert result.returncode == 2
    assert f"claimscan: no store at {tmp_path / 'stuyd.db'} (crawl first, or check --db)" in (
        result.stderr
    )
    assert not (tmp_path / "stuyd.db").exists()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.mkdir(), "no .html, .htm or .txt files under this folder"),
        (lambda p: p.write_bytes(b"\x7fELF\x00\x01binary"), "not text or HTML (binary data)"),
        (lambda p: p.write_bytes(bytes(range(1, 32)) * 40), "not text or HTML (control"),
    ],
    ids=["empty folder", "binary", "control characters"],
)
def test_check_refuses_what_it_cannot_read(tmp_path: Path, make: Any, message: str) -> None:
    target = tmp_path / "input"
    make(target)
    result = claimscan("check", str(target))
    assert result.returncode == 2
    assert message in result.stderr


def test_check_reads_the_html_and_text_files_under_a_folder(tmp_path: Path) -> None:
    (tmp_path / "site" / "deep").mkdir(parents=True)
    (tmp_path / "site" / "a.html").write_text("<p>Our stem cells rebuild bone.</p>")
    (tmp_path / "site" / "deep" / "b.txt").write_text("Exosomes reverse arthritis.\n")
    (tmp_path / "site" / "logo.png").write_bytes(b"\x89PNG\x00")
    result = claimscan("check", str(tmp_path / "site"), "--format", "jsonl")
    assert result.returncode == 1, result.stderr  # claims found
    sources = {Path(json.loads(line)["source"]).name for line in result.stdout.splitlines()}
    assert sources == {"a.html", "b.txt"}


def test_check_reads_standard_input() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scanner", "check", "-", "--format", "jsonl"],
        input="Our stem cells rebuild bone.\n", capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 1  # a claim was found
    assert json.loads(result.stdout)["source"] == "-"


HEAVY = ("spacy", "scrapy", "sqlalchemy")


def imported_after(*args: str) -> set[str]:
    """Which of spaCy, Scrapy and SQLAlchemy a command line imports."""
    code = (
        "import sys\n"
        "from scanner.cli import cli\n"
        "from scanner.cli.common import run_command\n"
        f"sys.argv = ['claimscan', *{list(args)!r}]\n"
        "run_command(cli)\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    return set(json.loads(result.stdout.strip().splitlines()[-1].replace("'", '"')))


@pytest.mark.parametrize("args", [["--version"], ["--help"], ["check", "--help"]])
def test_help_and_version_import_no_heavy_library(args: list[str]) -> None:
    assert imported_after(*args) == set()


def test_check_on_a_text_file_imports_spacy_only(tmp_path: Path) -> None:
    page = tmp_path / "ad.txt"
    page.write_text("Our stem cells rebuild bone.\n")
    assert imported_after("check", str(page)) == {"spacy"}


@pytest.mark.parametrize(
    "option",
    [
        ("--max-pages", "0"), ("--delay", "-1"), ("--timeout", "0"), ("--concurrency", "0"),
        ("--per-site", "0"), ("--retries", "-1"), ("--max-depth", "-1"), ("--max-size", "1"),
    ],
    ids=lambda o: f"{o[0]} {o[1]}",
)  # fmt: skip
def test_an_out_of_range_crawl_option_is_a_usage_error(
    tmp_path: Path, option: tuple[str, str]
) -> None:
    clinics = tmp_path / "clinics.csv"
    clinics.write_text("name,url\nA Clinic,https://a.test/\n")
    result = claimscan("crawl", str(clinics), "--db", str(tmp_path / "s.db"), *option)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and option[0] in result.stderr
    assert not (tmp_path / "s.db").exists()


def test_a_sqlite_file_that_is_not_a_store_is_refused_and_left_alone(tmp_path: Path) -> None:
    import hashlib
    import sqlite3

    other = tmp_path / "notes.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
        connection.execute("INSERT INTO notes VALUES ('mine')")
    before = hashlib.sha256(other.read_bytes()).hexdigest()
    clinics = tmp_path / "clinics.csv"
    clinics.write_text("name,url\nA Clinic,https://a.test/\n")
    for args in (("runs",), ("pages",), ("claims",), ("crawl", str(clinics))):
        result = claimscan(*args, "--db", str(other))
        assert result.returncode == 2, args
        assert "not a claimscan store" in result.stderr
    assert hashlib.sha256(other.read_bytes()).hexdigest() == before


def test_a_corrupt_store_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "broken.db"
    Store.open(str(store)).close()
    data = bytearray(store.read_bytes())
    data[4096:] = b"\xff" * (len(data) - 4096)  # the header holds, the pages do not
    store.write_bytes(bytes(data))
    result = claimscan("pages", "--db", str(store))
    assert result.returncode == 2
    assert "not a readable SQLite store" in result.stderr or "not a claimscan store" in (
        result.stderr
    )
