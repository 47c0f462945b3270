"""`claimscan scan` over a crawled store: findings with their evidence, once per rule pack."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import scanner.detect.scan as scan_module
from scanner.demo.server import FixtureServer
from scanner.detect.scan import run_scan
from scanner.models import StoredFinding
from scanner.store import Store
from tests.conftest import FAST, claimscan
from tests.test_rule_packs import RULE, write_rule

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def crawled(
    sites: FixtureServer, demo_clinics: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """A store with the fixture sites crawled, not yet scanned (copy it before changing)."""
    folder = tmp_path_factory.mktemp("crawled")
    result = claimscan("crawl", str(demo_clinics), "--db", str(folder / "c.db"), *FAST)
    assert result.returncode == 0, result.stderr
    return folder / "c.db"


@pytest.fixture
def db(crawled: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "c.db"
    shutil.copy(crawled, copy)
    return copy


@pytest.fixture(scope="module")
def scanned(crawled: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("scanned") / "c.db"
    shutil.copy(crawled, copy)
    result = claimscan("scan", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    return copy


def claims(db: Path, clinic: str | None = None) -> list[StoredFinding]:
    return [f for f in Store.open(str(db)).findings("claim") if clinic in (None, f.clinic_id)]


def sentences(db: Path, clinic: str) -> set[str]:
    return {f.sentence for f in claims(db, clinic)}


def test_the_clinics_claims_are_found(scanned: Path) -> None:
    found = sentences(scanned, "renewbone")
    assert "A 94% success rate across more than 2,000 procedures." in found
    assert "Our treatment is 100% safe with no side effects." in found
    assert "Every laboratory we work with is FDA registered." in found
    assert "Exosome therapy is a natural alternative to knee replacement." in found


def test_every_category_is_found_on_the_fixture_sites(scanned: Path) -> None:
    assert {f.category for f in claims(scanned)} == {
        "efficacy", "regeneration", "cure", "safety", "approval", "success_rate",
        "testimonial", "comparative",
    }  # fmt: skip


def test_what_is_not_a_claim_is_not_flagged(scanned: Path) -> None:
    everything = " ".join(f.sentence for f in claims(scanned))
    assert "keyword stuffing" not in everything  # hidden text never reached the store
    assert "Researchers are investigating" not in everything
    assert "There is no evidence that exosomes cure arthritis" not in everything
    assert "Renew Bone & Joint Regenerative Center |" not in everything  # a name, not a claim


def test_disclosures_are_recorded(scanned: Path) -> None:
    disclosures = {f.sentence for f in Store.open(str(scanned)).findings("disclosure")}
    assert "Results vary." in disclosures


def test_findings_keep_their_evidence(scanned: Path) -> None:
    store = Store.open(str(scanned))
    for finding in claims(scanned):
        snapshot = store.snapshot(finding.snapshot_id)
        assert (finding.url, finding.sha256) == (snapshot.url, snapshot.sha256)
        assert finding.warc_record_id == snapshot.warc_record_id
        block = [snapshot.title, snapshot.description] + [b.text for b in snapshot.blocks]
        assert finding.text in " ".join(block)
        assert finding.block_locator


def test_findings_know_the_heading_they_sit_under(scanned: Path) -> None:
    [finding] = [f for f in claims(scanned) if f.sentence.startswith("Most patients see higher")]
    assert finding.heading == "How does stem cell therapy help osteoporosis?"


def test_a_second_scan_with_the_same_rules_has_nothing_to_do(scanned: Path) -> None:
    result = claimscan("scan", "--db", str(scanned))
    assert result.returncode == 0
    assert "nothing to scan" in result.stderr


def test_changed_rules_rescan_the_archive_and_replace_findings(db: Path, tmp_path: Path) -> None:
    store = Store.open(str(db))
    first = run_scan(store)
    write_rule(tmp_path / "extra", "height", RULE)
    second = run_scan(store, [tmp_path / "extra"])
    assert second.pages == first.pages > 0
    assert len(claims(db)) == second.claims == first.claims  # replaced, not added
    assert [s.rule_pack_version for s in store.scans()] == ["claimscan-core 1.4"] * 2


def test_two_workers_find_what_one_finds(db: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.db"
    shutil.copy(db, one)
    run_scan(Store.open(str(one)), workers=1)
    run_scan(Store.open(str(db)), workers=2)

    def key(f: StoredFinding) -> tuple[object, ...]:
        return (f.snapshot_id, f.rule_id, f.start, f.end, f.strength, f.severity)

    assert sorted(map(key, claims(one))) == sorted(map(key, claims(db)))


def test_an_interrupted_scan_keeps_its_finished_batches(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan_module, "BATCH_PAGES", 5)
    store = Store.open(str(db))
    total = len(store.snapshots_to_scan(store_pack_sha()))

    def stop_after_first_batch(done: int, _total: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_scan(store, on_batch=stop_after_first_batch)
    assert [s.status for s in store.scans()] == ["interrupted"]
    assert len(store.snapshots_to_scan(store_pack_sha())) == total - 5
    assert run_scan(store).pages == total - 5


def store_pack_sha() -> str:
    from scanner.detect.rules import load_pack

    return load_pack().sha256


def test_findings_are_listed_for_tools(scanned: Path) -> None:
    result = claimscan("findings", "--db", str(scanned), "--format", "csv", "--clinic", "renewbone")
    header, *rows = result.stdout.splitlines()
    assert header.startswith("id,kind,clinic,rule_id,category,severity,strength,text,sentence,url")
    assert len(rows) == len(claims(scanned, "renewbone"))


def test_a_sentence_several_rules_flag_is_one_finding_with_every_category(
    scanned: Path,
) -> None:
    found = claims(scanned)
    several = [f for f in found if len(f.categories) > 1]
    assert several, "the fixture sites hold sentences of more than one category"
    for finding in several:
        assert finding.categories[0] == finding.category
        assert len(set(finding.categories)) == len(finding.categories)
    per_sentence = [(f.snapshot_id, f.block_index, f.sentence_start) for f in found]
    assert len(per_sentence) == len(set(per_sentence))  # one finding a sentence
    [claim] = [c for c in Store.open(str(scanned)).claims() if c.sentence == several[0].sentence]
    assert claim.categories == several[0].categories  # the reviewer sees the sentence once


def test_the_clinics_own_name_in_a_title_is_not_a_claim(scanned: Path) -> None:
    """The demo clinic "Renew Bone & Joint Regenerative Center" titles a page
    "Treatments | Renew Bone & Joint": the outcome word in its name is a name."""
    store = Store.open(str(scanned))
    titles = {s.title for s in store.snapshots(clinic_ids=["renewbone"])}
    assert "Treatments | Renew Bone & Joint" in titles
    assert not [f for f in claims(scanned, "renewbone") if "Renew Bone & Joint" in f.text]


def test_errors_lists_what_could_not_be_fetched_and_why(crawled: Path) -> None:
    result = claimscan("errors", "--db", str(crawled), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    kinds = {(row["clinic"], row["kind"]) for row in rows}
    assert {("renewbone", "redirect_loop"), ("renewbone", "not_html"),
            ("shuttered", "connection")} <= kinds  # fmt: skip
    only = claimscan("errors", "--db", str(crawled), "--clinic", "shuttered", "--format", "jsonl")
    assert {json.loads(line)["clinic"] for line in only.stdout.splitlines()} == {"shuttered"}
    assert claimscan("errors", "--db", str(crawled), "--run", "99").returncode == 2


def test_a_page_detection_fails_on_is_recorded_and_the_scan_goes_on(
    db: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Whatever breaks detection on one page (here a fault planted in the page titled "Stem
    Cells for Osteoporosis") costs that page only: it is a scan error that `errors` lists
    and the report names, and every other page is scanned."""
    import scanner.detect.detector as detector_module

    real = detector_module.page_result

    def breaks_on_one_page(docs, pack, names=(), texts=None):  # type: ignore[no-untyped-def]
        if any(doc.text.startswith("Stem Cells for Osteoporosis") for _, doc in docs):
            raise ValueError("a fault planted for this test")
        return real(docs, pack, names, texts)

    store = Store.open(str(db))
    total = len(store.snapshots_to_scan(store_pack_sha()))
    monkeypatch.setattr(detector_module, "page_result", breaks_on_one_page)
    summary = run_scan(store)
    monkeypatch.undo()
    assert summary.failed >= 1 and summary.pages == total
    assert store.snapshots_to_scan(store_pack_sha()) == []  # none left behind, none retried
    failed = store.scan_errors()
    assert len(failed) == summary.failed
    assert all(e.message == "ValueError: a fault planted for this test" for e in failed)
    assert claims(db, "summitspine")  # the other pages' claims were found

    listed = claimscan("errors", "--db", str(db), "--format", "jsonl")
    scan_errors = [json.loads(line) for line in listed.stdout.splitlines()]
    scan_errors = [e for e in scan_errors if e["kind"] == "scan_error"]
    assert {e["url"] for e in scan_errors} == {e.url for e in failed}
    out = tmp_path / "report"
    report = claimscan("report", "--db", str(db), "--format", "json,html", "--out", str(out))
    assert report.returncode == 0, report.stderr
    data = json.loads((out / "report.json").read_text())
    not_scanned = {n["url"] for c in data["clinics"] for n in c["not_scanned"]}
    assert not_scanned == {e.url for e in failed}
    assert "Fetched but not scanned" in (out / "report.html").read_text()
