"""``POST /webhooks/front/<org webhook token>``: verify, journal, enqueue, acknowledge.

Order of refusals: unknown token 404; body over the cap 413; no app secret, a missing or wrong
signature, or a stale timestamp 401; malformed JSON or not an event 400. None of them journals
anything. A journalled event is acknowledged even when Redis is down (the sweeper queues it
later); a database failure answers 503 so Front delivers again.
"""

from __future__ import annotations

import json

from flask import Blueprint, current_app, jsonify, request

from webapp import webhook_intake as intake
from webapp.extensions import csrf
from webapp.front import events, signatures
from webapp.front.integration import APP_SECRET, RULE_SECRET, by_webhook_token
from webapp.security import public

bp = Blueprint("front_webhooks", __name__)


@bp.post("/webhooks/front/<token>")
@public
@csrf.exempt
def receive(token: str):
    try:
        integration = intake.integration_for(token, by_webhook_token)
        body = intake.read_body(current_app.config["FRONT_WEBHOOK_MAX_BYTES"])
    except intake.Refused as refused:
        return intake.refuse(refused.status, str(refused))
    secret, rule_secret = integration.credential(APP_SECRET), integration.credential(RULE_SECRET)
    if not (secret or rule_secret):
        return intake.refuse(401, "no app secret is configured for this webhook")
    try:
        signatures.verify(
            secret,
            body,
            request.headers.get("X-Front-Signature"),
            request.headers.get("X-Front-Request-Timestamp"),
            rule_secret=rule_secret,
        )
    except signatures.SignatureError as exc:
        return intake.refuse(401, str(exc))

    challenge = request.headers.get("X-Front-Challenge")
    if challenge is not None:
        return jsonify({"challenge": challenge}), 200
    try:
        document = json.loads(body.decode("utf-8"))  # Front sends UTF-8; json.loads alone would take UTF-16 too
    except (UnicodeDecodeError, ValueError):
        return intake.refuse(400, "the body is not valid JSON")
    if events.is_validation(document):
        return jsonify({"status": "ok"}), 200
    try:
        event = events.parse(document)
    except events.EventError as exc:
        return intake.refuse(400, str(exc))

    return intake.journal_and_acknowledge(
        integration.organization_id, events.SOURCE, event.id[:255], event.type[:64], body
    )
