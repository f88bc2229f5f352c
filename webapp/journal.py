"""The webhook journal: accept first, process later, lose nothing, do nothing twice.

A delivery is written here and committed before it is acknowledged; a job then claims the row
(pending → processing, in one UPDATE) and hands it to the handler registered for its source.
Rows whose job never ran (Redis was down) or died with its worker are found by the sweeper.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from redis.exceptions import RedisError
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from webapp.db import db
from webapp.models import JournalStatus, WebhookEvent, utcnow
from webapp.queue import job_is_live

log = logging.getLogger(__name__)

# One first try and the retries of RETRY_TRANSIENT; after that the row is failed for good.
MAX_ATTEMPTS = 4
# A row still "processing" this long after its claim belonged to a worker that died.
STALE_PROCESSING = timedelta(minutes=15)

Handler = Callable[[WebhookEvent], None]
FailureHook = Callable[[WebhookEvent, BaseException], None]
_handlers: dict[str, tuple[Handler, FailureHook | None]] = {}


def register_handler(source: str, handler: Handler, on_failure: FailureHook | None = None) -> None:
    """``on_failure`` runs once, after the last attempt failed, to make the failure visible."""
    _handlers[source] = (handler, on_failure)


def handler_for(source: str) -> Handler | None:
    registered = _handlers.get(source)
    return registered[0] if registered else None


def record_delivery(
    organization_id: int, source: str, external_id: str, event_type: str | None, body: str
) -> tuple[WebhookEvent | None, bool]:
    """Journal a delivery and commit. Returns (row, created); a redelivery returns (None, False)."""
    entry = WebhookEvent(
        organization_id=organization_id,
        source=source,
        external_id=external_id,
        event_type=event_type,
        payload=body,
        status=JournalStatus.PENDING,
    )
    db.session.add(entry)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return None, False
    return entry, True


def job_id_for(entry_id: int) -> str:
    return f"journal-{entry_id}"


def enqueue(entry_id: int) -> bool:
    """Queue processing of a journal row. False when Redis is unreachable: the sweeper retries."""
    from jobs.journal import process_journal_entry

    try:
        process_journal_entry.enqueue(entry_id, job_id=job_id_for(entry_id))
    except RedisError as exc:
        log.warning("journal row %s stays pending, Redis refused the job: %s", entry_id, exc)
        return False
    return True


def claim(entry_id: int) -> WebhookEvent | None:
    """Move a pending row to processing. None if another job has it or it is finished."""
    now = utcnow()
    claimed = db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == entry_id, WebhookEvent.status == JournalStatus.PENDING)
        .values(status=JournalStatus.PROCESSING, attempts=WebhookEvent.attempts + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    return db.session.get(WebhookEvent, entry_id, populate_existing=True)


def finish(entry: WebhookEvent) -> None:
    entry.status = JournalStatus.DONE
    entry.last_error = None
    entry.processed_at = entry.updated_at = utcnow()
    db.session.commit()


def release_after_failure(entry: WebhookEvent, error: BaseException) -> bool:
    """Record a failed attempt. Returns True when the row may be tried again."""
    db.session.rollback()
    entry = db.session.get(WebhookEvent, entry.id, populate_existing=True)
    retry = entry.attempts < MAX_ATTEMPTS
    entry.status = JournalStatus.PENDING if retry else JournalStatus.FAILED
    entry.last_error = f"{type(error).__name__}: {error}"[:2000]
    entry.updated_at = utcnow()
    db.session.commit()
    return retry


def process(entry_id: int) -> None:
    entry = claim(entry_id)
    if entry is None:
        log.info("journal row %s is not pending; nothing to do", entry_id)
        return
    handler = handler_for(entry.source)
    if handler is None:
        entry.status = JournalStatus.FAILED
        entry.last_error = f"no handler for webhook source {entry.source!r}"
        entry.updated_at = utcnow()
        db.session.commit()
        return
    try:
        handler(entry)
    except Exception as exc:
        if release_after_failure(entry, exc):
            raise  # RQ's retry policy schedules the next attempt
        log.exception("journal row %s failed after %s attempts", entry_id, entry.attempts)
        _report_final_failure(entry, exc)
        return
    finish(entry)


def _report_final_failure(entry: WebhookEvent, error: BaseException) -> None:
    on_failure = _handlers[entry.source][1]
    if on_failure is None:
        return
    try:
        on_failure(db.session.get(WebhookEvent, entry.id), error)
    except Exception:
        db.session.rollback()
        log.exception("could not record the final failure of journal row %s", entry.id)


def sweep(pending_after: timedelta) -> list[int]:
    """Re-queue rows left behind. Returns the ids queued."""
    now = utcnow()
    # A claim older than any job may run belongs to a dead worker: give the row back.
    db.session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.status == JournalStatus.PROCESSING,
            WebhookEvent.updated_at < now - STALE_PROCESSING,
        )
        .values(status=JournalStatus.PENDING, updated_at=now - pending_after)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    ids = db.session.scalars(
        select(WebhookEvent.id)
        .where(WebhookEvent.status == JournalStatus.PENDING, WebhookEvent.updated_at <= now - pending_after)
        .order_by(WebhookEvent.id)
        .limit(1000)
    ).all()
    queued = [entry_id for entry_id in ids if not job_is_live(job_id_for(entry_id)) and enqueue(entry_id)]
    if queued:
        log.info("swept %d journal rows back onto the queue", len(queued))
    return queued
