"""`claimscan verdict` and `claimscan review`: reviewers' verdicts, from scripts or a browser."""

from __future__ import annotations

import getpass
import ipaddress
import os
from pathlib import Path

import click

from scanner.cli.check import no_builtin_option, rules_option
from scanner.cli.common import db_option, default_evidence_dir, err_console, open_store
from scanner.detect.rules import load_pack
from scanner.errors import EXIT_OK, InputError
from scanner.review.security import LOOPBACK_NAMES, new_secret
from scanner.store.verdicts import VERDICTS


@click.command()
@click.argument("claim_id")
@click.argument("verdict", type=click.Choice(VERDICTS))
@db_option
@click.option("--note", default="", help="Why: kept in the audit log and the report.")
@click.option(
    "--reviewer",
    default=lambda: os.environ.get("USER") or getpass.getuser(),
    show_default="$USER",
    help="Who decides.",
)
def verdict(claim_id: str, verdict: str, db: str | None, note: str, reviewer: str) -> int:
    """Confirm or dismiss a claim (or reopen it), by its stable id.

    The verdict belongs to the claim, not to a page or run: it holds through rescans. If
    the claim's wording changes later, it is marked for re-review and its previous verdict
    shown. Every change is kept in an audit log (who, when, from, to, note).

    \b
    Example:
      claimscan verdict 7978cdea47c899e2 confirmed --note "plain cure claim" --db study.db
    """
    record = open_store(db).set_verdict(claim_id, verdict, note, reviewer)
    err_console.print(f"{record.claim_id}: {record.verdict} by {record.reviewer}", highlight=False)
    return EXIT_OK


@click.command()
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.option(
    "--token",
    envvar="CLAIMSCAN_REVIEW_TOKEN",
    help="Access token every request must carry (required beyond loopback; "
    "generated and printed when not given). [env: CLAIMSCAN_REVIEW_TOKEN]",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    help="A Host name the app answers to besides loopback names and --host (repeatable); "
    "any other Host header is refused (DNS rebinding).",
)
@click.option(
    "--evidence-dir",
    "evidence_dirs",
    multiple=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="A folder of WARC files the app may show (repeatable). [default: the store's]",
)
@rules_option
@no_builtin_option
def review(
    db: str | None,
    host: str,
    port: int,
    token: str | None,
    allowed_hosts: tuple[str, ...],
    evidence_dirs: tuple[Path, ...],
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
) -> int:
    """Serve the reviewers' web app: triage claims in a browser.

    A list of claims, filterable by clinic, category, severity, status and verdict, and
    sortable; a page per claim with the sentence in context, every occurrence with its
    evidence, its history across runs, the rule's rationale and the verdict log; confirm,
    dismiss or reopen with a note. Keys: j/k move, Enter opens, c confirm, d dismiss,
    o reopen, n/p next/previous, u back to the list.

    It listens on 127.0.0.1 unless told otherwise; on any other address every request must
    carry the access token (given with --token, or generated and printed). It answers only
    to its own Host names (loopback names, --host, --allowed-host), so a web page cannot
    reach it through DNS rebinding. Forms carry CSRF tokens; archived pages are shown as
    inert text or in a sandboxed frame.

    \b
    Example:
      claimscan review --db study.db            # then open http://127.0.0.1:8000/
      claimscan review --host 0.0.0.0 --allowed-host review.lab.example
    """
    import uvicorn

    from scanner.review.app import create_app

    if token is not None and not token.strip():
        raise InputError("--token is empty: give a token, or leave it out to have one made")
    if not _loopback(host) and token is None:
        token = new_secret()
    store = open_store(db)
    roots = list(evidence_dirs) or [default_evidence_dir(db)]
    hosts = [*LOOPBACK_NAMES, *([host] if host not in ("0.0.0.0", "::") else []), *allowed_hosts]
    pack = load_pack(rules_dirs, builtin=not no_builtin_rules)
    app = create_app(store, pack, roots, token, allowed_hosts=hosts)
    address = f"http://{host}:{port}/"
    err_console.print(
        f"claimscan review on {address}" + (f"?token={token}" if token else ""), highlight=False
    )
    uvicorn.run(app, host=host, port=port, log_level="warning")
    return EXIT_OK


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
