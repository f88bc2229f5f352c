"""Encryption at rest for credentials.

Every secret column uses :class:`EncryptedText` or :class:`EncryptedJSON`, so no caller can
forget to encrypt. Keys are Fernet keys, newest first (``ENCRYPTION_KEYS``): the newest encrypts,
every listed key decrypts, which is what makes rotation possible without downtime.
"""

from __future__ import annotations

import json

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class EncryptionNotConfigured(RuntimeError):
    pass


class KeyRing:
    """The process's Fernet keys. Configured once by the app factory."""

    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def configure(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionNotConfigured("ENCRYPTION_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError as exc:
            raise EncryptionNotConfigured(
                "ENCRYPTION_KEYS must be comma-separated Fernet keys (generate one with `switchboard keys new`)"
            ) from exc

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise EncryptionNotConfigured("encryption keys were not configured")
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self.fernet.decrypt(token.encode()).decode()

    def rotate(self, token: str) -> str:
        """Re-encrypt a token under the newest key (it must decrypt under one of them)."""
        return self.fernet.rotate(token.encode()).decode()


keyring = KeyRing()


class EncryptedText(TypeDecorator):
    """A string stored as a Fernet token."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return keyring.encrypt(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        try:
            return keyring.decrypt(value)
        except InvalidToken as exc:
            raise EncryptionNotConfigured(
                "a stored secret could not be decrypted: the key that encrypted it is no longer in ENCRYPTION_KEYS"
            ) from exc


class EncryptedJSON(EncryptedText):
    """A JSON document (e.g. a set of OAuth tokens) stored as one Fernet token."""

    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return super().process_bind_param(json.dumps(value, sort_keys=True), dialect)

    def process_result_value(self, value, dialect):
        text = super().process_result_value(value, dialect)
        return None if text is None else json.loads(text)


def secret_hint(value: str | None) -> str:
    """What a page may show of a saved secret: that it exists and its last four characters."""
    if not value:
        return "not set"
    return f"saved, ends in …{value[-4:]}" if len(value) >= 12 else "saved"


def encrypted_columns(metadata):
    """Every (table, column) whose type encrypts, found from the models, not listed by hand."""
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                yield table, column


def rotate_all(engine, metadata) -> dict[str, int]:
    """Re-encrypt every stored secret under the newest key, in one transaction.

    Works on the raw tokens (never decrypting into Python objects), so it also covers rows of
    models with validation or defaults, and a failure leaves every row as it was.
    """
    from sqlalchemy import select, type_coerce, update

    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table, column in encrypted_columns(metadata):
            (pk,) = table.primary_key.columns
            raw = type_coerce(column, Text)
            rows = connection.execute(select(pk, raw).where(column.isnot(None))).all()
            for row_id, token in rows:
                connection.execute(
                    update(table).where(pk == row_id).values({column.name: type_coerce(keyring.rotate(token), Text)})
                )
            counts[f"{table.name}.{column.name}"] = len(rows)
    return counts
