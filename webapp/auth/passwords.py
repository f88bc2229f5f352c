"""Checking a password in the same time whether or not the email belongs to anyone.

Without this, an unknown email is answered at once and a known one only after its hash has been
computed (tens of milliseconds), which tells a stranger which emails have accounts.
"""

from __future__ import annotations

import secrets
from functools import cache

from werkzeug.security import check_password_hash, generate_password_hash

from webapp.models import User


@cache
def dummy_hash() -> str:
    """A hash of a random password, made like every user's (werkzeug's default method and
    cost), checked when there is no user, so that both cases cost one hash."""
    return generate_password_hash(secrets.token_urlsafe(16))


def check(user: User | None, password: str) -> bool:
    """Whether ``password`` is the password of ``user``, an active user; always one hash checked."""
    if user is None:
        check_password_hash(dummy_hash(), password)
        return False
    return check_password_hash(user.password_hash, password) and user.active
