"""An organization's handoff settings, and the message a customer gets at handoff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from webapp.agent import destinations
from webapp.agent.confidence import AnswerPolicy
from webapp.agent.office_hours import Schedule, ScheduleError, describe_opening
from webapp.agent.policy import PRESETS
from webapp.db import db
from webapp.models import (
    CHANNELS,
    DEFAULT_MESSAGE_OPEN,
    AdvancedSwitches,
    AgentSettings,
    Channel,
    HandoffMode,
    OfficeHours,
    SettingsError,
    utcnow,
)


def settings_for(organization_id: int) -> AgentSettings | None:
    return db.session.scalar(select(AgentSettings).where(AgentSettings.organization_id == organization_id))


def get_or_create(organization_id: int) -> AgentSettings:
    settings = settings_for(organization_id)
    if settings is None:
        settings = AgentSettings(organization_id=organization_id, advanced={}, destinations={})
        db.session.add(settings)
        db.session.flush()
    return settings


def save(
    organization_id: int,
    *,
    mode: HandoffMode,
    level: int,
    switches: AdvancedSwitches,
    forbidden_topics: str,
    message_open: str,
    message_closed: str,
    office_hours_id: int | None,
    destination_keys: dict[str, str],
    answer_policy: AnswerPolicy | None = None,
) -> AgentSettings:
    """Check and save the whole Handoff settings page; SettingsError says what is wrong. Without
    ``answer_policy`` the saved one is kept."""
    if level not in PRESETS:
        raise SettingsError(f"there is no handoff level {level}")
    if not message_open.strip() or not message_closed.strip():
        raise SettingsError("both handoff messages are needed: the customer is always told something")
    if office_hours_id is not None:
        schedule = db.session.get(OfficeHours, office_hours_id)
        if schedule is None or schedule.organization_id != organization_id:
            raise SettingsError("those office hours no longer exist")
    known = {destination.key for destination in destinations.available()}
    chosen = {Channel(channel).value: key for channel, key in destination_keys.items()}
    if unknown := sorted(set(chosen.values()) - known):
        raise SettingsError(f"unknown handoff destination: {', '.join(unknown)}")
    for channel, key in chosen.items():
        if key not in {destination.key for destination in destinations.available(Channel(channel))}:
            raise SettingsError(f"{registered_label(key)} cannot take {channel} conversations")
    settings = get_or_create(organization_id)
    settings.handoff_mode = mode
    settings.handoff_level = level
    settings.switches = switches
    settings.forbidden_topics = forbidden_topics
    settings.message_open = message_open.strip()
    settings.message_closed = message_closed.strip()
    settings.office_hours_id = office_hours_id
    settings.destinations = {channel: chosen.get(channel, destinations.DEFAULT) for channel in CHANNELS}
    if answer_policy is not None:
        settings.answer_policy = answer_policy.as_dict()
    db.session.commit()
    return settings


def answer_policy_of(settings: AgentSettings | None) -> AnswerPolicy:
    return AnswerPolicy.from_settings(settings.answer_policy if settings else None)


def registered_label(key: str) -> str:
    return next((d.label for d in destinations.available() if d.key == key), key)


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
