"""Browser checks: the app served on loopback, driven by Playwright in Debian's chromium.

Playwright never downloads a browser here; it launches /usr/bin/chromium (or CHROMIUM_PATH).
Without that binary the checks are skipped, unless REQUIRE_BROWSER is set (CI sets it), in
which case a missing browser is a failure rather than a silent skip.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def chromium_path() -> str | None:
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    return path if os.path.exists(path) else shutil.which("chromium")


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("REQUIRE_BROWSER is set but chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleWatcher:
    """Collects console errors and uncaught page errors: a clean page has none."""

    def __init__(self, page):
        self.errors: list[str] = []
        page.on(
            "console", lambda message: message.type == "error" and self.errors.append(f"{page.url}: {message.text}")
        )
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console = ConsoleWatcher(page)
    yield page
    context.close()


def log_in(page, email: str) -> None:
    from tests.conftest import PASSWORD

    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/inbox")
