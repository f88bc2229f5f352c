"""Keeping the current login across a change of the user's session token."""

from __future__ import annotations

from flask import current_app, request
from flask_login import login_user

from webapp.models import User


def keep_logged_in(user: User) -> None:
    """Log the current session in again after ``user``'s session token was replaced (their own
    password or role changed): every other session and cookie has ended, this one goes on, with
    a new "keep me logged in" cookie if it had one."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)
