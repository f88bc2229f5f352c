"""Encryption at rest for credentials.

Every secret column uses :class:`EncryptedText` or :class:`EncryptedJSON`, so no caller can
forget to encrypt. Keys are Fernet keys, newest first (``ENCRYPTION_KEYS``): the newest encrypts,
every listed key decrypts, which is what makes rotation possible without downtime.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text
from sqlalchemy.types import TypeDecorator


class EncryptionNotConfigured(RuntimeError):
    pass


log = logging.getLogger(__name__)


class KeyRing:
    """The process's Fernet keys, configured by the app factory.

    A process started before ``switchboard keys new --save`` and ``keys rotate`` would meet
    rows encrypted under a key it never loaded: given a ``reload`` (the factory's way to read
    the keys again), a token that no loaded key opens makes it read the keys once more and try
    again, instead of failing until it is restarted.
    """

    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None
        self._keys: list[str] = []
        self._reload: Callable[[], list[str]] | None = None
        self._lock = threading.Lock()

    def configure(self, keys: list[str], reload: Callable[[], list[str]] | None = None) -> None:
        if not keys:
            raise EncryptionNotConfigured("ENCRYPTION_KEYS is empty")
        try:
            self._fernet = MultiFernet([Fernet(key.encode()) for key in keys])
        except ValueError as exc:
            raise EncryptionNotConfigured(
                "ENCRYPTION_KEYS must be comma-separated Fernet keys (generate one with `switchboard keys new`)"
            ) from exc
        self._keys = list(keys)
        self._reload = reload

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise EncryptionNotConfigured("encryption keys were not configured")
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            if not self._reload_keys():
                raise
            return self.fernet.decrypt(token.encode()).decode()

    def _reload_keys(self) -> bool:
        """Read the keys again; True when they changed (so decrypting is worth another try)."""
        if self._reload is None:
            return False
        with self._lock:
            try:
                keys = self._reload()
            except (OSError, ValueError) as exc:
                log.warning("could not read the encryption keys again: %s", exc)
                return False
            if not keys or keys == self._keys:
                return False
            self.configure(keys, self._reload)
        log.info("encryption keys reloaded: a stored secret was encrypted under a key this process had not loaded")
        return True

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


def undecryptable_page(error: EncryptionNotConfigured):
    """What a page answers when a stored secret cannot be read: 503 and the fix, not a 500."""
    from flask import render_template, request

    log.error("%s", error)
    message = (
        "A stored secret could not be decrypted with the configured encryption keys. Put the key that "
        "encrypted it back in ENCRYPTION_KEYS (or the instance folder's encryption_keys file) and restart; "
        "see “Rotating the encryption key” in the README."
    )
    if request.path.startswith("/webhooks/"):
        return {"error": "Service unavailable", "message": "stored secrets cannot be read; deliver again later"}, 503
    return render_template("error.html", status=503, title="Stored secrets cannot be read", message=message), 503
