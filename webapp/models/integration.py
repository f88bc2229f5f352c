from __future__ import annotations

import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from types import MappingProxyType

from flask import current_app
from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, bindparam, false, select, type_coerce
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from webapp.crypto import EncryptedJSON
from webapp.db import Base, db
from webapp.models.types import HasCredentials, MutableJSON, UTCDateTime, enum_column, utcnow


class IntegrationKind(StrEnum):
    FRONT = "front"
    SALESFORCE = "salesforce"
    LLM = "llm"


class Integration(HasCredentials, Base):
    """One organization's settings for one remote system.

    ``settings`` holds what may be shown back on a page (the AI teammate, toggles); anything
    that grants access (API tokens, OAuth tokens, app secrets) goes in ``credentials``, which is
    encrypted at rest and never rendered.
    """

    __tablename__ = "integrations"
    __table_args__ = (UniqueConstraint("organization_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    kind: Mapped[IntegrationKind] = mapped_column(enum_column(IntegrationKind))
    enabled: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    settings: Mapped[dict] = mapped_column(MutableJSON, default=dict)
    credentials: Mapped[dict | None] = mapped_column(MutableDict.as_mutable(EncryptedJSON()))
    # The unguessable part of this integration's webhook URL; regenerating it cuts off the old.
    webhook_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


def integration_of(organization_id: int, kind: IntegrationKind) -> Integration | None:
    """An organization's integration of one kind (there is at most one)."""
    return db.session.scalar(
        select(Integration).where(Integration.organization_id == organization_id, Integration.kind == kind)
    )


# secrets.token_urlsafe's alphabet; 64 characters is far above the 43 it makes.
WEBHOOK_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class WebhookTarget:
    """What a webhook request needs of the integration its URL names: whose it is and the
    secrets that check its signature; nothing of the ORM, so a delivery costs one small query,
    or none when the process remembers it (``cached``).

    ``token``, ``kind`` and ``ciphertext`` say which state of the integration this is: the
    journal writes a delivery only while the integration still has them, so a remembered
    target that has gone stale never lets an event in (``webapp.journal.record_delivery``)."""

    integration_id: int
    organization_id: int
    credentials: Mapping[str, str]
    token: str
    kind: str
    ciphertext: str | None
    cached: bool = False

    def credential(self, name: str) -> str | None:
        return self.credentials.get(name) or None

    def same_state(self, other: WebhookTarget | None) -> bool:
        return other is not None and (other.integration_id, other.organization_id, other.ciphertext) == (
            self.integration_id,
            self.organization_id,
            self.ciphertext,
        )


# How many webhook targets a process remembers (unknown tokens are never remembered, so this is
# a bound on integrations, far above what one installation has), and for how long: a URL cut
# off by a new token stops answering even a Front challenge within that time in every process.
REMEMBERED_TARGETS = 4096
REMEMBERED_SECONDS = 60.0


def webhook_target(token: str, kind: IntegrationKind, *, remembered: bool = False) -> WebhookTarget | None:
    """What a webhook request needs of the integration whose URL ends in ``token``: one Core
    query for three columns. Only what a webhook token can look like is looked up: anything
    else (a NUL, which PostgreSQL refuses in a query) is an unknown URL, not a database error.

    With ``remembered``, a target this process found before is given without a query, marked
    ``cached``. It may be stale (the admin changed the secret or the URL meanwhile): a caller
    that refuses a delivery on a cached target's secrets looks again with ``remembered=False``
    first, and the journal refuses to write for a state the integration no longer has.

    The credentials are decrypted once per process for each stored ciphertext: a new secret is
    a new ciphertext, so a change needs nothing invalidated."""
    if not WEBHOOK_TOKEN.fullmatch(token):
        return None
    targets = _remembered_targets()
    known = targets.get((token, kind)) if remembered else None
    if known is not None and time.monotonic() - known[1] < REMEMBERED_SECONDS:
        return known[0]
    row = db.session.connection().execute(_WEBHOOK_TARGET, {"token": token, "kind": kind}).one_or_none()
    if row is None:
        targets.pop((token, kind), None)
        return None
    target = WebhookTarget(row[0], row[1], _decrypted_credentials(row[2]), token, kind, row[2])
    if len(targets) >= REMEMBERED_TARGETS:
        targets.clear()
    targets[(token, kind)] = (replace(target, cached=True), time.monotonic())
    return target


def _remembered_targets() -> dict:
    """Per application (one per process in production; each test's app starts empty)."""
    return current_app.extensions.setdefault("switchboard.webhook_targets", {})


# Built once: composing the statement cost more than running it.
_WEBHOOK_TARGET = select(Integration.id, Integration.organization_id, type_coerce(Integration.credentials, Text)).where(
    Integration.webhook_token == bindparam("token"), Integration.kind == bindparam("kind")
)


@lru_cache(maxsize=1024)
def _decrypted_credentials(ciphertext: str | None) -> Mapping[str, str]:
    if ciphertext is None:
        return MappingProxyType({})
    return MappingProxyType(EncryptedJSON().process_result_value(ciphertext, None) or {})


def new_webhook_token() -> str:
    """The unguessable last part of a webhook URL."""
    return secrets.token_urlsafe(32)


def get_or_create_integration(organization_id: int, kind: IntegrationKind) -> Integration:
    """The organization's integration of this kind, made (switched off, with its webhook token)
    and flushed when it has none yet; the caller commits."""
    integration = integration_of(organization_id, kind)
    if integration is None:
        integration = Integration(
            organization_id=organization_id, kind=kind, enabled=False, settings={}, webhook_token=new_webhook_token()
        )
        db.session.add(integration)
        db.session.flush()
    return integration
