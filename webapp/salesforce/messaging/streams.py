"""Who holds which conversation's event stream, and where each stream stands, in the database.

Relay processes share the streams of open conversations (routing or active) by lease, as
workers share journal rows: a relay takes a conversation nobody holds, or whose holder stopped
renewing, by writing its own id into ``lease_owner`` until ``lease_expires_at``; it renews its
leases every few seconds, and a relay that was killed loses its conversations to another within
one lease. Every write a holder makes (renewing, moving ``last_event_id`` on, storing a new
token) is fenced by ``lease_owner = <its id>``: a relay that stalled past its lease and lost
the conversation cannot overwrite what the new holder wrote, and learns it lost it.

``last_event_id`` is moved on only after the event's job is queued, so a relay that dies in
between leaves an event to be read again (the job is keyed by the event, and the handler
relays each entry once), never one skipped.

Each function runs in an app context, in a thread of the relay (never on its event loop), and
commits before it returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update

from webapp import redis_server
from webapp.db import db
from webapp.models import utcnow
from webapp.models.messaging import MessagingConversation, MessagingStatus
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging.conversation import ACCESS_TOKEN
from webapp.salesforce.messaging.settings import live_messaging_of

__all__ = ["ACCESS_TOKEN"]

OPEN = (MessagingStatus.ROUTING, MessagingStatus.ACTIVE)

Conversation = MessagingConversation


@dataclass(frozen=True)
class HeldConversation:
    """What a relay needs to hold one conversation's stream, read when it takes the lease."""

    id: int
    organization_id: int
    conversation_id: str
    scrt_url: str | None  # the org's messaging host
    org_id: str | None
    access_token: str | None
    token_expires_at: datetime | None
    last_event_id: str | None
    authenticated: bool


def _needs_holder(now: datetime):
    return and_(
        Conversation.status.in_(OPEN),
        or_(
            Conversation.lease_owner.is_(None),
            Conversation.lease_expires_at.is_(None),
            Conversation.lease_expires_at < now,
        ),
    )


