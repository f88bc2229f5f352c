"""A session a live rep has through Salesforce Live Messaging (MIAW), as Switchboard keeps it:
its ``MessagingConversation`` (the MIAW conversation and the end user's access token), the
customer's later messages sent to the rep once each, and giving the conversation to Front
teammates when the rep's side cannot go on.

The reply flow (``webapp.front.handling``) reaches it through the LiveMessaging destination
(``holds`` and ``forward_customer_message``) to divert a customer's message; the handoff and
what the relay reports (``webapp.salesforce.messaging.handoff``) build on it.

- A customer's message goes to the rep once: the timeline event that says it was sent carries the
  Front message id and is looked for first, and each MIAW message id is made from the Front
  message id, so a retried job sends the same ids and MIAW takes each once.
- An access token refused on a conversation call is renewed (a continuation token; for a verified
  customer a new verified token, the same end user) and the call made once more.
- MIAW failing is left to the journal's retries, the failure shown once on the timeline; MIAW
  refusing the message (the conversation closed on its side) gives the conversation to Front
  teammates, so the customer is not left writing to nobody.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from webapp.agent import Handoff
from webapp.db import db
from webapp.front import actions
from webapp.front.integration import client_for as front_client_for
from webapp.front.integration import front_integration
from webapp.front.integration import is_connected as front_is_connected
from webapp.front.integration import settings_of as front_settings_of
from webapp.models import (
    EventKind,
    Integration,
    MessagingConversation,
    MessagingStatus,
    SessionEvent,
    SessionStatus,
    SupportSession,
    utcnow,
)
from webapp.salesforce.case_handoff import front_url
from webapp.salesforce.errors import remote_text
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging.client import (
    MessagingClient,
    MessagingError,
    MessagingRejected,
    MessagingTokenExpired,
    MessagingUnavailable,
    TokenGrant,
    client_for,
)
from webapp.salesforce.messaging.identity import customer_identity_token
from webapp.salesforce.transcript import clean_text, split_comments

log = logging.getLogger(__name__)

LABEL = "Salesforce Live Messaging"
ACCESS_TOKEN = "access_token"  # the credential of a MessagingConversation holding its access token
# Salesforce publishes no limit for a message's text. A CaseComment's 4,000 bytes of UTF-8 stays
# within every limit seen (the fake refuses more than 4,000 characters); longer text is split.
MESSAGE_MAX_BYTES = 4000
ERROR_SHOWN_MAX = 300
FORWARD_ERROR_KEY = "live_message_for"
FALLBACK_ERROR_KEY = "live_messaging_fallback_for"


class FrontNotReady(RuntimeError):
    """Front is not connected, or has no AI teammate: nothing can be said in the conversation.
    The job fails, is retried, and after the last try the error is shown."""


# -- finding it -----------------------------------------------------------------------------------


def conversation_of(support_session: SupportSession) -> MessagingConversation | None:
    return db.session.scalar(
        select(MessagingConversation).where(MessagingConversation.session_id == support_session.id)
    )


def latest_handoff(support_session: SupportSession) -> SessionEvent | None:
    return next((e for e in reversed(support_session.events) if e.kind == EventKind.HANDOFF), None)


def is_with_live_rep(support_session: SupportSession) -> bool:
    """Handed off, its latest handoff went to its MIAW conversation (not to Front teammates
    since, by a fallback or an admin), and that conversation is open: the customer's messages
    then belong to the rep."""
    conversation_id = support_session.miaw_conversation_id
    if support_session.status != SessionStatus.HANDED_OFF or not conversation_id:
        return False
    last = latest_handoff(support_session)
    if last is None or (last.payload or {}).get("miaw_conversation_id") != conversation_id:
        return False
    row = conversation_of(support_session)
    return row is not None and row.conversation_id == conversation_id and row.status.open


def handoff_of(support_session: SupportSession) -> Handoff:
    """The handoff that gave the conversation to the rep, for the note of a later fallback."""
    payload = (latest_handoff(support_session) or SessionEvent(payload={})).payload or {}
    return Handoff(
        reason=payload.get("reason") or "handed to a live rep",
        summary=payload.get("summary") or "",
        sentiment=payload.get("sentiment") or "neutral",
    )


# -- messages and tokens --------------------------------------------------------------------------


def message_uuid(*parts: str) -> str:
    """A MIAW message id made from what the message is, so every attempt to send it uses the same
    id (MIAW takes an id once). Lowercase, with UUID v4's version and variant bits, as MIAW asks."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))


def pieces(text: str) -> list[str]:
    """``text`` in as many messages as the size limit needs, cut between words where it can."""
    return split_comments([text], MESSAGE_MAX_BYTES)


def store_grant(row: MessagingConversation, grant: TokenGrant) -> None:
    """Keep the access token (encrypted) and when it expires. The event stream's place is set
    from the first grant only: after that it is the relay's."""
    row.set_credential(ACCESS_TOKEN, grant.access_token)
    row.token_expires_at = grant.expires_at
    row.end_user_subject = grant.subject
    row.authenticated = grant.authenticated
    if row.last_event_id is None:
        row.last_event_id = grant.last_event_id


def renew_token(
    client: MessagingClient, integration: Integration, support_session: SupportSession, row: MessagingConversation
) -> str:
    """A new access token for the conversation's end user: a continuation token while the old one
    is accepted, else, for a verified customer, a new verified token (the same end user). An
    anonymous end user whose token is dead cannot be reached again: MessagingError."""
    try:
        grant = client.continuation_token(row.credential(ACCESS_TOKEN) or "")
    except MessagingRejected:
        identity = (
            customer_identity_token(integration, support_session.contact_email or "") if row.authenticated else None
        )
        if identity is None:
            raise
        grant = client.authenticated_token(identity)
    store_grant(row, grant)
    db.session.commit()
    return grant.access_token


