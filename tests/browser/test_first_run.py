"""A new admin's first minutes: set-up, log in, the empty Inbox and every settings page."""

import pytest

from tests.browser.conftest import log_in
from tests.conftest import PASSWORD

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


def test_setup_login_inbox_and_every_settings_page_without_console_errors(page, live_server):
    page.goto("/")
    assert page.url.endswith("/setup")
    page.get_by_label("Organization name").fill("Acme Support")
    page.get_by_label("Your name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Confirm password").fill(PASSWORD)
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url("**/settings/ticketing/front")
    assert "Welcome to Switchboard" in page.content()

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url("**/login")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox")
    assert page.get_by_role("heading", name="No conversations yet").is_visible()

    for link_text, path, heading in SETTINGS_PAGES:
        page.goto("/settings/")
        page.get_by_role("link", name=link_text, exact=True).click()
        page.wait_for_url(f"**{path}")
        assert page.get_by_role("heading", name=heading, exact=True, level=1).is_visible(), path

    page.get_by_role("link", name="Jobs").click()
    page.wait_for_url("**/admin/rq/")
    assert page.get_by_role("heading", name="Queues").is_visible()

    assert page.console.errors == []


def test_an_admin_adds_a_member_in_the_browser(page, owner):
    log_in(page, owner.email)

    page.goto("/settings/organization")
    page.get_by_label("Name", exact=True).fill("Mo Member")
    page.get_by_label("Email").fill("mo@example.com")
    page.get_by_label("Role", exact=True).select_option("member")
    page.get_by_label("Temporary password").fill(PASSWORD)
    page.get_by_role("button", name="Add member").click()
    assert page.get_by_text("Mo Member can now log in as mo@example.com.").is_visible()
    assert page.get_by_role("cell", name="mo@example.com").is_visible()
    assert page.console.errors == []
