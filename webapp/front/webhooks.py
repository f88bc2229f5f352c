"""``POST /webhooks/front/<org webhook token>``: verify, journal, enqueue, acknowledge.

Order of refusals: unknown token 404; body over the cap 413; no app secret, a missing or wrong
signature, or a stale timestamp 401; malformed JSON or not an event 400. None of them journals
anything. A journalled event is acknowledged even when Redis is down (the sweeper queues it
later); a database failure answers 503 so Front delivers again.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError

from webapp import journal
from webapp.db import db
from webapp.extensions import csrf
from webapp.front import events, signatures
from webapp.front.integration import APP_SECRET, RULE_SECRET, by_webhook_token
from webapp.security import public

log = logging.getLogger(__name__)

bp = Blueprint("front_webhooks", __name__)


def _refuse(status: int, message: str):
    return jsonify({"error": message}), status


def _read_body(limit: int) -> bytes | None:
    """The raw body, or None when it is larger than ``limit`` (read no further than that)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = request.stream.read(limit + 1)
    return None if len(body) > limit else body


@bp.post("/webhooks/front/<token>")
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
    body = _read_body(current_app.config["FRONT_WEBHOOK_MAX_BYTES"])
    if body is None:
        return _refuse(413, "body too large")
    secret, rule_secret = integration.credential(APP_SECRET), integration.credential(RULE_SECRET)
    if not (secret or rule_secret):
        return _refuse(401, "no app secret is configured for this webhook")
    try:
        signatures.verify(
            secret,
            body,
            request.headers.get("X-Front-Signature"),
            request.headers.get("X-Front-Request-Timestamp"),
            rule_secret=rule_secret,
        )
    except signatures.SignatureError as exc:
        return _refuse(401, str(exc))

    challenge = request.headers.get("X-Front-Challenge")
    if challenge is not None:
        return jsonify({"challenge": challenge}), 200
    try:
        document = json.loads(body.decode("utf-8"))  # Front sends UTF-8; json.loads alone would take UTF-16 too
    except (UnicodeDecodeError, ValueError):
        return _refuse(400, "the body is not valid JSON")
    if events.is_validation(document):
        return jsonify({"status": "ok"}), 200
    try:
        event = events.parse(document)
    except events.EventError as exc:
        return _refuse(400, str(exc))

    try:
        entry, created = journal.record_delivery(
            integration.organization_id, events.SOURCE, event.id[:255], event.type[:64], body.decode("utf-8")
        )
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not journal Front event %s", event.id)
        return _refuse(503, "database unavailable, deliver again later")
    if not created:
        return jsonify({"status": "duplicate"}), 200
    journal.enqueue(entry.id)
    return jsonify({"status": "accepted"}), 200
