"""Site leases, in-flight records and the shared queues of one distributed crawl run, in Redis.

Keys of run R (prefix `claimscan:run:R:`):

    q:<site>           sorted set: the site's queued requests (score = -priority)
    sites              set: sites with queued requests
    queued             counter: requests in all site queues
    lease:<site>       the worker crawling the site (expires unless renewed)
    held:<worker>      set: the sites a worker holds
    inflight:<worker>  hash: token -> request (or start entry) the worker took, until handled
    alive:<worker>     the worker's heartbeat (expires when it stops beating)
    workers            set: workers that have taken part
    budget             hash: clinic -> pages paid for (requests sent)
    paid               set: fingerprints of the pages paid for (a page fetched again after
                       a worker died is not paid for twice)
    dupefilter         set: (clinic, URL) fingerprints seen (scrapy-redis's dupefilter)
    start              list: start entries, one per clinic (read by scrapy-redis's RedisMixin)

Every step that must not be split (take a request and record it in flight; put a dead
worker's requests back) is one Lua script, so Redis runs it atomically.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

log = logging.getLogger(__name__)

# Requeue one in-flight value: "s\n<start entry>" or "r\n<site>\n<score>\n<request>".
_REQUEUE = """
local function requeue(p, value)
  local kind = string.sub(value, 1, 1)
  local rest = string.sub(value, 3)
  if kind == 's' then
    redis.call('LPUSH', p .. 'start', rest)
    return
  end
  local i = string.find(rest, '\\n', 1, true)
  local j = string.find(rest, '\\n', i + 1, true)
  local site = string.sub(rest, 1, i - 1)
  local added = redis.call('ZADD', p .. 'q:' .. site, string.sub(rest, i + 1, j - 1),
                           string.sub(rest, j + 1))
  redis.call('INCRBY', p .. 'queued', added)
  redis.call('SADD', p .. 'sites', site)
end

local function retire(p, worker)
  local values = redis.call('HVALS', p .. 'inflight:' .. worker)
  for _, value in ipairs(values) do requeue(p, value) end
  redis.call('DEL', p .. 'inflight:' .. worker)
  for _, site in ipairs(redis.call('SMEMBERS', p .. 'held:' .. worker)) do
    if redis.call('GET', p .. 'lease:' .. site) == worker then
      redis.call('DEL', p .. 'lease:' .. site)
    end
  end
  redis.call('DEL', p .. 'held:' .. worker, p .. 'alive:' .. worker)
  redis.call('SREM', p .. 'workers', worker)
  return #values
end
"""

# ARGV: prefix, site, score, request, worker, token of the entry it replaces (or ""),
# fingerprint (or "" for a request that is not filtered). Marking the request seen and
# queueing it are one step: a worker killed in between cannot leave it seen but not queued.
# Returns 1 when queued, 0 when it was seen before.
_PUSH = """
local p = ARGV[1]
if ARGV[6] ~= '' then redis.call('HDEL', p .. 'inflight:' .. ARGV[5], ARGV[6]) end
if ARGV[7] ~= '' and redis.call('SADD', p .. 'dupefilter', ARGV[7]) == 0 then return 0 end
local added = redis.call('ZADD', p .. 'q:' .. ARGV[2], ARGV[3], ARGV[4])
redis.call('INCRBY', p .. 'queued', added)
redis.call('SADD', p .. 'sites', ARGV[2])
return 1
"""

# ARGV: prefix, worker, token, then the sites the worker holds, in turn. Takes the first
# request of the first of them with one queued. Returns {site or '', request or '', sites
# whose lease was lost, sites found empty}.
_POP = """
local p, worker, token = ARGV[1], ARGV[2], ARGV[3]
local lost, empty = {}, {}
for i = 4, #ARGV do
  local site = ARGV[i]
  if redis.call('GET', p .. 'lease:' .. site) ~= worker then
    redis.call('SREM', p .. 'held:' .. worker, site)
    table.insert(lost, site)
  else
    local got = redis.call('ZPOPMIN', p .. 'q:' .. site)
    if #got == 0 then
      redis.call('SREM', p .. 'sites', site)
      table.insert(empty, site)
    else
      redis.call('DECR', p .. 'queued')
      if redis.call('ZCARD', p .. 'q:' .. site) == 0 then
        redis.call('SREM', p .. 'sites', site)
      end
      redis.call('SADD', p .. 'workers', worker)
      redis.call('HSET', p .. 'inflight:' .. worker, token,
                 'r\\n' .. site .. '\\n' .. got[2] .. '\\n' .. got[1])
      return {site, got[1], lost, empty}
    end
  end
end
return {'', '', lost, empty}
"""

# ARGV: prefix, worker, lease ms. Returns a site nobody holds that has queued requests.
_LEASE = """
local p, worker = ARGV[1], ARGV[2]
for _, site in ipairs(redis.call('SMEMBERS', p .. 'sites')) do
  if redis.call('SET', p .. 'lease:' .. site, worker, 'NX', 'PX', ARGV[3]) then
    redis.call('SADD', p .. 'held:' .. worker, site)
    return site
  end
