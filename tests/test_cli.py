"""The command line: help that explains, documented commands, exit codes scripts can use."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from scanner.cli import cli
from tests.conftest import REPO, claimscan

COMMANDS = sorted(cli.commands)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_explains_itself(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    command = cli.commands[name]
    assert command.help and len(command.help) > 60


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_is_documented_in_the_readme(name: str) -> None:
    readme = (REPO / "README.md").read_text()
    assert re.search(rf"claimscan {name}\b", readme), f"README does not show `claimscan {name}`"


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_of_a_command_has_help(name: str) -> None:
    for param in cli.commands[name].params:
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
    result = claimscan("pages", "--db", str(tmp_path / "s.db"), "--format", "jsonl")
    assert (result.returncode, result.stdout) == (0, "")


def test_the_store_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIMSCAN_DB", str(tmp_path / "env.db"))
    result = CliRunner().invoke(cli, ["runs", "--format", "jsonl"])
    assert result.exit_code == 0
    assert (tmp_path / "env.db").exists()
