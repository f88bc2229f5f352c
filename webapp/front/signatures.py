"""Verifying that a webhook came from Front.

- Application webhooks: ``X-Front-Signature`` is base64(HMAC-SHA256(app secret,
  ``X-Front-Request-Timestamp`` + ":" + raw body)). The timestamp must be recent, so a captured
  request cannot be replayed later.
- Legacy rule webhooks: ``X-Front-Signature`` is base64(HMAC-SHA1(secret, raw body)), with no
  timestamp header.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
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
    return value / 1000 if value > 1e11 else value  # Front sends milliseconds; accept seconds too


def verify(
    secret: str, body: bytes, signature: str | None, timestamp: str | None, now: float | None = None
) -> SignatureKind:
    """Return which scheme matched, or raise :class:`SignatureError`."""
    if not signature:
        raise SignatureError("missing X-Front-Signature")
    if timestamp is not None:
        age = (now if now is not None else time.time()) - _timestamp_seconds(timestamp)
        if abs(age) > MAX_AGE_SECONDS:
            raise SignatureError("stale X-Front-Request-Timestamp (more than 5 minutes off)")
        if hmac.compare_digest(sign_application(secret, timestamp, body), signature.strip()):
            return SignatureKind.APPLICATION
        raise SignatureError("X-Front-Signature does not match")
    if hmac.compare_digest(sign_legacy(secret, body), signature.strip()):
        return SignatureKind.LEGACY
    raise SignatureError("X-Front-Signature does not match")
