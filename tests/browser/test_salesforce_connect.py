"""An admin connects Salesforce in the browser, against the fake Salesforce on loopback: in the
popup, and in the main window when the browser blocks the popup."""

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from tests.browser.conftest import ConsoleWatcher, log_in
from tests.conftest import wait_for
from webapp.salesforce import connect_log
from webapp.salesforce.integration import salesforce_integration, settings_of
from webapp.sandbox.salesforce import FakeSalesforce, SalesforceServer

pytestmark = pytest.mark.browser

PAGE = "/settings/integrations/salesforce"


@pytest.fixture
def fake(app, live_server):
    """The fake org, its app's Callback URL this live server's; the live server is the public URL."""
    app.config.update(PUBLIC_URL=live_server, ALLOW_PRIVATE_OUTBOUND=True)
    with SalesforceServer(FakeSalesforce(callback_url=f"{live_server}/oauth/salesforce/callback")) as fake:
        yield fake


def _ours(errors: list[str], fake) -> list[str]:
    """Console errors of Switchboard's pages; the fake's own pages (its missing favicon) are not ours."""
    return [error for error in errors if not error.startswith(fake.url)]


def _save_credentials(page, fake) -> None:
    page.goto(PAGE)
    assert page.get_by_label("Redirect URI").input_value().endswith("/oauth/salesforce/callback")
    page.get_by_label("Client ID").fill(f"  {fake.client_id} ")
    page.get_by_label("Client Secret").fill(fake.client_secret)
    page.get_by_label("Login URL").fill(fake.url)
    page.get_by_role("button", name="Save Credentials").click()
    expect(page.get_by_text("Salesforce credentials saved.")).to_be_visible()
    expect(page.get_by_text("Removed the spaces around the Client ID.")).to_be_visible()
    # Connect's popup comes from a deferred script: a click before it ran posts the form in
    # this window instead (the no-script path), so wait until the page has loaded.
    page.wait_for_load_state("load")


def test_connect_in_a_popup_and_see_connected(app, page, owner, fake):
    log_in(page, owner.email)
    _save_credentials(page, fake)

    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect to Salesforce").click()
    popup = opened.value
    popup_console = ConsoleWatcher(popup)
    _click_and_see_the_window_close(popup, "Approve")

    page.get_by_text("Connected to Salesforce as admin@sandbox.example").wait_for()
    expect(page.locator("#salesforce-connection").get_by_text("Connected", exact=True)).to_be_visible()
    expect(page.get_by_text(fake.org_id, exact=True)).to_be_visible()
    assert settings_of(salesforce_integration(owner.organization_id)).connected
    assert page.console.errors == []
    assert _ours(popup_console.errors, fake) == []


def test_with_popups_blocked_the_main_window_connects(app, page, owner, fake):
    page.add_init_script("window.open = () => null;")
    log_in(page, owner.email)
    _save_credentials(page, fake)

    page.get_by_role("button", name="Connect to Salesforce").click()
    page.wait_for_url(f"{fake.url}/services/oauth2/authorize?**")
    page.get_by_role("button", name="Approve").click()

    page.wait_for_url(f"**{PAGE}")
    expect(page.get_by_text("Connected to Salesforce as admin@sandbox.example")).to_be_visible()
    expect(page.locator("#salesforce-connection").get_by_text("Connected", exact=True)).to_be_visible()
    assert _ours(page.console.errors, fake) == []


def test_a_popup_closed_on_salesforce_s_error_page_says_what_to_check(app, page, owner, fake):
    fake.callback_url = "https://elsewhere.example/oauth/salesforce/callback"  # the app's Callback URL is wrong
    log_in(page, owner.email)
    _save_credentials(page, fake)

    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect to Salesforce").click()
    popup = opened.value
    popup.wait_for_url("**/RemoteAccessErrorPage.apexp?**")
    popup.close()

    hints = page.locator("#connect-hints")
    hints.wait_for()
    assert "redirect_uri_mismatch" in hints.inner_text()
    assert f"{app.config['PUBLIC_URL']}/oauth/salesforce/callback" in hints.inner_text()
    assert page.console.errors == []


def test_a_denial_in_the_popup_is_shown_on_the_settings_page(app, page, owner, fake):
    log_in(page, owner.email)
    _save_credentials(page, fake)

    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect to Salesforce").click()
    popup = opened.value
    popup.get_by_role("button", name="Deny").click()
    popup.get_by_text("Salesforce was not connected").wait_for()

    page.locator("#connect-outcome").get_by_text("The connection was denied in Salesforce").wait_for()
    _click_and_see_the_window_close(popup, "Close this window")
    assert not settings_of(salesforce_integration(owner.organization_id)).connected
    # The callback page's refusal is a 400, which Chromium reports for that page alone.
    assert page.console.errors == []


def test_a_popup_closed_on_salesforce_s_error_page_is_kept_for_troubleshooting(app, page, owner, fake):
    fake.callback_url = "https://elsewhere.example/oauth/salesforce/callback"
    log_in(page, owner.email)
    _save_credentials(page, fake)
    with page.expect_popup() as opened:
        page.get_by_role("button", name="Connect to Salesforce").click()
    popup = opened.value
    popup.wait_for_url("**/RemoteAccessErrorPage.apexp?**")
    popup.close()

    wait_for(
        lambda: [e for e in connect_log.recent(owner.organization_id) if e.step == connect_log.Step.CLOSED],
        5,
        "the closed window to be reported",
    )
    page.goto(f"{PAGE}/troubleshooting")
    page.get_by_role("button", name="Run checks").click()
    connect = page.locator("#check-salesforce_connect")
    assert "never came back from Salesforce" in connect.inner_text()
    assert f"{app.config['PUBLIC_URL']}/oauth/salesforce/callback" in connect.inner_text()
    assert page.console.errors == []


def _click_and_see_the_window_close(popup, button: str) -> None:
    """Click a button that ends with the popup closing itself. The wait for the close starts
    before the click, since the window may close before the click returns; and the click may
    report the window gone before it was acknowledged, which is what the button is for."""
    with popup.expect_event("close"):
        try:
            popup.get_by_role("button", name=button).click()
        except PlaywrightError:
            pass
    assert popup.is_closed()
