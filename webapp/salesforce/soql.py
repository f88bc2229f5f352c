"""SOQL string literals, so that a customer's email address or name can go into a query.

Salesforce's escape rules for quoted strings (SOQL and SOSL reference, "Quoted String Escape
Sequences"): a backslash escapes ``\\ \\' \\" \\n \\r \\t \\b \\f``, and ``\\uXXXX`` stands for any
character; in a LIKE pattern ``\\_`` and ``\\%`` are the literal underscore and percent sign. Any
other backslash sequence is a syntax error, so nothing is passed through unescaped that could
start one.
"""

from __future__ import annotations

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
}
_LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}


def _escaped(value: str, extra: dict[str, str]) -> str:
    out = []
    for character in value:
        if character in _ESCAPES:
            out.append(_ESCAPES[character])
        elif character in extra:
            out.append(extra[character])
        elif ord(character) < 0x20 or 0x7F <= ord(character) < 0xA0:
            # Other control characters have no short escape: \uXXXX keeps them out of the query's syntax.
            out.append(f"\\u{ord(character):04x}")
        else:
            out.append(character)
    return "".join(out)


def quote(value: str) -> str:
    """``value`` as a SOQL string literal, quotes included: ``quote("O'Brien")`` is ``'O\\'Brien'``."""
    if not isinstance(value, str):
        raise TypeError(f"a SOQL string literal is made from text, not {type(value).__name__}")
    return f"'{_escaped(value, {})}'"


def quote_like(value: str) -> str:
    """``value`` as a LIKE pattern matching itself literally (its ``%`` and ``_`` escaped); add
    wildcards around the result's contents yourself if a partial match is meant."""
    if not isinstance(value, str):
        raise TypeError(f"a SOQL string literal is made from text, not {type(value).__name__}")
    return f"'{_escaped(value, _LIKE_ESCAPES)}'"
