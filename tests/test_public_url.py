"""PUBLIC_URL on a local or private address: Front and Salesforce cannot reach the webhook and
callback URLs built on it, and every page that shows one says so, with how to fix it."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_token
from webapp.db import db
from webapp.models import Integration, IntegrationKind
from webapp.public_url import is_local_address
from webapp.salesforce.integration import CLIENT_SECRET, get_or_create, update_settings

FRONT_PAGE = "/settings/ticketing/front"
SALESFORCE_PAGE = "/settings/integrations/salesforce"
WARNING = "public-url-warning"


@pytest.mark.parametrize(
    "url",
    [
        "http://localhost:5000",
        "http://LOCALHOST.:8080",
        "http://127.0.0.1:5000",
        "http://127.8.9.10",
        "http://[::1]:5000",
        "http://10.1.2.3",
        "http://172.16.0.1",
        "http://172.31.255.254",
        "http://192.168.1.20:5000",
        "https://switchboard.local",
        "http://app.localhost:5000",
        "http://switchboard:5000",  # one label: no public DNS name
        "http://0.0.0.0:5000",
        "http://169.254.1.1",
        "http://[fd12:3456::1]",
        "http://100.64.1.2",  # shared address space (carrier NAT, mesh VPNs)
    ],
)
def test_local_and_private_addresses_are_recognised(url):
    assert is_local_address(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://support.example.com",
        "https://switchboard.example.test",
        "http://172.32.0.1",
        "http://172.15.255.255",
        "https://8.8.8.8",
        "https://[2606:4700::1111]",
        "https://abc.trycloudflare.com",
        "",
        None,
        "http://[",
        "not a url",
    ],
)
def test_public_and_unparsable_addresses_are_not(url):
    assert not is_local_address(url)


@pytest.fixture
def front_integration(logged_in_owner):
    integration = Integration(
        organization_id=logged_in_owner.organization_id,
        kind=IntegrationKind.FRONT,
        enabled=True,
        settings={},
        credentials={"api_token": "front-token-1234", "app_secret": "app-secret-5678"},
        webhook_token="hook-token",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


@pytest.fixture
def salesforce_credentials(logged_in_owner):
    integration = get_or_create(logged_in_owner.organization_id)
    update_settings(integration, client_id="3MVG9consumer.key_1234", login_url="https://login.salesforce.com")
    integration.set_credential(CLIENT_SECRET, "A1B2C3D4E5F6secret9876")
    db.session.commit()
    return integration


def _warnings(page: str) -> list[str]:
    return re.findall(rf'<div class="flash flash-warning {WARNING}".*?</div>', page, flags=re.S)


def test_a_local_public_url_is_warned_about_next_to_the_front_webhook_url(app, client, front_integration):
    app.config["PUBLIC_URL"] = "http://localhost:5000"
    page = client.get(FRONT_PAGE).get_data(as_text=True)

    [warning] = _warnings(page)
    assert "Front cannot reach this webhook URL" in warning
    assert "<code>http://localhost:5000</code>" in warning
    assert "set <code>PUBLIC_URL</code> to this server's public https address" in warning
    assert "tunnel" in warning and "port 5000" in warning
    # Right after the URL it is about.
    assert page.index('id="webhook-url"') < page.index(WARNING) < page.index('class="events"')


def test_the_salesforce_redirect_uri_and_rep_replies_webhook_are_warned_about(app, client, salesforce_credentials):
    app.config.update(PUBLIC_URL="http://192.168.1.20:8080", PORT=8080)
    page = client.get(SALESFORCE_PAGE).get_data(as_text=True)

    redirect, webhook = _warnings(page)
    assert "Salesforce sends it back to this Redirect URI" in redirect
    assert "Salesforce cannot reach this webhook URL" in webhook
    assert "<code>http://192.168.1.20:8080</code>" in webhook and "ngrok http 8080" in webhook
    assert page.index('id="redirect-uri"') < page.index(redirect) < page.index('id="salesforce-webhook-url"')
    assert page.index('id="salesforce-webhook-url"') < page.index(webhook)


def test_the_named_credential_url_shown_with_a_new_callout_secret_is_warned_about(app, client, salesforce_credentials):
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    response = client.post(
        f"{SALESFORCE_PAGE}/callout-secret", data={"csrf_token": csrf_token(client, SALESFORCE_PAGE)}
    )
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    [warning] = _warnings(page)
    assert "Salesforce cannot reach this URL" in warning
    assert page.index("The Named Credential's URL is") < page.index(WARNING)


def test_a_public_address_shows_no_warning(client, front_integration, salesforce_credentials):
    # The test app's PUBLIC_URL is https://switchboard.example.test.
    assert _warnings(client.get(FRONT_PAGE).get_data(as_text=True)) == []
    assert _warnings(client.get(SALESFORCE_PAGE).get_data(as_text=True)) == []


def test_no_warning_when_front_and_salesforce_run_on_this_machine_too(app, client, front_integration, logged_in_owner):
    # The sandbox: its fake Front and fake Salesforce reach a local Switchboard.
    app.config.update(PUBLIC_URL="http://localhost:5000", FRONT_API_URL="http://127.0.0.1:8025")
    integration = get_or_create(logged_in_owner.organization_id)
    update_settings(integration, client_id="sandbox-client", login_url="http://127.0.0.1:8026")
    db.session.commit()

    assert _warnings(client.get(FRONT_PAGE).get_data(as_text=True)) == []
    assert _warnings(client.get(SALESFORCE_PAGE).get_data(as_text=True)) == []
