"""Helpers for the Live Messaging settings tests: key pairs made once per run, the fake MIAW on
loopback, and an organization whose deployment fields point at it."""

from __future__ import annotations

import functools

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.fakes.miaw import FakeMessaging, MessagingServer, checked_fake
from webapp.db import db
from webapp.models import Integration
from webapp.salesforce.integration import get_or_create
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.settings import PRIVATE_KEY, update_live_messaging
from webapp.sandbox.salesforce import to_18

PAGE = "/settings/integrations/salesforce"
SECTION = f"{PAGE}/live-messaging"
ISSUER = "https://switchboard.example.test"
KID = "switchboard-test-key"


def key_pair(number: int = 0) -> keys.KeyPair:
    """A 2048-bit key pair; ``number`` tells different pairs apart. Made once per run: RSA
    key generation is the slow part of these tests."""
    return _key_pair(number)


@functools.cache
def _key_pair(number: int) -> keys.KeyPair:
    return keys.new_key_pair()


@functools.cache
def weak_private_key_pem() -> str:
    return keys.private_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))


def org_id_for(fake: FakeMessaging) -> str:
    """The fake's org id in 18 characters with the suffix Salesforce computes (the fake compares
    the first 15)."""
    return to_18(fake.org_id[:15])


@pytest.fixture
def fake_miaw(app):
    """The fake MIAW API on loopback, every request checked against the spec; loopback addresses
    are allowed as the Instance URL for the length of the test."""
    app.config.update(ALLOW_PRIVATE_OUTBOUND=True, SALESFORCE_TIMEOUT=3.0)
    fake = checked_fake()
    with MessagingServer(fake):
        yield fake
    assert fake.spec_problems == []


def configure(organization_id: int, fake: FakeMessaging, *, with_keys: bool = True, **changes) -> Integration:
    """The organization as saving the form for the fake's deployment leaves it."""
    integration = get_or_create(organization_id)
    values = {"instance_url": fake.url, "es_developer_name": fake.es_developer_name, "org_id": org_id_for(fake)}
    if with_keys:
        pair = key_pair()
        values.update(
            auth_key_id=KID, issuer=ISSUER, public_key_pem=pair.public_key_pem, certificate_pem=pair.certificate_pem
        )
        integration.set_credential(PRIVATE_KEY, pair.private_key_pem)
    update_live_messaging(integration, **{**values, **changes})
    db.session.commit()
    return integration


def upload_key(fake: FakeMessaging, *, kid: str = KID, issuer: str = ISSUER, number: int = 0) -> dict:
    """What the admin does in Salesforce: upload the key's JWK to a keyset with the issuer."""
    jwk = keys.jwk(keys.load_certificate(key_pair(number).certificate_pem), kid)
    fake.register_key(jwk, issuer)
    return jwk
