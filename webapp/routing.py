"""Path and query parameters that are safe to hand to the database, for every route.

The app's ``int`` path converter is :class:`BoundedIntegerConverter`: it matches only what an
Integer column can hold, so ``/inbox/99999999999999999999`` is a 404 at routing, before a query
could fail on it (SQLite overflows past 2**63, PostgreSQL's ``integer`` past 2**31).
:func:`page_number` and :func:`int_arg` read numbers from the query string clamped to a range, and
:func:`text_arg` reads free text with NUL and other control characters taken out (PostgreSQL
refuses NUL in text).
"""

from __future__ import annotations

import re

from flask import Flask
from werkzeug.routing import IntegerConverter, Map

# Every id column is an Integer: PostgreSQL's 4-byte ``integer``, the narrower of the two databases.
MAX_ID = 2**31 - 1
# Far past any real list, and small enough that page * page size stays a small integer.
MAX_PAGE = 100_000
MAX_TEXT = 500

_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode's Cc: C0, DEL and C1
_INTEGER = re.compile(r"\s*(-?)([0-9]+)\s*")


class BoundedIntegerConverter(IntegerConverter):
    """werkzeug's ``int``, bounded by what an Integer column holds: ASCII digits only (werkzeug
    takes any Unicode digit) and nothing past :data:`MAX_ID` either way, so anything else is
    not found. Its options (``fixed_digits``, ``min``, ``max``, ``signed``) still work within
    those bounds."""

    regex = r"[0-9]+"

    def __init__(self, map: Map, *args, **kwargs) -> None:
        super().__init__(map, *args, **kwargs)
        floor = -MAX_ID if self.signed else 0
        self.min = floor if self.min is None else max(self.min, floor)
        self.max = MAX_ID if self.max is None else min(self.max, MAX_ID)


def register_converters(app: Flask) -> None:
    """Make ``<int:...>`` bounded in every route of the app (the RQ dashboard's included); call
    before any blueprint is registered, as a rule looks its converter up when it is added."""
    app.url_map.converters["int"] = BoundedIntegerConverter


def int_arg(args, name: str, *, default: int, minimum: int, maximum: int) -> int:
    """The whole number ``args[name]`` clamped to [minimum, maximum]; ``default`` when it is
    missing or not a number. A number of any length is clamped, never parsed whole."""
    match = _INTEGER.fullmatch(args.get(name) or "")
    if match is None:
        return default
    negative, digits = match.groups()
    digits = digits.lstrip("0") or "0"
    if len(digits) > len(str(max(abs(minimum), abs(maximum)))):
        return minimum if negative else maximum
    value = -int(digits) if negative else int(digits)
    return min(max(value, minimum), maximum)


def page_number(args, name: str = "page") -> int:
    """A 1-based page number from the query string: 1 when missing or not a number, at most
    :data:`MAX_PAGE`. A list still clamps it to its own last page."""
    return int_arg(args, name, default=1, minimum=1, maximum=MAX_PAGE)


def last_page_at_most(page: int, total: int, per_page: int) -> int:
    """``page`` within the pages ``total`` items make: a page past the last (a stale link, a
    made-up number) is the last."""
    return max(1, min(page, -(-total // per_page)))


def clean_text(value: str | None, max_length: int = MAX_TEXT) -> str:
    """``value`` with each control character (NUL included) turned into a space, trimmed, and
    cut to ``max_length`` characters."""
    return _CONTROL_CHARACTERS.sub(" ", value or "").strip()[:max_length].rstrip()


def text_arg(args, name: str, max_length: int = MAX_TEXT) -> str:
    """Free text from the query string, safe to put in a query: see :func:`clean_text`."""
    return clean_text(args.get(name), max_length)
