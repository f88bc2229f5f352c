"""Finding and growing the session that mirrors a Front conversation."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.db import db
from webapp.front.channels import channel_for, contact_from
from webapp.models import EventKind, MessageFingerprint, Organization, SessionEvent, SupportSession, utcnow
from webapp.text import content_hash

DEDUP_WINDOW = timedelta(hours=24)
# Events that mean "Switchboard already acted on this customer message".
# A customer's message added to the session's Salesforce Case, or sent to its live rep, is acted on too.
ACTED = {
    EventKind.AI_REPLY,
    EventKind.HANDOFF,
    EventKind.ARCHIVE,
    EventKind.ARCHIVE_SKIPPED,
    EventKind.SKIP,
    EventKind.SALESFORCE_CASE,
    EventKind.LIVE_MESSAGING,
}


def find_session(organization_id: int, *conversation_ids: str | None) -> SupportSession | None:
    ids = [cid for cid in conversation_ids if cid]
    if not ids:
        return None
    return db.session.scalar(
        select(SupportSession).where(
            SupportSession.organization_id == organization_id, SupportSession.front_conversation_id.in_(ids)
        )
    )


def session_for(organization_id: int, conversation: dict, message: dict, delivered_id: str | None) -> SupportSession:
    """The session of this conversation, created on its first message.

    ``delivered_id`` is the conversation id the webhook named; when Front merged it into
    another, the session follows the surviving id.
    """
    surviving_id = conversation["id"]
    support_session = find_session(organization_id, surviving_id, delivered_id)
    if support_session is not None:
        if support_session.front_conversation_id != surviving_id:
            support_session.front_conversation_id = surviving_id
        return support_session
    organization = db.session.get(Organization, organization_id)
    support_session = SupportSession(
        organization_id=organization_id,
        ticket_number=organization.allocate_ticket_number(db.session),
        channel=channel_for(message.get("type")),
        subject=(conversation.get("subject") or message.get("subject") or None),
        front_conversation_id=surviving_id,
        **contact_from(message),
    )
    db.session.add(support_session)
    try:
        db.session.flush()
    except IntegrityError:
        # Another worker created it between our read and write (the conversation lock makes
        # this rare, but merged conversations can arrive under two ids).
        db.session.rollback()
        support_session = find_session(organization_id, surviving_id)
        if support_session is None:
            raise
    return support_session


def events_about(support_session: SupportSession, message_id: str) -> list[SessionEvent]:
    return [event for event in support_session.events if (event.payload or {}).get("message_id") == message_id]


def has_acted_on(support_session: SupportSession, message_id: str) -> bool:
    return any(event.kind in ACTED for event in events_about(support_session, message_id))


def our_message_ids(support_session: SupportSession) -> frozenset[str]:
    return frozenset(
        e.payload["front_message_id"]
        for e in support_session.events
        if e.kind == EventKind.AI_REPLY and e.payload.get("front_message_id")
    )


def transcript(support_session: SupportSession) -> list[tuple[str, str]]:
    roles = {EventKind.CUSTOMER_MESSAGE: "customer", EventKind.AI_REPLY: "ai", EventKind.HUMAN_REPLY: "human"}
    return [(roles[e.kind], e.payload.get("text", "")) for e in support_session.events if e.kind in roles]


def is_duplicate_content(organization_id: int, conversation_id: str, message_id: str, text: str) -> bool:
    """The same words in the same conversation were handled within the last 24 hours.

    Records the fingerprint when they were not, so the check and the claim are one step (the
    caller holds the conversation lock).
    """
    digest = content_hash(text)
    previous = db.session.scalar(
        select(MessageFingerprint.message_id)
        .where(
            MessageFingerprint.organization_id == organization_id,
            MessageFingerprint.conversation_id == conversation_id,
            MessageFingerprint.content_hash == digest,
            MessageFingerprint.created_at > utcnow() - DEDUP_WINDOW,
        )
        .limit(1)
    )
    if previous is not None:
        return previous != message_id  # a retry of the same message is not a duplicate
    db.session.add(
        MessageFingerprint(
            organization_id=organization_id, conversation_id=conversation_id, content_hash=digest, message_id=message_id
        )
    )
    return False
