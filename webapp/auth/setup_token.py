"""The one-time set-up token: only whoever runs the server may create the first organization.

Until someone has set up Switchboard, anyone who reaches the server could otherwise claim it.
The token is generated into the instance folder while no user exists (by ``switchboard serve``
at start, which prints it as a link, or by the set-up page itself under another web server),
the set-up form requires it, and it is deleted once set-up succeeds.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from flask import current_app

from webapp.config import _read_or_create

FILE_NAME = "setup_token"


def path() -> Path:
    return Path(current_app.instance_path) / FILE_NAME


def issue() -> str:
    """The pending token, created on first use (two processes starting together share one)."""
    return _read_or_create(path(), lambda: secrets.token_urlsafe(24))


def matches(candidate: str | None) -> bool:
    try:
        expected = path().read_text().strip()
    except FileNotFoundError:
        return False
    if not expected or not candidate:
        return False
    return hmac.compare_digest(expected.encode(), candidate.strip().encode("utf-8", "replace"))


def discard() -> None:
    path().unlink(missing_ok=True)


def pending_setup_url() -> str | None:
    """Where to set up Switchboard, token included, while no user exists; None once set up."""
    from webapp.security import any_user_exists

    if any_user_exists():
        return None
    return f"{current_app.config['PUBLIC_URL']}/setup?token={issue()}"
