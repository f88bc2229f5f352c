"""The callouts the org's Apex sends Switchboard about its Cases, and how they are signed.

Wire format (what ``SwitchboardCallout.cls`` posts, one event per request):

    {"type": "case_comment" | "email_message" | "case_closed" | "case_created",
     "id": <the Salesforce record id: CaseComment, EmailMessage or Case>,
     "caseId", "caseNumber", "body" (a comment's text), "textBody"/"htmlBody" (an email's),
     "author" (CreatedBy.Name), "createdById", "isPublished", "status", "incoming",
     "timestamp" (epoch milliseconds when the callout was made), "orgId"}

Header ``X-Switchboard-Signature`` = base64(HMAC-SHA256(callout secret, raw body)). The timestamp
is inside the signed body, so one MAC covers both: a captured request cannot be altered, and it
goes stale after :data:`MAX_SKEW_SECONDS`.

Replay: within those five minutes a replayed body names the same record, so its journal key
(:meth:`CalloutEvent.external_id`) is already taken and it is answered as a duplicate, doing
nothing; after them it is refused as stale. A Case closed, reopened and closed again is a new
event, so ``case_closed`` is keyed by its timestamp as well as the Case id.

The secret is made here, per organization, and kept encrypted in the integration's credentials.
Rotating it replaces it at once: the old one is refused from then on (a secret is rotated
because it leaked, and a grace period would keep a leaked secret working).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

from webapp.models import Integration
from webapp.salesforce.integration import CALLOUT_SECRET, now_text, update_settings

SIGNATURE_HEADER = "X-Switchboard-Signature"
MAX_SKEW_SECONDS = 5 * 60
# A Salesforce record id: 15 characters, or 18 with the case-safe suffix.
RECORD_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
# Longer than anything the Apex sends (a CaseComment holds 4,000 bytes, an email body 32,000
# characters); a field beyond it is not ours.
MAX_TEXT = 100_000
# EmailMessage.Status: "3" is Sent, the status Salesforce gives an email it sent itself
# ("0" New, "1" Read, "2" Replied, "4" Forwarded, "5" Draft).
EMAIL_SENT = "3"
EMAIL_DRAFT = "5"


class EventType(StrEnum):
    CASE_COMMENT = "case_comment"
    EMAIL_MESSAGE = "email_message"
    CASE_CLOSED = "case_closed"
    CASE_CREATED = "case_created"


class SignatureError(ValueError):
    """Why a callout was refused as unauthenticated (401); safe to show to the caller."""


class CalloutError(ValueError):
    """Why a callout was refused as malformed (400); safe to show to the caller."""


@dataclass(frozen=True)
class CalloutEvent:
    type: EventType
    id: str
    case_id: str
    case_number: str | None
    text: str
    html: str | None
    author: str | None
    created_by_id: str | None
    is_published: bool | None
    status: str | None
    incoming: bool | None
    timestamp: int
    org_id: str | None

    @property
    def external_id(self) -> str:
        """The journal key: a record is relayed once, however often it is delivered."""
        if self.type == EventType.CASE_CLOSED:
            return f"{self.type}:{self.id}:{self.timestamp}"
        return f"{self.type}:{self.id}"

    @property
    def sent_by_salesforce(self) -> bool:
        """An outbound email Salesforce sent to the customer itself: Status Sent."""
        return self.type == EventType.EMAIL_MESSAGE and self.status == EMAIL_SENT

    @property
    def case_label(self) -> str:
        return f"Salesforce Case {self.case_number}" if self.case_number else "the Salesforce Case"


# -- the secret ----------------------------------------------------------------------------


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def has_secret(integration: Integration | None) -> bool:
    return bool(integration and integration.credential(CALLOUT_SECRET))


def rotate_secret(integration: Integration) -> str:
    """Make a new callout secret, replacing any other at once (the caller commits). Returned
    so it can be shown this once: the admin pastes it into Salesforce."""
    secret = new_secret()
    integration.set_credential(CALLOUT_SECRET, secret)
    update_settings(integration, callout_secret_created_at=now_text())
    return secret


# -- signing -------------------------------------------------------------------------------


def sign(secret: str, body: bytes) -> str:
    """What the Apex (or the External Credential's header formula) computes over the body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify_signature(secret: str | None, body: bytes, signature: str | None) -> None:
    if not secret:
        raise SignatureError("no callout secret is configured: generate one in Settings → Integrations → Salesforce")
    if not signature:
        raise SignatureError(f"missing {SIGNATURE_HEADER}")
    # As bytes: compare_digest refuses str with non-ASCII characters, and a header may carry any.
    if not hmac.compare_digest(sign(secret, body).encode(), signature.strip().encode("utf-8", "replace")):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match")


# -- reading an event ----------------------------------------------------------------------


def decode(body: bytes) -> dict:
    try:
        document = json.loads(body.decode("utf-8"))  # json.loads alone would take UTF-16 too
    except (UnicodeDecodeError, ValueError) as exc:
        raise CalloutError("the body is not valid JSON") from exc
    if not isinstance(document, dict):
        raise CalloutError("the body is not a JSON object")
    return document


def check_fresh(document: dict, now: float | None = None) -> int:
    """The body's timestamp (epoch milliseconds), if within five minutes of now either way."""
    stamp = document.get("timestamp")
    if isinstance(stamp, bool) or not isinstance(stamp, int | float) or stamp != stamp:  # NaN
        raise SignatureError("missing timestamp: the body must carry the epoch milliseconds it was sent at")
    try:
        seconds = float(stamp) / 1000
    except OverflowError:  # a whole number too large for a float is no time at all
        seconds = math.inf
    age = (now if now is not None else time.time()) - seconds
    if not abs(age) <= MAX_SKEW_SECONDS:  # infinite: never fresh
        raise SignatureError("stale timestamp (more than 5 minutes off)")
    return int(stamp)


def _record_id(document: dict, key: str) -> str:
    value = document.get(key)
    if not isinstance(value, str) or not RECORD_ID.fullmatch(value):
        raise CalloutError(f"{key} is not a Salesforce record id")
    return value


def _text(document: dict, key: str, limit: int = MAX_TEXT) -> str | None:
    value = document.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit:
        raise CalloutError(f"{key} is not a text of at most {limit} characters")
    return value


def _flag(document: dict, key: str) -> bool | None:
    value = document.get(key)
    if value is not None and not isinstance(value, bool):
        raise CalloutError(f"{key} is not true or false")
    return value


def parse(document: dict, timestamp: int) -> CalloutEvent:
    """One of our events, or :class:`CalloutError` saying what is wrong with it."""
    try:
        event_type = EventType(document.get("type"))
    except ValueError as exc:
        raise CalloutError(f"not a Switchboard event: type must be one of {', '.join(EventType)}") from exc
    record_id = _record_id(document, "id")
    if event_type in (EventType.CASE_CLOSED, EventType.CASE_CREATED):
        case_id = record_id  # the event is about the Case itself
    else:
        case_id = _record_id(document, "caseId")
    if event_type == EventType.EMAIL_MESSAGE:
        text = _text(document, "textBody") or ""
        html = _text(document, "htmlBody")
    else:
        text, html = _text(document, "body") or "", None
    return CalloutEvent(
        type=event_type,
        id=record_id,
        case_id=case_id,
        case_number=_text(document, "caseNumber", 40),
        text=text,
        html=html,
        author=_text(document, "author", 255),
        created_by_id=_text(document, "createdById", 18),
        is_published=_flag(document, "isPublished"),
        status=_text(document, "status", 40),
        incoming=_flag(document, "incoming"),
        timestamp=timestamp,
        org_id=_text(document, "orgId", 18),
    )


def read(body: bytes, now: float | None = None) -> CalloutEvent:
    """Decode, check the timestamp and parse a signed body (the signature is checked first)."""
    document = decode(body)
    return parse(document, check_fresh(document, now))


# -- writing one (the sandbox, and tests, play the Apex) -----------------------------------


def payload(event_type: EventType | str, record_id: str, case_id: str, **fields) -> dict:
    """A body as the Apex builds it; ``fields`` use the wire names (caseNumber, body, ...)."""
    document = {"type": str(event_type), "id": record_id, "caseId": case_id, **fields}
    document.setdefault("timestamp", int(time.time() * 1000))
    return document


def encode(document: dict) -> bytes:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def signed_request(document: dict, secret: str) -> tuple[bytes, dict]:
    """The body and headers of a callout, signed as the org's Apex signs them."""
    body = encode(document)
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
