"""A distributed crawl's life in Redis: queue it, find it, report on it, finish it.

`claimscan crawl --redis` calls `enqueue_crawl`: the run is created in the shared database,
its plan (options and clinics) written to Redis, one start entry per clinic pushed, and the
run added to the set of active runs that workers look in. The worker that sees the run done
first removes it from that set, marks it completed in the database and deletes its keys.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from pydantic import BaseModel, ConfigDict

from scanner.clinics import ClinicList
from scanner.crawl.shared.leases import run_prefix, text
from scanner.errors import ClaimscanError, InputError
from scanner.models import Clinic, CrawlOptions, CrawlRun
from scanner.store import Store

ACTIVE_RUNS = "claimscan:runs"  # sorted set of run ids being crawled (score = run id)


class RedisUnavailable(ClaimscanError):
    """Redis cannot be reached or refused a command."""


class SharedPlan(BaseModel):
    """What every worker needs to crawl a run: stored in Redis as JSON."""

    model_config = ConfigDict(extra="forbid")

    run_id: int
    options: CrawlOptions
    clinics: list[Clinic]
    queued_at: datetime


@dataclass(frozen=True)
class Enqueued:
    run: CrawlRun
    already_queued: bool
    clinics: int


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    clinics: int
    start_entries: int
    queued: int
    in_flight: int
    workers_alive: int
    sites_held: int
    pages: int
    errors: int


def connect(url: str) -> redis.Redis:
    """A Redis client for `url`, checked with a PING; clear errors for bad URLs and dead hosts."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        raise InputError(f"--redis {url!r}: expected a URL such as redis://HOST:6379/0")
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=10, socket_timeout=30)
        server.ping()
    except (ValueError, redis.RedisError) as exc:
        raise RedisUnavailable(f"cannot reach Redis at {url}: {exc}") from exc
    return server


def enqueue_crawl(
    server: redis.Redis,
    store: Store,
    clinic_list: ClinicList,
    options: CrawlOptions,
    fresh: bool = False,
) -> Enqueued:
    """Queue a crawl of the list for workers, or (unless `fresh`) report the one already
    queued."""
    store.save_clinics(clinic_list.clinics)
    unfinished = None if fresh else store.unfinished_run(clinic_list.sha256)
    if unfinished is not None and server.exists(run_prefix(unfinished.id) + "plan"):
        return Enqueued(unfinished, True, len(clinic_list.clinics))
    if unfinished is not None and unfinished.settings.get("distributed"):
        raise InputError(
            f"run {unfinished.id} of this clinic list is unfinished but no longer queued in "
            "this Redis (was it emptied?): start a new run with --fresh"
        )
    if unfinished is not None:
        raise InputError(
            f"run {unfinished.id} of this clinic list is an unfinished one-process crawl: "
            "resume it with `claimscan crawl` without --redis, or start a new run with --fresh"
        )
    return _queue_new(server, store, clinic_list, options)


def _queue_new(
    server: redis.Redis, store: Store, clinic_list: ClinicList, options: CrawlOptions
) -> Enqueued:
    run = store.create_run(
        str(clinic_list.path),
        clinic_list.sha256,
        {**options.model_dump(), "distributed": True},
        "(one WARC file per worker: see each snapshot's warc_file)",
    )
    plan = SharedPlan(
        run_id=run.id, options=options, clinics=clinic_list.clinics, queued_at=datetime.now(UTC)
    )
    prefix = run_prefix(run.id)
    with server.pipeline() as pipe:  # MULTI/EXEC: workers see all of it or none
        pipe.set(prefix + "plan", plan.model_dump_json())
        pipe.rpush(prefix + "start", *[json.dumps({"clinic_id": c.id}) for c in plan.clinics])
        pipe.zadd(ACTIVE_RUNS, {str(run.id): run.id})
        pipe.execute()
    return Enqueued(run, False, len(plan.clinics))


def active_runs(server: redis.Redis) -> list[int]:
    return [int(text(member)) for member in server.zrange(ACTIVE_RUNS, 0, -1)]


def wait_for_run(server: redis.Redis, wait_seconds: float, poll: float = 1.0) -> int | None:
    """The oldest active run, waiting up to `wait_seconds` for one to be queued."""
    deadline = time.monotonic() + wait_seconds
    while True:
        runs = active_runs(server)
        if runs:
            return runs[0]
        if time.monotonic() >= deadline:
            return None
        time.sleep(min(poll, max(0.0, deadline - time.monotonic())))


def load_plan(server: redis.Redis, run_id: int) -> SharedPlan:
    data = server.get(run_prefix(run_id) + "plan")
    if data is None:
        raise RedisUnavailable(f"run {run_id} has no plan in Redis (finished, or Redis lost it)")
    return SharedPlan.model_validate_json(data)


def finish_run(server: redis.Redis, store: Store, run_id: int) -> bool:
    """Record a done run as completed; only the first worker to call this does it."""
    if not server.zrem(ACTIVE_RUNS, str(run_id)):
        return False
    pages, errors = store.run_counts(run_id)
    run = store.run(run_id)
    elapsed = (datetime.now(UTC) - run.started_at.replace(tzinfo=UTC)).total_seconds()
    stats = {
        **run.stats,
        "finish_reason": "finished",
        "pages": pages,
        "errors": errors,
        "elapsed_seconds": round(elapsed, 3),
        "workers": server.scard(run_prefix(run_id) + "workers"),
    }
    store.mark_run(run_id, "completed", stats)
    _delete_keys(server, run_id)
    return True


def _delete_keys(server: redis.Redis, run_id: int) -> None:
    keys = list(server.scan_iter(match=run_prefix(run_id) + "*", count=1000))
    for i in range(0, len(keys), 500):
        server.delete(*keys[i : i + 500])


def progress(server: redis.Redis, store: Store, run_id: int) -> RunProgress:
    """Where a run stands: Redis's queues and workers, the database's pages."""
    prefix = run_prefix(run_id)
    workers = [text(w) for w in server.smembers(prefix + "workers")]
    plan = server.get(prefix + "plan")
    clinics = len(SharedPlan.model_validate_json(plan).clinics) if plan else 0
    pages, errors = store.run_counts(run_id)
    return RunProgress(
        run_id=run_id,
        clinics=clinics,
        start_entries=int(server.llen(prefix + "start")),
        queued=int(server.get(prefix + "queued") or 0),
        in_flight=sum(int(server.hlen(prefix + "inflight:" + w)) for w in workers),
        workers_alive=sum(int(server.exists(prefix + "alive:" + w)) for w in workers),
        sites_held=sum(int(server.scard(prefix + "held:" + w)) for w in workers),
        pages=pages,
        errors=errors,
    )
