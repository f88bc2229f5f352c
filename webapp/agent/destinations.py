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

    def hand_off(
        self, *, sender, support_session, message_id: str, handoff, retrying: bool, customer_message: str | None
    ) -> None: ...


def available() -> list[HandoffDestination]:
    return list(registry.current().destinations.values())


def for_channel(settings: AgentSettings | None, channel: Channel) -> HandoffDestination:
    registered = registry.current().destinations
    key = settings.destination_for(channel) if settings else DEFAULT
    return registered.get(key) or registered[DEFAULT]
