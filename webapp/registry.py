"""What the app is assembled from: the webhook sources the journal processes and the places a
handoff can go. One registry per app, filled in one place (``webapp.wiring``), read by the
journal and the agent; nothing registers itself by being imported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import current_app

if TYPE_CHECKING:
    from webapp.agent.destinations import HandoffDestination
    from webapp.journal import JournalSource


@dataclass
class Registry:
    journal_sources: dict[str, JournalSource] = field(default_factory=dict)
    destinations: dict[str, HandoffDestination] = field(default_factory=dict)

    def add_journal_source(self, source: JournalSource) -> None:
        if source.name in self.journal_sources:
            raise ValueError(f"journal source {source.name!r} is registered twice")
        self.journal_sources[source.name] = source

    def add_destination(self, destination: HandoffDestination) -> None:
        if destination.key in self.destinations:
            raise ValueError(f"handoff destination {destination.key!r} is registered twice")
        self.destinations[destination.key] = destination


def current() -> Registry:
    return current_app.extensions["registry"]
