from __future__ import annotations

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
