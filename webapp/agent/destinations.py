"""Where a handoff goes, per channel. Each destination is registered where the app is assembled
(``webapp.wiring``); Front teammates (unassign) is the default and the fallback."""

from __future__ import annotations

from typing import Protocol

from webapp import registry
from webapp.models import DEFAULT_DESTINATION, AgentSettings, Channel

DEFAULT = DEFAULT_DESTINATION


class HandoffDestination(Protocol):
    key: str
    label: str
    # The channels it can take; a destination without this attribute takes every channel.
    # channels: tuple[Channel, ...]

    def hand_off(
        self, *, sender, support_session, message_id: str, handoff, retrying: bool, customer_message: str | None
    ) -> None: ...

    # A destination that keeps the conversation after the handoff (a Case, a live rep) also has
    # holds(support_session) -> bool and forward_customer_message(support_session, message_id,
    # text, *, retrying): while it holds a session, the customer's new messages go to it and the AI stays quiet.


def available(channel: Channel | None = None) -> list[HandoffDestination]:
    """Every registered destination, or those that can take a conversation on ``channel``."""
    found = registry.current().destinations.values()
    if channel is None:
        return list(found)
    return [d for d in found if Channel(channel) in getattr(d, "channels", tuple(Channel))]


def holding(support_session) -> HandoffDestination | None:
    """The destination that has this session's conversation now, if one does."""
    for destination in registry.current().destinations.values():
        holds = getattr(destination, "holds", None)
        if holds is not None and holds(support_session):
            return destination
    return None


def for_channel(settings: AgentSettings | None, channel: Channel) -> HandoffDestination:
    registered = registry.current().destinations
    key = settings.destination_for(channel) if settings else DEFAULT
    return registered.get(key) or registered[DEFAULT]