def send_as_customer(
    client: MessagingClient,
    integration: Integration,
    support_session: SupportSession,
    row: MessagingConversation,
    messages: Sequence[tuple[str, str]],
) -> list[str]:
    """Post (text, message id) pairs to the conversation in order, renewing the access token once
    if it is refused; the ids sent."""
    token = row.credential(ACCESS_TOKEN)
    if not token:
        raise MessagingRejected("the Live Messaging conversation has no access token")
    renewed = False
    for text, message_id in messages:
        try:
            client.send_message(token, row.conversation_id, text, message_id=message_id)
        except MessagingTokenExpired:
            if renewed:
                raise
            token, renewed = renew_token(client, integration, support_session, row), True
            client.send_message(token, row.conversation_id, text, message_id=message_id)
    return [message_id for _, message_id in messages]


def close_quietly(support_session: SupportSession, row: MessagingConversation) -> None:
    """Close the MIAW conversation so no rep picks up what Front teammates now have. Best effort:
    the fallback is done whatever Salesforce answers."""
    token = row.credential(ACCESS_TOKEN)
    if not token:
        return
    try:
        client_for(salesforce_integration(support_session.organization_id)).close_conversation(
            token, row.conversation_id
        )
    except MessagingError as exc:
        log.info("could not close MIAW conversation %s: %s", row.conversation_id, exc)


# -- the customer's later messages ----------------------------------------------------------------


def _forwarded(support_session: SupportSession, message_id: str) -> bool:
    return any(
        e.kind == EventKind.LIVE_MESSAGING and (e.payload or {}).get("message_id") == message_id
        for e in support_session.events
    )


def _words_of(support_session: SupportSession, text: str) -> str:
    words = clean_text(text).strip()
    if words:
        return words
    link = front_url(support_session)
    return "(a message without text" + (f": see it in Front, {link})" if link else ")")


def _record_forward_error(support_session: SupportSession, message_id: str, error: MessagingError) -> None:
    """Once per message and error: the journal's retries of the same failure add nothing."""
    payload = {
        "message": "Could not send the customer's message to the live rep; it will be tried again.",
        "detail": remote_text(str(error), ERROR_SHOWN_MAX),
        FORWARD_ERROR_KEY: message_id,
    }
    if not any(e.kind == EventKind.ERROR and e.payload == payload for e in support_session.events):
        support_session.record(EventKind.ERROR, **payload)
        db.session.commit()


def forward_customer_message(support_session: SupportSession, message_id: str, text: str) -> None:
    """A customer's message on a session a live rep has goes to the MIAW conversation, once; the
    AI stays quiet. The caller holds the conversation's lock. MIAW failing is recorded and raised
    (the journal tries again); MIAW refusing it gives the conversation to Front teammates."""
    if _forwarded(support_session, message_id):
        return
    row = conversation_of(support_session)
    messages = [
        (piece, message_uuid(row.conversation_id, message_id, str(number)))
        for number, piece in enumerate(pieces(_words_of(support_session, text)))
    ]
    try:
        integration = salesforce_integration(support_session.organization_id)
        ids = send_as_customer(client_for(integration), integration, support_session, row, messages)
    except MessagingUnavailable as exc:
        _record_forward_error(support_session, message_id, exc)
        raise
    except MessagingError as exc:
        reason = remote_text(str(exc), ERROR_SHOWN_MAX)
        hand_to_front_teammates(
            support_session, row, "Salesforce Live Messaging refused the customer's message", reason
        )
        return
    support_session.record(
        EventKind.LIVE_MESSAGING,
        message="Sent to the live rep in Salesforce. The AI stays quiet while the rep has the conversation.",
        message_id=message_id,
        miaw_conversation_id=row.conversation_id,
        miaw_message_ids=ids,
    )
    db.session.commit()


# -- giving it to Front teammates -----------------------------------------------------------------


def front_sender(support_session: SupportSession) -> actions.Sender:
    front = front_integration(support_session.organization_id)
    ai_teammate_id = front_settings_of(front).ai_teammate_id if front else None
    if not (support_session.front_conversation_id and front_is_connected(front) and ai_teammate_id):
        raise FrontNotReady(
            "Front is not connected or has no AI teammate: reconnect it in Settings → Ticketing System → Front"
        )
    return actions.Sender(front_client_for(front), ai_teammate_id)


def end(row: MessagingConversation, status: MessagingStatus) -> None:
    row.status = status
    row.ended_at = utcnow()
    row.routing_deadline_at = None


def hand_to_front_teammates(
    support_session: SupportSession, row: MessagingConversation, what_failed: str, reason: str, *, close: bool = True
) -> None:
    """The live rep's side cannot go on: Front teammates take the conversation, told why in the
    note (once per MIAW conversation); the conversation is FAILED, so the relay lets its stream
    go, and closed in Salesforce (best effort, unless ``close`` is off). The caller holds the
    conversation's lock."""
    sender = front_sender(support_session)
    actions.fall_back(
        sender,
        support_session,
        f"live-messaging-{row.conversation_id}",
        handoff_of(support_session),
        True,  # whatever an earlier run of this fallback sent is looked for first
        None,  # the customer was told at the handoff that a teammate will reply
        instead_of=LABEL,
        what_failed=what_failed,
        error_text=reason,
        error_key=FALLBACK_ERROR_KEY,
    )
    end(row, MessagingStatus.FAILED)
    db.session.commit()
    if close:
        close_quietly(support_session, row)
