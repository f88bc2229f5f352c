"""Copy diagnostic details in a real browser: the button copies what the server renders, with
the customer's text only once the box is ticked, and the page shows what was copied."""

import pytest

from tests.browser.conftest import ConsoleWatcher, log_in
from webapp.db import db
from webapp.models import EventKind

pytestmark = pytest.mark.browser


def test_copy_diagnostic_details_with_and_without_customer_text(browser, live_server, world, owner):
    support_session = world.session(
        owner.organization, subject="Charged twice", contact_email="grace@example.com", front_conversation_id="cnv_b1"
    )
    support_session.record(EventKind.CUSTOMER_MESSAGE, text="My card was charged twice", message_id="msg_1")
    support_session.record(EventKind.SKIP, reason="assigned to another teammate", code="assigned_elsewhere")
    db.session.commit()

    context = browser.new_context(base_url=live_server, permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.set_default_timeout(15_000)
        console = ConsoleWatcher(page)
        log_in(page, owner.email)
        page.goto(f"/inbox/{support_session.id}")

        copy = page.get_by_role("button", name="Copy diagnostic details")
        copy.click()
        page.wait_for_selector("#diagnostics-copy[data-copied=without-customer-text]")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "Front conversation: cnv_b1" in copied and "code=assigned_elsewhere" in copied
        assert "My card was charged twice" not in copied and "grace@example.com" not in copied

        page.get_by_label("Include customer text").check()
        page.get_by_role("button", name="Copy diagnostic details").click()
        page.wait_for_selector("#diagnostics-copy[data-copied=with-customer-text]")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert "My card was charged twice" in copied and "grace@example.com" in copied

        page.get_by_text("Show the details").click()
        assert "My card was charged twice" in page.locator("#diagnostics-text").inner_text()
        assert console.errors == []
    finally:
        context.close()
