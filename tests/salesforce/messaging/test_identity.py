"""The customer identity token: its header, its claims, and a signature the uploaded JWK verifies."""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import pytest

from tests.salesforce.messaging.settings_helpers import ISSUER, KID, key_pair
from webapp.db import db
from webapp.salesforce.integration import get_or_create
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.identity import customer_identity_token, identity_token
from webapp.salesforce.messaging.settings import PRIVATE_KEY, LiveMessagingSettings, update_live_messaging

NOW = datetime(2026, 11, 5, 10, 0, 0, tzinfo=UTC)
SETTINGS = LiveMessagingSettings(auth_key_id=KID, issuer=ISSUER, public_key_pem=key_pair().public_key_pem)


def _claims(token: str, public_key) -> dict:
    return jwt.decode(token, public_key, algorithms=["RS256"], issuer=ISSUER, options={"verify_exp": False})


def test_the_token_is_rs256_with_the_kid_and_the_claims_salesforce_reads():
    token = identity_token(SETTINGS, key_pair().private_key_pem, "ada@example.com", now=NOW)

    header = jwt.get_unverified_header(token)
    assert header["alg"] == "RS256" and header["kid"] == KID
    claims = _claims(token, keys.load_public_key(key_pair().public_key_pem))
    assert claims == {
        "iss": ISSUER,
        "sub": "ada@example.com",
        "iat": int(NOW.timestamp()),
        "exp": int(NOW.timestamp()) + 300,
    }


def test_the_uploaded_jwk_verifies_the_signature_and_another_key_does_not():
    token = identity_token(SETTINGS, key_pair().private_key_pem, "ada@example.com", now=NOW)
    jwk = keys.jwk(keys.load_certificate(key_pair().certificate_pem), KID)
    assert _claims(token, jwt.PyJWK(jwk).key)["sub"] == "ada@example.com"

    other = keys.jwk(keys.load_certificate(key_pair(1).certificate_pem), KID)
    with pytest.raises(jwt.InvalidSignatureError):
        _claims(token, jwt.PyJWK(other).key)


def test_a_token_needs_the_keys_and_a_subject():
    with pytest.raises(ValueError, match="customer verification is not set up"):
        identity_token(LiveMessagingSettings(issuer=ISSUER), key_pair().private_key_pem, "ada@example.com")
    with pytest.raises(ValueError, match="customer verification is not set up"):
        identity_token(SETTINGS, "", "ada@example.com")
    with pytest.raises(ValueError, match="subject"):
        identity_token(SETTINGS, key_pair().private_key_pem, "")


def test_a_customer_gets_a_token_only_where_customers_are_verified(app, world):
    organization = world.organization()
    integration = get_or_create(organization.id)
    db.session.commit()
    assert customer_identity_token(integration, "ada@example.com") is None  # no keys: anonymous

    update_live_messaging(integration, auth_key_id=KID, issuer=ISSUER, public_key_pem=key_pair().public_key_pem)
    integration.set_credential(PRIVATE_KEY, key_pair().private_key_pem)
    db.session.commit()
    token = customer_identity_token(integration, "  Ada@Example.COM ", now=NOW)
    assert _claims(token, keys.load_public_key(key_pair().public_key_pem))["sub"] == "ada@example.com"
    assert customer_identity_token(integration, "") is None
