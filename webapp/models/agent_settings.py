from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.db import Base
from webapp.models.support_session import Channel
from webapp.models.types import JSONDocument, JSONSettings, MutableJSON, SettingsError, UTCDateTime, enum_column, utcnow


class HandoffMode(StrEnum):
    PRESET = "preset"
    ADVANCED = "advanced"


DEFAULT_MESSAGE_OPEN = "I'm passing you to a teammate who will reply here shortly."
DEFAULT_MESSAGE_CLOSED = (
    "I'm passing you to a teammate. The team is away right now and back {next_opening}; they will reply here then."
)


DEFAULT_DESTINATION = "front_teammates"


@dataclass(frozen=True)
class AdvancedSwitches(JSONSettings):
    """The Advanced mode of Handoff settings (``AgentSettings.advanced``)."""

    enabled: bool = True  # the master switch: off means the AI never hands off
    on_frustration: bool = True
    on_unproductive: bool = True
    unproductive_after: int = 2  # AI replies without progress before handing off
    on_request: bool = True

    MAX_UNPRODUCTIVE_AFTER = 20

    def validate(self) -> None:
        if isinstance(self.unproductive_after, bool) or not isinstance(self.unproductive_after, int):
            raise SettingsError("“after this many AI replies” must be a whole number")
        if not 1 <= self.unproductive_after <= self.MAX_UNPRODUCTIVE_AFTER:
            raise SettingsError(f"“after this many AI replies” must be between 1 and {self.MAX_UNPRODUCTIVE_AFTER}")


class AgentSettings(Base):
    """How an organization's AI hands off: level or advanced switches, forbidden topics,
    destinations per channel, the customer-facing messages and the office hours they use."""

    __tablename__ = "agent_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), unique=True)
    handoff_mode: Mapped[HandoffMode] = mapped_column(enum_column(HandoffMode), default=HandoffMode.PRESET)
    handoff_level: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    advanced: Mapped[dict] = mapped_column(MutableJSON, default=dict)  # see AdvancedSwitches
    forbidden_topics: Mapped[str] = mapped_column(Text, default="", server_default="")
    destinations: Mapped[dict] = mapped_column(MutableJSON, default=dict)  # channel -> destination key
    # How sure the built-in agent must be to reply, or to draft for a teammate (AnswerPolicy).
    answer_policy: Mapped[dict] = mapped_column(MutableJSON, default=dict)
    message_open: Mapped[str] = mapped_column(Text, default=DEFAULT_MESSAGE_OPEN)
    message_closed: Mapped[str] = mapped_column(Text, default=DEFAULT_MESSAGE_CLOSED)
    office_hours_id: Mapped[int | None] = mapped_column(ForeignKey("office_hours.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    office_hours: Mapped[OfficeHours | None] = relationship()

    @property
    def switches(self) -> AdvancedSwitches:
        return AdvancedSwitches.from_json(self.advanced)

    @switches.setter
    def switches(self, value: AdvancedSwitches) -> None:
        self.advanced = value.to_json()

    def destination_for(self, channel: Channel) -> str:
        """The key of the handoff destination chosen for a channel (Front teammates unless set)."""
        return (self.destinations or {}).get(Channel(channel).value) or DEFAULT_DESTINATION

    @property
    def topics(self) -> list[str]:
        return [line.strip() for line in (self.forbidden_topics or "").splitlines() if line.strip()]


class OfficeHours(Base):
    """A named weekly schedule in one IANA time zone; shifts may cross midnight."""

    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    # [{"day_of_week": "monday_to_friday", "start_time": "09:00", "end_time": "17:00"}, ...]
    shifts: Mapped[list] = mapped_column(JSONDocument, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
