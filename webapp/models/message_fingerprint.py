from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import UTCDateTime, utcnow


class MessageFingerprint(Base):
    """A customer message the AI handled, by content, so a resend within a day is handled once.

    Event ids catch a webhook delivered twice; this catches the same words arriving as two
    messages (a customer pressing send twice, a channel that re-posts).
    """

    __tablename__ = "message_fingerprints"
    __table_args__ = (
        Index("ix_message_fingerprints_lookup", "organization_id", "conversation_id", "content_hash", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    conversation_id: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))
    message_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
