"""``POST /webhooks/salesforce/<org webhook token>``: the org's Apex reports a rep's reply, an
email, a closed Case. Verify, journal, enqueue, acknowledge, as Front's webhook does.

Order of refusals: unknown token 404; body over the cap 413; no callout secret, a missing or
wrong signature 401; a body that is not JSON 400; a missing or stale timestamp 401 (it is part
of what the signature vouches for); not one of our events 400. None of them journals anything.
A record already journalled (a replay within the five minutes, a second delivery) answers 200
"duplicate" and does nothing. A database failure answers 503.

Salesforce never retries a callout that failed (the Queueable has run), so the answer matters
only to the Apex debug log; what matters is that an accepted event is committed before the 200.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from webapp import journal
from webapp.db import db
from webapp.extensions import csrf
from webapp.salesforce import callouts
from webapp.salesforce.integration import CALLOUT_SECRET, by_webhook_token
from webapp.security import public

log = logging.getLogger(__name__)

SOURCE = "salesforce"

bp = Blueprint("salesforce_webhooks", __name__)


def _refuse(status: int, message: str):
    return jsonify({"error": message}), status


def _read_body(limit: int) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


@bp.post("/webhooks/salesforce/<token>")
@public
@csrf.exempt
def receive(token: str):
    try:
        integration = by_webhook_token(token)
    except SQLAlchemyError:
        db.session.rollback()
        return _refuse(503, "database unavailable, deliver again later")
    if integration is None:
        return _refuse(404, "unknown webhook URL")
    body = _read_body(current_app.config["SALESFORCE_WEBHOOK_MAX_BYTES"])
    if body is None:
        return _refuse(413, "body too large")
    try:
        callouts.verify_signature(
            integration.credential(CALLOUT_SECRET), body, request.headers.get(callouts.SIGNATURE_HEADER)
        )
        document = callouts.decode(body)
        event = callouts.parse(document, callouts.check_fresh(document))
    except callouts.SignatureError as exc:
        return _refuse(401, str(exc))
    except callouts.CalloutError as exc:
        return _refuse(400, str(exc))

    try:
        entry, created = journal.record_delivery(
            integration.organization_id, SOURCE, event.external_id, event.type.value, body.decode("utf-8")
        )
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not journal Salesforce %s %s", event.type, event.id)
        return _refuse(503, "database unavailable, deliver again later")
    if not created:
        return jsonify({"status": "duplicate"}), 200
    journal.enqueue(entry.id)
    return jsonify({"status": "accepted"}), 200
