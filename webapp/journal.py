"""The webhook journal: accept first, process later, lose nothing, do nothing twice.

A delivery is written here and committed before it is acknowledged; a job then claims the row
(pending → processing, in one UPDATE) and hands it to its :class:`JournalSource`, registered
where the app is assembled (``webapp.wiring``).
The claim is a lease the job renews while it runs (see ``webapp.leases``). Rows whose job never
ran (Redis was down) and rows whose lease ran out (the worker died) are found by the sweeper.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from typing import TYPE_CHECKING

from redis.exceptions import RedisError
from sqlalchemy import Text, and_, bindparam, func, or_, select, type_coerce, update

from webapp import registry
from webapp.db import db, held_connections
from webapp.leases import Renewal, lease_seconds
from webapp.models import JournalEntry, JournalStatus, utcnow
from webapp.queue import PROCESS_JOURNAL_ENTRY, job_is_live, jobs_are_live

if TYPE_CHECKING:
    from webapp.models.integration import WebhookTarget

log = logging.getLogger(__name__)

# One first try and the retries of RETRY_TRANSIENT; after that the row is failed for good. A
# worker killed while holding the row used up an attempt too, so an event that kills its worker
# every time (say, out of memory) ends failed instead of taking workers down forever.
MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class JournalSource:
    """A kind of webhook the journal accepts (``JournalEntry.source``), and what processes it."""

    name: str
    handle: Callable[[JournalEntry], None]
    # Runs once, after the last attempt failed, to make the failure visible.
    on_final_failure: Callable[[JournalEntry, BaseException], None] | None = None


def source_named(name: str) -> JournalSource | None:
    return registry.current().journal_sources.get(name)


def record_delivery(
    organization_id: int,
    source: str,
    external_id: str,
    event_type: str | None,
    body: str,
    *,
    while_current: WebhookTarget | None = None,
) -> tuple[int | None, bool]:
    """Journal a delivery and commit. Returns (row id, created); a redelivery returns (None, False).

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING id`` and its commit, on a connection the
    process keeps between deliveries (``webapp.db.held_connections``): this runs before every
    webhook's answer, and the ORM's session (its creation, unit of work and commit bookkeeping)
    cost more than the statement, as a pool checkout costs a fifth of it. Nothing else of the
    request is committed with it: the webhook views write nothing before the journal.

    With ``while_current``, the row is written only while the integration still has that
    target's URL token and secrets (in the same statement), so a delivery checked against a
    remembered target that went stale is never journalled; it returns (None, False) as a
    redelivery does, for the caller to tell apart."""
    now = utcnow()
    values = {
        "organization_id": organization_id,
        "source": source,
        "external_id": external_id,
        "event_type": event_type,
        "payload": body,
        "status": JournalStatus.PENDING,
        "attempts": 0,
        "received_at": now,
        "updated_at": now,
    }
    if while_current is not None:
        values |= {
            "integration_id": while_current.integration_id,
            "token": while_current.token,
            "kind": while_current.kind,
            "ciphertext": while_current.ciphertext,
        }
    engine = db.engine
    insert = _driver_insert(engine.dialect, while_current is not None)
    with held_connections.transaction(engine) as connection:
        entry_id = connection.exec_driver_sql(insert.sql, insert.parameters(values)).scalar()
    return entry_id, entry_id is not None


_COLUMNS = (
    "organization_id",
    "source",
    "external_id",
    "event_type",
    "payload",
    "status",
    "attempts",
    "received_at",
    "updated_at",
)


@dataclass(frozen=True)
class _DriverStatement:
    """A statement compiled once for a dialect, run as the driver's own SQL
    (``Connection.exec_driver_sql``): the connection's events, error handling and COMMIT stay
    SQLAlchemy's, while the statement's cache key and the lookup of its parameters' processing,
    a fifth of the journal's cost per delivery, are not paid again for every webhook."""

    sql: str
    names: tuple[str, ...] | None  # the parameters' order, for a driver that takes them by position
    processors: dict[str, Callable]  # what SQLAlchemy does to a value before the driver gets it

    @classmethod
    def compile(cls, statement, dialect) -> _DriverStatement:
        compiled = statement.compile(dialect=dialect)
        processors = {}
        for name, parameter in compiled.binds.items():
            process = parameter.type.dialect_impl(dialect).bind_processor(dialect)
            if process is not None:
                processors[name] = process
        names = tuple(compiled.positiontup) if compiled.positional else None
        return cls(compiled.string, names, processors)

    def parameters(self, values: dict):
        processed = {
            name: process(value) if (process := self.processors.get(name)) else value for name, value in values.items()
        }
        return tuple(processed[name] for name in self.names) if self.names is not None else processed


@lru_cache(maxsize=16)
def _driver_insert(dialect, while_current: bool) -> _DriverStatement:
    return _DriverStatement.compile(_journal_insert(dialect.name, while_current), dialect)


