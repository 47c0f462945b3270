"""Claim identity across repeated rescans: a claim reworded in place keeps one id from then
on, and a rescan of an unchanged site never reports a change.

The property test builds crawl runs straight into a store (pages written here, scanned by
the real pipeline) from random sequences of page edits; the end-to-end test runs
`claimscan rescan` four times over the fixture sites, versions 1, 2, 2 and 2."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from scanner.demo.server import FixtureServer
from scanner.detect.scan import run_scan
from scanner.history.diff import diff
from scanner.models import Clinic, ExtractedPage, FetchedPage, TextBlock
from scanner.store import Store, WarcRef
from tests.conftest import FAST, FIXTURES, claimscan

# Claims, each with a rewording that says the same in other words (same category).
CLAIMS = [
    ("Our stem cell injections rebuild worn cartilage.",
     "Our stem cell injections regrow worn cartilage."),
    ("Exosome therapy reverses knee arthritis.",
     "Exosome therapy can reverse arthritis of the knee."),
    ("Our PRP treatment relieves chronic back pain.",
     "Our PRP treatment eases chronic back pain."),
    ("Stem cell infusions restore bone density.",
     "Stem cell infusions rebuild bone density."),
    ("Cord blood stem cells repair damaged nerves.",
     "Cord blood stem cells regenerate damaged nerves."),
    ("Our exosome protocol eliminates joint pain.",
     "Our exosome protocol cures joint pain."),
]  # fmt: skip
FILLER = "Call our clinic to book a visit."
PAGES = 3


class Site:
    """One clinic's pages as blocks of text, edited between runs."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.blocks: dict[int, list[str]] = {p: [FILLER] for p in range(PAGES)}
        self.unused = list(range(len(CLAIMS)))
        self.wording: dict[int, int] = {}  # claim -> 0 or 1 (which wording is on the site)
        self.where: dict[int, int] = {}  # claim -> page

    def edit(self, kind: str) -> None:
        if kind == "add" and self.unused:
            claim = self.unused.pop(self.rng.randrange(len(self.unused)))
            page = self.rng.randrange(PAGES)
            self.wording[claim], self.where[claim] = 0, page
            self.blocks[page].append(CLAIMS[claim][0])
        elif kind == "remove" and self.where:
            claim = self.rng.choice(sorted(self.where))
            page = self.where.pop(claim)
            self.blocks[page].remove(CLAIMS[claim][self.wording.pop(claim)])
            self.unused.append(claim)
        elif kind == "reword" and self.where:
            claim = self.rng.choice(sorted(self.where))
            old = self.wording[claim]
            blocks = self.blocks[self.where[claim]]
            blocks[blocks.index(CLAIMS[claim][old])] = CLAIMS[claim][1 - old]
            self.wording[claim] = 1 - old


def crawl_into(store: Store, site: Site, moment: datetime) -> int:
    run = store.create_run("clinics.csv", "fixed", {}, "/evidence/x.warc.gz")
    for page, texts in site.blocks.items():
        url = f"https://clinic.test/page-{page}"
        blocks = [TextBlock(tag="p", text=t, locator=f"/html/body/p[{i + 1}]")
                  for i, t in enumerate(texts)]  # fmt: skip
        fetched = FetchedPage(
            clinic_id="clinic", url=url, final_url=url, status=200, depth=0, fetched_at=moment,
            request_headers=[], response_headers=[], body="\n".join(texts).encode(),
            content_type="text/html", page=ExtractedPage(title="Clinic", blocks=blocks),
        )  # fmt: skip
        store.add_page(run.id, fetched, f"{run.id:032x}{page:032x}", WarcRef("x", "<r>", 0, 1))
    store.mark_run(run.id, "completed", {})
    run_scan(store)
    return run.id


@pytest.mark.parametrize("seed", range(6))
def test_an_unchanged_rescan_never_reports_a_change(seed: int, tmp_path: Path) -> None:
    rng = random.Random(seed)
    store = Store.open(str(tmp_path / "s.db"))
    store.save_clinics([Clinic(id="clinic", name="Test Clinic", urls=("https://clinic.test/",))])
    site = Site(rng)
    site.edit("add")
    site.edit("add")
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    runs = [crawl_into(store, site, moment)]
    ids_of: dict[int, str] = {}  # claim -> the id it had when first seen
    for step in range(6):
        kind = rng.choice(["add", "remove", "reword", "unchanged"])
        if kind != "unchanged":
            site.edit(kind)
        moment += timedelta(days=1)
        runs.append(crawl_into(store, site, moment))
        moment += timedelta(days=1)
        runs.append(crawl_into(store, site, moment))  # the same site again
        again = diff(store, runs[-2], runs[-1])
        assert (again.new, again.changed, again.removed) == ([], [], []), (seed, step, kind)
        by_sentence = {c.sentence: c.id for c in store.claims() if c.status != "removed"}
        for claim, wording in site.wording.items():
            current = by_sentence[CLAIMS[claim][wording]]
            assert ids_of.setdefault(claim, current) == current, "a claim changed its id"
        for claim in set(ids_of) - set(site.wording):
            ids_of.pop(claim)  # removed: if it comes back it may be a new claim


@pytest.mark.e2e
def test_a_reworded_claim_keeps_one_id_over_repeated_rescans(
    sites: FixtureServer, demo_clinics: Path, tmp_path: Path
) -> None:
    db = tmp_path / "store.db"

    def rescan(*extra: str) -> int:
        result = claimscan("rescan", str(demo_clinics), "--db", str(db), *FAST, *extra)
        assert result.returncode in (0, 3), result.stderr
        return result.returncode

    sites.use_overlay(None)
    rescan()  # version 1
    sites.use_overlay(FIXTURES / "sites-v2")
    try:
        rescan()  # version 2: a claim softened in place, among other edits
        codes = [rescan("--fail-on", "new"), rescan("--fail-on", "new")]  # version 2 again
    finally:
        sites.use_overlay(None)
    assert codes == [0, 0]

    def changes(from_run: int) -> dict[str, Any]:
        result = claimscan("diff", "--db", str(db), "--from", str(from_run),
                           "--to", str(from_run + 1), "--format", "json")  # fmt: skip
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    for later in (changes(2), changes(3)):
        assert (later["new"], later["changed"], later["removed"]) == ([], [], [])
    changed = changes(1)["changed"]
    assert len(changed) == 1
    claims = json.loads(claimscan("claims", "--db", str(db), "--format", "json").stdout)
    [reworded] = [c for c in claims if c["sentence"] == changed[0]["sentence"]]
    assert reworded["runs"] == [1, 2, 3, 4]
