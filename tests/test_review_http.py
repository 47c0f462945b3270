"""The review app over HTTP: every route, and the requests it must refuse."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from scanner.detect.rules import load_pack
from scanner.review.app import create_app
from scanner.store import Store
from scanner.store.schema import ClaimRow, SnapshotRow
from tests.conftest import claimscan
from tests.report_store import make_report_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return make_report_store(tmp_path / "review.db", warc_dir=tmp_path / "evidence")


@pytest.fixture
def client(store: Store, tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(store, load_pack(), [tmp_path / "evidence"])
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        yield client


def claim_ids(store: Store) -> list[str]:
    return [c.id for c in store.claims()]


def csrf(client: TestClient, claim_id: str) -> str:
    page = client.get(f"/claims/{claim_id}").text
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match
    return match.group(1)


def decide(client: TestClient, claim_id: str, verdict: str, **form: str) -> object:
    data = {
        "csrf": csrf(client, claim_id),
        "verdict": verdict,
        "reviewer": "Ana",
        "note": "",
        **form,
    }
    return client.post(f"/claims/{claim_id}/verdict", data=data, follow_redirects=False)


def test_the_list_shows_every_claim(client: TestClient, store: Store) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert all(f"/claims/{claim_id}" in page.text for claim_id in claim_ids(store))


def test_the_list_filters_and_sorts(client: TestClient, store: Store) -> None:
    page = client.get("/", params={"clinic": "jointhaven", "sort": "clinic"})
    assert "Our PRP injections may help relieve knee pain." in page.text
    assert "Our mesenchymal stem cell infusions" not in page.text
    assert client.get("/", params={"verdict": "confirmed"}).text.count('class="row"') == 0


def test_a_claim_page_shows_context_evidence_history_and_rationale(
    client: TestClient, store: Store
) -> None:
    [claim] = [c for c in store.claims() if c.sentence.startswith("Our mesenchymal")]
    page = client.get(f"/claims/{claim.id}").text
    assert (
        "<mark>Our mesenchymal stem cell infusions reverse osteoporosis in most patients.</mark>"
        in page
    )
    assert "https://bonewell.test/osteoporosis" in page and "archived page" in page
    assert "History" in page and "Why it is a problem" in page


def test_an_unknown_claim_is_404(client: TestClient) -> None:
    assert client.get("/claims/0000000000000000").status_code == 404


def test_a_verdict_is_recorded_logged_and_leads_to_the_next_claim(
    client: TestClient, store: Store
) -> None:
    first = claim_ids(store)[0]
    response = decide(client, first, "confirmed", note="plain claim")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/claims/")
    assert store.verdicts()[first].verdict == "confirmed"
    [entry] = store.verdict_log(first)
    assert (entry.reviewer, entry.from_verdict, entry.to_verdict, entry.note) == (
        "Ana",
        "open",
        "confirmed",
        "plain claim",
    )
    assert "claimscan_reviewer=Ana" in response.headers["set-cookie"]


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    for token in ("", "forged"):
        response = client.post(
            f"/claims/{claim_id}/verdict",
            data={"csrf": token, "verdict": "confirmed", "reviewer": "Eve"},
        )
        assert response.status_code == 403
    assert store.verdicts() == {}


def test_a_post_from_another_site_is_refused(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    data = {"csrf": csrf(client, claim_id), "verdict": "dismissed", "reviewer": "Eve"}
    response = client.post(
        f"/claims/{claim_id}/verdict", data=data, headers={"Origin": "http://evil.test"}
    )
    assert response.status_code == 403
    assert store.verdicts() == {}


def test_a_verdict_needs_a_reviewer_and_a_known_verdict(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    assert decide(client, claim_id, "maybe").status_code == 400
    assert decide(client, claim_id, "confirmed", reviewer=" ").status_code == 400


def test_the_next_page_cannot_leave_the_app(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    response = decide(client, claim_id, "dismissed", next="//evil.test/phish")
    assert response.headers["location"].split("?")[0] == f"/claims/{claim_id}"


def test_a_reworded_claim_asks_for_review_again(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    decide(client, claim_id, "confirmed")
    with store.session() as session, session.begin():
        session.execute(
            update(ClaimRow).where(ClaimRow.id == claim_id).values(sentence="Entirely new words.")
        )
    assert store.verdicts()[claim_id].needs_review
    assert 'id="rereview"' in client.get(f"/claims/{claim_id}").text
    assert "re-review" in client.get("/", params={"verdict": "re-review"}).text


def test_evidence_is_shown_as_inert_text(client: TestClient, store: Store) -> None:
    [snapshot] = [s for s in store.snapshots() if s.url.endswith("/stories")]
    page = client.get(f"/evidence/{snapshot.id}")
    assert page.status_code == 200
    assert "&lt;script&gt;window.__pwned = 1&lt;/script&gt;" in page.text
    assert "<script>window.__pwned" not in page.text


def test_evidence_is_rendered_only_in_a_sandbox(client: TestClient, store: Store) -> None:
    [snapshot] = [s for s in store.snapshots() if s.url.endswith("/stories")]
    rendered = client.get(f"/evidence/{snapshot.id}/render")
    assert rendered.headers["content-security-policy"].startswith("sandbox; default-src 'none'")
    assert 'sandbox=""' in client.get(f"/evidence/{snapshot.id}").text


@pytest.mark.parametrize(
    "path",
    [
        "/evidence/../../etc/passwd",
        "/evidence/%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        "/evidence/1/../../review.db",
        "/static/../../review.db",
        "/static/%2e%2e/app.py",
        "/evidence/-1",
        "/evidence/99999",
    ],
)
def test_evidence_paths_cannot_reach_other_files(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "CREATE TABLE" not in response.text and "import" not in response.text


def test_a_store_pointing_outside_its_evidence_folders_is_refused(
    client: TestClient, store: Store
) -> None:
    snapshot = next(iter(store.snapshots()))
    with store.session() as session, session.begin():
        session.execute(
            update(SnapshotRow).where(SnapshotRow.id == snapshot.id).values(warc_file="/etc/passwd")
        )
    response = client.get(f"/evidence/{snapshot.id}")
    assert response.status_code == 403


def test_every_response_carries_the_security_headers(client: TestClient, store: Store) -> None:
    for path in ("/", f"/claims/{claim_ids(store)[0]}", "/static/review.js", "/claims/nope"):
        headers = client.get(path).headers
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-content-type-options"] == "nosniff"


def test_beyond_loopback_every_request_needs_the_token(store: Store, tmp_path: Path) -> None:
    app = create_app(
        store, load_pack(), [tmp_path / "evidence"], token="s3cret", allowed_hosts=["10.0.0.5"]
    )
    with TestClient(app, base_url="http://10.0.0.5:8000") as client:
        assert client.get("/").status_code == 401
        assert client.get("/", params={"token": "wrong"}).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer s3cret"}).status_code == 200
        welcome = client.get("/", params={"token": "s3cret"}, follow_redirects=False)
        assert (welcome.status_code, welcome.headers["location"]) == (303, "/")
        assert (
            "HttpOnly" in welcome.headers["set-cookie"]
            and "SameSite=strict" in welcome.headers["set-cookie"]
        )
        assert client.get("/").status_code == 200  # the cookie now carries it
        claim_id = claim_ids(store)[0]
        assert client.get(f"/claims/{claim_id}").status_code == 200


def test_the_verdict_command_records_a_verdict(store: Store, tmp_path: Path) -> None:
    claim_id = claim_ids(store)[0]
    db = str(tmp_path / "review.db")
    result = claimscan(
        "verdict", claim_id, "dismissed", "--note", "a definition", "--reviewer", "Bo", "--db", db
    )
    assert result.returncode == 0, result.stderr
    assert store.verdicts()[claim_id].verdict == "dismissed"
    unknown = claimscan(
        "verdict", "0000000000000000", "confirmed", "--db", str(tmp_path / "review.db")
    )
    assert unknown.returncode == 1 and "no claim 0000000000000000" in unknown.stderr


def list_csrf(client: TestClient) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', client.get("/").text)
    assert match
    return match.group(1)


def test_several_claims_take_one_verdict_and_one_note(client: TestClient, store: Store) -> None:
    ids = claim_ids(store)[:3]
    response = client.post(
        "/bulk",
        data={"csrf": list_csrf(client), "ids": ids, "verdict": "dismissed",
              "note": "site-wide footer", "reviewer": "Ana", "next": "/?clinic=bonewell"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["location"].startswith("/?clinic=bonewell&done=dismissed&ids=")
    verdicts = store.verdicts()
    assert {verdicts[i].verdict for i in ids} == {"dismissed"}
    assert {verdicts[i].note for i in ids} == {"site-wide footer"}
    assert len(store.verdict_log()) == 3  # each claim's change logged


def test_a_bulk_action_needs_a_claim_and_a_name(client: TestClient, store: Store) -> None:
    token = list_csrf(client)
    none = client.post("/bulk", data={"csrf": token, "verdict": "confirmed", "reviewer": "Ana"})
    assert none.status_code == 400 and "no claim chosen" in none.text
    ids = claim_ids(store)[:2]
    nameless = client.post(
        "/bulk", data={"csrf": token, "ids": ids, "verdict": "confirmed", "reviewer": ""}
    )
    assert nameless.status_code == 400
    assert store.verdicts() == {}


def test_the_last_verdict_can_be_undone_and_the_log_keeps_both(
    client: TestClient, store: Store
) -> None:
    first = claim_ids(store)[0]
    decide(client, first, "confirmed")
    saved = decide(client, first, "dismissed", next="/")
    flash_page = client.get(saved.headers["location"]).text  # type: ignore[attr-defined]
    assert "Saved: 1 claim dismissed." in flash_page and 'id="undo"' in flash_page
    response = client.post(
        "/undo", data={"csrf": list_csrf(client), "ids": [first], "reviewer": "Ana", "next": "/"},
        follow_redirects=False,
    )  # fmt: skip
    assert response.status_code == 303
    assert store.verdicts()[first].verdict == "confirmed"
    log = store.verdict_log(first)
    assert [(e.from_verdict, e.to_verdict) for e in log] == [
        ("open", "confirmed"), ("confirmed", "dismissed"), ("dismissed", "confirmed"),
    ]  # fmt: skip
    assert log[-1].note.startswith("undo: dismissed")
    token = list_csrf(client)
    again = client.post("/undo", data={"csrf": token, "ids": [first], "reviewer": "Ana"})
    assert again.status_code == 200 and store.verdicts()[first].verdict == "confirmed"


def test_the_list_searches_the_words_of_claims(client: TestClient) -> None:
    page = client.get("/", params={"q": "KNEE pain"}).text
    assert page.count('class="row"') == 1
    assert "Our PRP injections may help relieve knee pain." in page
    assert client.get("/", params={"q": "no such words"}).text.count('class="row"') == 0


def test_the_list_counts_what_is_decided(client: TestClient, store: Store) -> None:
    ids = claim_ids(store)
    decide(client, ids[0], "confirmed")
    page = client.get("/").text
    assert f"1 of {len(ids)} decided" in page
    narrowed = client.get("/", params={"clinic": "jointhaven"}).text
    assert "0 of 1 decided</strong> in this view" in narrowed
    assert f"1 of {len(ids)} in all" in narrowed


def test_the_end_of_a_view_says_whether_everything_in_it_is_decided(
    client: TestClient, store: Store
) -> None:
    [knee] = [c.id for c in store.claims() if "knee pain" in c.sentence]
    claim = client.get(f"/claims/{knee}", params={"clinic": "jointhaven"}).text
    assert 'href="/done?clinic=jointhaven" id="next"' in claim  # the view's last claim
    assert "still open" in client.get("/done", params={"clinic": "jointhaven"}).text
    decide(client, knee, "confirmed")
    done = client.get("/done", params={"clinic": "jointhaven"}).text
    assert "All 1 claim in this view is decided" in done


def test_a_first_time_reviewer_is_asked_for_a_name(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    assert 'id="name-prompt"' in client.get(f"/claims/{claim_id}").text
    decide(client, claim_id, "confirmed")  # sets the reviewer cookie
    assert 'id="name-prompt"' not in client.get(f"/claims/{claim_id}").text


def test_going_back_to_the_list_returns_to_the_claim(client: TestClient, store: Store) -> None:
    claim_id = claim_ids(store)[0]
    page = client.get(f"/claims/{claim_id}", params={"sort": "clinic"}).text
    assert f'href="/?sort=clinic#row-{claim_id}" id="back"' in page
    assert f'id="row-{claim_id}"' in client.get("/", params={"sort": "clinic"}).text


def test_a_request_for_another_host_name_is_refused(client: TestClient, store: Store) -> None:
    """DNS rebinding: a page at evil.example that points its name at this address still
    sends Host: evil.example."""
    claim_id = claim_ids(store)[0]
    refused = client.get(f"/claims/{claim_id}", headers={"Host": "evil.example:8000"})
    assert refused.status_code == 400
    assert 'name="csrf"' not in refused.text
    assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200


def test_more_host_names_can_be_allowed(store: Store, tmp_path: Path) -> None:
    app = create_app(store, load_pack(), [tmp_path], allowed_hosts=["review.lab.example"])
    with TestClient(app, base_url="http://review.lab.example") as lab:
        assert lab.get("/").status_code == 200
        assert lab.get("/", headers={"Host": "127.0.0.1"}).status_code == 400


def test_an_empty_token_is_refused() -> None:
    result = claimscan("review", "--host", "0.0.0.0", "--token", "", "--db", "nowhere.db")
    assert result.returncode == 2
    assert "--token is empty" in result.stderr
