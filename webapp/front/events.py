"""Front's webhook bodies, reduced to the few facts Switchboard acts on.

Two envelopes arrive in practice:
- application webhooks: ``{"type": "inbound_received", "authorization": {...}, "payload": <event>}``
- rule / legacy webhooks: the event itself, ``{"id": "evt_…", "type": "inbound", ...}``
Either way the event carries an id, a core type (``inbound``, ``outbound``, ``assign``, …),
the conversation (a preview) and a target (for message events, the message preview).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# The journal source Front's webhooks are recorded under (JournalEntry.source).
SOURCE = "front"
RULE_NAME_MAX = 200


class EventError(ValueError):
    """The body is JSON but not a Front event we can journal."""


class EventGroup(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    ARCHIVED = "archived"
    ASSIGNMENT = "assignment"
    TAG = "tag"
    OTHER = "other"


# Core event types (the Events API's ``type``) by what Switchboard does with them.
CORE_TYPES = {
    "inbound": EventGroup.INBOUND,
    "outbound": EventGroup.OUTBOUND,
    "out_reply": EventGroup.OUTBOUND,
    "archive": EventGroup.ARCHIVED,
    "assign": EventGroup.ASSIGNMENT,
    "unassign": EventGroup.ASSIGNMENT,
    "tag": EventGroup.TAG,
    "untag": EventGroup.TAG,
}

# Application webhook envelope types, for envelopes whose payload omits the core type.
APPLICATION_TYPES = {
    "inbound_received": "inbound",
    "outbound_sent": "outbound",
    "outbound_reply": "out_reply",
    "conversation_archived": "archive",
    "assignee_changed": "assign",  # covers unassignment too
    "tag_added": "tag",
    "tag_removed": "untag",
}


@dataclass(frozen=True)
class FrontEvent:
    id: str
    type: str
    conversation_id: str | None
    message_id: str | None = None
    target: dict = field(default_factory=dict)
    source: dict = field(default_factory=dict)
    # What made the change: "rule" (a Front rule, named in ``source``), "teammate", "api", ...
    source_type: str | None = None
    emitted_at: float | None = None
    conversation: dict = field(default_factory=dict)  # the preview the event carries

    @property
    def group(self) -> EventGroup:
        return CORE_TYPES.get(self.type, EventGroup.OTHER)

    @property
    def rule_name(self) -> str | None:
        """The name of the Front rule that made this change, when a rule did (cut to fit a
        timeline line: it is the admin's text, but it arrives from outside)."""
        if self.source_type != "rule":
            return None
        name = " ".join((_text_or_none(self.source.get("name")) or "").split())
        return name[:RULE_NAME_MAX] or None


def _data(part) -> dict:
    """Full events wrap the resource in ``data``; previews put ``id`` and ``_links`` inline."""
    if not isinstance(part, dict):
        return {}
    data = part.get("data")
    if isinstance(data, dict):
        return data
    return {key: value for key, value in part.items() if key != "_meta"}


def _meta_type(part) -> str | None:
    if isinstance(part, dict) and isinstance(part.get("_meta"), dict):
        return part["_meta"].get("type")
    return None


def _text_or_none(value) -> str | None:
    return value if isinstance(value, str) and value and _storable(value) else None


def _storable(text: str) -> bool:
    """Whether the journal can keep this as text: JSON may escape NUL (PostgreSQL refuses it)
    and lone surrogates (no database driver encodes them), Front's ids never hold either."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_validation(body) -> bool:
    """Front's check when an application webhook is saved: ``{"type": "sync", ...}``."""
    return isinstance(body, dict) and body.get("type") == "sync" and "payload" not in body


def parse(body) -> FrontEvent:
    if not isinstance(body, dict):
        raise EventError("the body is not a JSON object")
    envelope_type = body.get("type")
    event = body.get("payload") if isinstance(body.get("payload"), dict) else body
    event_id = event.get("id")
    if not isinstance(event_id, str) or not event_id:
        raise EventError("the event has no id")
    if not _storable(event_id):
        raise EventError("the event id contains a NUL character or an unpaired surrogate")
    core_type = event.get("type") if event is body else (event.get("type") or envelope_type)
    if not isinstance(core_type, str) or not core_type:
        raise EventError("the event has no type")
    if not _storable(core_type):
        raise EventError("the event type contains a NUL character or an unpaired surrogate")
    core_type = APPLICATION_TYPES.get(core_type, core_type)
    conversation = event.get("conversation") if isinstance(event.get("conversation"), dict) else {}
    target = _data(event.get("target"))
    message_id = target.get("id") if _meta_type(event.get("target")) == "message" else None
    conversation_id = conversation.get("id")
    for name, value in (("conversation", conversation_id), ("message", message_id)):
        if isinstance(value, str) and not _storable(value):
            raise EventError(f"the {name} id contains a NUL character or an unpaired surrogate")
    emitted_at = event.get("emitted_at")
    return FrontEvent(
        id=event_id,
        type=core_type,
        conversation_id=conversation_id if isinstance(conversation_id, str) else None,
        message_id=message_id if isinstance(message_id, str) else None,
        target=target,
        source=_data(event.get("source")),
        source_type=_text_or_none(_meta_type(event.get("source"))),
        emitted_at=emitted_at if isinstance(emitted_at, (int, float)) else None,
        conversation=conversation,
    )
