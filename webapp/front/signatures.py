"""Verifying that a webhook came from Front.

- Application webhooks: ``X-Front-Signature`` is base64(HMAC-SHA256(app secret,
  ``X-Front-Request-Timestamp`` + ":" + raw body)). The timestamp must be recent, so a captured
  request cannot be replayed later.
- Legacy rule webhooks: ``X-Front-Signature`` is base64(HMAC-SHA1(secret, raw body)), with no
  timestamp header. Front signs them with the company's API secret, not an app's secret
  (https://dev.frontapp.com/docs/rule-webhooks), so an organization may save that one too.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import time
from enum import StrEnum

MAX_AGE_SECONDS = 5 * 60


class SignatureError(ValueError):
    """Why a request was refused; safe to show to the caller."""


class SignatureKind(StrEnum):
    APPLICATION = "application"
    LEGACY = "legacy"


def sign_application(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b":" + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def sign_legacy(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha1).digest()).decode()


def _timestamp_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError as exc:
        raise SignatureError("X-Front-Request-Timestamp is not a number") from exc
    if not math.isfinite(value):  # NaN is never "more than 5 minutes off": it would never go stale
        raise SignatureError("X-Front-Request-Timestamp is not a number")
    return value / 1000 if value > 1e11 else value  # Front sends milliseconds; accept seconds too


def _matches(expected: str, signature: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, and a header may carry any.
    return hmac.compare_digest(expected.encode(), signature.strip().encode("utf-8", "replace"))


def verify(
    secret: str | None,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: float | None = None,
    rule_secret: str | None = None,
) -> SignatureKind:
    """Return which scheme matched, or raise :class:`SignatureError`.

    ``secret`` is the app secret (application webhooks, and rule webhooks of organizations that
    signed them with it so far); ``rule_secret`` the company API secret rule webhooks are signed
    with. A rule webhook matching either is accepted; an application webhook only the app secret.
    """
    if not signature:
        raise SignatureError("missing X-Front-Signature")
    if timestamp is not None:
        if not secret:
            raise SignatureError("no app secret is configured for this webhook")
        age = (now if now is not None else time.time()) - _timestamp_seconds(timestamp)
        if abs(age) > MAX_AGE_SECONDS:
            raise SignatureError("stale X-Front-Request-Timestamp (more than 5 minutes off)")
        if _matches(sign_application(secret, timestamp, body), signature):
            return SignatureKind.APPLICATION
        raise SignatureError("X-Front-Signature does not match")
    candidates = [key for key in (rule_secret, secret) if key]
    if not candidates:
        raise SignatureError("no rule webhook secret is configured for this webhook")
    if any(_matches(sign_legacy(key, body), signature) for key in candidates):
        return SignatureKind.LEGACY
    raise SignatureError("X-Front-Signature does not match")
