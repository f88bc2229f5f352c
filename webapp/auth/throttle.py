"""Slow down password guessing with growing delays, per account and per client address.

Every attempt at a password (logging in, or confirming the current one to change it) counts
against the email it names, known or not, and against the address it comes from. The first
failures are free (``FREE_FAILURES``); after that, each further attempt must wait twice as long
as the last: 2, 4, 8... seconds, up to ``MAX_DELAY_SECONDS``. Nothing is ever refused for good:
the right password after the wait logs in, and forgets the account's failures. A counter is
forgotten ``FORGET_AFTER_SECONDS`` after the last attempt it counted.

An attempt is counted when it starts (and handed back if the password was right), so a burst of
parallel guesses cannot all slip in before the first failure is recorded.

The counters live in Redis, shared by every web process. While Redis is down each web process
counts in its own memory instead (forgotten when the process restarts), so the limit still holds,
per process, rather than falling open.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from dataclasses import dataclass

from flask import current_app
from redis.exceptions import RedisError

from webapp import redis_server

# Failures each kind of counter allows before delays start. An address is shared by everyone
# behind one office NAT, so it gets more.
FREE_FAILURES = {"account": 5, "address": 20}
MAX_DELAY_SECONDS = 15 * 60
FORGET_AFTER_SECONDS = 60 * 60  # longer than MAX_DELAY_SECONDS, so no wait outlives its counter
# The in-memory fallback never holds more counters than this (the oldest are dropped).
MEMORY_LIMIT = 100_000

clock = time.time  # tests move time forward instead of waiting


def delay_after(failures: int, free: int) -> float:
    """Seconds the next attempt must wait after ``failures`` counted failures."""
    if failures < free:
        return 0.0
    return float(min(2 ** (failures - free + 1), MAX_DELAY_SECONDS))


def describe_wait(seconds: float) -> str:
    """How long to wait, rounded up, in words: "8 seconds", "1 second", "4 minutes"."""
    seconds = max(1, math.ceil(seconds))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


# KEYS: the counters (hashes of count and until_ms). ARGV[1] now_ms, ARGV[2] forget_after_ms,
# ARGV[3] max_delay_ms, ARGV[3 + i] the free failures of KEYS[i].
# Returns the milliseconds to wait (nothing counted), or 0 once the attempt is counted everywhere.
_START = """
local now = tonumber(ARGV[1])
local wait = 0
for i, key in ipairs(KEYS) do
  local ready = tonumber(redis.call('HGET', key, 'until') or '0')
  if ready - now > wait then wait = ready - now end
end
if wait > 0 then return wait end
for i, key in ipairs(KEYS) do
  local count = redis.call('HINCRBY', key, 'count', 1)
  local free = tonumber(ARGV[3 + i])
  if count >= free then
    local delay = math.min(2 ^ (count - free + 1) * 1000, tonumber(ARGV[3]))
    redis.call('HSET', key, 'until', string.format('%d', now + delay))
  end
  redis.call('PEXPIRE', key, tonumber(ARGV[2]))
end
return 0
"""

# KEYS[1] the account, KEYS[2] the address; ARGV[1] the address's free failures.
# The account's failures are forgotten; the address gets this attempt back (not its others).
_SUCCEED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then
  local count = redis.call('HINCRBY', KEYS[2], 'count', -1)
  if count < tonumber(ARGV[1]) then redis.call('HDEL', KEYS[2], 'until') end
end
return 1
"""


class MemoryCounters:
    """The same counters in this process's memory, for while Redis is down."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, list[float]] = {}  # key -> [count, until, forget_at]

    def start(self, keys: list[tuple[str, int]], now: float) -> float:
        with self._lock:
            self._forget_old(now)
            wait = max(self._counter(key, now)[1] - now for key, _free in keys)
            if wait > 0:
                return wait
            for key, free in keys:
                counter = self._counters[key] = self._counter(key, now)
                counter[0] += 1
                if counter[0] >= free:
                    counter[1] = now + delay_after(counter[0], free)
                counter[2] = now + FORGET_AFTER_SECONDS
            return 0.0

    def succeed(self, account: str, address: str, address_free: int) -> None:
        with self._lock:
            self._counters.pop(account, None)
            counter = self._counters.get(address)
            if counter is not None:
                counter[0] -= 1
                if counter[0] < address_free:
                    counter[1] = 0.0

    def ready_at(self, key: str, now: float) -> float:
        with self._lock:
            return self._counter(key, now)[1]

    def _counter(self, key: str, now: float) -> list[float]:
        counter = self._counters.get(key)
        if counter is None or counter[2] <= now:
            return [0, 0.0, 0.0]
        return counter

    def _forget_old(self, now: float) -> None:
        if len(self._counters) < MEMORY_LIMIT:
            return
        for key in [key for key, counter in self._counters.items() if counter[2] <= now]:
            del self._counters[key]
        while len(self._counters) >= MEMORY_LIMIT:  # all recent: drop the ones forgotten soonest
            del self._counters[min(self._counters, key=lambda key: self._counters[key][2])]


def _memory() -> MemoryCounters:
    """One per app, so per web process (and per test)."""
    return current_app.extensions.setdefault("login_throttle_memory", MemoryCounters())


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]


@dataclass
class Attempt:
    """One attempt at a password, for one email from one address."""

    email: str
    address: str | None
    # Set once Redis failed during this attempt: the rest of it goes to memory, without waiting
    # on Redis again.
    in_memory: bool = False

    @property
    def _account(self) -> str:
        return f"switchboard:login:account:{_digest(self.email.strip().lower())}"

    @property
    def _address(self) -> str:
        return f"switchboard:login:address:{_digest(self.address or '-')}"

    def _keys(self) -> list[tuple[str, int]]:
        return [(self._account, FREE_FAILURES["account"]), (self._address, FREE_FAILURES["address"])]

    def start(self) -> float:
        """0 when the attempt may check the password (it is counted now); otherwise the seconds
        to wait first, and the attempt is not counted."""
        now = clock()
        keys = self._keys()
        try:
            wait_ms = redis_server.connection().register_script(_START)(
                keys=[key for key, _free in keys],
                args=[
                    int(now * 1000),
                    FORGET_AFTER_SECONDS * 1000,
                    MAX_DELAY_SECONDS * 1000,
                    *(free for _key, free in keys),
                ],
            )
            return int(wait_ms) / 1000
        except RedisError:
            self.in_memory = True
            return _memory().start(keys, now)

    def succeeded(self) -> None:
        """The password was right: forget the account's failures, hand the address its attempt back."""
        if not self.in_memory:
            try:
                redis_server.connection().register_script(_SUCCEED)(
                    keys=[self._account, self._address], args=[FREE_FAILURES["address"]]
                )
            except RedisError:
                pass
        _memory().succeed(self._account, self._address, FREE_FAILURES["address"])

    def retry_after(self) -> float:
        """After a failure: the seconds before the next attempt may be made (0: right away)."""
        now = clock()
        keys = [key for key, _free in self._keys()]
        ready = None
        if not self.in_memory:
            try:
                connection = redis_server.connection()
                ready = [float(connection.hget(key, "until") or 0) / 1000 for key in keys]
            except RedisError:
                pass
        if ready is None:
            ready = [_memory().ready_at(key, now) for key in keys]
        return max(0.0, *(moment - now for moment in ready))
