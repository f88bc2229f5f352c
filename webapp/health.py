"""``GET /healthz``: whether this process can reach its database and Redis (503 when it cannot),
which of Switchboard's processes are up (workers, the scheduler, the Live Messaging relays and
the conversations whose stream none holds), how many webhooks wait in the journal, and how many
setup checks fail (the Troubleshooting pages).

With no job worker, webhooks are journalled but nobody answers them; with no scheduler, nothing
sweeps the journal; neither makes the answer 503 (this web server is fine), but both show.
"""

from __future__ import annotations

from flask import Blueprint
from redis.exceptions import RedisError
from rq import worker_registration
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from webapp import diagnostics, redis_server
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus
from webapp.salesforce.messaging import streams
from webapp.schedule import LEADER_KEY
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
    """Registered job workers that are still alive: a worker's key runs out when it stops
    renewing it (``WORKER_TTL_SECONDS``), so a killed worker drops out within two minutes,
    though RQ's registry lists it until its next clean-up."""
    connection = redis_server.connection()
    try:
        keys = sorted(worker_registration.get_keys(connection=connection))
        if not keys:
            return 0
        with connection.pipeline(transaction=False) as pipeline:
            for key in keys:
                pipeline.exists(key)
            return sum(pipeline.execute())
    except (RedisError, OSError):
        return None


def scheduler_state() -> str | None:
    """The scheduler is up while one holds the leader lease (renewed every few seconds)."""
    try:
        return "up" if redis_server.connection().exists(LEADER_KEY) else "down"
    except (RedisError, OSError):
        return None


def journal_counts() -> dict[str, int] | None:
    """Webhooks waiting for a worker (pending) and given up on (failed), in one query."""
    wanted = (JournalStatus.PENDING, JournalStatus.FAILED)
    try:
        rows = db.session.execute(
            select(JournalEntry.status, func.count())
            .where(JournalEntry.status.in_(wanted))
            .group_by(JournalEntry.status)
        ).all()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    counts = {JournalStatus(status): count for status, count in rows}
    return {status.value: counts.get(status, 0) for status in wanted}


def relay_state() -> dict | None:
    """Relays up (each beats within its lease) and the streams they hold, and open Live
    Messaging conversations no relay holds: more than none for long means no rep's message
    reaches Front."""
    try:
        running = streams.running_relays()
    except (RedisError, OSError):
        return None
    try:
        unheld = len(streams.needing_holder(limit=10_000))
    except SQLAlchemyError:
        db.session.rollback()
        unheld = None
    return {"running": len(running), "streams": sum(running.values()), "conversations_without_relay": unheld}


@bp.get("/healthz")
@public
def healthz():
    checks = {"database": check_database(), "redis": check_redis()}
    healthy = all(state == "ok" for state in checks.values())
    redis_up = checks["redis"] == "ok"
    workers = running_workers() if redis_up else None
    body = {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "processes": {
            "web": "up",
            "workers": workers,
            "scheduler": scheduler_state() if redis_up else None,
            "relays": relay_state() if redis_up else None,
        },
        "journal": journal_counts() if checks["database"] == "ok" else None,
        "setup_checks": diagnostics.counts() if checks["database"] == "ok" else None,
        "workers": workers,  # as before "processes" said it (scripts and benchmarks read it)
    }
    return body, (200 if healthy else 503)
