"""Rule packs for spaCy components, which are built from JSON-like config: a component
names its pack by folders, and the pack is loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from scanner.detect.rules import RulePack, load_pack


@cache
def pack_for(extra_dirs: tuple[str, ...], builtin: bool) -> RulePack:
    return load_pack([Path(d) for d in extra_dirs], builtin=builtin)


PACK_CONFIG = {"rules": [], "builtin": True}
