"""The customer identity token: a JWT by which Salesforce knows a customer is who Front says.

Signed RS256 with the organization's private key, its header's ``kid`` naming the uploaded key;
claims ``iss`` (the keyset's issuer, exactly), ``sub`` (the customer), ``iat`` and ``exp`` —
the claims Salesforce's own key utility emits (Salesforce-Async-Messaging/key-command-line-utility,
JwtUtil.java). No ``aud``: that tool sends none. Salesforce turns ``sub`` into the messaging end
user ``uid:<sub>``, so one customer keeps one identity across conversations.

The token is only presented once, to get an access token, so it lives minutes, not hours.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import jwt

from webapp.models import Integration, utcnow
from webapp.salesforce.messaging.keys import ALGORITHM
from webapp.salesforce.messaging.settings import PRIVATE_KEY, LiveMessagingSettings, live_messaging_of

LIFETIME = timedelta(minutes=5)


def identity_token(
    settings: LiveMessagingSettings, private_key_pem: str, subject: str, now: datetime | None = None
) -> str:
    """A signed identity token for ``subject``; ValueError when the keys are not set up."""
    if not (settings.auth_key_id and settings.issuer and private_key_pem):
        raise ValueError("customer verification is not set up: the Auth Key ID, the issuer and the keys are needed")
    if not subject:
        raise ValueError("an identity token needs a subject")
    now = now or utcnow()
    issued = int(now.timestamp())
    claims = {"iss": settings.issuer, "sub": subject, "iat": issued, "exp": issued + int(LIFETIME.total_seconds())}
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM, headers={"kid": settings.auth_key_id})


def customer_identity_token(integration: Integration, email: str, now: datetime | None = None) -> str | None:
    """The token for a customer known by email, or None when the organization does not verify
    customers (they then get an anonymous conversation). The email is lower-cased so that one
    customer is one end user in Salesforce however Front spelled it."""
    settings = live_messaging_of(integration)
    private_key_pem = integration.credential(PRIVATE_KEY)
    subject = (email or "").strip().lower()
    if not (settings.has_keys and private_key_pem and subject):
        return None
    return identity_token(settings, private_key_pem, subject, now=now)
