"""What reached this organization's Front webhook URL, and what Switchboard answered: the
Webhook activity section of Settings → Front and the webhook setup check read it.

Accepted events are journal rows already (source "front"), so they are counted in the database.
A refused request leaves no row by design (nothing refused is journalled), so each refusal for a
known integration is counted here, in Redis: per organization, per reason, in hourly buckets that
expire after a day, and the last refusal of each reason. Recording one is a single pipelined
round trip on the webhook path, and a Redis failure only loses the count: the refusal is answered
the same way without it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from redis.exceptions import RedisError
from sqlalchemy import case, func, select

from webapp import redis_server
from webapp.db import db
from webapp.front.events import CORE_TYPES, SOURCE, EventGroup
from webapp.front.signatures import MAX_AGE_SECONDS, SignatureError
from webapp.models import JournalEntry
from webapp.salesforce.errors import remote_text

log = logging.getLogger(__name__)

WINDOW = timedelta(hours=24)  # what "recent" means on the page and in the check
HOURS = 24
BUCKET_TTL_SECONDS = (HOURS + 1) * 3600  # a bucket outlives the window it is read in
LAST_TTL_SECONDS = 7 * 24 * 3600  # "the last refusal was 3 days ago" is still worth saying


class Refusal(StrEnum):
    """Why a webhook for a known integration was refused (an unknown URL has no organization)."""

    SIGNATURE_MISMATCH = "signature_mismatch"
    SIGNATURE_MISSING = "signature_missing"
    STALE_TIMESTAMP = "stale_timestamp"
    NO_SECRET = "no_secret"
    MALFORMED = "malformed"
    TOO_LARGE = "too_large"

    @property
    def explanation(self) -> str:
        """The reason in an admin's words: what it means for their setup."""
        return REFUSAL_EXPLANATIONS[self]


REFUSAL_EXPLANATIONS = {
    Refusal.SIGNATURE_MISMATCH: "signature did not match: the app secret saved here is not the one Front signs with",
    Refusal.SIGNATURE_MISSING: "no signature: the request did not come from a Front app or rule",
    Refusal.STALE_TIMESTAMP: (
        f"timestamp more than {MAX_AGE_SECONDS // 60} minutes off (or unreadable): this server's clock is wrong, "
        "or the request was held up or replayed"
    ),
    Refusal.NO_SECRET: "no app secret is saved here, so no request can be verified",
    Refusal.MALFORMED: "the body was not a Front event (not JSON, or without an id or type)",
    Refusal.TOO_LARGE: "the body was larger than Switchboard accepts (FRONT_WEBHOOK_MAX_BYTES)",
}


def refusal_for(error: SignatureError) -> Refusal:
    """Which reason a signature error is (``webapp.front.signatures`` words them)."""
    message = str(error).lower()
    if message.startswith("missing"):
        return Refusal.SIGNATURE_MISSING
    if "timestamp" in message:
        return Refusal.STALE_TIMESTAMP
    if "secret is configured" in message:
        return Refusal.NO_SECRET
    return Refusal.SIGNATURE_MISMATCH


def _bucket_key(organization_id: int, hour: int) -> str:
    return f"front:webhook-refusals:{organization_id}:{hour}"


def _last_key(organization_id: int) -> str:
    return f"front:webhook-refusals:{organization_id}:last"


