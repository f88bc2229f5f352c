"""What can go wrong talking to Salesforce, sorted by what the caller should do about it."""

from __future__ import annotations

import re

# What Salesforce says is shown to admins: at most this many characters of it.
REMOTE_TEXT_MAX = 500
# C0 and C1 controls, line and paragraph separators, and the bidirectional overrides that can
# make a message read backwards.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028-\u202e\u2066-\u2069]+")


def remote_text(value: object, limit: int = REMOTE_TEXT_MAX) -> str:
    """Text from Salesforce (an error message, a description) made fit for a page or a log
    line: control characters become spaces and it is clipped to ``limit`` characters. Pages
    still escape it; this keeps a hostile or broken answer from filling or garbling them."""
    text = _CONTROL.sub(" ", value if isinstance(value, str) else str(value)).strip()
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class SalesforceError(Exception):
    """A call to Salesforce failed. ``error_code`` is Salesforce's own (``INVALID_SESSION_ID``,
    ``invalid_grant``...) when it gave one; the message is safe to show to an admin."""

    def __init__(self, message: str, *, status: int | None = None, error_code: str | None = None):
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class SalesforceUnavailable(SalesforceError):
    """Worth trying again later: a 5xx, a timeout before anything was sent, the API limit."""


class SalesforceOutcomeUnknown(SalesforceUnavailable):
    """A write whose answer never came: look before writing again."""


class SalesforceRejected(SalesforceError):
    """Salesforce refused the request as it is (a validation rule, a picklist value, a field the
    org does not have); sending it again changes nothing."""


class SalesforceNotConnected(SalesforceError):
    """There is no usable connection: never connected, disconnected by an admin, or the refresh
    token was refused (``invalid_grant``) and an admin must connect again."""
