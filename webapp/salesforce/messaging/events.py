"""What arrives on a MIAW event stream, read into the few events Switchboard acts on.

A server-sent event has a name (``event:``), an id (``id:``) and ``data``: a JSON document
``{channelPlatformKey, channelType, channelAddressIdentifier, conversationId, conversationEntry:
{senderDisplayName, identifier, entryType, entryPayload, sender: {role, appType, subject},
transcriptedTimestamp, ...}}`` whose ``entryPayload`` is itself a JSON string, parsed again
(/work/shared/specs/salesforce.md §4; Salesforce's messaging-web-api-sample-app,
helpers/conversationEntryUtil.js). What is read, and why the rest is not:

- Event names Switchboard does not act on (typing, acknowledgements, routing work, consent,
  client menus, pings, and any Salesforce adds later) are ignored: the SSE structure page asks
  clients to ignore what they do not know.
- Entries whose sender is the end user are Switchboard's own posts (the transcript, the
  customer's messages it forwarded) echoed back: dropped, or they would loop into Front.
- One stream carries every conversation of its end user (a returning customer has several),
  so entries of any other conversation than the stream's are dropped.
- Anything malformed is dropped, not raised: one odd frame must not stop a stream.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

log = logging.getLogger(__name__)

MESSAGE = "CONVERSATION_MESSAGE"
PARTICIPANT_CHANGED = "CONVERSATION_PARTICIPANT_CHANGED"
ROUTING_RESULT = "CONVERSATION_ROUTING_RESULT"
SESSION_STATUS_CHANGED = "CONVERSATION_SESSION_STATUS_CHANGED"
CLOSE_CONVERSATION = "CONVERSATION_CLOSE_CONVERSATION"

# Whose messages reach the customer: the rep's, and a Salesforce bot's in front of the rep.
# Never the end user's (our own echoes); System, Router and Supervisor entries are not messages
# for the customer.
SPEAKING_ROLES = frozenset({"Agent", "Chatbot"})
# A routing result that routed (Salesforce sends "None", public clients have seen it missing).
NO_FAILURE = frozenset({"", "None", "none"})
# A dead access token, as it shows on the stream: an ``error`` event reading "Jwt is expired"
# (botpress hitl-salesforce client.ts ends its stream on it) or a 401 body.
TOKEN_DEAD_TEXT = ("Jwt is expired", '"status":401', '"status": 401')


class Kind(StrEnum):
    REP_MESSAGE = "rep_message"  # a rep (or the deployment's bot) wrote to the customer
    REP_JOINED = "rep_joined"  # a rep took the conversation
    REP_LEFT = "rep_left"  # the rep left (or transferred it: the conversation says which)
    ROUTING_FAILED = "routing_failed"  # Omni-Channel could not route it
    SESSION_ENDED = "session_ended"  # the rep or Salesforce ended the messaging session
    CONVERSATION_CLOSED = "conversation_closed"  # the conversation was closed for good
    TOKEN_LOST = "token_lost"  # not from Salesforce: the relay cannot get a live access token


@dataclass(frozen=True)
class MessagingEvent:
    """One event Switchboard acts on, as the relay hands it to a job (``as_job_argument``)."""

    kind: Kind
    conversation_id: str  # the MIAW conversation (ours, a lowercase UUID)
    event_id: str | None = None  # the stream's event id (None for TOKEN_LOST)
    entry_id: str | None = None  # conversationEntry.identifier: the same on every replay
    rep_name: str | None = None  # the sender's display name (messages, joins, leaves)
    sender_role: str | None = None
    text: str | None = None
    attachments: tuple[str, ...] = ()  # attachment URLs of a message
    reason: str | None = None  # why routing failed, who ended the session, why the token was lost
    sent_at: int | None = None  # transcriptedTimestamp, epoch milliseconds

    @property
    def key(self) -> str:
        """What tells this event from every other of its conversation, replays included."""
        return self.entry_id or self.event_id or self.kind.value

    def as_job_argument(self) -> dict[str, Any]:
        """Plain JSON-able values, as the job receives them (``from_job_argument`` reads them)."""
        values = asdict(self)
        values["kind"] = self.kind.value
        values["attachments"] = list(self.attachments)
        return values

    @classmethod
    def from_job_argument(cls, values: dict[str, Any]) -> MessagingEvent:
        known = {name: values.get(name) for name in cls.__dataclass_fields__ if name in values}
        known["kind"] = Kind(values["kind"])
        known["attachments"] = tuple(values.get("attachments") or ())
        return cls(**known)


def token_dead(name: str, data: str) -> bool:
    """Whether a frame says the stream's access token is dead (expired or revoked)."""
    return name == "error" and any(text in (data or "") for text in TOKEN_DEAD_TEXT)


