from __future__ import annotations

import logging

from webapp.knowledge import sources, sync
from webapp.queue import DISPATCH_DUE_SYNCS, SYNC_KNOWLEDGE_SOURCE, job

log = logging.getLogger(__name__)


@job(SYNC_KNOWLEDGE_SOURCE)
def sync_knowledge_source(source_id: int) -> dict | None:
    report = sync.run(source_id)
    if report is None:
        return None
    log.info("synced source %s: %s", source_id, report)
    return vars(report)


@job(DISPATCH_DUE_SYNCS)
def dispatch_due_syncs() -> list[int]:
    """Queue every scheduled source whose interval has passed since its last start."""
    return sources.request_due_syncs()
