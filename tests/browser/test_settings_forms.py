"""Settings forms as an admin meets them: refused saves, preset switches, long titles, articles."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from webapp.db import db
from webapp.knowledge import sources

pytestmark = pytest.mark.browser

UNBROKEN = "Refund" + "x" * 294  # 300 characters, no place to break


def _page_fits(page) -> tuple[int, int]:
    # After the page's stylesheet has loaded: a page reached by a click may be measured while it
    # is still pending, and the layout without it is not the page's.
    page.wait_for_load_state("load")
    return page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")


def test_a_300_character_unbroken_title_wraps_instead_of_widening_the_page(page, owner, world):
    sources.add_manual_article(
        owner.organization_id, title=UNBROKEN, body=UNBROKEN, url=None, locale="en", internal=False
    )
    synced = world.front_source(owner.organization)
    synced.name, synced.last_error = UNBROKEN[:200], "Failed: https://" + "y" * 300
    db.session.commit()
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, owner.email)
    for path in ("/knowledge", f"/knowledge?q={UNBROKEN[:20]}", "/data-sources", f"/data-sources/{synced.id}/edit"):
        page.goto(path)
        expect(page.get_by_text(UNBROKEN[:200]).first).to_be_visible()
        scroll_width, viewport = _page_fits(page)
        assert scroll_width <= viewport, (path, scroll_width)
    page.goto("/knowledge")
    # The other columns keep their words whole: "Added by hand" is not cut inside a word.
    source_cell = page.get_by_role("cell", name="Added by hand", exact=True)
    assert source_cell.evaluate("cell => cell.getBoundingClientRect().width") >= 100
    page.get_by_role("link", name=f"Edit: {UNBROKEN}").click()
    expect(page.get_by_role("heading", name=UNBROKEN)).to_be_visible()
    scroll_width, viewport = _page_fits(page)
    assert scroll_width <= viewport, scroll_width
    assert page.console.errors == []


def test_a_refused_handoff_save_shows_every_problem_at_the_top_and_focuses_it(page, owner):
    page.set_viewport_size({"width": 1280, "height": 700})
    log_in(page, owner.email)
    page.goto("/settings/handoff")
    page.get_by_label("Forbidden topics").fill("legal advice")
    page.get_by_label("Message at handoff, inside office hours").fill("")
    page.get_by_role("button", name="Save handoff settings").click()

    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Message at handoff, inside office hours: This field is required.")
    expect(page.get_by_label("Forbidden topics")).to_have_value("legal advice")  # kept
    summary.get_by_role("link", name="Message at handoff, inside office hours").click()
    expect(page.get_by_label("Message at handoff, inside office hours")).to_be_focused()
    assert [e for e in page.console.errors if "status of 400" not in e] == []


def test_the_advanced_switches_are_disabled_while_a_preset_is_chosen(page, owner):
    log_in(page, owner.email)
    page.goto("/settings/handoff")
    switch = page.get_by_label("Hand off when the customer asks for a person")
    after = page.get_by_label("…after this many AI replies without progress")
    note = page.get_by_text("The preset level sets these")
    expect(switch).to_be_disabled()
    expect(after).to_be_disabled()
    expect(note).to_be_visible()

    page.get_by_label("Advanced", exact=True).check()
    expect(switch).to_be_enabled()
    expect(note).to_be_hidden()
    switch.uncheck()
    after.fill("6")
    page.get_by_role("button", name="Save handoff settings").click()
    expect(page.get_by_text("Handoff settings saved.")).to_be_visible()
    expect(switch).to_be_enabled()
    expect(switch).not_to_be_checked()
    expect(after).to_have_value("6")

    page.get_by_label("Preset level", exact=True).check()
    expect(switch).to_be_disabled()
    page.get_by_role("button", name="Save handoff settings").click()
    expect(page.get_by_text("Handoff settings saved.")).to_be_visible()
    page.get_by_label("Advanced", exact=True).check()
    expect(after).to_have_value("6")  # the preset left the saved switches alone
    expect(switch).not_to_be_checked()
    assert page.console.errors == []


def test_load_help_centers_without_a_key_says_a_key_is_needed_first(page, owner):
    log_in(page, owner.email)
    page.goto("/data-sources")
    page.get_by_role("button", name="Load Help Centers").click()
    expect(page.get_by_text("Enter an API key first: the Help Centers listed are those it can read.")).to_be_visible()
    expect(page.get_by_label("API key")).to_be_focused()
    assert page.console.errors == []


def test_an_article_is_edited_then_deleted_after_confirming(page, owner):
    sources.add_manual_article(
        owner.organization_id, title="Opening hours", body="Nine to five.", url=None, locale="en", internal=False
    )
    log_in(page, owner.email)
    page.goto("/knowledge")
    page.get_by_role("link", name="Edit: Opening hours").click()
    expect(page.get_by_label("Body (Markdown)")).to_have_value("Nine to five.")
    page.get_by_label("Title").fill("Holiday hours")
    page.get_by_role("button", name="Save article").click()
    expect(page.get_by_text("Saved “Holiday hours”.")).to_be_visible()

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Delete: Holiday hours").click()
    expect(page.get_by_role("cell", name="Holiday hours", exact=True)).to_be_visible()  # dismissed: still there

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete: Holiday hours").click()
    expect(page.get_by_text("Deleted “Holiday hours”.")).to_be_visible()
    expect(page.get_by_text("No articles yet")).to_be_visible()
    assert page.console.errors == []
