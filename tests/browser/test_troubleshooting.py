"""Troubleshooting in the browser: a wrong app secret turns Front's webhooks away, Settings → Front
shows the refusal in words, and after Run checks the Troubleshooting page names the app secret
as the fix, linking to the form where it is saved."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.fakes.front import FrontServer
from webapp.db import db
from webapp.models import Integration, IntegrationKind
from webapp.sandbox import webhooks as sandbox_webhooks

pytestmark = pytest.mark.browser

FRONTS_APP_SECRET = "sandbox-app-secret"  # what Front signs with, as the sandbox's Front does


def test_a_wrong_app_secret_is_shown_on_settings_and_named_as_the_fix(app, page, owner, live_server):
    with FrontServer() as fake_front:
        app.config["FRONT_API_URL"] = fake_front.url
        app.config["FRONT_RETRY_BACKOFF"] = 0.0
        fake_front.add_teammate("tea_ai", "Switchboard", "AI", "ai@acme.test")
        integration = Integration(
            organization_id=owner.organization_id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={"company_name": "Acme Inc", "teammates": [{"id": "tea_ai", "name": "Switchboard AI"}]},
            credentials={"api_token": fake_front.token},
            webhook_token="hook-token-for-the-browser",
        )
        db.session.add(integration)
        db.session.commit()

        log_in(page, owner.email)
        page.goto("/settings/ticketing/front")
        page.get_by_label("App secret", exact=True).fill("a-secret-copied-from-another-app")
        page.get_by_role("button", name="Save app secret").click()
        expect(page.get_by_text("App secret saved.")).to_be_visible()

        # A customer writes; Front signs its webhook with its own app secret.
        event = sandbox_webhooks.customer_message(fake_front, "cnv_1", "Where is my order?")
        response = sandbox_webhooks.deliver(
            event, f"{live_server}/webhooks/front/hook-token-for-the-browser", FRONTS_APP_SECRET
        )
        assert response.status_code == 401

        page.reload()
        activity = page.locator("#webhook-activity")
        expect(activity).to_contain_text("Last refusal")
        expect(activity).to_contain_text(
            "signature did not match: the app secret saved here is not the one Front signs with"
        )
        expect(activity).to_contain_text("(answered 401)")

        activity.get_by_role("link", name="Troubleshooting").click()
        page.wait_for_url("**/settings/ticketing/front/troubleshooting")
        page.get_by_role("button", name="Run checks").click()
        expect(page.get_by_text("Checks ran:")).to_be_visible()

        webhook_check = page.locator("#check-front_webhook")
        expect(webhook_check.locator(".check-status")).to_have_text("Failing")
        expect(webhook_check).to_contain_text("the app secret saved here is wrong")
        expect(webhook_check.locator(".check-fix")).to_contain_text("Copy the app secret from Front")
        expect(page.locator("#check-front_token .check-status")).to_have_text("OK")

        webhook_check.get_by_role("link", name="Settings → Front").click()
        page.wait_for_url("**/settings/ticketing/front#app-secret")
        expect(page.locator("#app-secret").get_by_label("App secret", exact=True)).to_be_visible()
        assert page.console.errors == []
