"""``GET /healthz``: whether this process can reach its database and Redis, and how many job
workers are running (with none, webhooks are journalled but nobody answers them)."""

from __future__ import annotations

from flask import Blueprint
from redis.exceptions import RedisError
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from webapp import redis_server
from webapp.db import db
from webapp.security import public

bp = Blueprint("health", __name__)


def check_database() -> str:
    try:
        db.session.execute(text("SELECT 1"))
        return "ok"
    except SQLAlchemyError as exc:
        db.session.rollback()
        return f"error: {type(exc).__name__}"


def check_redis() -> str:
    try:
        redis_server.connection().ping()
        return "ok"
    except (RedisError, OSError) as exc:
        return f"error: {type(exc).__name__}"


def running_workers() -> int | None:
    from rq import Worker

    try:
        return Worker.count(connection=redis_server.connection())
    except (RedisError, OSError):
        return None


@bp.get("/healthz")
@public
def healthz():
    checks = {"database": check_database(), "redis": check_redis()}
    healthy = all(state == "ok" for state in checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "workers": running_workers() if healthy else None,
    }
    return body, (200 if healthy else 503)
