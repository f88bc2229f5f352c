from __future__ import annotations

from datetime import timedelta

from flask import current_app

from webapp import journal
from webapp.queue import NO_RETRY, RETRY_TRANSIENT, get_job_logger, job

log = get_job_logger(__name__)


@job("webhooks", timeout=300, retry=RETRY_TRANSIENT)
def process_journal_entry(entry_id: int) -> None:
    journal.process(entry_id)


@job("periodic", timeout=120, retry=NO_RETRY)
def sweep_journal() -> list[int]:
    after = timedelta(seconds=current_app.config["JOURNAL_SWEEP_AFTER_SECONDS"])
    queued = journal.sweep(after)
    log.info("journal sweep queued %d rows", len(queued))
    return queued
