"""A plain `pip install .` gives a claimscan that works from any folder: the wheel carries
rules/ and reports/ and the fixture sites, and finds them without the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hatchling.builders.wheel import WheelBuilder

from tests.conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    return Path(
        next(iter(WheelBuilder(str(REPO)).build(directory=str(out), versions=["standard"])))
    )


def test_the_wheel_carries_the_data_folders(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for folder in ("rules", "reports"):
        expected = {
            f"scanner/_data/{folder}/{p.relative_to(REPO / folder)}"
            for p in (REPO / folder).rglob("*")
            if p.is_file()
        }
        assert expected and expected <= set(names), folder
    assert "scanner/demo/sites/renewbone/index.html" in names
    assert "scanner/store/migrations/versions/0001_initial.py" in names
    assert "scanner/demo/clinics.csv" in names
    assert "scanner/capture/locate.js" in names  # the browser's half of screenshots


def test_the_installed_package_finds_its_data_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile",
         "--disable-pip-version-check", "--target", str(target), str(wheel)],
        check=True,
    )  # fmt: skip
    probe = (
        "import scanner.resources as r; "
        "print(r.data_dir('rules')); print(r.data_dir('reports')); print(r.demo_dir())"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    for line in result.stdout.splitlines():
        assert Path(line).is_dir()
        assert Path(line).is_relative_to(target), line