def _journal_insert(dialect: str, while_current: bool):
    """The journal's INSERT in the dialect that knows ON CONFLICT (compiled once per dialect
    and kind by ``_driver_insert``). ``while_current`` selects the row's values from the
    integration, so that nothing is written unless the integration still matches."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = JournalEntry.__table__
    values = [bindparam(name, type_=table.c[name].type) for name in _COLUMNS]
    if while_current:
        from webapp.models.integration import Integration

        credentials = type_coerce(Integration.credentials, Text)
        statement = insert(table).from_select(
            _COLUMNS,
            select(*values).where(
                Integration.id == bindparam("integration_id"),
                Integration.organization_id == values[0],
                Integration.webhook_token == bindparam("token"),
                Integration.kind == bindparam("kind", type_=Integration.kind.type),
                credentials.is_not_distinct_from(bindparam("ciphertext", type_=Text)),
            ),
        )
    else:
        statement = insert(table).values(dict(zip(_COLUMNS, values, strict=True)))
    return statement.on_conflict_do_nothing(index_elements=["organization_id", "source", "external_id"]).returning(
        table.c.id
    )


def job_id_for(entry_id: int) -> str:
    return f"journal-{entry_id}"


# A webhook request hands its journal row to the workers with one RPUSH of the row's id:
# building and saving an RQ job (a hash of a dozen fields, compressed, in a transaction) cost
# a fifth of the request. The RPUSH does not wait for its reply (``webapp.one_way``). A worker
# turns announced ids into jobs each time it looks for work (``webapp.queue.ListeningQueue``);
# an id Redis lost (an outage, a worker killed between the two steps) leaves its row pending
# for the sweeper, as a lost job always did.
ANNOUNCED = "switchboard:journal:announced"
DISPATCH_BATCH = 500


def announce(entry_id: int) -> bool:
    """Hand a journalled row to the workers. False when Redis is unreachable: the sweeper
    queues it later."""
    from webapp import one_way, redis_server

    try:
        one_way.to(redis_server.connection()).send("RPUSH", ANNOUNCED, entry_id)
    except RedisError as exc:
        log.warning("journal row %s stays pending, Redis refused it: %s", entry_id, exc)
        return False
    return True


def dispatch_announced(connection) -> int:
    """Queue a job for every announced row, oldest first, unless the sweeper already did;
    returns how many were queued. Runs in a worker before it takes its next job."""
    dispatched = 0
    while batch := connection.lpop(ANNOUNCED, DISPATCH_BATCH):
        entry_ids = []
        for raw in batch:
            try:
                entry_ids.append(int(raw))
            except ValueError:
                log.warning("ignoring an announcement that is not a journal row id: %r", raw[:40])
        live = jobs_are_live(connection, [job_id_for(entry_id) for entry_id in entry_ids])
        for entry_id, queued in zip(entry_ids, live, strict=True):
            if not queued:
                PROCESS_JOURNAL_ENTRY.enqueue(entry_id, job_id=job_id_for(entry_id))
                dispatched += 1
    return dispatched


def enqueue(entry_id: int) -> bool:
    """Queue processing of a journal row. False when Redis is unreachable: the sweeper retries."""
    try:
        PROCESS_JOURNAL_ENTRY.enqueue(entry_id, job_id=job_id_for(entry_id))
    except RedisError as exc:
        log.warning("journal row %s stays pending, Redis refused the job: %s", entry_id, exc)
        return False
    return True


def _lease_ran_out(now):
    return and_(
        JournalEntry.status == JournalStatus.PROCESSING,
        or_(JournalEntry.lease_expires_at.is_(None), JournalEntry.lease_expires_at < now),
    )


def claim(entry_id: int) -> JournalEntry | None:
    """Take a pending row, or one whose worker died, for processing. None if another live job
    has it or it is finished."""
    now = utcnow()
    claimed = db.session.execute(
        update(JournalEntry)
        .where(
            JournalEntry.id == entry_id,
            or_(
                JournalEntry.status == JournalStatus.PENDING,
                and_(_lease_ran_out(now), JournalEntry.attempts < MAX_ATTEMPTS),
            ),
        )
        .values(
            status=JournalStatus.PROCESSING,
            attempts=JournalEntry.attempts + 1,
            updated_at=now,
            lease_expires_at=now + timedelta(seconds=lease_seconds()),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return None
    return db.session.get(JournalEntry, entry_id, populate_existing=True)


def _renew_lease(engine, entry_id: int, attempt: int, seconds: int) -> None:
    """Runs in the renewal thread, on a connection of its own. The attempt number fences it: a
    worker that lost its row to another never extends the other's lease."""
    with engine.begin() as connection:
        connection.execute(
            update(JournalEntry)
            .where(
                JournalEntry.id == entry_id,
                JournalEntry.status == JournalStatus.PROCESSING,
                JournalEntry.attempts == attempt,
            )
            .values(lease_expires_at=utcnow() + timedelta(seconds=seconds))
        )


