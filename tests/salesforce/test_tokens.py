"""Refreshing the org's session: once per organization across workers, a rotated refresh token
kept with its access token, and a refused refresh token disconnecting the org for good."""

from __future__ import annotations

import threading

import pytest

from tests.conftest import free_port
from tests.salesforce.connecting import connected, fake, integration_of
from webapp.db import db
from webapp.salesforce import tokens
from webapp.salesforce.client import client_for
from webapp.salesforce.errors import SalesforceNotConnected, SalesforceUnavailable
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    REFRESH_TOKEN,
    ConnectionState,
    salesforce_integration,
    settings_of,
    update_settings,
)

__all__ = ["fake"]  # the fixture, used by name


@pytest.fixture
def organization(world):
    return world.organization()


def test_a_rejected_token_is_refreshed_with_the_client_secret(organization, fake):
    integration = connected(organization.id, fake)
    old = integration.credential(ACCESS_TOKEN)
    fake.expire_access_tokens()

    new = tokens.refresh_after_rejection(integration, old)

    assert new != old and fake.access_tokens[new]["alive"]
    (grant,) = fake.calls_to("POST", "/services/oauth2/token")
    assert grant.body["grant_type"] == "refresh_token"
    assert grant.body["client_secret"] == fake.client_secret
    assert grant.body["client_id"] == fake.client_id
    assert integration_of(organization.id).credential(ACCESS_TOKEN) == new  # committed


def test_a_token_another_worker_already_refreshed_is_taken_without_a_grant(organization, fake):
    integration = connected(organization.id, fake)
    old = integration.credential(ACCESS_TOKEN)
    fake.expire_access_tokens()
    newer = tokens.refresh_after_rejection(integration, old)

    assert tokens.refresh_after_rejection(integration, old) == newer
    assert fake.refresh_count == 1


def test_a_rotated_refresh_token_is_stored_with_the_access_token(organization, fake):
    fake.rotate_refresh_tokens = True
    integration = connected(organization.id, fake)
    old_refresh = integration.credential(REFRESH_TOKEN)
    fake.expire_access_tokens()

    client_for(integration).query("SELECT Id FROM Case")

    stored = integration_of(organization.id)
    assert stored.credential(REFRESH_TOKEN) != old_refresh
    assert fake.refresh_tokens[stored.credential(REFRESH_TOKEN)]["alive"]
    assert fake.refresh_tokens[old_refresh]["alive"] is False
    assert fake.access_tokens[stored.credential(ACCESS_TOKEN)]["refresh"] == stored.credential(REFRESH_TOKEN)
    # The rotated token works the next time too.
    fake.expire_access_tokens()
    client_for(stored).query("SELECT Id FROM Case")
    assert fake.refresh_count == 2


def test_without_rotation_the_refresh_token_is_kept(organization, fake):
    integration = connected(organization.id, fake)
    refresh = integration.credential(REFRESH_TOKEN)
    fake.expire_access_tokens()
    client_for(integration).query("SELECT Id FROM Case")
    assert integration_of(organization.id).credential(REFRESH_TOKEN) == refresh


def test_two_workers_rejected_at_once_make_one_refresh_and_both_succeed(app, organization, fake):
    fake.rotate_refresh_tokens = True  # a second grant with the same refresh token would be refused
    connected(organization.id, fake)
    fake.expire_access_tokens()
    fake.latency = 0.2  # both requests are in flight before either is answered
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        with app.app_context():
            try:
                client = client_for(salesforce_integration(organization.id))
                start.wait(timeout=10)
                results.append(client.query("SELECT Id FROM Case"))
            except Exception as exc:  # reported below, with the test's own assertion
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    assert len(results) == 2
    assert fake.refresh_count == 1
    assert len(fake.calls_to("GET", r"/query")) == 4  # each: rejected, then retried with the new token
    assert settings_of(integration_of(organization.id)).connected


def test_a_refused_refresh_token_disconnects_and_is_never_retried(organization, fake):
    integration = connected(organization.id, fake)
    fake.revoke_refresh_tokens()

    with pytest.raises(SalesforceNotConnected) as refused:
        client_for(integration).query("SELECT Id FROM Case")

    assert "refused the saved refresh token" in str(refused.value)
    assert refused.value.error_code == "invalid_grant"
    stored = integration_of(organization.id)
    settings = settings_of(stored)
    assert settings.state == ConnectionState.DISCONNECTED
    assert "expired access/refresh token" in settings.disconnected_reason
    assert "Reconnect" in settings.disconnected_reason
    assert stored.credential(ACCESS_TOKEN) is None and stored.credential(REFRESH_TOKEN) is None

    with pytest.raises(SalesforceNotConnected) as again:
        client_for(stored)
    assert "disconnected" in str(again.value)
    assert fake.refresh_count == 1


def test_the_app_refused_at_refresh_time_disconnects_too(organization, fake):
    integration = connected(organization.id, fake)
    fake.expire_access_tokens()
    fake.installed = False

    with pytest.raises(SalesforceNotConnected):
        client_for(integration).query("SELECT Id FROM Case")

    assert "not installed" in settings_of(integration_of(organization.id)).disconnected_reason


@pytest.mark.parametrize("status", [500, 503])
def test_a_token_endpoint_that_fails_leaves_the_connection_alone(organization, fake, status):
    integration = connected(organization.id, fake)
    fake.expire_access_tokens()
    fake.fail("POST", "/services/oauth2/token", status, body="<html>down</html>")

    with pytest.raises(SalesforceUnavailable):
        client_for(integration).query("SELECT Id FROM Case")

    stored = integration_of(organization.id)
    assert settings_of(stored).connected and stored.credential(REFRESH_TOKEN)


def test_an_unreachable_token_endpoint_leaves_the_connection_alone(app, organization, fake):
    integration = connected(organization.id, fake)
    update_settings(integration, login_url=f"http://127.0.0.1:{free_port()}")
    db.session.commit()
    fake.expire_access_tokens()

    with pytest.raises(SalesforceUnavailable):
        client_for(integration).query("SELECT Id FROM Case")

    assert settings_of(integration_of(organization.id)).connected


def test_no_connection_is_not_connected(organization):
    with pytest.raises(SalesforceNotConnected) as refused:
        tokens.access_token(None)
    assert "Settings → Integrations → Salesforce" in str(refused.value)


def test_a_refusal_with_a_description_that_is_no_text_still_disconnects(organization, fake):
    integration = connected(organization.id, fake)
    fake.expire_access_tokens()
    fake.fail("POST", "/services/oauth2/token", 400, body={"error": "invalid_grant", "error_description": 5})

    with pytest.raises(SalesforceNotConnected):
        client_for(integration).query("SELECT Id FROM Case")

    assert not settings_of(integration_of(organization.id)).connected


@pytest.mark.parametrize("expires_in", [[1], 1e400])
def test_a_token_answer_that_cannot_be_read_leaves_the_connection_alone(organization, fake, expires_in):
    integration = connected(organization.id, fake)
    fake.expire_access_tokens()
    answer = {"access_token": "x", "token_type": "Bearer", "instance_url": fake.url, "expires_in": expires_in}
    fake.fail("POST", "/services/oauth2/token", 200, body=answer)

    with pytest.raises(SalesforceUnavailable):
        client_for(integration).query("SELECT Id FROM Case")

    assert settings_of(integration_of(organization.id)).connected
