from __future__ import annotations

import re
import secrets
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false, select
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


def integration_by_webhook_token(token: str, kind: IntegrationKind) -> Integration | None:
    """The integration whose webhook URL ends in ``token``. Only what a webhook token can look
    like is looked up: anything else (a NUL, which PostgreSQL refuses in a query) is an unknown
    URL, not a database error."""
    if not WEBHOOK_TOKEN.fullmatch(token):
        return None
    return db.session.scalar(select(Integration).where(Integration.webhook_token == token, Integration.kind == kind))


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
