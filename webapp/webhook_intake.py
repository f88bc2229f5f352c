"""What every webhook endpoint does around its own checks: find the integration by the token in
the URL, read the body up to a cap, and journal an accepted event before acknowledging it
(``webapp.journal``). Each endpoint (Front's, Salesforce's) adds only its signature and parsing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Response, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from webapp import journal
from webapp.db import db
from webapp.models.integration import WebhookTarget, webhook_target

log = logging.getLogger(__name__)
T = TypeVar("T")


class Refused(Exception):
    """A delivery that is not accepted: its HTTP status and a message safe to show the caller."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def refuse(status: int, message: str):
    return jsonify({"error": message}), status


class Stale(Exception):
    """The integration changed since this process remembered it: look it up and decide again."""


def integration_for(token: str, find: Callable[[str], T | None]) -> T:
    """The integration the URL names (or what ``find`` gives of it, such as a
    ``WebhookTarget``); raises Refused with 404 (unknown) or 503 (no database)."""
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


def journal_and_acknowledge(integration: WebhookTarget, source: str, external_id: str, event_type: str, body: bytes):
    """Commit the event to the journal, queue it and answer 200; a redelivery answers 200
    "duplicate" and does nothing; a database failure answers 503 so the sender tries again.

    For an integration this process remembered (``cached``), the row is written only while the
    integration still has that URL token and those secrets; when it no longer has them this
    raises ``Stale``, for the caller to decide again on the integration as it is. One looked
    up for this request is written as it was found, as any delivery always was (an access
    token refreshed meanwhile, which changes the stored credentials, must not cost a callout
    Salesforce never retries)."""
    try:
        entry_id, created = journal.record_delivery(
            integration.organization_id,
            source,
            external_id,
            event_type,
            body.decode("utf-8"),
            while_current=integration if integration.cached else None,
        )
        current = webhook_target(integration.token, integration.kind) if integration.cached and not created else None
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not journal %s event %s", source, external_id)
        return refuse(503, "database unavailable, deliver again later")
    if not created:
        if integration.cached and not integration.same_state(current):
            raise Stale()
        return _answer(DUPLICATE)
    journal.announce(entry_id)
    return _answer(ACCEPTED)


# The two answers of an accepted delivery, serialized once: this path runs for every event.
ACCEPTED = json.dumps({"status": "accepted"}).encode()
DUPLICATE = json.dumps({"status": "duplicate"}).encode()


def _answer(body: bytes) -> Response:
    return Response(body, status=200, mimetype="application/json")
