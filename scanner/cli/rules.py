"""`claimscan rules`: list or document the rules in force."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from scanner.cli.check import no_builtin_option, rules_option
from scanner.detect.docs import render_markdown
from scanner.detect.rules import load_pack
from scanner.errors import EXIT_OK
from scanner.output import write_records


@click.command()
@rules_option
@no_builtin_option
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "markdown", "json"]),
    default="table",
    show_default=True,
    help="table to read; markdown is rules/README.md; json for tools.",
)
def rules(rules_dirs: tuple[Path, ...], no_builtin_rules: bool, fmt: str) -> int:
    """List the claim rules in force, or write their documentation.

    Loading the rules also checks them: a bad rule file stops with exit code 2 and a
    message naming the file, the rule and the field.

    \b
    Examples:
      claimscan rules
      claimscan rules --rules my-rules/ --format json
      claimscan rules --format markdown > rules/README.md
    """
    pack = load_pack(rules_dirs, builtin=not no_builtin_rules)
    if fmt == "markdown":
        sys.stdout.write(render_markdown(pack))
    elif fmt == "json":
        payload = {
            "version": pack.version,
            "sha256": pack.sha256,
            "rules": [r.model_dump(by_alias=True) for r in pack.rules.values()],
        }
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    else:
        records = [
            {"id": r.id, "category": r.category, "severity": r.severity, "message": r.message}
            for r in sorted(pack.rules.values(), key=lambda r: (r.category, r.id))
        ]
        columns = ("id", "category", "severity", "message")
        write_records(records, "table", columns, title=f"rule pack {pack.version}")
    return EXIT_OK
