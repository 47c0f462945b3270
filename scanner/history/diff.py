"""What changed between two runs, claim by claim: new, removed, changed (before and after),
how many persisted, and what could not be checked this time.

Evidence practice: a claim whose pages could not be fetched is "not checked", never
"removed"; a removal says "present on DATE1; absent on DATE2", never "deleted on".
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from scanner.errors import StoreError
from scanner.identity import normalize_sentence
from scanner.models import ClaimRecord, ClaimStateRecord
from scanner.store import Store

ALIVE = ("new", "persisting", "changed")
UNREACHABLE_KINDS = (
    "dns",
    "timeout",
    "connection",
    "tls",
    "too_large",
    "other",
    "offsite_redirect",
)


class DiffItem(BaseModel):
    claim_id: str
    clinic: str
    category: str
    severity: str
    strength: str
    sentence: str
    before: str | None = None
    after: str | None = None
    urls: list[str]
    note: str = ""


class Unreachable(BaseModel):
    clinic: str
    url: str
    reason: str


class Diff(BaseModel):
    from_run: int | None
    to_run: int
    from_date: datetime | None
    to_date: datetime
    new: list[DiffItem]
    removed: list[DiffItem]
    changed: list[DiffItem]
    not_checked: list[DiffItem]
    persisting: int
    unreachable: list[Unreachable]

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.removed or self.changed)


def default_runs(store: Store) -> tuple[int | None, int]:
    runs = store.reconciled_runs()
    if not runs:
        raise StoreError(
            "no scanned crawl run to compare yet: run `claimscan rescan` or crawl and scan"
        )
    return (runs[-2] if len(runs) > 1 else None), runs[-1]


def diff(store: Store, from_run: int | None = None, to_run: int | None = None) -> Diff:
    if to_run is None:
        default_from, to_run = default_runs(store)
        from_run = default_from if from_run is None else from_run
    reconciled = store.reconciled_runs()
    for run in (from_run, to_run):
        if run is not None and run not in reconciled:
            raise StoreError(f"run {run} has no claim history (not completed, or not scanned)")
    before = store.claim_states(from_run) if from_run is not None else {}
    after = store.claim_states(to_run)
    claims = {c.id: c for c in store.claims()}
    present_before = {i: s for i, s in before.items() if s.status in ALIVE}
    known_before = {i for i, s in before.items() if s.status != "removed"}
    present_after = {i: s for i, s in after.items() if s.status in ALIVE}
    from_date = store.run(from_run).started_at if from_run is not None else None
    to_date = store.run(to_run).started_at

    def item(claim_id: str, state: ClaimStateRecord, **extra: str | None) -> DiffItem:
        claim: ClaimRecord = claims[claim_id]
        return DiffItem(
            claim_id=claim_id, clinic=claim.clinic, category=claim.category,
            severity=claim.severity, strength=claim.strength, sentence=state.sentence,
            urls=list(state.detail.get("urls", [])), **extra,
        )  # fmt: skip

    new = [item(i, s) for i, s in present_after.items() if i not in known_before]
    changed = [
        item(i, s, before=present_before[i].sentence, after=s.sentence)
        for i, s in present_after.items()
        if i in present_before
        and normalize_sentence(present_before[i].sentence) != normalize_sentence(s.sentence)
    ]
    not_checked = [item(i, s) for i, s in after.items() if s.status == "not_checked"]
    removed = []
    for claim_id, state in present_before.items():
        later = after.get(claim_id)
        if claim_id in present_after or (later is not None and later.status == "not_checked"):
            continue
        last_seen = claims[claim_id].last_seen
        note = f"present on {last_seen:%Y-%m-%d}; absent on {to_date:%Y-%m-%d}"
        removed.append(item(claim_id, later or state, note=note))
    persisting = len(set(present_before) & set(present_after)) - len(changed)
    return Diff(
        from_run=from_run, to_run=to_run, from_date=from_date, to_date=to_date,
        new=_sorted(new), removed=_sorted(removed), changed=_sorted(changed),
        not_checked=_sorted(not_checked), persisting=persisting,
        unreachable=_unreachable(store, to_run),
    )  # fmt: skip


def _sorted(items: list[DiffItem]) -> list[DiffItem]:
    return sorted(items, key=lambda d: (d.clinic, d.urls[:1], d.sentence))


def _unreachable(store: Store, run_id: int) -> list[Unreachable]:
    pages = [
        Unreachable(clinic=e.clinic_id, url=e.url, reason=e.message)
        for e in store.errors(run_id)
        if e.kind in UNREACHABLE_KINDS or (e.status or 0) >= 500
    ]
    return sorted(pages, key=lambda u: (u.clinic, u.url))
