"""Where a handoff goes, per channel. Front teammates (unassign) is the one destination today;
Salesforce destinations plug in here by registering themselves."""

from __future__ import annotations

from typing import Protocol

from webapp.models import AgentSettings, Channel

DEFAULT = "front_teammates"


class HandoffDestination(Protocol):
    key: str
    label: str

    def hand_off(self, *, sender, session, message_id: str, handoff, retrying: bool, customer_message: str | None) -> None: ...


_registry: dict[str, HandoffDestination] = {}


def register(destination: HandoffDestination) -> None:
    _registry[destination.key] = destination


def available() -> list[HandoffDestination]:
    return list(_registry.values())


def for_channel(settings: AgentSettings | None, channel: Channel) -> HandoffDestination:
    key = ((settings.destinations or {}) if settings else {}).get(channel.value, DEFAULT)
    return _registry.get(key) or _registry[DEFAULT]
