"""An organization's handoff settings, and the message a customer gets at handoff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from webapp.agent.office_hours import Schedule, ScheduleError, describe_opening
from webapp.db import db
from webapp.models import DEFAULT_MESSAGE_OPEN, AgentSettings, Channel, OfficeHours, utcnow


def settings_for(organization_id: int) -> AgentSettings | None:
    return db.session.scalar(select(AgentSettings).where(AgentSettings.organization_id == organization_id))


def get_or_create(organization_id: int) -> AgentSettings:
    settings = settings_for(organization_id)
    if settings is None:
        settings = AgentSettings(organization_id=organization_id, advanced={}, destinations={})
        db.session.add(settings)
        db.session.flush()
    return settings


def schedule_of(office_hours: OfficeHours) -> Schedule:
    return Schedule.parse(office_hours.timezone, office_hours.shifts or [])


def handoff_message(settings: AgentSettings | None, channel: Channel, now: datetime | None = None) -> str:
    """Inside office hours (or with none set, or on the phone): the open message. Outside:
    the closed message, told when the team is back."""
    now = now or utcnow()
    if settings is None:
        return DEFAULT_MESSAGE_OPEN
    if channel == Channel.PHONE or settings.office_hours is None:
        return settings.message_open
    try:
        schedule = schedule_of(settings.office_hours)
    except ScheduleError:
        return settings.message_open
    if schedule.is_open(now):
        return settings.message_open
    opening = schedule.next_opening(now)
    when = describe_opening(opening, now) if opening else "as soon as possible"
    return settings.message_closed.replace("{next_opening}", when)