def needing_holder(now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Open conversations whose stream nobody holds (never taken, or the holder's lease ran out)."""
    return list(
        db.session.scalars(
            select(Conversation.id).where(_needs_holder(now or utcnow())).order_by(Conversation.id).limit(limit)
        )
    )


def beat(owner: str, capacity: int, seconds: float, now: datetime | None = None) -> set[int]:
    """A relay's regular round, in one transaction: renew its leases on open conversations, let
    go of those that ended, take conversations that need a holder up to ``capacity`` in all.
    Returns the ids it holds now (a conversation it held and is not among them was lost)."""
    now = now or utcnow()
    until = now + timedelta(seconds=seconds)
    mine = Conversation.lease_owner == owner
    unchanged = {"updated_at": Conversation.updated_at}  # a lease is not a change to the conversation
    db.session.execute(
        update(Conversation)
        .where(mine, Conversation.status.in_(OPEN))
        .values(lease_expires_at=until, **unchanged)
        .execution_options(synchronize_session=False)
    )
    db.session.execute(
        update(Conversation)
        .where(mine, Conversation.status.not_in(OPEN))
        .values(lease_owner=None, lease_expires_at=None, **unchanged)
        .execution_options(synchronize_session=False)
    )
    held = db.session.scalar(select(func.count()).where(mine, Conversation.status.in_(OPEN)))
    room = capacity - held
    if room > 0:
        candidates = list(
            db.session.scalars(
                select(Conversation.id)
                .where(_needs_holder(now))
                .order_by(Conversation.id)
                .limit(room)
                .with_for_update(skip_locked=True)
            )
        )
        if candidates:
            # Checked again in the UPDATE: another relay may have taken some since the SELECT.
            db.session.execute(
                update(Conversation)
                .where(Conversation.id.in_(candidates), _needs_holder(now))
                .values(lease_owner=owner, lease_expires_at=until, **unchanged)
                .execution_options(synchronize_session=False)
            )
    db.session.commit()
    return set(db.session.scalars(select(Conversation.id).where(mine, Conversation.status.in_(OPEN))))


def load(ids: set[int] | list[int], owner: str) -> list[HeldConversation]:
    """The conversations among ``ids`` that ``owner`` holds, with their org's messaging host."""
    rows = db.session.scalars(
        select(Conversation).where(Conversation.id.in_(list(ids)), Conversation.lease_owner == owner)
    ).all()
    hosts: dict[int, tuple[str | None, str | None]] = {}
    held = []
    for row in rows:
        if row.organization_id not in hosts:
            settings = live_messaging_of(salesforce_integration(row.organization_id))
            hosts[row.organization_id] = (settings.scrt_url, settings.org_id)
        scrt_url, org_id = hosts[row.organization_id]
        held.append(
            HeldConversation(
                id=row.id,
                organization_id=row.organization_id,
                conversation_id=row.conversation_id,
                scrt_url=scrt_url,
                org_id=org_id,
                access_token=row.credential(ACCESS_TOKEN),
                token_expires_at=row.token_expires_at,
                last_event_id=row.last_event_id,
                authenticated=bool(row.authenticated),
            )
        )
    db.session.commit()
    return held


def advance(conversation_row_id: int, owner: str, event_id: str) -> bool:
    """Store the newest event id read (after its job was queued). False: the lease was lost."""
    return advance_many(owner, {conversation_row_id: event_id}) == {conversation_row_id}


def advance_many(owner: str, positions: dict[int, str]) -> set[int]:
    """Store several streams' newest event ids in one transaction; returns the ids still held."""
    kept = set()
    for row_id, event_id in positions.items():
        stored = db.session.execute(
            update(Conversation)
            .where(Conversation.id == row_id, Conversation.lease_owner == owner)
            .values(last_event_id=event_id[:255], updated_at=Conversation.updated_at)
            .execution_options(synchronize_session=False)
        ).rowcount
        if stored:
            kept.add(row_id)
    db.session.commit()
    return kept


def holds(conversation_row_id: int, owner: str) -> bool:
    return (
        db.session.scalar(
            select(Conversation.id).where(Conversation.id == conversation_row_id, Conversation.lease_owner == owner)
        )
        is not None
    )


def held_row(conversation_row_id: int, owner: str) -> MessagingConversation | None:
    """The conversation, locked for an update, while ``owner`` holds it and it is open."""
    row = db.session.scalar(
        select(Conversation)
        .where(Conversation.id == conversation_row_id, Conversation.lease_owner == owner)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return row if row is not None and row.status in OPEN else None


def store_token(row: MessagingConversation, access_token: str, expires_at: datetime | None) -> None:
    """Keep a renewed access token on a conversation ``held_row`` returned (the caller commits)."""
    row.set_credential(ACCESS_TOKEN, access_token)
    row.token_expires_at = expires_at


def release(owner: str, ids: set[int] | list[int] | None = None) -> int:
    """Give up leases (all of ``owner``'s, or those named), so another relay takes them at once
    instead of after the lease. Returns how many were released."""
    query = update(Conversation).where(Conversation.lease_owner == owner)
    if ids is not None:
        query = query.where(Conversation.id.in_(list(ids)))
    released = db.session.execute(
        query.values(lease_owner=None, lease_expires_at=None, updated_at=Conversation.updated_at).execution_options(
            synchronize_session=False
        )
    ).rowcount
    db.session.commit()
    return released


# Each running relay says it is up here (with how many streams it holds), for /healthz; the key
# runs out a lease after the relay stops beating.
RELAY_KEY_PREFIX = "switchboard:relays:"


def announce(owner: str, holding: int, seconds: float) -> None:
    redis_server.connection().set(f"{RELAY_KEY_PREFIX}{owner}", holding, ex=max(1, math.ceil(seconds)))


def running_relays() -> dict[str, int]:
    """The relays that beat within their lease, and the streams each holds."""
    connection = redis_server.connection()
    keys = sorted(connection.scan_iter(match=f"{RELAY_KEY_PREFIX}*", count=500))
    if not keys:
        return {}
    values = connection.mget(keys)
    prefix = len(RELAY_KEY_PREFIX)
    return {
        (key.decode() if isinstance(key, bytes) else key)[prefix:]: int(value)
        for key, value in zip(keys, values, strict=True)
        if value is not None
    }
