from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from webapp import journal
from webapp.queue import PROCESS_JOURNAL_ENTRY, SWEEP_JOURNAL, job

log = logging.getLogger(__name__)


@job(PROCESS_JOURNAL_ENTRY)
def process_journal_entry(entry_id: int) -> None:
    journal.process(entry_id)


@job(SWEEP_JOURNAL)
def sweep_journal() -> list[int]:
    after = timedelta(seconds=current_app.config["JOURNAL_SWEEP_AFTER_SECONDS"])
    queued = journal.sweep(after)
    log.info("journal sweep queued %d rows", len(queued))
    return queued
