"""Helpers for the connection tests: a fake org on loopback, an admin's saved credentials, and
the OAuth round trip as a browser would make it (the Connect button, Approve, the callback)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from tests.conftest import csrf_token
from tests.fakes.salesforce import FakeSalesforce, SalesforceServer, checked_fake
from webapp.db import db
from webapp.models import Integration
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    get_or_create,
    salesforce_integration,
    update_settings,
)

PAGE = "/settings/integrations/salesforce"


@pytest.fixture
def fake(app) -> FakeSalesforce:
    """A fake org on loopback, every request checked against the spec; loopback addresses are
    allowed as Login URL for the length of the test."""
    fake = checked_fake()
    fake.timeout_hold = 3.0
    with SalesforceServer(fake):
        app.config.update(ALLOW_PRIVATE_OUTBOUND=True, SALESFORCE_TIMEOUT=2.0)
        yield fake
    assert fake.spec_problems == []


def save_credentials(organization_id: int, fake: FakeSalesforce, **changes) -> Integration:
    """What Save Credentials stores for the fake's app."""
    integration = get_or_create(organization_id)
    update_settings(integration, **{"client_id": fake.client_id, "login_url": fake.url, **changes})
    integration.set_credential(CLIENT_SECRET, fake.client_secret)
    db.session.commit()
    return integration


def connected(organization_id: int, fake: FakeSalesforce) -> Integration:
    """The organization as the callback leaves it, without the round trip."""
    integration = save_credentials(organization_id, fake)
    tokens = fake.issue_tokens()
    integration.set_credential(ACCESS_TOKEN, tokens["access_token"])
    integration.set_credential(REFRESH_TOKEN, tokens["refresh_token"])
    update_settings(
        integration,
        state="connected",
        username=fake.username,
        user_id=fake.user_id,
        org_id=fake.org_id,
        instance_url=fake.url,
    )
    db.session.commit()
    return integration


def start(client, mode: str = "popup") -> str:
    """Click Connect (as the page's script does): the authorize URL."""
    response = client.post(
        f"{PAGE}/connect",
        data={"mode": mode, "csrf_token": csrf_token(client, PAGE)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.json["authorize_url"]


def callback(client, redirect: str):
    """Follow Salesforce's redirect to the callback with this test client."""
    parts = urlsplit(redirect)
    assert parts.path == "/oauth/salesforce/callback", redirect
    return client.get(parts.path, query_string=parts.query)


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def integration_of(organization_id: int) -> Integration | None:
    db.session.expire_all()
    return salesforce_integration(organization_id)
