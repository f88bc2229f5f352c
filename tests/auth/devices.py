"""Browsers of their own, for tests where one user is logged in on several devices.

The test's app context outlives requests, and Flask-Login and Flask-WTF keep the last request's
user and CSRF token in it (``g``): a request from one test client would be answered with the user
another one logged in as. A :class:`Device` forgets both before each of its requests, as a
request in a real server does, so only its own cookies decide who it is.
"""

from __future__ import annotations

from flask import g
from flask.testing import FlaskClient

from tests.conftest import PASSWORD, csrf_token

SESSION_COOKIE = "switchboard_session"
REMEMBER_COOKIE = "remember_token"


class Device(FlaskClient):
    def open(self, *args, **kwargs):
        g.pop("_login_user", None)
        g.pop("csrf_token", None)
        return super().open(*args, **kwargs)

    def log_in(self, email: str, password: str = PASSWORD, remember: bool = False):
        data = {"email": email, "password": password, "csrf_token": csrf_token(self, "/login")}
        if remember:
            data["remember"] = "y"
        return self.post("/login", data=data)

    def log_out(self, everywhere: bool = False):
        data = {"csrf_token": csrf_token(self, "/account/password")}
        if everywhere:
            data["everywhere"] = "1"
        return self.post("/logout", data=data)

    def cookies(self) -> dict[str, str]:
        """The login cookies this browser holds, as someone copying them would take them."""
        found = {name: self.get_cookie(name) for name in (SESSION_COOKIE, REMEMBER_COOKIE)}
        return {name: cookie.value for name, cookie in found.items() if cookie is not None}

    def is_logged_in(self) -> bool:
        """Whether this browser's cookies log it in (the password page is open to every login,
        one that must change its password included)."""
        response = self.get("/account/password")
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], response.headers["Location"]
            return False
        assert response.status_code == 200, response.status_code
        return True


def device(app, cookies: dict[str, str] | None = None) -> Device:
    """A new browser; with ``cookies``, one holding a copy of another's."""
    browser = Device(app, app.response_class, use_cookies=True)
    for name, value in (cookies or {}).items():
        browser.set_cookie(name, value)
    return browser
