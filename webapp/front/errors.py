"""What can go wrong when calling Front, each with a message an admin can act on."""

from __future__ import annotations


class FrontError(Exception):
    def __init__(self, message: str, *, status: int | None = None, detail: str | None = None):
        super().__init__(message)
        self.status = status
        self.detail = detail


class FrontAuthError(FrontError):
    """401: the token is wrong, revoked or expired."""


class FrontForbidden(FrontError):
    """403: the token lacks a permission, or the plan has no API access."""


class FrontNotFound(FrontError):
    """404: the resource is gone (or the token cannot see it)."""


class FrontRateLimited(FrontError):
    """Still 429 after every retry."""


class FrontUnavailable(FrontError):
    """5xx or no connection after every retry."""


class FrontOutcomeUnknown(FrontError):
    """A send that may or may not have happened (timed out, or 5xx, after the request left)."""
