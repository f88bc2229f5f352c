"""What can go wrong talking to Salesforce, sorted by what the caller should do about it."""

from __future__ import annotations


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
