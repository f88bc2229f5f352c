"""The webhook journal: accept first, process later, lose nothing, do nothing twice.

A delivery is written here and committed before it is acknowledged; a job then claims the row
(pending → processing, in one UPDATE) and hands it to the handler registered for its source.
The claim is a lease the job renews while it runs (see ``webapp.leases``). Rows whose job never
ran (Redis was down) and rows whose lease ran out (the worker died) are found by the sweeper.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from redis.exceptions import RedisError
from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from webapp.db import db
from webapp.leases import Renewal, lease_seconds
from webapp.models import JournalStatus, WebhookEvent, utcnow
from webapp.queue import job_is_live

log = logging.getLogger(__name__)

# One first try and the retries of RETRY_TRANSIENT; after that the row is failed for good. A
# worker killed while holding the row used up an attempt too, so an event that kills its worker
# every time (say, out of memory) ends failed instead of taking workers down forever.
MAX_ATTEMPTS = 4

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


def _lease_ran_out(now):
    return and_(
        WebhookEvent.status == JournalStatus.PROCESSING,
        or_(WebhookEvent.lease_expires_at.is_(None), WebhookEvent.lease_expires_at < now),
    )


def claim(entry_id: int) -> WebhookEvent | None:
    """Take a pending row, or one whose worker died, for processing. None if another live job
    has it or it is finished."""
    now = utcnow()
    claimed = db.session.execute(
        update(WebhookEvent)
        .where(
            WebhookEvent.id == entry_id,
            or_(
                WebhookEvent.status == JournalStatus.PENDING,
                and_(_lease_ran_out(now), WebhookEvent.attempts < MAX_ATTEMPTS),
            ),
        )
        .values(
            status=JournalStatus.PROCESSING,
            attempts=WebhookEvent.attempts + 1,
            updated_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    return db.session.get(WebhookEvent, entry_id, populate_existing=True)


def _renew_lease(engine, entry_id: int, attempt: int, seconds: int) -> None:
    """Runs in the renewal thread, on a connection of its own. The attempt number fences it: a
    worker that lost its row to another never extends the other's lease."""
    with engine.begin() as connection:
        connection.execute(
            update(WebhookEvent)
            .where(WebhookEvent.id == entry_id, WebhookEvent.status == JournalStatus.PROCESSING, WebhookEvent.attempts == attempt)
            .values(lease_expires_at=utcnow() + timedelta(seconds=seconds))
        )


def holding(entry: WebhookEvent) -> Renewal:
    """Keep the claim on ``entry`` alive for the length of a block."""
    seconds = lease_seconds()
    engine, entry_id, attempt = db.engine, entry.id, entry.attempts
    return Renewal(lambda: _renew_lease(engine, entry_id, attempt, seconds), every=seconds / 3, what=f"journal row {entry_id}")


def _settle(entry_id: int, attempt: int, **values) -> bool:
    """Write an attempt's outcome, fenced like the lease renewal: only while the row is still
    this attempt's. False when a worker that took over a lapsed lease has it now."""
    settled = db.session.execute(
        update(WebhookEvent)
        .where(WebhookEvent.id == entry_id, WebhookEvent.status == JournalStatus.PROCESSING, WebhookEvent.attempts == attempt)
        .values(updated_at=utcnow(), lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not settled:
        log.warning("journal row %s was taken over before attempt %s ended; its outcome is not recorded", entry_id, attempt)
    return bool(settled)


def finish(entry_id: int, attempt: int) -> None:
    _settle(entry_id, attempt, status=JournalStatus.DONE, last_error=None, processed_at=utcnow())


def release_after_failure(entry_id: int, attempt: int, error: BaseException) -> bool:
    """Record a failed attempt. Returns True when the row may be tried again (by this job's
    retry: a row another worker has taken over is left to it)."""
    db.session.rollback()
    retry = attempt < MAX_ATTEMPTS
    status = JournalStatus.PENDING if retry else JournalStatus.FAILED
    return _settle(entry_id, attempt, status=status, last_error=f"{type(error).__name__}: {error}"[:2000]) and retry


def process(entry_id: int) -> None:
    entry = claim(entry_id)
    if entry is None:
        log.info("journal row %s is not pending; nothing to do", entry_id)
        return
    attempt = entry.attempts
    handler = handler_for(entry.source)
    if handler is None:
        entry.status = JournalStatus.FAILED
        entry.last_error = f"no handler for webhook source {entry.source!r}"
        entry.updated_at = utcnow()
        db.session.commit()
        return
    try:
        with holding(entry):
            handler(entry)
    except Exception as exc:
        if release_after_failure(entry_id, attempt, exc):
            raise  # RQ's retry policy schedules the next attempt
        if attempt >= MAX_ATTEMPTS:
            log.exception("journal row %s failed after %s attempts", entry_id, attempt)
            _report_final_failure(entry, exc)
        return
    finish(entry_id, attempt)


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
    abandoned = take_back_abandoned(now, pending_after)
    ids = db.session.scalars(
        select(WebhookEvent.id)
        .where(WebhookEvent.status == JournalStatus.PENDING, WebhookEvent.updated_at <= now - pending_after)
        .order_by(WebhookEvent.id)
        .limit(1000)
    ).all()
    # A killed worker never tells RQ, which goes on listing its job as started: for those rows
    # the lease, not RQ, says the job is dead. The claim keeps a late duplicate from running twice.
    queued = [
        entry_id for entry_id in ids if (entry_id in abandoned or not job_is_live(job_id_for(entry_id))) and enqueue(entry_id)
    ]
    if queued:
        log.info("swept %d journal rows back onto the queue", len(queued))
    return queued


def take_back_abandoned(now, pending_after: timedelta) -> set[int]:
    """Rows whose lease ran out go back to pending, or to failed once their attempts are spent."""
    rows = db.session.scalars(select(WebhookEvent).where(_lease_ran_out(now)).with_for_update(skip_locked=True)).all()
    taken_back = set()
    for entry in rows:
        log.warning("journal row %s was abandoned by its worker (attempt %s)", entry.id, entry.attempts)
        entry.lease_expires_at = None
        if entry.attempts >= MAX_ATTEMPTS:
            entry.status = JournalStatus.FAILED
            entry.last_error = f"the worker died while processing it, {entry.attempts} times"
            entry.updated_at = now
        else:
            entry.status = JournalStatus.PENDING
            entry.updated_at = now - pending_after
            taken_back.add(entry.id)
    db.session.commit()
    for entry in rows:
        if entry.status == JournalStatus.FAILED:
            _report_final_failure(entry, RuntimeError(entry.last_error))
    return taken_back