end
return false
"""

# ARGV: prefix, worker, site
_RELEASE = """
local p, worker, site = ARGV[1], ARGV[2], ARGV[3]
if redis.call('GET', p .. 'lease:' .. site) == worker then
  redis.call('DEL', p .. 'lease:' .. site)
end
redis.call('SREM', p .. 'held:' .. worker, site)
"""

# ARGV: prefix, worker, lease ms. Renews the worker's heartbeat and leases, then puts the
# requests of workers whose heartbeat stopped back in the queues. Returns how many.
_BEAT = (
    _REQUEUE
    + """
local p, worker, ms = ARGV[1], ARGV[2], ARGV[3]
redis.call('SET', p .. 'alive:' .. worker, '1', 'PX', ms)
redis.call('SADD', p .. 'workers', worker)
for _, site in ipairs(redis.call('SMEMBERS', p .. 'held:' .. worker)) do
  if redis.call('GET', p .. 'lease:' .. site) == worker then
    redis.call('PEXPIRE', p .. 'lease:' .. site, ms)
  else
    redis.call('SREM', p .. 'held:' .. worker, site)
  end
end
local requeued = 0
for _, other in ipairs(redis.call('SMEMBERS', p .. 'workers')) do
  if redis.call('EXISTS', p .. 'alive:' .. other) == 0 then
    requeued = requeued + retire(p, other)
  end