def record_refusal(organization_id: int, reason: Refusal, status: int, at: float | None = None) -> None:
    """Count a refusal. Never raises: the webhook's answer must not depend on Redis."""
    at = time.time() if at is None else at
    bucket = _bucket_key(organization_id, int(at // 3600))
    last = _last_key(organization_id)
    try:
        pipeline = redis_server.connection().pipeline(transaction=False)
        pipeline.hincrby(bucket, reason.value, 1)
        pipeline.expire(bucket, BUCKET_TTL_SECONDS)
        pipeline.hset(last, reason.value, json.dumps({"at": at, "status": status}))
        pipeline.expire(last, LAST_TTL_SECONDS)
        pipeline.execute()
    except (RedisError, OSError) as exc:
        log.warning("could not count a refused Front webhook (%s) of organization %s: %s", reason, organization_id, exc)


@dataclass(frozen=True)
class RefusalRecord:
    reason: Refusal
    at: datetime
    status: int  # the HTTP status it was answered with


@dataclass(frozen=True)
class Refusals:
    counts: dict[Refusal, int]  # over the last 24 hours, by the hour
    last: dict[Refusal, RefusalRecord]  # the last of each reason, kept a week

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def latest(self) -> RefusalRecord | None:
        return max(self.last.values(), key=lambda record: record.at, default=None)

    def by_count(self) -> list[tuple[Refusal, int]]:
        return sorted(((reason, n) for reason, n in self.counts.items() if n), key=lambda item: -item[1])


def refusals(organization_id: int, now: datetime) -> Refusals | None:
    """The organization's refusals, or None when Redis cannot be read right now."""
    current_hour = int(now.timestamp() // 3600)
    try:
        pipeline = redis_server.connection().pipeline(transaction=False)
        for hour in range(current_hour - HOURS + 1, current_hour + 1):
            pipeline.hgetall(_bucket_key(organization_id, hour))
        pipeline.hgetall(_last_key(organization_id))
        *buckets, last = pipeline.execute()
    except (RedisError, OSError) as exc:
        log.warning("could not read the refused Front webhooks of organization %s: %s", organization_id, exc)
        return None
    counts: dict[Refusal, int] = {}
    for bucket in buckets:
        for name, value in bucket.items():
            reason = _reason(name)
            if reason is not None and value.isdigit():
                counts[reason] = counts.get(reason, 0) + int(value)
    return Refusals(counts, {record.reason: record for record in map(_record, last.items()) if record})


def _reason(name: bytes) -> Refusal | None:
    try:
        return Refusal(name.decode())
    except (UnicodeDecodeError, ValueError):
        return None  # a reason this version does not know


def _record(item: tuple[bytes, bytes]) -> RefusalRecord | None:
    reason = _reason(item[0])
    try:
        value = json.loads(item[1])
        at = datetime.fromtimestamp(float(value["at"]), UTC)
        status = int(value["status"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        return None
    return RefusalRecord(reason, at, status) if reason else None


# -- accepted events, from the journal -------------------------------------------------------

GROUP_LABELS = {
    EventGroup.INBOUND: "customer messages (inbound)",
    EventGroup.OUTBOUND: "teammate replies (outbound)",
    EventGroup.ASSIGNMENT: "assignments",
    EventGroup.ARCHIVED: "archives",
    EventGroup.TAG: "tags",
    EventGroup.OTHER: "other events",
}
# Shown even at zero: Switchboard acts on these, so a missing one is worth seeing.
MAIN_GROUPS = (EventGroup.INBOUND, EventGroup.OUTBOUND, EventGroup.ASSIGNMENT, EventGroup.ARCHIVED)
TYPE_LABELS = {
    "inbound": "a customer message (inbound)",
    "outbound": "a teammate's message (outbound)",
    "out_reply": "a teammate's reply (outbound)",
    "archive": "an archive",
    "assign": "an assignment",
    "unassign": "an unassignment",
    "tag": "a tag added",
    "untag": "a tag removed",
}


@dataclass(frozen=True)
class EventKind:
    """One event type in the journal: how many, how many lately, first and last seen."""

    event_type: str
    total: int
    last_24h: int
    first_at: datetime
    last_at: datetime

    @property
    def group(self) -> EventGroup:
        return CORE_TYPES.get(self.event_type, EventGroup.OTHER)

    @property
    def label(self) -> str:
        return TYPE_LABELS.get(self.event_type) or f"a “{remote_text(self.event_type, 64)}” event"


@dataclass(frozen=True)
class Events:
    """The Front events journalled for an organization (as long as the journal keeps them)."""

    kinds: tuple[EventKind, ...]

    @property
    def last(self) -> EventKind | None:
        return max(self.kinds, key=lambda kind: kind.last_at, default=None)

    @property
    def first_at(self) -> datetime | None:
        return min((kind.first_at for kind in self.kinds), default=None)

    @property
    def total(self) -> int:
        return sum(kind.total for kind in self.kinds)

    @property
    def total_24h(self) -> int:
        return sum(kind.last_24h for kind in self.kinds)

    def last_at(self, group: EventGroup) -> datetime | None:
        return max((kind.last_at for kind in self.kinds if kind.group == group), default=None)

    def seen(self, group: EventGroup) -> bool:
        return any(kind.group == group for kind in self.kinds)

    def counts_24h(self) -> list[tuple[str, int]]:
        """(label, count) by group: the groups Switchboard acts on always, the others when seen."""
        counts = {group: 0 for group in MAIN_GROUPS}
        for kind in self.kinds:
            if kind.last_24h or kind.group in counts:
                counts[kind.group] = counts.get(kind.group, 0) + kind.last_24h
        return [(GROUP_LABELS[group], count) for group, count in counts.items()]


def events(organization_id: int, now: datetime) -> Events:
    """One grouped query over the organization's Front journal rows."""
    rows = db.session.execute(
        select(
            JournalEntry.event_type,
            func.count(),
            func.sum(case((JournalEntry.received_at >= now - WINDOW, 1), else_=0)),
            func.min(JournalEntry.received_at),
            func.max(JournalEntry.received_at),
        )
        .where(JournalEntry.organization_id == organization_id, JournalEntry.source == SOURCE)
        .group_by(JournalEntry.event_type)
    ).all()
    return Events(
        tuple(
            EventKind(event_type or "", int(total), int(recent or 0), first_at, last_at)
            for event_type, total, recent, first_at, last_at in rows
        )
    )


@dataclass(frozen=True)
class WebhookActivity:
    events: Events
    refusals: Refusals | None  # None: Redis could not be read


def webhook_activity(organization_id: int, now: datetime) -> WebhookActivity:
    return WebhookActivity(events(organization_id, now), refusals(organization_id, now))
