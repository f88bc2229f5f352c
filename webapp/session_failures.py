"""Putting a job's last failure on the session it was for: a job that gives up after its
retries must not leave the Inbox looking as if all went well."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from webapp.db import db
from webapp.models import EventKind, SupportSession

log = logging.getLogger(__name__)


def record_final_failure(session_id: int | None, message: str, error: BaseException, **payload) -> None:
    """An ERROR on the session's timeline, best effort (the job's own failure is kept by RQ)."""
    db.session.rollback()  # whatever the failed attempt left half-done is not committed with it
    support_session = db.session.get(SupportSession, session_id) if session_id is not None else None
    if support_session is None:
        return
    try:
        support_session.record(EventKind.ERROR, message=message, detail=str(error)[:1000], **payload)
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not record the final failure on session %s", session_id)