def parse(name: str, event_id: str | None, data: str, conversation_id: str) -> MessagingEvent | None:
    """The event a frame of ``conversation_id``'s stream means, or None for a frame to pass over."""
    reader = _READERS.get(name)
    if reader is None:
        return None
    document = _json_object(data)
    if document is None:
        log.warning("a %s event (id %s) is not a JSON object; passed over", name, event_id)
        return None
    if str(document.get("conversationId") or "").lower() != conversation_id.lower():
        return None
    entry = document.get("conversationEntry")
    if not isinstance(entry, dict):
        return None
    sender = entry.get("sender") if isinstance(entry.get("sender"), dict) else {}
    payload = entry.get("entryPayload")
    payload = _json_object(payload) if isinstance(payload, str) else payload
    if not isinstance(payload, dict):
        payload = {}
    common = {
        "conversation_id": conversation_id,
        "event_id": event_id or None,
        "entry_id": _text(entry.get("identifier")),
        "sender_role": _text(sender.get("role")),
        "sent_at": entry.get("transcriptedTimestamp") if isinstance(entry.get("transcriptedTimestamp"), int) else None,
    }
    return reader(entry, payload, common)


def _message(entry: dict, payload: dict, common: dict) -> MessagingEvent | None:
    if common["sender_role"] not in SPEAKING_ROLES:
        return None  # the end user's own posts echoed back, or a system line
    message = payload.get("abstractMessage") if isinstance(payload.get("abstractMessage"), dict) else {}
    content = message.get("staticContent") if isinstance(message.get("staticContent"), dict) else {}
    text = content.get("text") if content.get("formatType") == "Text" else None
    attachments = content.get("attachments") if content.get("formatType") == "Attachments" else None
    urls = tuple(
        item["url"]
        for item in (attachments if isinstance(attachments, list) else ())
        if isinstance(item, dict) and isinstance(item.get("url"), str)
    )
    if not (isinstance(text, str) and text.strip()) and not urls:
        return None  # a message type with nothing to show (choices, forms): not relayed
    return MessagingEvent(
        Kind.REP_MESSAGE,
        rep_name=_text(entry.get("senderDisplayName")),
        text=text if isinstance(text, str) else None,
        attachments=urls,
        **common,
    )


def _participant_changed(entry: dict, payload: dict, common: dict) -> MessagingEvent | None:
    changes = payload.get("entries")
    for change in changes if isinstance(changes, list) else ():
        if not isinstance(change, dict):
            continue
        participant = change.get("participant") if isinstance(change.get("participant"), dict) else {}
        if participant.get("role") != "Agent" or change.get("operation") not in ("add", "remove"):
            continue
        kind = Kind.REP_JOINED if change["operation"] == "add" else Kind.REP_LEFT
        name = _text(change.get("displayName")) or _text(entry.get("senderDisplayName"))
        return MessagingEvent(kind, rep_name=name, **{**common, "sender_role": "Agent"})
    return None


def _routing_result(entry: dict, payload: dict, common: dict) -> MessagingEvent | None:
    failure = payload.get("failureType")
    if failure is None or str(failure) in NO_FAILURE:
        return None
    reason = _text(payload.get("failureReason")) or str(failure)
    return MessagingEvent(Kind.ROUTING_FAILED, reason=reason, **common)


def _session_status(entry: dict, payload: dict, common: dict) -> MessagingEvent | None:
    if payload.get("sessionStatus") != "Ended":
        return None  # Waiting, Active: the rep's arrival is read from the participant change
    return MessagingEvent(Kind.SESSION_ENDED, reason=_text(payload.get("sessionEndedByRole")), **common)


def _closed(entry: dict, payload: dict, common: dict) -> MessagingEvent | None:
    return MessagingEvent(Kind.CONVERSATION_CLOSED, **common)


_READERS = {
    MESSAGE: _message,
    PARTICIPANT_CHANGED: _participant_changed,
    ROUTING_RESULT: _routing_result,
    SESSION_STATUS_CHANGED: _session_status,
    CLOSE_CONVERSATION: _closed,
}


def _json_object(text: str | None) -> dict | None:
    try:
        value = json.loads(text) if text else None
    except (ValueError, TypeError, RecursionError):  # RecursionError: absurdly deep nesting
        return None
    return value if isinstance(value, dict) else None


def _text(value: object) -> str | None:
    return (value.strip() or None) if isinstance(value, str) else None