end
return requeued
"""
)

# ARGV: prefix, worker. A worker leaving: its unfinished requests go back to the queues.
_RETIRE = _REQUEUE + "\nreturn retire(ARGV[1], ARGV[2])\n"

# ARGV: prefix, worker, first token, count. Takes up to `count` start entries.
_POP_STARTS = """
local p, worker = ARGV[1], ARGV[2]
local entries = redis.call('LRANGE', p .. 'start', 0, tonumber(ARGV[4]) - 1)
redis.call('LTRIM', p .. 'start', #entries, -1)
redis.call('SADD', p .. 'workers', worker)
local out = {}
for i, entry in ipairs(entries) do
  local token = ARGV[3] .. ':' .. i
  redis.call('HSET', p .. 'inflight:' .. worker, token, 's\\n' .. entry)
  table.insert(out, token)
  table.insert(out, entry)
end
return out
"""

# ARGV: prefix, clinic, budget. 1 if the clinic's page budget had a page left (now spent).
_SPEND = """
local p, fingerprint = ARGV[1], ARGV[4]
if fingerprint ~= '' and redis.call('SADD', p .. 'paid', fingerprint) == 0 then
  return 1
end
local spent = redis.call('HINCRBY', p .. 'budget', ARGV[2], 1)
if spent > tonumber(ARGV[3]) then
  redis.call('HINCRBY', p .. 'budget', ARGV[2], -1)
  if fingerprint ~= '' then redis.call('SREM', p .. 'paid', fingerprint) end
  return 0
end
return 1
"""

# ARGV: prefix. 1 when nothing is queued, waiting to start, or in flight anywhere.
_DONE = """
local p = ARGV[1]
if redis.call('LLEN', p .. 'start') > 0 then return 0 end
if tonumber(redis.call('GET', p .. 'queued') or '0') > 0 then return 0 end
for _, worker in ipairs(redis.call('SMEMBERS', p .. 'workers')) do
  if redis.call('HLEN', p .. 'inflight:' .. worker) > 0 then return 0 end
end
return 1
"""


def text(value: Any) -> str:
    """A Redis reply as str (replies are bytes: queued requests are pickles)."""
    return value.decode() if isinstance(value, bytes) else str(value)


def run_prefix(run_id: int) -> str:
    return f"claimscan:run:{run_id}:"


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Taken:
    """A request (or start entry) taken from the shared queues, in flight until acked."""

    token: str
    site: str
    data: bytes


@dataclass
class SiteLeases:
    """One worker's side of a run's shared queues: what it holds, takes and hands back."""

    server: redis.Redis
    run_id: int
    worker: str
    max_sites: int = 8
    per_site: int = 0  # requests of one site taken and not yet acked, at most (0: no limit)
    lease_seconds: float = 30.0
    held: list[str] = field(default_factory=list)  # in round-robin order
    in_flight: Counter[str] = field(default_factory=Counter)  # per site, this worker's
    _last_lease_try: float = 0.0

    def __post_init__(self) -> None:
        self.prefix = run_prefix(self.run_id)
        register = self.server.register_script
        self._push, self._pop, self._lease = register(_PUSH), register(_POP), register(_LEASE)
        self._release, self._beat = register(_RELEASE), register(_BEAT)
        self._retire, self._done = register(_RETIRE), register(_DONE)
        self._pop_starts, self._spend = register(_POP_STARTS), register(_SPEND)

    @property
    def lease_ms(self) -> int:
        return max(1, int(self.lease_seconds * 1000))

    # -- queues ------------------------------------------------------------------------------

    def push(
        self,
        site: str,
        priority: int,
        data: bytes,
        replaces: str | None = None,
        fingerprint: str = "",
    ) -> bool:
        """Queue a request for `site` unless its `fingerprint` was seen (one step in Redis);
        `replaces` is the in-flight token of the request it stands for (a retry), which is
        then no longer in flight. True when queued."""
        args: list[str | int | bytes] = [
            self.prefix, site, -priority, data, self.worker, replaces or "", fingerprint
        ]  # fmt: skip
        queued = bool(self._push(args=args))
        if replaces:
            self._handled(site)
        return queued

    def pop(self) -> Taken | None:
        """The next request for this worker: breadth first. A held site with nothing in
        flight gives first; else, while fewer than `max_sites` are held, a free site with
        queued requests is leased; else the held site with the fewest in flight gives (the
        held sites take turns, and a site with `per_site` in flight waits)."""
        idle = self.held and min(self.in_flight[s] for s in self.held) == 0
        if idle and (taken := self._pop_held()) is not None:
            return taken
        if len(self.held) < self.max_sites and self._may_try_lease():
            site = self._lease(args=[self.prefix, self.worker, self.lease_ms])
            if site is not None:
                log.info("%s: crawling site %s", self.worker, text(site))
                self.held.append(text(site))
                return self.pop()
        return self._pop_held()

    def _pop_held(self) -> Taken | None:
        ready = [s for s in self.held if not self.per_site or self.in_flight[s] < self.per_site]
        if not ready:
            return None
        ready.sort(key=lambda s: self.in_flight[s])  # stable: turns break the ties
        token = uuid.uuid4().hex
        site, data, lost, empty = self._pop(args=[self.prefix, self.worker, token, *ready])
        for gone in map(text, lost):
            log.warning("lost the lease on %s (heartbeat too late?)", gone)
            self.held.remove(gone)
        for idle in map(text, empty):
            if not self.in_flight[idle]:  # nothing of it in flight: no links to come
                self.release(idle)
        if not site:
            return None
        site = text(site)
        self.held.remove(site)
        self.held.append(site)  # its turn is over
        self.in_flight[site] += 1
        return Taken(token, site, data)

    def _may_try_lease(self) -> bool:
        """Scanning for a free site costs a pass over all sites: at most five times a second
        when the last scan found none."""
        now = time.monotonic()
        if now - self._last_lease_try < 0.2:
            return False
        self._last_lease_try = now
        return True

    def ack(self, token: str, site: str | None = None) -> None:
        """The request (or start entry, which has no site) is handled: its results are
        stored and its links queued."""
        self.server.hdel(self.prefix + "inflight:" + self.worker, token)
        if site is not None:
            self._handled(site)

    def _handled(self, site: str) -> None:
        self.in_flight[site] -= 1
        if self.in_flight[site] <= 0:
            del self.in_flight[site]
        self._last_lease_try = 0.0  # a slot is free: worth looking for a site again

    def release(self, site: str) -> None:
        self._release(args=[self.prefix, self.worker, site])
        if site in self.held:
            self.held.remove(site)

    def spend(self, clinic_id: str, budget: int, fingerprint: str = "") -> bool:
        """Pay for one page of the clinic's budget, shared by all workers; a page already
        paid for (the same `fingerprint`: fetched again after a worker died) costs nothing."""
        return bool(self._spend(args=[self.prefix, clinic_id, budget, fingerprint]))

    def queued(self) -> int:
        return int(self.server.get(self.prefix + "queued") or 0)

    # -- start entries -----------------------------------------------------------------------

    def pop_starts(self, count: int) -> list[tuple[str, bytes]]:
        base = uuid.uuid4().hex
        flat = self._pop_starts(args=[self.prefix, self.worker, base, count])
        return [(text(flat[i]), flat[i + 1]) for i in range(0, len(flat), 2)]

    # -- life of a worker --------------------------------------------------------------------

    def beat(self) -> int:
        """Renew this worker's heartbeat and leases; requeue dead workers' requests."""
        requeued = int(self._beat(args=[self.prefix, self.worker, self.lease_ms]))
        if requeued:
            log.warning("took up again %d requests of a worker that stopped", requeued)
            self._last_lease_try = 0.0  # their sites are free now
        return requeued

    def retire(self) -> int:
        """Leave the run: requests taken but not handled go back to the queues."""
        self.held.clear()
        self.in_flight.clear()
        return int(self._retire(args=[self.prefix, self.worker]))

    def done(self) -> bool:
        """Nothing queued, waiting to start or in flight in any worker."""
        return bool(self._done(args=[self.prefix]))
