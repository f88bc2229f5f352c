"""Helpers for the Live Messaging handoff tests: choosing it in Handoff settings, and playing the
relay (each event on the fake's stream parsed and handed to its job's function), for tests that
do not run the relay process."""

from __future__ import annotations

import json

from sqlalchemy import select

from webapp.agent import settings as agent_settings
from webapp.db import db
from webapp.models import CHANNELS, MessagingConversation
from webapp.salesforce.messaging import events, handoff
from webapp.sandbox.miaw import FakeMessaging


def hand_off_to_live_messaging(organization_id: int, channels=CHANNELS) -> None:
    """Handoff settings: the given channels go to Salesforce Live Messaging."""
    settings = agent_settings.get_or_create(organization_id)
    settings.destinations = {channel: "salesforce_live_messaging" for channel in channels}
    db.session.commit()


def relay_stream(fake: FakeMessaging, conversation_id: str, after: int = 0) -> int:
    """What the relay does with a conversation's stream: each event after ``after`` parsed and
    acted on as its job would; returns the last event id."""
    row_id = db.session.scalar(
        select(MessagingConversation.id).where(MessagingConversation.conversation_id == conversation_id)
    )
    last = after
    for published in fake.events_of(conversation_id):
        if published.id <= after:
            continue
        event = events.parse(published.name, str(published.id), json.dumps(published.data), conversation_id)
        if event is not None:
            handoff.relay_event(row_id, event)
        last = published.id
    return last
