from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.types import ClippedText, JSONDocument, UTCDateTime, enum_column, utcnow


class Channel(StrEnum):
    EMAIL = "email"
    WEB = "web"
    SMS = "sms"
    PHONE = "phone"


CHANNELS: tuple[str, ...] = tuple(channel.value for channel in Channel)


class SessionStatus(StrEnum):
    AI = "ai"
    HANDED_OFF = "handed_off"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {"ai": "AI", "handed_off": "Handed off", "resolved": "Resolved"}[self.value]


class SupportSession(Base):
    """One customer conversation as Switchboard handles it: the Inbox's row."""

    __tablename__ = "support_sessions"
    __table_args__ = (
        UniqueConstraint("organization_id", "ticket_number"),
        UniqueConstraint("organization_id", "front_conversation_id"),
        # Reps' replies arrive naming their Case; this finds its session.
        Index("ix_support_sessions_org_case", "organization_id", "salesforce_case_id"),
        Index("ix_support_sessions_org_activity", "organization_id", "last_activity_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    ticket_number: Mapped[int] = mapped_column(Integer)
    channel: Mapped[Channel] = mapped_column(enum_column(Channel))
    status: Mapped[SessionStatus] = mapped_column(enum_column(SessionStatus), default=SessionStatus.AI)
    # From the customer's side of Front: cut to fit rather than refused.
    subject: Mapped[str | None] = mapped_column(ClippedText(500))
    contact_name: Mapped[str | None] = mapped_column(ClippedText(200))
    contact_email: Mapped[str | None] = mapped_column(ClippedText(254))
    contact_phone: Mapped[str | None] = mapped_column(ClippedText(40))
    front_conversation_id: Mapped[str | None] = mapped_column(String(64))
    salesforce_case_id: Mapped[str | None] = mapped_column(String(64))
    salesforce_case_number: Mapped[str | None] = mapped_column(String(32))
    miaw_conversation_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    events: Mapped[list[SessionEvent]] = relationship(
        back_populates="session",
        order_by="(SessionEvent.created_at, SessionEvent.id)",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    @property
    def contact(self) -> str:
        parts = [p for p in (self.contact_name, self.contact_email or self.contact_phone) if p]
        if len(parts) == 2:
            return f"{parts[0]} <{parts[1]}>"
        return parts[0] if parts else "Unknown contact"

    def record(self, kind: EventKind, **payload) -> SessionEvent:
        """Append an event to the timeline (the caller commits)."""
        event = SessionEvent(kind=kind, payload=payload, created_at=utcnow())
        self.events.append(event)
        self.last_activity_at = event.created_at
        return event


class EventKind(StrEnum):
    CUSTOMER_MESSAGE = "customer_message"
    AI_REASONING = "ai_reasoning"
    TOOL_CALL = "tool_call"
    AI_REPLY = "ai_reply"
    SKIP = "skip"
    HANDOFF = "handoff"
    HUMAN_REPLY = "human_reply"
    ASSIGNMENT = "assignment"
    TAG = "tag"
    ARCHIVE = "archive"
    ARCHIVE_SKIPPED = "archive_skipped"
    RESOLVED = "resolved"
    ERROR = "error"
    # A Case handed off to, or a customer's message added to it as a comment.
    SALESFORCE_CASE = "salesforce_case"
    # A conversation with a live rep through Salesforce Live Messaging: opened, a customer's
    # message sent to the rep, a rep joining or leaving.
    LIVE_MESSAGING = "live_messaging"
    # Front delivered a message again after it was handled (a second webhook, a late resend).
    REDELIVERED = "redelivered"
    # A teammate's answer to a handed-off question linked or quoted an article: the customer's
    # question is offered to admins as an example for it (open, then accepted or dismissed).
    EXAMPLE_SUGGESTION = "example_suggestion"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize().replace("Ai ", "AI ")


class SessionEvent(Base):
    """One entry on a session's timeline; what it carries depends on its kind."""

    __tablename__ = "session_events"
    __table_args__ = (Index("ix_session_events_session_created", "session_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("support_sessions.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(enum_column(EventKind))
    payload: Mapped[dict] = mapped_column(JSONDocument, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    session: Mapped[SupportSession] = relationship(back_populates="events")
