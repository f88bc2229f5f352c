from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import ClippedText, UTCDateTime, enum_column, utcnow


class JournalStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"


class JournalEntry(Base):
    """A webhook delivery, written before it is acknowledged and processed from here.

    The unique (organization, source, external id) makes a redelivery a no-op; the status and
    attempts let the sweeper pick up rows whose job never ran or died. A row being processed
    carries a lease its worker keeps renewing; a lease that ran out means the worker is gone.
    """

    __tablename__ = "webhook_journal"
    __table_args__ = (
        UniqueConstraint("organization_id", "source", "external_id"),
        Index("ix_webhook_journal_status_updated", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str | None] = mapped_column(ClippedText(64))
    payload: Mapped[str] = mapped_column(Text)  # the raw body, exactly as delivered
    status: Mapped[JournalStatus] = mapped_column(enum_column(JournalStatus), default=JournalStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
