"""An admin sets Live Messaging up in the browser, against the fake MIAW on loopback: generates a
key pair, uploads its JWK as they would in Salesforce, fills the deployment's fields, saves, and
sees every check of Test connection pass."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging.settings import PRIVATE_KEY, live_messaging_of
from webapp.sandbox.miaw import FakeMessaging, MessagingServer
from webapp.sandbox.salesforce import to_18

pytestmark = pytest.mark.browser

PAGE = "/settings/integrations/salesforce"


@pytest.fixture
def fake(app, live_server):
    app.config.update(ALLOW_PRIVATE_OUTBOUND=True, SALESFORCE_TIMEOUT=5.0)
    with MessagingServer(FakeMessaging()) as fake:
        yield fake


def test_generate_a_key_pair_fill_the_fields_save_and_every_check_passes(app, page, owner, fake):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    log_in(page, owner.email)
    page.goto(PAGE)
    section = page.locator("#live-messaging")
    expect(section.get_by_text("Not set up")).to_be_visible()

    section.get_by_role("button", name="Generate a key pair").click()
    section.get_by_text("A new key pair was made").wait_for()
    jwk_text = page.locator("#live-messaging-jwk").inner_text()
    jwk = json.loads(jwk_text)
    assert jwk["kid"] == page.get_by_label("Auth Key ID", exact=True).input_value()
    assert page.get_by_label("Public key", exact=True).input_value().startswith("-----BEGIN PUBLIC KEY-----")
    assert page.get_by_label("Private key", exact=True).input_value() == ""
    expect(section.get_by_text("Private key: saved, RSA 2048")).to_be_visible()

    # The Copy button puts the JWK on the clipboard, for Salesforce's key upload.
    section.get_by_role("button", name="Copy").click()
    assert json.loads(page.evaluate("navigator.clipboard.readText()")) == jwk

    # In Salesforce: upload the key to a keyset whose issuer is the one shown.
    issuer = page.get_by_label("Issuer", exact=True).input_value()
    fake.register_key(jwk, issuer)

    page.get_by_label("Instance URL", exact=True).fill(fake.url)
    page.get_by_label("ES Developer Name", exact=True).fill(fake.es_developer_name)
    page.get_by_label("Org ID", exact=True).fill(to_18(fake.org_id[:15]))
    section.get_by_role("button", name="Save Live Messaging").click()
    page.get_by_text("Live Messaging settings saved.").wait_for()
    expect(section.get_by_text("Set up", exact=True)).to_be_visible()
    assert page.locator("#live-messaging-host").inner_text() == fake.url

    section.get_by_role("button", name="Test connection").click()
    results = page.locator("#live-messaging-checks li")
    results.first.wait_for()
    assert results.count() == 3
    for index, name in enumerate(("Messaging host and deployment", "Customer verification", "Routing attributes")):
        item = results.nth(index)
        assert name in item.inner_text()
        assert item.get_attribute("data-outcome") == "pass"
        assert item.locator(".status").inner_text() == "Passed"

    integration = salesforce_integration(owner.organization_id)
    assert live_messaging_of(integration).auth_key_id == jwk["kid"]
    assert integration.credential(PRIVATE_KEY).startswith("-----BEGIN PRIVATE KEY-----")
    assert page.console.errors == []
