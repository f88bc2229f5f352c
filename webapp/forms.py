"""What every form of the app shares: the rules for text no field may hold."""

from __future__ import annotations

import unicodedata

from flask_wtf import FlaskForm
from wtforms import ValidationError

# Tabs and line breaks are text; every other control character is not.
TEXT_CONTROLS = frozenset("\t\n\r")
CONTROL_CHARACTERS_MESSAGE = (
    "Remove the control characters from this field (an invisible character such as NUL, "
    "often pasted along with the text)."
)
API_TOKEN_MESSAGE = (
    "This is not an API token: a token is letters, digits and punctuation only. "
    "Copy it again, without line breaks or accented letters."
)


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in TEXT_CONTROLS for c in text)


def is_api_token(text: str) -> bool:
    """Tokens and keys travel in an HTTP header, which holds printable ASCII and nothing else."""
    return text.isascii() and text.isprintable()


def strip_whitespace(value):
    """Field filter for addresses: whitespace around one is never part of it, and whitespace
    alone would pass Optional() and skip every other check, the length included."""
    return value.strip() if isinstance(value, str) else value


def api_token_characters(form, field) -> None:
    """Validator for a field holding an API token or key (stripped before it is used)."""
    if field.data and not is_api_token(field.data.strip()):
        raise ValidationError(API_TOKEN_MESSAGE)


class Form(FlaskForm):
    """The base of every form: no text field accepts control characters.

    PostgreSQL refuses NUL in text, so a pasted NUL would otherwise fail only when the row is
    saved; no name, message or key is meant to hold the other control characters either.
    """

    # Fields only compared with what is stored, never stored (the password at login): refusing
    # a character there could lock out an account whose password was set before this rule.
    unchecked_fields: tuple[str, ...] = ()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.short_name in self.unchecked_fields:
                continue
            if isinstance(field.data, str) and has_control_characters(field.data):
                field.errors.append(CONTROL_CHARACTERS_MESSAGE)
                valid = False
        return valid


class ButtonForm(Form):
    """A form that is only a button: it carries the CSRF token, the target is in the URL."""
