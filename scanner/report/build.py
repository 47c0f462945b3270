"""Build a report's data from the store: what was reviewed, what was claimed, and why it
matters. Every choice of order and grouping is made here, not in the templates.

The report covers each clinic's latest crawl. A claim is the same words at the same clinic
(scanner.identity); found on several pages, it appears once with every page it was on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime

from scanner.detect.rules import CATEGORIES, SEVERITIES, SEVERITY_RANK, RulePack
from scanner.history.diff import DiffItem, diff
from scanner.identity import claim_key, normalize_sentence
from scanner.models import Clinic, PageSnapshot, StoredFinding, block_source, page_blocks
from scanner.report.models import (
    Change,
    Changes,
    Claim,
    ClaimHistory,
    ClaimReview,
    ClinicSection,
    NotFetched,
    NotScanned,
    Occurrence,
    PageReviewed,
    ReportData,
    RuleEntry,
    Scope,
    ScreenshotRef,
    SummaryRow,
)
from scanner.store import Store
from scanner.store.screenshots import Screenshot

CONTEXT_CHARS = 280
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6", "title"}


def build_report(
    store: Store,
    pack: RulePack,
    now: datetime,
    clinic_ids: Iterable[str] = (),
    min_severity: str = "low",
    title: str = "Health claims on clinic websites",
    only: str = "all",
) -> ReportData:
    wanted = set(clinic_ids)
    clinics = [c for c in store.clinics() if not wanted or c.id in wanted]
    sections, runs = [], []
    for number, clinic in enumerate(sorted(clinics, key=lambda c: (c.name.lower(), c.id)), 1):
        section, run_id = _clinic_section(store, pack, clinic, number, min_severity)
        sections.append(section)
        if run_id is not None:
            runs.append(store.run(run_id))
    _add_history(store, sections)
    sections = [_by_verdict(s, only) for s in sections]
    summary = [_summary_row(s) for s in sections]
    opened = sum(len(s.open_claims) for s in sections)
    scope = Scope(
        clinics=len(sections),
        clinics_unreachable=sum(not s.reachable for s in sections),
        pages=sum(len(s.pages) for s in sections),
        responses=sum(len(s.pages) + s.redirects + s.error_responses for s in sections),
        claims=sum(len(s.claims) + len(s.open_claims) for s in sections),
        confirmed=sum(s.by_verdict["confirmed"] for s in sections),
        open=sum(s.by_verdict["open"] for s in sections),
        dismissed=sum(s.by_verdict["dismissed"] for s in sections),
        draft=opened > 0,
        crawl_started=min((r.started_at for r in runs), default=None),
        crawl_finished=max((r.finished_at for r in runs if r.finished_at), default=None),
        rule_pack_version=pack.version,
        rule_pack_sha256=pack.sha256,
        min_severity=min_severity,
        only=only,
    )
    # The appendix explains the rules behind the claims presented, each once.
    used = {c.rule_id for s in sections for c in s.claims + s.open_claims}
    rules = [
        RuleEntry(id=r.id, category=r.category, severity=r.severity, message=r.message,
                  rationale=" ".join(r.rationale.split()), references=r.references)
        for r in sorted(pack.rules.values(), key=lambda r: (CATEGORIES.index(r.category), r.id))
        if r.id in used
    ]  # fmt: skip
    categories = [c for c in CATEGORIES if any(row.by_category.get(c) for row in summary)]
    return ReportData(
        title=title,
        generated_at=now,
        scope=scope,
        categories=categories,
        summary=summary,
        changes=_changes(store, wanted),
        clinics=sections,
        rules=rules,
    )


def _clinic_section(
    store: Store, pack: RulePack, clinic: Clinic, number: int, min_severity: str
) -> tuple[ClinicSection, int | None]:
    snapshots = list(store.snapshots(clinic_ids=[clinic.id]))
    run_id = max((s.run_id for s in snapshots), default=None)
    latest = {s.id: s for s in snapshots if s.run_id == run_id}
    pages = sorted(
        (
            PageReviewed(url=s.url, status=s.status, captured_at=s.fetched_at, title=s.title)
            for s in latest.values()
            if s.reviewed and s.scan_error is None
        ),
        key=lambda p: p.url,
    )
    not_scanned = sorted(
        (
            NotScanned(url=s.url, message=s.scan_error)
            for s in latest.values()
            if s.reviewed and s.scan_error is not None
        ),
        key=lambda n: n.url,
    )
    if run_id is None:  # no page stored: the latest crawl that recorded why
        run_id = max((e.run_id for e in store.errors() if e.clinic_id == clinic.id), default=None)
    errors = [e for e in store.errors(run_id) if e.clinic_id == clinic.id] if run_id else []
    not_fetched = [
        NotFetched(url=e.url, kind=e.kind, message=_reason(e.kind, e.message)) for e in errors
    ]
    findings = [
        f
        for f in store.findings("claim", [clinic.id])
        if f.snapshot_id in latest
        and SEVERITY_RANK[f.severity or "low"] >= SEVERITY_RANK[min_severity]
    ]
    disclosures: dict[int, list[str]] = defaultdict(list)
    for found in store.findings("disclosure", [clinic.id]):
        disclosures[found.snapshot_id].append(found.sentence)
    shots = store.screenshots(latest)
    claims = _claims(findings, latest, disclosures, pack, number, shots)
    section = ClinicSection(
        number=number,
        id=clinic.id,
        name=clinic.name,
        country=clinic.country,
        region=clinic.region,
        sites=list(clinic.urls),
        last_visited=max((p.captured_at for p in pages), default=None),
        pages=pages,
        not_fetched=sorted(not_fetched, key=lambda n: n.url),
        not_scanned=not_scanned,
        redirects=sum(300 <= s.status < 400 for s in latest.values() if not s.reviewed),
        error_responses=sum(not 300 <= s.status < 400 for s in latest.values() if not s.reviewed),
        reachable=bool(pages),
        claims=claims,  # sorted out by verdict in _by_verdict, once verdicts are known
        open_claims=[],
        flagged=len(claims),
        by_verdict={},
        counts={},
    )
    return section, run_id


def _reason(kind: str, message: str) -> str:
    """A fetch error's message without its kind repeated ("redirect loop: redirect loop:
    ...", "not html: not HTML: ...")."""
    label = kind.replace("_", " ").lower()
    while message.lower().startswith(label + ":"):
        message = message[len(label) + 1 :].strip()
    return message


