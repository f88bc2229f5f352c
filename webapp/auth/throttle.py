"""Slow down password guessing: ten failures per email and address lock that pair for 15 minutes."""

from __future__ import annotations

import hashlib

from redis.exceptions import RedisError

from webapp import redis_server

MAX_FAILURES = 10
WINDOW_SECONDS = 15 * 60


def key_for(email: str, remote_addr: str | None) -> str:
    digest = hashlib.sha256(f"{email.strip().lower()}|{remote_addr}".encode()).hexdigest()[:32]
    return f"switchboard:login-failures:{digest}"


def is_locked(key: str) -> bool:
    try:
        return int(redis_server.connection().get(key) or 0) >= MAX_FAILURES
    except RedisError:
        return False  # a Redis outage must not lock everyone out


def record_failure(key: str) -> None:
    try:
        pipe = redis_server.connection().pipeline()
        pipe.incr(key)
        pipe.expire(key, WINDOW_SECONDS)
        pipe.execute()
    except RedisError:
        pass


def clear(key: str) -> None:
    try:
        redis_server.connection().delete(key)
    except RedisError:
        pass
