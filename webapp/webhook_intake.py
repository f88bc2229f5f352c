"""What every webhook endpoint does around its own checks: find the integration by the token in
the URL, read the body up to a cap, and journal an accepted event before acknowledging it
(``webapp.journal``). Each endpoint (Front's, Salesforce's) adds only its signature and parsing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from webapp import journal
from webapp.db import db
from webapp.models import Integration

log = logging.getLogger(__name__)


class Refused(Exception):
    """A delivery that is not accepted: its HTTP status and a message safe to show the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def refuse(status: int, message: str):
    return jsonify({"error": message}), status


def integration_for(token: str, find: Callable[[str], Integration | None]) -> Integration:
    """The integration the URL names; raises Refused with 404 (unknown) or 503 (no database)."""
    try:
        integration = find(token)
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise Refused(503, "database unavailable, deliver again later") from exc
    if integration is None:
        raise Refused(404, "unknown webhook URL")
    return integration


def read_body(limit: int) -> bytes:
    """The raw body; raises Refused (413) when it is larger than ``limit`` (reading no further)."""
    if request.content_length is not None and request.content_length > limit:
        raise Refused(413, "body too large")
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise Refused(413, "body too large")
    return body


def journal_and_acknowledge(organization_id: int, source: str, external_id: str, event_type: str, body: bytes):
    """Commit the event to the journal, queue it and answer 200; a redelivery answers 200
    "duplicate" and does nothing; a database failure answers 503 so the sender tries again."""
    try:
        entry, created = journal.record_delivery(organization_id, source, external_id, event_type, body.decode("utf-8"))
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not journal %s event %s", source, external_id)
        return refuse(503, "database unavailable, deliver again later")
    if not created:
        return jsonify({"status": "duplicate"}), 200
    journal.enqueue(entry.id)
    return jsonify({"status": "accepted"}), 200
