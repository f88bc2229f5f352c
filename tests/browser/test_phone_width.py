"""Support leads read the Inbox on their phones: at 390 pixels wide every page a lead or an admin
opens fits the screen. Nothing scrolls the page sideways (a wide table scrolls inside its own
box), the content keeps most of the width, and the header wraps instead of overflowing."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from webapp.db import db
from webapp.knowledge import sources
from webapp.models import Channel, EventKind, Integration, IntegrationKind, SessionStatus
from webapp.salesforce.integration import CLIENT_SECRET, REFRESH_TOKEN, update_settings
from webapp.salesforce.integration import get_or_create as salesforce_integration
from webapp.templating import SETTINGS_NAV

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG = "a-very-long-unbroken-identifier-" * 4

# Measured in the page: how wide the document is, the content column, and the header with
# anything in it that pokes out of it or past the screen's right edge.
MEASURE = """() => {
  const header = document.querySelector('header.topbar');
  const content = document.querySelector('.settings-body') || document.querySelector('main');
  const sticking_out = [...header.querySelectorAll('*')]
    .filter((e) => e.getClientRects().length && e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .map((e) => e.outerHTML.slice(0, 80));
  const style = getComputedStyle(content);
  return {
    scroll_width: document.documentElement.scrollWidth,
    content_width: content.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight),
    header_height: header.getBoundingClientRect().height,
    header_overflows: header.scrollWidth > header.clientWidth,
    sticking_out: sticking_out,
  };
}"""


def _busy_organization(owner):
    """An organization with something on every page: a connected Front, a long session, a source."""
    organization = owner.organization
    organization.name = "Acme Support International"
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={
                "ai_teammate_id": "tea_ai",
                "teammates": [{"id": "tea_ai", "name": "Switchboard AI", "email": "ai@acme.test"}],
                "company_name": "Acme Inc",
            },
            credentials={"api_token": "front-token-1234", "app_secret": "app-secret-5678"},
            webhook_token=LONG[:64],  # the column holds 64
        )
    )
    db.session.commit()
    from tests.conftest import World

    world = World()
    source = world.front_source(organization)
    for n in range(3):
        sources.add_manual_article(
            organization.id,
            title=f"How to {LONG} {n}",
            body=LONG,
            url=f"https://help.acme.test/{LONG}",
            locale="en",
            internal=False,
        )
    salesforce = salesforce_integration(organization.id)
    update_settings(
        salesforce,
        client_id="3MVG9" + LONG,
        state="connected",
        username=f"integration.user@{LONG}.example.com",
        org_id="00D000000000001AAA",
        instance_url="https://acme.my.salesforce.com",
    )
    salesforce.set_credential(CLIENT_SECRET, "client-secret")
    salesforce.set_credential(REFRESH_TOKEN, "refresh")
    db.session.commit()
    sessions = [
        world.session(
            organization,
            channel=Channel.EMAIL,
            status=SessionStatus.HANDED_OFF,
            contact_name="Grace Hopper-Montgomery",
            contact_email="grace.hopper-montgomery@a-long-company-name.example.com",
            subject="My invoice for the last quarter is wrong and I would like a refund " * 2,
            front_conversation_id=f"cnv_{n}_{LONG}"[:64],  # the column holds 64
        )
        for n in range(3)
    ]
    session = sessions[0]
    session.record(EventKind.CUSTOMER_MESSAGE, text="My invoice is wrong " + LONG, author="Grace")
    session.record(EventKind.TOOL_CALL, name="search_knowledge", input={"query": LONG}, output={"hits": [LONG]})
    session.record(EventKind.HANDOFF, reason="customer asked for a human", summary=LONG, sentiment="frustrated")
    session.record(EventKind.ERROR, message="Front answered 503 after 3 retries", detail=LONG)
    db.session.commit()
    return session, source


def _pages(session, source) -> list[str]:
    from flask import url_for

    settings = [url_for(endpoint) for _, links in SETTINGS_NAV for _, endpoint in links]
    return [
        "/inbox",
        f"/inbox/{session.id}",
        "/inbox/failed",
        "/account/password",
        "/sandbox",
        *settings,
        f"/data-sources/{source.id}/edit",
    ]


def test_every_inbox_and_settings_page_fits_a_phone(app, browser, live_server, owner):
    session, source = _busy_organization(owner)
    # A Front on loopback: the header lists the sandbox page too, its longest form.
    app.config["FRONT_API_URL"] = "http://127.0.0.1:9"
    with app.test_request_context():
        paths = _pages(session, source)
    context = browser.new_context(base_url=live_server, viewport=PHONE, device_scale_factor=1, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, owner.email)
        problems = []
        for path in paths:
            page.goto(path)
            found = page.evaluate(MEASURE)
            if found["scroll_width"] > PHONE["width"]:
                problems.append(f"{path}: the page is {found['scroll_width']} px wide")
            if found["content_width"] < 300:
                problems.append(f"{path}: the content is {found['content_width']:.0f} px wide")
            if found["header_height"] > 160 or found["header_overflows"] or found["sticking_out"]:
                problems.append(f"{path}: the header does not fit: {found}")
        assert not problems, "\n".join(problems)
    finally:
        context.close()


def test_on_a_phone_the_settings_sidebar_becomes_a_menu_above_the_page(app, browser, live_server, owner):
    context = browser.new_context(base_url=live_server, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        log_in(page, owner.email)
        page.goto("/settings/ticketing/front")
        expect(page.locator("aside.sidebar")).to_be_hidden()
        menu = page.locator("details.settings-menu")
        expect(menu.locator("summary")).to_have_text("Settings: Front")
        expect(menu.get_by_role("link", name="Knowledge")).to_be_hidden()  # closed: one line
        menu.locator("summary").click()
        labels = [label for _, links in SETTINGS_NAV for label, _ in links]
        for label in labels:
            expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
        menu.get_by_role("link", name="Knowledge", exact=True).click()
        page.wait_for_url("**/knowledge")
        expect(page.locator("details.settings-menu summary")).to_have_text("Settings: Knowledge")

        page.set_viewport_size({"width": 1280, "height": 900})  # a desk: the sidebar, no menu
        expect(page.locator("details.settings-menu")).to_be_hidden()
        expect(page.locator("aside.sidebar").get_by_role("link", name="Knowledge", exact=True)).to_be_visible()
    finally:
        context.close()
