"""The shared queues' rules, on a real Redis: one worker per site, nothing lost when a worker
dies, nothing done twice when it does not."""

from __future__ import annotations

import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from scanner.crawl.shared.leases import SiteLeases
from tests.servers import redis_bin, redis_server

pytestmark = pytest.mark.skipif(redis_bin() is None, reason="needs Redis (make test installs it)")
RUN_IDS = itertools.count(1000)


@pytest.fixture(scope="module")
def server() -> Iterator[redis.Redis]:
    with redis_server(Path(tempfile.mkdtemp(prefix="claimscan-redis-"))) as url:
        client = redis.Redis.from_url(url)
        yield client
        client.close()


@pytest.fixture
def run_id() -> int:
    return next(RUN_IDS)


def worker(server: redis.Redis, run_id: int, name: str, lease: float = 30.0) -> SiteLeases:
    leases = SiteLeases(server, run_id, name, max_sites=4, lease_seconds=lease)
    leases.beat()
    return leases


def test_a_site_is_crawled_by_one_worker_at_a_time(server: redis.Redis, run_id: int) -> None:
    a, b = worker(server, run_id, "a"), worker(server, run_id, "b")
    a.push("clinic.example", 0, b"page-1")
    a.push("clinic.example", 0, b"page-2")
    assert a.pop() is not None
    assert b.pop() is None  # the site's other request waits for its lease holder
    taken = a.pop()
    assert taken is not None and taken.data == b"page-2"


def test_workers_share_out_different_sites(server: redis.Redis, run_id: int) -> None:
    a, b = worker(server, run_id, "a"), worker(server, run_id, "b")
    a.push("one.example", 0, b"one")
    a.push("two.example", 0, b"two")
    first, second = a.pop(), b.pop()
    assert first is not None and second is not None
    assert {first.site, second.site} == {"one.example", "two.example"}


def test_a_site_queue_gives_the_highest_priority_first(server: redis.Redis, run_id: int) -> None:
    a = worker(server, run_id, "a")
    a.push("clinic.example", 0, b"about")
    a.push("clinic.example", 50, b"treatments")
    taken = a.pop()
    assert taken is not None and taken.data == b"treatments"


def test_a_dead_workers_requests_are_taken_up_by_another(server: redis.Redis, run_id: int) -> None:
    doomed = worker(server, run_id, "doomed", lease=0.2)
    doomed.push("clinic.example", 0, b"page")
    assert doomed.pop() is not None  # then it dies: no ack, no more heartbeats
    survivor = worker(server, run_id, "survivor")
    assert survivor.pop() is None
    time.sleep(0.3)
    assert survivor.beat() == 1
    taken = survivor.pop()
    assert taken is not None and taken.data == b"page"


def test_a_handled_request_is_not_taken_up_again(server: redis.Redis, run_id: int) -> None:
    doomed = worker(server, run_id, "doomed", lease=0.2)
    doomed.push("clinic.example", 0, b"page")
    taken = doomed.pop()
    assert taken is not None
    doomed.ack(taken.token, taken.site)
    time.sleep(0.3)
    survivor = worker(server, run_id, "survivor")
    assert survivor.beat() == 0
    assert survivor.pop() is None
    assert survivor.done()


def test_a_worker_that_leaves_hands_its_requests_back(server: redis.Redis, run_id: int) -> None:
    leaving, staying = worker(server, run_id, "leaving"), worker(server, run_id, "staying")
    leaving.push("clinic.example", 0, b"page")
    assert leaving.pop() is not None
    assert leaving.retire() == 1
    taken = staying.pop()
    assert taken is not None and taken.data == b"page"


def test_a_retry_takes_the_place_of_the_request_it_retries(
    server: redis.Redis, run_id: int
) -> None:
    a = worker(server, run_id, "a")
    a.push("clinic.example", 0, b"page")
    taken = a.pop()
    assert taken is not None
    a.push("clinic.example", 0, b"page (retry 1)", replaces=taken.token)
    retry = a.pop()
    assert retry is not None and retry.data == b"page (retry 1)"
    a.ack(retry.token, retry.site)
    assert a.done()


def test_the_run_is_not_done_while_a_request_is_in_flight(server: redis.Redis, run_id: int) -> None:
    a = worker(server, run_id, "a")
    a.push("clinic.example", 0, b"page")
    assert not a.done()  # queued
    taken = a.pop()
    assert taken is not None
    assert not a.done()  # in flight: its links may still come
    a.ack(taken.token, taken.site)
    assert a.done()


def test_a_clinics_page_budget_is_shared_by_all_workers(server: redis.Redis, run_id: int) -> None:
    a, b = worker(server, run_id, "a"), worker(server, run_id, "b")
    spent = [a.spend("renewbone", 3), b.spend("renewbone", 3), a.spend("renewbone", 3)]
    assert spent == [True, True, True]
    assert not b.spend("renewbone", 3)
    assert b.spend("summitspine", 3)


def test_start_entries_stay_in_flight_until_acked(server: redis.Redis, run_id: int) -> None:
    prefix = f"claimscan:run:{run_id}:"
    server.rpush(prefix + "start", b'{"clinic_id": "renewbone"}')
    doomed = worker(server, run_id, "doomed", lease=0.2)
    [(_token, entry)] = doomed.pop_starts(10)
    assert entry == b'{"clinic_id": "renewbone"}'
    assert not doomed.done()
    time.sleep(0.3)
    worker(server, run_id, "survivor")  # its first heartbeat puts the entry back
    assert server.lrange(prefix + "start", 0, -1) == [b'{"clinic_id": "renewbone"}']


def test_a_page_seen_before_is_not_queued_again(server: redis.Redis, run_id: int) -> None:
    a, b = worker(server, run_id, "a"), worker(server, run_id, "b")
    assert a.push("clinic.example", 0, b"page", fingerprint="f1")
    assert not b.push("clinic.example", 0, b"page (found again)", fingerprint="f1")
    assert a.queued() == 1


def test_a_page_fetched_again_after_a_worker_died_is_not_paid_for_twice(
    server: redis.Redis, run_id: int
) -> None:
    a, b = worker(server, run_id, "a"), worker(server, run_id, "b")
    assert a.spend("renewbone", 2, fingerprint="home")
    assert b.spend("renewbone", 2, fingerprint="home")  # the same page, fetched again
    assert b.spend("renewbone", 2, fingerprint="about")
    assert not b.spend("renewbone", 2, fingerprint="contact")  # the budget is two pages


def test_a_worker_takes_no_more_of_a_site_than_per_site_and_leases_another(
    server: redis.Redis, run_id: int
) -> None:
    a = SiteLeases(server, run_id, "a", max_sites=2, per_site=2)
    a.beat()
    for n in range(4):
        a.push("one.example", 0, f"one-{n}".encode())
    taken = [a.pop(), a.pop()]
    assert {t.site for t in taken if t} == {"one.example"}
    a.push("two.example", 0, b"two-0")
    time.sleep(0.25)  # lease scans are spaced out
    third = a.pop()  # one.example has two in flight: the worker fills its allowance
    assert third is not None and third.site == "two.example"
    assert a.pop() is None  # both sites at their limit (two.example has nothing more)
    first = taken[0]
    assert first is not None
    a.ack(first.token, first.site)
    again = a.pop()
    assert again is not None and again.site == "one.example"