def _claims(
    findings: list[StoredFinding],
    snapshots: dict[int, PageSnapshot],
    disclosures: dict[int, list[str]],
    pack: RulePack,
    number: int,
    shots: dict[int, Screenshot],
) -> list[Claim]:
    groups: dict[str, list[StoredFinding]] = defaultdict(list)
    for finding in findings:
        groups[claim_key(finding.clinic_id, finding.category or "", finding.sentence)].append(
            finding
        )
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            -SEVERITY_RANK[g[0].severity or "low"],
            CATEGORIES.index(g[0].category or "efficacy"),
            min(f.url for f in g),
            g[0].sentence,
        ),
    )
    return [
        _claim(group, snapshots, disclosures, pack, f"{number}.{i}", shots)
        for i, group in enumerate(ordered, 1)
    ]


def _claim(
    group: list[StoredFinding],
    snapshots: dict[int, PageSnapshot],
    page_disclosures: dict[int, list[str]],
    pack: RulePack,
    number: str,
    shots: dict[int, Screenshot],
) -> Claim:
    first = min(group, key=lambda f: (f.url, f.block_index, f.start))
    snapshot = snapshots[first.snapshot_id]
    block = page_blocks(snapshot.title, snapshot.description, snapshot.blocks)[
        first.block_index
    ].text
    sentence_end = first.sentence_start + len(first.sentence)
    start, end = first.start - first.sentence_start, first.end - first.sentence_start
    rule = pack.rules.get(first.rule_id or "")
    occurrences = sorted(
        {
            (f.url, f.snapshot_id): Occurrence(
                url=f.url,
                heading=None if f.block_tag in HEADINGS else f.heading,
                block=f.block_tag,
                source=block_source(f.block_tag),
                captured_at=f.fetched_at,
                sha256=f.sha256,
                warc_record_id=f.warc_record_id,
                snapshot_id=f.snapshot_id,
                screenshot=_screenshot(shots.get(f.snapshot_id), f.sentence),
            )
            for f in group
        }.values(),
        key=lambda o: (o.url, o.captured_at),
    )
    disclosures = list(dict.fromkeys(d for f in group for d in f.disclosures))
    elsewhere = [
        d
        for d in dict.fromkeys(d for f in group for d in page_disclosures.get(f.snapshot_id, []))
        if d not in disclosures
    ]
    return Claim(
        number=number,
        rule_id=first.rule_id or "",
        category=first.category or "",
        categories=first.categories or [first.category or ""],
        severity=first.severity or "",
        strength=first.strength or "",
        sentence=first.sentence,
        before=first.sentence[:start],
        matched=first.sentence[start:end],
        after=first.sentence[end:],
        context_before=_clip(block[: first.sentence_start].strip(), keep="end"),
        context_after=_clip(block[sentence_end:].strip(), keep="start"),
        occurrences=occurrences,
        disclosures=disclosures,
        page_disclosures=elsewhere,
        message=rule.message if rule else "(rule not in the current rule pack)",
    )


