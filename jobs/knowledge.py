from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from webapp.db import db
from webapp.knowledge import sources, sync
from webapp.models import KnowledgeSource, SourceKind, SyncSchedule, SyncStatus, utcnow
from webapp.queue import NO_RETRY, RETRY_TRANSIENT, get_job_logger, job, job_is_live

log = get_job_logger(__name__)

# A sync may take this long; one still "syncing" after it belonged to a dead worker.
SYNC_TIMEOUT = 3 * 3600
STALE_SYNC = timedelta(seconds=SYNC_TIMEOUT)


@job("knowledge", timeout=SYNC_TIMEOUT, retry=RETRY_TRANSIENT)
def sync_knowledge_source(source_id: int) -> dict | None:
    report = sync.run(source_id)
    if report is None:
        return None
    log.info("synced source %s: %s", source_id, report)
    return vars(report)


@job("periodic", timeout=120, retry=NO_RETRY)
def dispatch_due_syncs() -> list[int]:
    """Queue every scheduled source whose interval has passed since its last start."""
    now = utcnow()
    due = []
    candidates = db.session.scalars(
        select(KnowledgeSource).where(
            KnowledgeSource.kind == SourceKind.FRONT,
            KnowledgeSource.schedule != SyncSchedule.MANUAL,
            or_(KnowledgeSource.status != SyncStatus.SYNCING, KnowledgeSource.last_started_at < now - STALE_SYNC),
        )
    )
    for source in candidates:
        interval = timedelta(seconds=source.schedule.seconds)
        if source.last_started_at is not None and source.last_started_at > now - interval:
            continue
        if job_is_live(sources.sync_job_id(source.id)):
            continue  # queued already (a QUEUED source whose job was lost is queued again)
        if sources.request_sync(source):
            due.append(source.id)
    return due
