"""An admin adds a Front Help Center, watches the sync progress and finds the articles."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.conftest import worker_process
from tests.fakes.front import FrontServer

pytestmark = pytest.mark.browser


def test_add_a_source_watch_the_progress_bar_move_and_see_the_articles(app, page, owner):
    with FrontServer() as fake_front:
        app.config["FRONT_API_URL"] = fake_front.url
        app.config["FRONT_RETRY_BACKOFF"] = 0.0
        fake_front.add_knowledge_base("knb_pub", "Acme Help Center", "external", locales=("en",))
        fake_front.add_knowledge_base("knb_int", "Support Playbook", "internal", locales=("en",))
        for n in range(12):
            fake_front.add_article("knb_pub", f"kba_{n}", f"Article number {n}", f"<p>How to do thing {n}.</p>")

        log_in(page, owner.email)
        page.goto("/data-sources")
        page.get_by_label("API key").fill("not-the-key")
        page.get_by_role("button", name="Load Help Centers").click()
        expect(page.get_by_text("Failed to load Help Centers: Front rejected the API key.")).to_be_visible()
        page.console.errors.clear()  # the refusal's 400 is expected

        page.get_by_label("API key").fill(fake_front.token)
        page.get_by_role("button", name="Load Help Centers").click()
        page.get_by_label("Acme Help Center · external · en").wait_for()
        page.get_by_role("button", name="Deselect all").click()
        page.get_by_label("Acme Help Center · external · en").check()
        assert not page.get_by_label("Support Playbook · internal · en").is_checked()
        page.get_by_role("button", name="Connect").click()
        expect(page.get_by_text("The first sync has started.")).to_be_visible()

        # A worker picks the sync up; Front answers slowly enough to watch it.
        fake_front.latency = 0.15
        worker = worker_process(app)
        worker.start()
        seen = set()
        status = page.locator('[data-field="status"]').first
        for _ in range(600):
            # Read the bar without waiting on it: it is hidden again the moment the sync ends.
            value = page.evaluate(
                "() => { const bar = document.querySelector('.progress-wrap:not([hidden]) progress');"
                " return bar ? bar.value : null; }"
            )
            if value is not None:
                seen.add(int(value))
            if status.inner_text() == "Ok":
                break
            page.wait_for_timeout(100)
        worker.join(timeout=60)
        if worker.is_alive():
            worker.kill()
            worker.join()
        assert worker.exitcode == 0, f"the worker ended with {worker.exitcode}"
        assert len(seen) >= 2, f"the progress bar never moved: {seen}"
        expect(status).to_have_text("Ok")
        expect(page.locator('[data-field="articles"]').first).to_have_text("12")

        page.get_by_role("link", name="Knowledge", exact=True).click()
        expect(page.get_by_text("Article number 11")).to_be_visible()
        assert page.console.errors == []
