"""``POST /webhooks/front/<org webhook token>``: verify, journal, enqueue, acknowledge.

Order of refusals: unknown token 404; body over the cap 413; no app secret, a missing or wrong
signature, or a stale timestamp 401; malformed JSON or not an event 400. None of them journals
anything; each one for a known integration is counted (``webapp.front.activity``), so Settings →
Front and its Troubleshooting page can say why Front's events are not getting through. A
journalled event is acknowledged even when Redis is down (the sweeper queues it later); a
database failure answers 503 so Front delivers again.
"""

from __future__ import annotations

import json
from functools import partial

from flask import Blueprint, current_app, jsonify, request

from webapp import webhook_intake as intake
from webapp.extensions import csrf
from webapp.front import activity, events, signatures
from webapp.front.integration import APP_SECRET, RULE_SECRET, by_webhook_token
from webapp.models.integration import WebhookTarget
from webapp.security import public

bp = Blueprint("front_webhooks", __name__)


def _refuse(integration: WebhookTarget, reason: activity.Refusal, status: int, message: str):
    """Answer a refusal, counted for the organization's webhook activity. A remembered
    integration (``cached``) raises ``intake.Stale`` instead: a refusal is decided, and
    counted, only on the integration as it is now, so a URL cut off by a new token answers
    404 and counts nothing against the organization."""
    if integration.cached:
        raise intake.Stale()
    activity.record_refusal(integration.organization_id, reason, status)
    return intake.refuse(status, message)


@bp.post("/webhooks/front/<token>")
@public
@csrf.exempt
def receive(token: str):
    try:
        # As this process last found it, so that a delivery costs no lookup; see _accept.
        integration = intake.integration_for(token, partial(by_webhook_token, remembered=True))
    except intake.Refused as refused:
        return intake.refuse(refused.status, str(refused))

    try:
        body = intake.read_body(current_app.config["FRONT_WEBHOOK_MAX_BYTES"])
        return _accept(integration, body)
    except intake.Refused as too_large:
        decide_again = partial(
            _refuse, reason=activity.Refusal.TOO_LARGE, status=too_large.status, message=str(too_large)
        )
    except intake.Stale:
        decide_again = partial(_accept, body=body)
    try:
        integration = intake.integration_for(token, by_webhook_token) if integration.cached else integration
    except intake.Refused as refused:
        return intake.refuse(refused.status, str(refused))
    return decide_again(integration)


def _accept(integration: WebhookTarget, body: bytes):
    """Check, parse and journal. With a remembered integration (``cached``), any refusal, or a
    journal that finds the integration changed, raises ``intake.Stale``: the caller looks the
    integration up again and decides afresh."""
    refusal = _signature_refusal(integration, body)
    if refusal is not None:
        return _refuse(integration, *refusal)

    challenge = request.headers.get("X-Front-Challenge")
    if challenge is not None:
        _confirm(integration)
        return jsonify({"challenge": challenge}), 200
    try:
        document = json.loads(body.decode("utf-8"))  # Front sends UTF-8; json.loads alone would take UTF-16 too
    except (UnicodeDecodeError, ValueError):
        return _refuse(integration, activity.Refusal.MALFORMED, 400, "the body is not valid JSON")
    if events.is_validation(document):
        _confirm(integration)
        return jsonify({"status": "ok"}), 200
    try:
        event = events.parse(document)
    except events.EventError as exc:
        return _refuse(integration, activity.Refusal.MALFORMED, 400, str(exc))

    return intake.journal_and_acknowledge(integration, events.SOURCE, event.id[:255], event.type[:64], body)


def _confirm(integration: WebhookTarget) -> None:
    """Front's checks of a URL (a challenge, a validation event) are answered only for the
    integration as it is now: a URL cut off by a new token must fail them at once."""
    if integration.cached:
        raise intake.Stale()


def _signature_refusal(integration: WebhookTarget, body: bytes) -> tuple[activity.Refusal, int, str] | None:
    """Why the request's signature does not prove it comes from Front, or None when it does."""
    secret, rule_secret = integration.credential(APP_SECRET), integration.credential(RULE_SECRET)
    if not (secret or rule_secret):
        return activity.Refusal.NO_SECRET, 401, "no app secret is configured for this webhook"
    try:
        signatures.verify(
            secret,
            body,
            request.headers.get("X-Front-Signature"),
            request.headers.get("X-Front-Request-Timestamp"),
            rule_secret=rule_secret,
        )
    except signatures.SignatureError as exc:
        return activity.refusal_for(exc), 401, str(exc)
    return None
