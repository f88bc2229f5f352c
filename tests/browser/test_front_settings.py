"""An admin connects Front in the browser, against the fake Front on loopback."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.fakes.front import FrontServer

pytestmark = pytest.mark.browser


def test_connect_pick_the_ai_teammate_toggle_and_see_the_webhook_url(app, page, owner):
    with FrontServer() as fake_front:
        app.config["FRONT_API_URL"] = fake_front.url
        fake_front.add_teammate("tea_ai", "Switchboard", "AI", "ai@acme.test")
        fake_front.add_teammate("tea_bob", "Bob", "Builder", "bob@acme.test")

        log_in(page, owner.email)

        page.goto("/settings/ticketing/front")
        page.get_by_label("API token").fill("wrong-token")
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_text("Invalid Front API token")).to_be_visible()
        assert [e for e in page.console.errors if "status of 400" not in e] == []  # the refusal itself
        page.console.errors.clear()

        page.get_by_label("API token").fill(fake_front.token)
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_text("Connected to Front (Acme Inc)")).to_be_visible()

        page.get_by_label("AI teammate").select_option("tea_ai")
        page.get_by_label("Handle unassigned conversations").check()
        page.get_by_label("Let the AI answer in Front (master switch)").check()
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.get_by_text("Front settings saved.")).to_be_visible()
        assert page.get_by_label("AI teammate").input_value() == "tea_ai"
        assert page.get_by_label("Handle unassigned conversations").is_checked()
        expect(page.get_by_text("AI answering")).to_be_visible()

        webhook_url = page.get_by_label("Webhook URL").input_value()
        assert webhook_url.startswith("https://switchboard.example.test/webhooks/front/")
        page.get_by_role("button", name="Copy").click()
        page.get_by_label("App secret", exact=True).fill("app-secret-from-front-1234")
        page.get_by_role("button", name="Save app secret").click()
        expect(page.get_by_text("saved, ends in …1234")).to_be_visible()
        assert page.console.errors == []