def holding(entry: JournalEntry) -> Renewal:
    """Keep the claim on ``entry`` alive for the length of a block."""
    seconds = lease_seconds()
    engine, entry_id, attempt = db.engine, entry.id, entry.attempts
    return Renewal(
        lambda: _renew_lease(engine, entry_id, attempt, seconds), every=seconds / 3, what=f"journal row {entry_id}"
    )


def _settle(entry_id: int, attempt: int, **values) -> bool:
    """Write an attempt's outcome, fenced like the lease renewal: only while the row is still
    this attempt's. False when a worker that took over a lapsed lease has it now."""
    settled = db.session.execute(
        update(JournalEntry)
        .where(
            JournalEntry.id == entry_id,
            JournalEntry.status == JournalStatus.PROCESSING,
            JournalEntry.attempts == attempt,
        )
        .values(updated_at=utcnow(), lease_expires_at=None, **values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not settled:
        log.warning(
            "journal row %s was taken over before attempt %s ended; its outcome is not recorded", entry_id, attempt
        )
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
    source = source_named(entry.source)
    if source is None:
        entry.status = JournalStatus.FAILED
        entry.last_error = f"no handler for webhook source {entry.source!r}"
        entry.updated_at = utcnow()
        db.session.commit()
        return
    try:
        with holding(entry):
            source.handle(entry)
    except Exception as exc:
        if release_after_failure(entry_id, attempt, exc):
            raise  # RQ's retry policy schedules the next attempt
        if attempt >= MAX_ATTEMPTS:
            log.exception("journal row %s failed after %s attempts", entry_id, attempt)
            _report_final_failure(entry, exc)
        return
    finish(entry_id, attempt)


def _report_final_failure(entry: JournalEntry, error: BaseException) -> None:
    source = source_named(entry.source)
    if source is None or source.on_final_failure is None:
        return
    try:
        source.on_final_failure(db.session.get(JournalEntry, entry.id), error)
    except Exception:
        db.session.rollback()
        log.exception("could not record the final failure of journal row %s", entry.id)


def sweep(pending_after: timedelta) -> list[int]:
    """Re-queue rows left behind. Returns the ids queued."""
    now = utcnow()
    abandoned = take_back_abandoned(now, pending_after)
    ids = db.session.scalars(
        select(JournalEntry.id)
        .where(JournalEntry.status == JournalStatus.PENDING, JournalEntry.updated_at <= now - pending_after)
        .order_by(JournalEntry.id)
        .limit(1000)
    ).all()
    # A killed worker never tells RQ, which goes on listing its job as started: for those rows
    # the lease, not RQ, says the job is dead. The claim keeps a late duplicate from running twice.
    queued = [
        entry_id
        for entry_id in ids
        if (entry_id in abandoned or not job_is_live(job_id_for(entry_id))) and enqueue(entry_id)
    ]
    if queued:
        log.info("swept %d journal rows back onto the queue", len(queued))
    return queued


def take_back_abandoned(now, pending_after: timedelta) -> set[int]:
    """Rows whose lease ran out go back to pending, or to failed once their attempts are spent."""
    rows = db.session.scalars(select(JournalEntry).where(_lease_ran_out(now)).with_for_update(skip_locked=True)).all()
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


# -- failed rows, for admins ------------------------------------------------------------------


def failed_entries(organization_id: int, *, limit: int, offset: int = 0) -> list[JournalEntry]:
    return list(
        db.session.scalars(
            select(JournalEntry)
            .where(JournalEntry.organization_id == organization_id, JournalEntry.status == JournalStatus.FAILED)
            .order_by(JournalEntry.updated_at.desc(), JournalEntry.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )


def count_failed(organization_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(
            JournalEntry.organization_id == organization_id, JournalEntry.status == JournalStatus.FAILED
        )
    )


def retry(organization_id: int, entry_ids: list[int] | None = None) -> list[int]:
    """Give failed rows of this organization (all of them, or those named) a fresh set of
    attempts and queue them. Returns the ids retried; a row that is no longer failed is left
    alone. If Redis is down they wait, pending, for the sweeper."""
    query = select(JournalEntry.id).where(
        JournalEntry.organization_id == organization_id, JournalEntry.status == JournalStatus.FAILED
    )
    if entry_ids is not None:
        query = query.where(JournalEntry.id.in_(entry_ids))
    ids = list(db.session.scalars(query))
    if not ids:
        return []
    db.session.execute(
        update(JournalEntry)
        .where(JournalEntry.id.in_(ids), JournalEntry.status == JournalStatus.FAILED)
        .values(status=JournalStatus.PENDING, attempts=0, lease_expires_at=None, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    for entry_id in ids:
        enqueue(entry_id)
    return ids
