"""Waiting before retrying an HTTP call, the same way for every remote API (Front, the LLM
provider, and later Salesforce): how long a 429 or 503 asks us to wait, and the backoff when it
does not say."""

from __future__ import annotations

import random
import time
from email.utils import parsedate_to_datetime

import requests


def backoff_seconds(attempt: int, base: float) -> float:
    """Exponential backoff with jitter: ``base`` × 2^attempt, between half and all of it, so
    processes that failed together do not retry together."""
    return base * (2**attempt) * (0.5 + random.random() / 2)


def retry_after_seconds(response: requests.Response, *, default: float, cap: float) -> float:
    """What ``Retry-After`` asks for, as delay-seconds or as an HTTP date (RFC 9110, 10.2.3);
    ``default`` when it is absent or unreadable; never below 0 nor above ``cap``."""
    seconds = parse_retry_after(response.headers.get("Retry-After"))
    return min(max(default if seconds is None else seconds, 0.0), cap)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return when.timestamp() - (time.time() if now is None else now)
