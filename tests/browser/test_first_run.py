"""A new admin's first minutes: set-up, log in, the empty Inbox and every settings page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleWatcher, log_in
from tests.conftest import PASSWORD, instance_file
from webapp.models import Role

pytestmark = pytest.mark.browser

SETTINGS_PAGES = [
    ("Front", "/settings/ticketing/front", "Front"),
    ("Salesforce", "/settings/integrations/salesforce", "Salesforce"),
    ("Handoff settings", "/settings/handoff", "Handoff settings"),
    ("Data Sources", "/data-sources", "Data Sources"),
    ("Knowledge", "/knowledge", "Knowledge"),
    ("AI provider", "/settings/ai", "AI provider"),
    ("Organization and members", "/settings/organization", "Organization and members"),
]


def test_setup_login_inbox_and_every_settings_page_without_console_errors(app, page, live_server):
    page.goto("/")
    assert page.url.endswith("/setup")
    # The link `switchboard serve` prints carries the set-up token the page wrote into the instance folder.
    token = instance_file(app, "setup_token").read_text().strip()
    page.goto(f"/setup?token={token}")
    assert page.get_by_label("Set-up token").input_value() == token
    page.get_by_label("Organization name").fill("Acme Support")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url("**/settings/ticketing/front")
    assert "Welcome to Switchboard" in page.content()
    assert not instance_file(app, "setup_token").exists()  # used once

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox")
    expect(page.get_by_role("heading", name="No conversations yet")).to_be_visible()

    for link_text, path, heading in SETTINGS_PAGES:
        page.goto("/settings/")
        page.get_by_role("link", name=link_text, exact=True).click()
        page.wait_for_url(f"**{path}")
        expect(page.get_by_role("heading", name=heading, exact=True, level=1), path).to_be_visible()

    page.get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/admin/rq/")
    expect(page.get_by_role("heading", name="Queues")).to_be_visible()

    assert page.console.errors == []


def test_an_admin_adds_a_member_in_the_browser(page, owner):
    log_in(page, owner.email)

    page.goto("/settings/organization")
    page.get_by_label("Name", exact=True).fill("Mo Member")
    page.get_by_label("Email").fill("mo@example.com")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_label("Temporary password").fill(PASSWORD)
    page.get_by_role("button", name="Add member").click()
    expect(page.get_by_text("Mo Member can now log in as mo@example.com.")).to_be_visible()
    expect(page.get_by_role("cell", name="mo@example.com")).to_be_visible()
    assert page.console.errors == []


def test_an_admin_resets_a_password_and_the_member_chooses_a_new_one_in_the_browser(
    page, browser, live_server, world, owner
):
    world.user(owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    temporary, chosen = "temporary password 4 mo", "mo's very own passphrase"
    log_in(page, owner.email)
    page.goto("/settings/organization")
    page.on("dialog", lambda dialog: dialog.accept())  # "Reset the password of Mo? ..."
    page.get_by_label("A new password for Mo").fill(temporary)
    page.get_by_role("button", name="Reset password").click()
    expect(page.get_by_text("Mo's password is reset")).to_be_visible()

    context = browser.new_context(base_url=live_server)  # Mo's own browser
    try:
        mo = context.new_page()
        mo.set_default_timeout(15_000)
        watcher = ConsoleWatcher(mo)
        mo.goto("/login")
        mo.get_by_label("Email").fill("mo@example.com")
        mo.get_by_label("Password").fill(temporary)
        mo.get_by_role("button", name="Log in").click()
        mo.wait_for_url("**/account/password")
        expect(mo.get_by_text("An admin reset your password")).to_be_visible()
        mo.get_by_label("Current password").fill(temporary)
        mo.get_by_label("New password", exact=True).fill(chosen)
        mo.get_by_label("Confirm new password").fill(chosen)
        mo.get_by_role("button", name="Change password").click()
        mo.wait_for_url("**/inbox")
        expect(mo.get_by_text("Your password is changed")).to_be_visible()
        assert watcher.errors == []
    finally:
        context.close()
    assert page.console.errors == []
