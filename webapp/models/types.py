"""Column types shared by every model."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from enum import Enum
from typing import Any, Self

from sqlalchemy import JSON, DateTime, String
from sqlalchemy import Enum as SAEnum
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.types import TypeDecorator

JSONDocument = JSON().with_variant(JSONB(), "postgresql")
# A JSON object column whose in-place edits (``row.settings["x"] = 1``, ``.update()``,
# ``.pop()``) are saved like an assignment: no caller has to copy and reassign it. A type of its
# own: as_mutable applies to every column of the very type object it is given.
MutableJSON = MutableDict.as_mutable(JSON().with_variant(JSONB(), "postgresql"))


class ClippedText(TypeDecorator):
    """A VARCHAR for text that comes from outside (a conversation's subject, a customer's name, a
    Help Center's title): cut to the column's length on the way in, so a long one is kept
    shortened instead of failing the insert (PostgreSQL refuses it; SQLite would keep it whole)."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if isinstance(value, str) and self.impl.length is not None:
            return value[: self.impl.length]
        return value


class HasCredentials:
    """For a model with an encrypted, in-place-editable ``credentials`` JSON column: the one way
    to read and write one secret in it."""

    credentials: dict | None

    def credential(self, name: str) -> str | None:
        """One stored secret (an API token, an app secret), or None when it is not set."""
        return (self.credentials or {}).get(name) or None

    def set_credential(self, name: str, value: str | None) -> None:
        """Store a secret (encrypted with the rest), or forget it with None."""
        if value is None:
            if self.credentials:
                self.credentials.pop(name, None)
            return
        if self.credentials is None:
            self.credentials = {}
        self.credentials[name] = value


class SettingsError(ValueError):
    """A setting that cannot be saved; the message says why, in the admin's words."""


class JSONSettings:
    """A typed view of a JSON settings column, for the frozen dataclasses that subclass it.

    The fields and their defaults are declared once. Reading is lenient: a missing or null key
    takes its default and an unknown key is ignored (a setting added or removed by another
    version). Writing is strict: ``to_json`` runs ``validate``, so nothing out of bounds is saved.
    """

    @classmethod
    def from_json(cls, raw: dict[str, Any] | None) -> Self:
        raw = raw or {}
        values = {f.name: raw[f.name] for f in dataclasses.fields(cls) if raw.get(f.name) is not None}
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        self.validate()
        return dataclasses.asdict(self)

    def validate(self) -> None:
        """Raise SettingsError, in the admin's words, when a value cannot be saved."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum: type[Enum]) -> SAEnum:
    """Store an enum by value in a VARCHAR: new kinds need no ALTER TYPE migration."""
    return SAEnum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )
