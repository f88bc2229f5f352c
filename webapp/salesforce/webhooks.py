"""``POST /webhooks/salesforce/<org webhook token>``: the org's Apex reports a rep's reply, an
email, a closed Case. Verify, journal, enqueue, acknowledge, as Front's webhook does.

Order of refusals: unknown token 404; body over the cap 413; no callout secret, a missing or
wrong signature 401; a body that is not JSON 400; a missing or stale timestamp 401 (it is part
of what the signature vouches for); not one of our events 400. None of them journals anything.
A record already journalled (a replay within the five minutes, a second delivery) answers 200
"duplicate" and does nothing. A database failure answers 503.

Salesforce never retries a callout that failed (the Queueable has run), so the answer matters
only to the Apex debug log; what matters is that an accepted event is committed before the 200.

While a Troubleshooting **Send a test** runs, a ``case_created`` callout is also noted for it,
signature verdict and all (``webapp.diagnostics.send_test``); the test Case's own, signed right,
is answered 200 "test" and journals nothing: there is nothing to relay.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from webapp import webhook_intake as intake
from webapp.diagnostics import send_test
from webapp.extensions import csrf
from webapp.salesforce import callouts
from webapp.salesforce.integration import CALLOUT_SECRET, by_webhook_token
from webapp.security import public

SOURCE = "salesforce"

bp = Blueprint("salesforce_webhooks", __name__)


@bp.post("/webhooks/salesforce/<token>")
@public
@csrf.exempt
def receive(token: str):
    try:
        integration = intake.integration_for(token, by_webhook_token)
        body = intake.read_body(current_app.config["SALESFORCE_WEBHOOK_MAX_BYTES"])
    except intake.Refused as refused:
        return intake.refuse(refused.status, str(refused))
    if send_test.note_callout(integration, body, request.headers.get(callouts.SIGNATURE_HEADER)):
        return jsonify({"status": "test"}), 200
    try:
        callouts.verify_signature(
            integration.credential(CALLOUT_SECRET), body, request.headers.get(callouts.SIGNATURE_HEADER)
        )
        document = callouts.decode(body)
        event = callouts.parse(document, callouts.check_fresh(document))
    except callouts.SignatureError as exc:
        return intake.refuse(401, str(exc))
    except callouts.CalloutError as exc:
        return intake.refuse(400, str(exc))
    return intake.journal_and_acknowledge(integration, SOURCE, event.external_id, event.type.value, body)
