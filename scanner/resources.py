"""Where the data that ships with claimscan lives: rule packs, report templates, demo sites.

In a source checkout (or an editable install) `rules/` and `reports/` sit at the top of the
repository. In a wheel they are copied to `scanner/_data/` (see pyproject.toml), so an
installed claimscan works from any folder.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """Return the folder of a top-level data directory (`rules` or `reports`)."""
    packaged = PACKAGE_DIR / "_data" / name
    if packaged.is_dir():
        return packaged
    return PACKAGE_DIR.parent / name


def demo_dir() -> Path:
    """The bundled fixture clinic sites and the demo clinic list."""
    return PACKAGE_DIR / "demo"
