"""A per-organization request budget in Redis, shared by the web process and every worker.

Front's limits are per company, so one bucket per organization: a token bucket refilled at the
plan's per-minute rate, with a small burst. When Front says the budget is spent (429 with
Retry-After, or ``x-ratelimit-remaining: 0``) the bucket is closed until Front's reset time, so
every process waits instead of hammering.

Priorities: background work (knowledge sync) may only take a token while a reserve is left, so
a sync never starves customer replies.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum

import redis

# KEYS[1] bucket hash, KEYS[2] closed-until key
# ARGV: now_ms, refill per ms, capacity, reserve (tokens that must remain after taking one)
# Returns milliseconds to wait; 0 means a token was taken.
_TAKE = """
local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local capacity = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local closed_until = tonumber(redis.call('GET', KEYS[2]) or '0')
if closed_until > now then
  return closed_until - now
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + (now - at) * rate)
local wait = 0
if tokens - 1 >= reserve then
  tokens = tokens - 1
else
  wait = math.ceil((reserve + 1 - tokens) / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity / rate) + 60000)
return wait
"""

# KEYS[1] closed-until key; ARGV: until_ms, ttl_ms. Keeps the later of the two closures.
_CLOSE = """
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return 1
"""


class Priority(IntEnum):
    CUSTOMER = 0  # replies, handoffs, archives: may use the whole budget
    BACKGROUND = 1  # knowledge sync: leaves a reserve for customers


class RateLimitTimeout(RuntimeError):
    """The budget did not free up within the caller's patience."""


@dataclass
class RateLimiter:
    connection: redis.Redis
    key: str  # e.g. "front:org:42"
    per_minute: int = 50
    background_reserve_ratio: float = 0.4

    def __post_init__(self) -> None:
        self._take = self.connection.register_script(_TAKE)
        self._close = self.connection.register_script(_CLOSE)

    @property
    def capacity(self) -> int:
        # A burst of a tenth of the minute's budget, at least 5 (Front allows about 5 requests a
        # second on one resource, so a larger burst would only earn 429s).
        return max(5, self.per_minute // 10)

    def _keys(self) -> list[str]:
        return [f"ratelimit:{self.key}:bucket", f"ratelimit:{self.key}:closed"]

    def try_acquire(self, priority: Priority = Priority.CUSTOMER, now: float | None = None) -> float:
        """Take a token if one is free. Returns seconds to wait (0.0 when taken)."""
        now_ms = int((now if now is not None else time.time()) * 1000)
        reserve = 0 if priority == Priority.CUSTOMER else self.capacity * self.background_reserve_ratio
        rate = self.per_minute / 60_000
        wait_ms = self._take(keys=self._keys(), args=[now_ms, rate, self.capacity, reserve])
        return int(wait_ms) / 1000

    def acquire(self, priority: Priority = Priority.CUSTOMER, max_wait: float = 120.0, sleep=time.sleep) -> float:
        """Block until a token is taken. Returns the seconds spent waiting."""
        waited = 0.0
        while True:
            wait = self.try_acquire(priority)
            if wait <= 0:
                return waited
            if waited + wait > max_wait:
                raise RateLimitTimeout(f"rate limit budget for {self.key} not free within {max_wait:.0f}s")
            sleep(wait)
            waited += wait

    def close_for(self, seconds: float, now: float | None = None) -> None:
        """Front said stop (429 / remaining 0): nobody in the organization calls for ``seconds``."""
        if seconds <= 0:
            return
        until_ms = int(((now if now is not None else time.time()) + seconds) * 1000)
        self._close(keys=[self._keys()[1]], args=[until_ms, int(seconds * 1000) + 1000])
