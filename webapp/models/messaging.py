from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, false
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column

from webapp.crypto import EncryptedJSON
from webapp.db import Base
from webapp.models.types import ClippedText, HasCredentials, UTCDateTime, enum_column, utcnow


class MessagingStatus(StrEnum):
    ROUTING = "routing"  # the conversation is open in Salesforce, waiting for a rep
    ACTIVE = "active"  # a rep has joined
    ENDED = "ended"  # the rep closed it or the session ended: the session is resolved
    FAILED = "failed"  # routing failed or no rep came in time: handed to Front teammates

    @property
    def open(self) -> bool:
        return self in (MessagingStatus.ROUTING, MessagingStatus.ACTIVE)


class MessagingConversation(HasCredentials, Base):
    """A support session handed to a live rep through Salesforce's Messaging for In-App and Web:
    the MIAW conversation, the end user's access token (encrypted), and the event stream's place.

    A relay process holds the stream of each open conversation under a lease (``lease_owner``
    until ``lease_expires_at``), renewed while it listens, so a killed relay's streams are taken
    over by another; ``last_event_id`` is where the next one resumes, so nothing is missed or
    relayed twice.
    """

    __tablename__ = "messaging_conversations"
    __table_args__ = (Index("ix_messaging_conversations_status_lease", "status", "lease_expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    session_id: Mapped[int] = mapped_column(ForeignKey("support_sessions.id", ondelete="CASCADE"), unique=True)
    conversation_id: Mapped[str] = mapped_column(String(36), unique=True)  # lowercase UUID v4, ours
    status: Mapped[MessagingStatus] = mapped_column(enum_column(MessagingStatus), default=MessagingStatus.ROUTING)
    authenticated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    end_user_subject: Mapped[str | None] = mapped_column(ClippedText(255))
    credentials: Mapped[dict | None] = mapped_column(MutableDict.as_mutable(EncryptedJSON()))
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_event_id: Mapped[str | None] = mapped_column(String(255))
    rep_name: Mapped[str | None] = mapped_column(ClippedText(200))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # No rep by then: the conversation is handed to Front teammates instead.
    routing_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