def _screenshot(shot: Screenshot | None, sentence: str) -> ScreenshotRef | None:
    if shot is None:
        return None
    box = shot.box_of(sentence)
    return ScreenshotRef(
        warc_record_id=shot.warc_record_id,
        sha256=shot.sha256,
        captured_at=shot.captured_at,
        taken="at capture" if shot.taken == "at" else "after capture",
        width=shot.width,
        height=shot.height,
        box=list(box) if box else None,
        note=shot.note,
    )


def _add_history(store: Store, sections: list[ClinicSection]) -> None:
    """Each claim's stable id, status and the runs it was present in (claim history), and
    the reviewers' verdict with its audit log."""
    records = {(c.clinic, c.category, normalize_sentence(c.sentence)): c for c in store.claims()}
    verdicts = store.verdicts()
    logs: dict[str, list[dict[str, str]]] = defaultdict(list)
    for entry in store.verdict_log():
        logs[entry.claim_id].append(
            {"at": entry.at.isoformat().replace("+00:00", "Z"), "reviewer": entry.reviewer,
             "from": entry.from_verdict, "to": entry.to_verdict, "note": entry.note}
        )  # fmt: skip
    for section in sections:
        for claim in section.claims:
            record = records.get((section.id, claim.category, normalize_sentence(claim.sentence)))
            if record is not None:
                claim.history = ClaimHistory(
                    claim_id=record.id,
                    status=record.status,
                    first_seen=record.first_seen,
                    last_seen=record.last_seen,
                    runs=record.runs,
                )
                if (found := verdicts.get(record.id)) is not None:
                    claim.status = found.standing
                    claim.review = ClaimReview(
                        verdict=found.verdict, reviewer=found.reviewer, decided_at=found.decided_at,
                        note=found.note, needs_review=found.needs_review, log=logs[record.id],
                    )  # fmt: skip


def _by_verdict(section: ClinicSection, only: str) -> ClinicSection:
    """Sort a clinic's claims by the reviewers' verdicts: confirmed ones are the findings,
    open ones (never decided, or reworded since) are shown apart, dismissed ones are left
    out and counted. only="confirmed" drops the open ones, only="open" the confirmed."""
    by_verdict = dict.fromkeys(("confirmed", "open", "dismissed"), 0)
    for claim in section.claims:
        by_verdict[claim.status] += 1
    confirmed = [c for c in section.claims if c.status == "confirmed"]
    opened = [c for c in section.claims if c.status == "open"]
    if only == "confirmed":
        opened = []
    elif only == "open":
        confirmed = []
    presented = confirmed + opened
    for i, claim in enumerate(presented, 1):
        claim.number = f"{section.number}.{i}"
    return section.model_copy(
        update={
            "claims": confirmed,
            "open_claims": opened,
            "by_verdict": by_verdict,
            "counts": dict(Counter(c.category for c in presented)),
        }
    )


def _changes(store: Store, wanted: set[str]) -> Changes | None:
    """Changes since the previous run, when there is one to compare with."""
    runs = store.reconciled_runs()
    if len(runs) < 2:
        return None
    found = diff(store, runs[-2], runs[-1])

    def changes(items: list[DiffItem]) -> list[Change]:
        return [
            Change(clinic=i.clinic, category=i.category, sentence=i.after or i.sentence,
                   before=i.before, urls=i.urls, note=i.note)
            for i in items
            if not wanted or i.clinic in wanted
        ]  # fmt: skip

    assert found.from_run is not None and found.from_date is not None
    return Changes(
        from_run=found.from_run, from_date=found.from_date, to_run=found.to_run,
        to_date=found.to_date, new=changes(found.new), changed=changes(found.changed),
        removed=changes(found.removed), not_checked=changes(found.not_checked),
        persisting=found.persisting,
    )  # fmt: skip


def _clip(text: str, keep: str) -> str:
    """At most CONTEXT_CHARS characters, cut at a word, marked with an ellipsis."""
    if len(text) <= CONTEXT_CHARS:
        return text
    if keep == "end":
        return "… " + text[-CONTEXT_CHARS:].split(" ", 1)[-1]
    return text[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"


def _summary_row(section: ClinicSection) -> SummaryRow:
    presented = section.claims + section.open_claims
    return SummaryRow(
        clinic_id=section.id,
        clinic_name=section.name,
        reachable=section.reachable,
        by_category={c: section.counts[c] for c in CATEGORIES if section.counts.get(c)},
        by_severity={s: n for s in SEVERITIES if (n := sum(c.severity == s for c in presented))},
        confirmed=section.by_verdict["confirmed"],
        open=section.by_verdict["open"],
        dismissed=section.by_verdict["dismissed"],
        total=len(presented),
    )
