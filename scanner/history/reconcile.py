"""Claim history: turn each completed, scanned crawl run's findings into claims that keep
their identity across pages, runs and rewordings.

For each run, in order, against the claims alive after the run before it:
- the same clinic, category and normalised sentence is the same claim (persisting; or new
  again if it had been removed), whether it still has its first wording (its id) or was
  reworded into these words earlier (its id stays that of its first wording);
- otherwise, text found where an alive claim was (same page, same block) but with other
  words is that claim, **changed** (it keeps its id; its wording is updated);
- otherwise it is a **new** claim, its id fixed by this first wording;
- an alive claim not seen again is **removed** only if every page it was on was checked:
  fetched without it, or answering 404/410. If any of its pages could not be fetched
  (timeout, 5xx, refused) or was not requested, it is **not_checked**, never removed.

The history is rebuilt from the first run when the rule pack changes (findings change).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from scanner.identity import claim_key, normalize_sentence
from scanner.store import Store
from scanner.store.schema import (
    ClaimOccurrenceRow,
    ClaimRow,
    ClaimStateRow,
    FetchErrorRow,
    FindingRow,
    SnapshotRow,
)

GONE = (404, 410)
THROUGH_RUN, RULE_PACK = "claims_through_run", "claims_rule_pack"


@dataclass
class Seen:
    """Findings of one run that are one claim: same clinic, category, normalised sentence."""

    clinic_id: str
    category: str
    normalized: str
    rows: list[tuple[FindingRow, SnapshotRow]] = field(default_factory=list)

    @property
    def first(self) -> tuple[FindingRow, SnapshotRow]:
        return min(self.rows, key=lambda r: (r[1].url, r[0].block_index, r[0].start))

    def places(self) -> set[tuple[str, str]]:
        return {(snapshot.url, finding.block_locator) for finding, snapshot in self.rows}


def reconcile(store: Store, pack_sha256: str) -> list[int]:
    """Bring the claim history up to date; return the runs added to it."""
    done: list[int] = []
    with store.session() as session, session.begin():
        if store.meta(session, RULE_PACK) != pack_sha256:
            for table in (ClaimStateRow, ClaimOccurrenceRow, ClaimRow):
                session.execute(delete(table))
            store.set_meta(session, THROUGH_RUN, "0")
            store.set_meta(session, RULE_PACK, pack_sha256)
    through = int(store.meta_value(THROUGH_RUN) or 0)
    for run in store.runs():
        if run.id <= through or run.status != "completed":
            continue
        if store.unscanned_in_run(run.id, pack_sha256):
            break  # its pages are not all scanned yet: later runs wait for it
        with store.session() as session, session.begin():
            _reconcile_run(session, run.id)
            store.set_meta(session, THROUGH_RUN, str(run.id))
        done.append(run.id)
    return done


def _reconcile_run(session: Session, run_id: int) -> None:
    seen = _seen_in(session, run_id)
    alive = {c.id: c for c in session.scalars(select(ClaimRow).where(ClaimRow.status != "removed"))}
    every = {c.id: c for c in session.scalars(select(ClaimRow))}
    # A claim reworded in place keeps the id of its first wording: find it by its words now.
    by_words = {(c.clinic_id, c.category, c.normalized): c for c in every.values()}
    last_places = _last_places(session, alive.values())
    matched: set[str] = set()
    still_said = set(seen)  # (clinic, category, normalised sentence) said in this run
    for group in sorted(seen.values(), key=lambda g: (g.clinic_id, g.normalized)):
        finding, snapshot = group.first
        key = claim_key(group.clinic_id, group.category, finding.sentence)
        words = (group.clinic_id, group.category, group.normalized)
        claim, status, before = every.get(key) or by_words.get(words), "persisting", None
        if claim is None:
            claim = _moved_in_place(group, alive, last_places, matched, still_said)
            if claim is not None:
                status, before = "changed", claim.sentence
        elif claim.status == "removed":
            status = "new"
        if claim is None:
            claim = ClaimRow(id=key, clinic_id=group.clinic_id, first_seen_run=run_id,
                             first_seen_at=snapshot.fetched_at)  # fmt: skip
            session.add(claim)
            every[key] = claim
            by_words[words] = claim
            status = "new"
        _update(claim, group, run_id, status)
        session.flush()  # the claim row before the rows that point to it
        matched.add(claim.id)
        for row, snap in group.rows:
            session.add(_occurrence(claim.id, run_id, row, snap))
        urls = sorted({snap.url for _, snap in group.rows})
        session.add(ClaimStateRow(run_id=run_id, claim_id=claim.id, status=status,
                                  sentence=claim.sentence, previous_sentence=before,
                                  detail={"urls": urls}))  # fmt: skip
    pages = _page_outcomes(session, run_id)
    for claim in alive.values():
        if claim.id in matched:
            continue
        urls = sorted({url for url, _ in last_places.get(claim.id, set())})
        outcomes = {url: pages.get(url, "not_requested") for url in urls}
        checked = all(o in ("absent", "gone") for o in outcomes.values())
        claim.status = "removed" if checked else "not_checked"
        claim.status_run = run_id
        session.add(ClaimStateRow(run_id=run_id, claim_id=claim.id, status=claim.status,
                                  sentence=claim.sentence, previous_sentence=None,
                                  detail={"urls": urls, "pages": outcomes}))  # fmt: skip


def _seen_in(session: Session, run_id: int) -> dict[tuple[str, str, str], Seen]:
    query = (
        select(FindingRow, SnapshotRow)
        .join(SnapshotRow, FindingRow.snapshot_id == SnapshotRow.id)
        .where(SnapshotRow.run_id == run_id, FindingRow.kind == "claim")
        .order_by(SnapshotRow.id, FindingRow.block_index, FindingRow.start)
    )
    groups: dict[tuple[str, str, str], Seen] = {}
    for finding, snapshot in session.execute(query):
        key = (snapshot.clinic_id, finding.category or "", normalize_sentence(finding.sentence))
        groups.setdefault(key, Seen(*key)).rows.append((finding, snapshot))
    return groups


def _last_places(session: Session, claims: Iterable[ClaimRow]) -> dict[str, set[tuple[str, str]]]:
    """Where each alive claim was seen in the last run that saw it."""
    places: dict[str, set[tuple[str, str]]] = defaultdict(set)
    last_run = {c.id: c.last_seen_run for c in claims}
    if not last_run:
        return places
    query = select(ClaimOccurrenceRow).where(ClaimOccurrenceRow.claim_id.in_(list(last_run)))
    for occurrence in session.scalars(query):
        if occurrence.run_id == last_run[occurrence.claim_id]:
            places[occurrence.claim_id].add((occurrence.url, occurrence.block_locator))
    return places


def _moved_in_place(
    group: Seen,
    alive: dict[str, ClaimRow],
    last_places: dict[str, set[tuple[str, str]]],
    matched: set[str],
    still_said: set[tuple[str, str, str]],
) -> ClaimRow | None:
    """An alive claim of the clinic, not seen under its own words in this run, that stood
    where this text stands (same page, same block): the same claim, reworded."""
    here = group.places()
    candidates = [
        c for c in alive.values()
        if c.clinic_id == group.clinic_id and c.id not in matched
        and (c.clinic_id, c.category, c.normalized) not in still_said
        and last_places.get(c.id, set()) & here
    ]  # fmt: skip
    candidates.sort(key=lambda c: (c.category != group.category, c.id))
    return candidates[0] if candidates else None


def _update(claim: ClaimRow, group: Seen, run_id: int, status: str) -> None:
    finding, _ = group.first
    claim.category = group.category
    claim.categories = list(finding.categories) or [group.category]
    claim.rule_id = finding.rule_id or ""
    claim.severity = finding.severity or ""
    claim.strength = finding.strength or ""
    claim.sentence = finding.sentence
    claim.normalized = group.normalized
    claim.last_seen_run = run_id
    claim.last_seen_at = max(s.fetched_at for _, s in group.rows)
    claim.status = status
    claim.status_run = run_id


def _occurrence(
    claim_id: str, run_id: int, finding: FindingRow, snapshot: SnapshotRow
) -> ClaimOccurrenceRow:
    return ClaimOccurrenceRow(
        claim_id=claim_id,
        run_id=run_id,
        snapshot_id=snapshot.id,
        url=snapshot.url,
        block_locator=finding.block_locator,
        heading=finding.heading,
        sentence=finding.sentence,
        rule_id=finding.rule_id or "",
        severity=finding.severity or "",
        strength=finding.strength or "",
        captured_at=snapshot.fetched_at,
    )


def _page_outcomes(session: Session, run_id: int) -> dict[str, str]:
    """What the run learned of each URL: absent (fetched; any claim not seen is absent),
    gone (404/410), or failed (no usable answer)."""
    outcomes: dict[str, str] = {}
    for url, status, revisit in session.execute(
        select(SnapshotRow.url, SnapshotRow.status, SnapshotRow.revisit_of).where(
            SnapshotRow.run_id == run_id
        )
    ):
        if 200 <= status < 300 or revisit is not None:
            outcomes[url] = "absent"
        elif status in GONE:
            outcomes[url] = "gone"
        else:
            outcomes.setdefault(url, "failed")
    for url, kind in session.execute(
        select(FetchErrorRow.url, FetchErrorRow.kind).where(FetchErrorRow.run_id == run_id)
    ):
        if kind != "http_error":
            outcomes.setdefault(url, "failed")
    return outcomes
