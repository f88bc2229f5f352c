""" "Why didn't the AI answer?" for a Front conversation, from what Switchboard received and what
Front says now.

A conversation the AI never answered usually has no session, so its timeline cannot say why.
Two places can: the webhook journal (did Front's webhook ever arrive, and what became of it?)
and Front itself (who has the conversation, who wrote last), read live and put through the same
reply rules the webhook job applies, each explained in an admin's words with what to change.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import requests
from flask import current_app
from redis.exceptions import RedisError
from sqlalchemy import select

from webapp.db import db
from webapp.front import activity, rules, sessions
from webapp.front import events as front_events
from webapp.front.errors import FrontAuthError, FrontError, FrontForbidden, FrontNotFound, FrontRateLimited
from webapp.front.events import EventGroup
from webapp.front.handling import message_text
from webapp.front.integration import client_for, front_integration, is_connected, settings_of, teammate_name
from webapp.inbox.search import FRONT_ID, front_id_in_link, is_link
from webapp.models import (
    EventKind,
    Integration,
    JournalEntry,
    JournalStatus,
    MessageFingerprint,
    SessionStatus,
    SupportSession,
    utcnow,
)
from webapp.ratelimit import Priority, RateLimitTimeout
from webapp.text import content_hash

# An admin waits for this page: a Front that is slow or out of budget gets a message, not a hang.
FRONT_TIMEOUT = (3.05, 10.0)
MAX_WAIT_SECONDS = 5.0
JOURNAL_SHOWN = 20
# A received event still pending after this long has no worker taking it.
STALLED_AFTER = timedelta(minutes=5)

OWNERSHIP_CODES = {
    rules.SkipCode.NO_AI_TEAMMATE,
    rules.SkipCode.ASSIGNED_ELSEWHERE,
    rules.SkipCode.UNASSIGNED_NOT_HANDLED,
    rules.SkipCode.HANDED_OFF,
}
# A message every "from the customer" check passes, to ask the other rules on their own.
_CUSTOMER_PROBE = {"is_inbound": True, "author": None}
_PROBE_TEAMMATE = "tea_probe"


class NotAConversation(ValueError):
    """What was pasted names no Front conversation; the message says what to paste."""


# The pages a fix links to, by the name an admin knows them by.
PAGE_NAMES = {
    "front.settings": "Settings → Ticketing System → Front",
    "diagnostics.front": "Front troubleshooting",
    "failed_events.index": "Failed events",
}


@dataclass(frozen=True)
class Fix:
    text: str
    endpoint: str | None = None  # a settings page that makes the change, for a link

    @property
    def page_name(self) -> str:
        return PAGE_NAMES.get(self.endpoint or "", "Open the page")


@dataclass(frozen=True)
class RuleResult:
    name: str
    passed: bool
    explanation: str
    fix: Fix | None = None


@dataclass(frozen=True)
class JournalFact:
    entry: JournalEntry
    event_type: str
    explanation: str


@dataclass
class LiveFront:
    """What Front says about the conversation now, and the rules applied to it."""

    error: str | None = None
    error_fix: Fix | None = None
    conversation_id: str | None = None  # the surviving id, after a merge
    merged: bool = False
    assignee: str | None = None
    status: str | None = None
    message_id: str | None = None
    message_at: datetime | None = None
    message_by: str | None = None  # "the customer", or the teammate's name
    rules: list[RuleResult] = field(default_factory=list)

    @property
    def first_failing(self) -> RuleResult | None:
        return next((rule for rule in self.rules if not rule.passed), None)


@dataclass
class Diagnosis:
    conversation_id: str
    session: SupportSession | None
    last_skip: dict | None
    journal: list[JournalFact]
    journal_headline: str
    journal_fix: Fix | None
    webhooks_ever: bool
    live: LiveFront


# -- what was pasted ----------------------------------------------------------------------------


def front_id_from(text: str) -> str:
    """The Front conversation or message id in a pasted id or link."""
    text = text.strip()
    found = front_id_in_link(text) if is_link(text) else (text if FRONT_ID.fullmatch(text) else None)
    if found is None:
        raise NotAConversation(
            "Paste a Front conversation id (cnv_…), a message id (msg_…) or the conversation's link from Front "
            "(https://app.frontapp.com/open/cnv_…)."
        )
    return found


# -- the journal --------------------------------------------------------------------------------


def _front_entries_naming(organization_id: int, front_id: str) -> list[tuple[JournalEntry, front_events.FrontEvent]]:
    """The Front events in the journal about this conversation or message, newest first.

    The payload is the raw body, so a LIKE on the id as a JSON string narrows the rows, and
    parsing each one keeps only the events that are really about it (not a mention in a text).
    """
    rows = db.session.scalars(
        select(JournalEntry)
        .where(
            JournalEntry.organization_id == organization_id,
            JournalEntry.source == front_events.SOURCE,
            JournalEntry.payload.contains(json.dumps(front_id), autoescape=True),
        )
        .order_by(JournalEntry.id.desc())
        .limit(JOURNAL_SHOWN * 5)
    ).all()
    found = []
    for entry in rows:
        try:
            event = front_events.parse(json.loads(entry.payload))
        except (ValueError, front_events.EventError):
            continue
        if front_id in (event.conversation_id, event.message_id):
            found.append((entry, event))
    return found[:JOURNAL_SHOWN]


def _any_front_webhook(organization_id: int) -> JournalEntry | None:
    return db.session.scalar(
        select(JournalEntry)
        .where(JournalEntry.organization_id == organization_id, JournalEntry.source == front_events.SOURCE)
        .order_by(JournalEntry.id.desc())
        .limit(1)
    )


def explain_entry(entry: JournalEntry, event: front_events.FrontEvent, has_session: bool) -> str:
    if entry.status == JournalStatus.FAILED:
        return (
            f"Failed for good after {entry.attempts} attempts: {entry.last_error or 'no error was recorded'}. "
            "Fix the cause, then retry it from Failed events."
        )
    if entry.status == JournalStatus.PROCESSING:
        return f"Being processed now (attempt {entry.attempts})."
    if entry.status == JournalStatus.PENDING:
        if entry.attempts:
            return f"Attempt {entry.attempts} failed and it will be tried again: {entry.last_error or 'no error'}."
        if utcnow() - entry.received_at > STALLED_AFTER:
            return (
                "Received, and still waiting to be processed: no worker is taking Front's events. "
                "Check that the worker runs (the Jobs page lists its queues)."
            )
        return "Received, waiting to be processed."
    if has_session:
        return "Processed: the session's timeline shows what the AI did with it."
    if event.group == EventGroup.INBOUND:
        return (
            "Processed, and skipped without a session: when it was processed, Front was not connected, the "
            "conversation was gone from Front, or it held no customer message."
        )
    return (
        f"Processed, and skipped: {event.type} events are recorded only on a conversation that already has a "
        "session, and a session starts with a customer's message."
    )


def front_troubleshooting_endpoint() -> str:
    """Where an admin checks Front's webhook: its Troubleshooting page where the app has one."""
    return "diagnostics.front" if "diagnostics.front" in current_app.view_functions else "front.settings"


def _journal_headline(
    facts: list[JournalFact], last_webhook: JournalEntry | None, refused: activity.RefusalRecord | None = None
) -> tuple[str, Fix | None]:
    troubleshoot = Fix(
        "Check the webhook URL, the app secret and the events Front sends.", front_troubleshooting_endpoint()
    )
    if not facts and refused is not None and (last_webhook is None or refused.at > last_webhook.received_at):
        why = activity.REFUSAL_EXPLANATIONS[refused.reason]
        return (
            f"Refused: Front's webhooks reach Switchboard but are turned away (the last at "
            f"{refused.at:%Y-%m-%d %H:%M} UTC: {why}), so the AI never sees them.",
            troubleshoot,
        )
    if not facts and last_webhook is None:
        return (
            "Never received: Switchboard has not received any webhook from Front yet, so the webhook is not "
            "delivering.",
            troubleshoot,
        )
    if not facts:
        return (
            "Never received: Front sent no webhook about this conversation, though webhooks about other "
            f"conversations arrive (the last at {last_webhook.received_at:%Y-%m-%d %H:%M} UTC). The conversation "
            "may be in an inbox your Front app's webhook or rule does not cover (a private inbox, a rule limited "
            "to some inboxes), or its messages came before the webhook was set up.",
            troubleshoot,
        )
    statuses = {fact.entry.status for fact in facts}
    if JournalStatus.FAILED in statuses:
        return "Received, and failed: Switchboard could not process an event about this conversation.", Fix(
            "Fix the cause the error names, then retry the event.", "failed_events.index"
        )
    if statuses & {JournalStatus.PENDING, JournalStatus.PROCESSING}:
        return "Received, and not processed yet.", None
    return f"Received: {len(facts)} event{'s' if len(facts) != 1 else ''} about this conversation, all processed.", None


# -- Front, now ---------------------------------------------------------------------------------


class _Impatient:
    """The client's sleep for this page: it waits a few seconds in all for Front's budget or a
    retry, then gives up with a message, since an admin is looking at a loading page."""

    def __init__(self) -> None:
        self.waited = 0.0

    def __call__(self, seconds: float) -> None:
        if self.waited + seconds > MAX_WAIT_SECONDS:
            raise FrontRateLimited("Front's API budget is spent for the moment")
        time.sleep(seconds)
        self.waited += seconds


def _client(integration: Integration):
    # Background priority: the AI's replies to customers keep their share of Front's budget.
    return client_for(
        integration, priority=Priority.BACKGROUND, max_retries=1, timeout=FRONT_TIMEOUT, sleep=_Impatient()
    )


def _front_error(exc: Exception, front_id: str) -> tuple[str, Fix | None]:
    settings_fix = "front.settings"
    if isinstance(exc, FrontNotFound):
        return (
            f"Front has no {front_id}: check the id. A token without Private resources cannot see conversations "
            "in private inboxes either.",
            Fix("Give the token Shared and Private resources in Front → Settings → Developers.", settings_fix),
        )
    if isinstance(exc, FrontAuthError):
        return (
            "Front rejected the API token: it was revoked or has expired.",
            Fix("Connect a new token in Settings → Ticketing System → Front.", settings_fix),
        )
    if isinstance(exc, FrontForbidden):
        return (
            f"Front refused to show this conversation to the token: {exc.detail or exc}.",
            Fix("Give the token Shared and Private resources in Front → Settings → Developers.", settings_fix),
        )
    if isinstance(exc, (FrontRateLimited, RateLimitTimeout)):
        return (
            "Front's API budget is spent for the moment (replies to customers come first). Try again in a minute.",
            None,
        )
    if isinstance(exc, RedisError):
        return "Front was not asked: Redis, which holds Front's shared API budget, is unreachable.", None
    if isinstance(exc, FrontError):
        return f"Front could not be asked: {exc}. Try again in a moment.", None
    return f"Front's answer could not be read ({type(exc).__name__}). Try again in a moment.", None


_CONVERSATION_LINK = re.compile(r"/conversations/(cnv_[A-Za-z0-9]+)")


def conversation_of_message(integration: Integration, message_id: str) -> str | None:
    """The conversation a Front message belongs to, as Front links it."""
    link = _client(integration).message(message_id)
    for key in ("_links", "related", "conversation"):  # an answer of another shape links nothing
        link = link.get(key) if isinstance(link, dict) else None
    found = _CONVERSATION_LINK.search(link if isinstance(link, str) else "")
    return found.group(1) if found else None


def _latest_message(messages: list[dict]) -> dict | None:
    """The latest customer message (what the AI would answer), else the latest message."""
    return next((m for m in messages if m.get("is_inbound")), None) or next(iter(messages), None)


def _is_repeat(organization_id: int, conversation_id: str, message_id: str | None, text: str) -> bool:
    """The same words in this conversation were handled in the last 24 hours (read only: the
    reply flow's own check also claims the words)."""
    previous = db.session.scalar(
        select(MessageFingerprint.message_id)
        .where(
            MessageFingerprint.organization_id == organization_id,
            MessageFingerprint.conversation_id == conversation_id,
            MessageFingerprint.content_hash == content_hash(text),
            MessageFingerprint.created_at > utcnow() - sessions.DEDUP_WINDOW,
        )
        .limit(1)
    )
    return previous is not None and previous != message_id


def _ownership(check: rules.ReplyCheck, ai_name: str) -> RuleResult:
    name = "Assigned to the AI teammate"
    skip = rules.first_failing(replace(check, enabled=True, message=_CUSTOMER_PROBE, our_message_ids=frozenset()))
    if skip is None or skip.code not in OWNERSHIP_CODES:
        assignee = check.conversation.get("assignee")
        why = (
            f"Assigned to the AI teammate, {ai_name}."
            if assignee
            else "Unassigned, and Handle unassigned conversations is on."
        )
        return RuleResult(name, True, why)
    front_fix = Fix("Choose the AI teammate, or turn on Handle unassigned conversations.", "front.settings")
    explanations = {
        rules.SkipCode.NO_AI_TEAMMATE: (
            "No AI teammate is chosen, so the AI has nobody to answer as.",
            Fix("Choose the AI teammate in Settings → Ticketing System → Front.", "front.settings"),
        ),
        rules.SkipCode.ASSIGNED_ELSEWHERE: (
            f"{skip.detail} The AI never answers a conversation a teammate has.",
            Fix(f"If the AI should answer, assign the conversation to {ai_name} in Front."),
        ),
        rules.SkipCode.UNASSIGNED_NOT_HANDLED: (
            "Unassigned, and Handle unassigned conversations is off.",
            Fix(
                f"Assign the conversation to {ai_name} in Front, or turn on Handle unassigned conversations.",
                "front.settings",
            ),
        ),
        rules.SkipCode.HANDED_OFF: (
            "Handed off to a human: after a handoff or a teammate's reply the AI stays quiet.",
            Fix(f"Assign the conversation to {ai_name} in Front to let the AI answer again."),
        ),
    }
    explanation, fix = explanations.get(skip.code, (skip.reason, front_fix))
    return RuleResult(name, False, explanation, fix)


def _switched_on(check: rules.ReplyCheck) -> RuleResult:
    name = "The AI is switched on"
    teammate = check.ai_teammate_id or _PROBE_TEAMMATE
    probe = replace(
        check,
        conversation={"assignee": {"id": teammate}},
        ai_teammate_id=teammate,
        session_status=SessionStatus.AI,
        message=_CUSTOMER_PROBE,
        our_message_ids=frozenset(),
    )
    if rules.first_failing(probe) is None:
        return RuleResult(name, True, "The Front integration is switched on.")
    return RuleResult(
        name,
        False,
        "The Front integration is switched off: the AI answers nobody.",
        Fix("Turn on “Let the AI answer in Front” in Settings → Ticketing System → Front.", "front.settings"),
    )


def _from_customer(check: rules.ReplyCheck, message: dict | None) -> RuleResult:
    name = "The latest message is from the customer"
    if message is None:
        return RuleResult(name, False, "The conversation has no message in Front.")
    skip = rules.not_from_customer(check)
    if skip is None:
        return RuleResult(name, True, "The latest message is the customer's.")
    if skip.code == rules.SkipCode.OWN_ECHO:
        return RuleResult(name, False, "The latest message is the AI's own reply: there is nothing new to answer.")
    author = message.get("author")
    by = f"a teammate ({teammate_name(author)})" if author else "a teammate"
    return RuleResult(
        name, False, f"The latest message was sent by {by}, not the customer: the AI answers customers only."
    )


def live_front(
    integration: Integration | None, conversation_id: str, support_session: SupportSession | None
) -> LiveFront:
    if not is_connected(integration):
        return LiveFront(
            error="Front is not connected, so Front was not asked about the conversation.",
            error_fix=Fix("Connect an API token in Settings → Ticketing System → Front.", "front.settings"),
        )
    settings = settings_of(integration)
    try:
        client = _client(integration)
        conversation = client.conversation(conversation_id)
        if not isinstance(conversation, dict):
            raise ValueError("the conversation is not a JSON object")
        surviving_id = conversation.get("id")
        surviving_id = surviving_id if isinstance(surviving_id, str) and FRONT_ID.fullmatch(surviving_id) else None
        surviving_id = surviving_id or conversation_id
        messages = client.recent_messages(surviving_id)
        if not isinstance(messages, list):
            raise ValueError("the messages are not a JSON list")
    except (FrontError, RateLimitTimeout, RedisError, requests.RequestException, ValueError, AttributeError) as exc:
        error, fix = _front_error(exc, conversation_id)
        return LiveFront(error=error, error_fix=fix)
    message = _latest_message([m for m in messages if isinstance(m, dict)])
    check = rules.ReplyCheck(
        conversation=conversation,
        message=message or {},
        ai_teammate_id=settings.ai_teammate_id,
        handle_unassigned=settings.handle_unassigned,
        enabled=integration.enabled,
        session_status=support_session.status if support_session else SessionStatus.AI,
        our_message_ids=sessions.our_message_ids(support_session) if support_session else frozenset(),
    )
    ai_name = settings.ai_teammate_name or "the AI teammate"
    results = [_ownership(check, ai_name), _switched_on(check), _from_customer(check, message)]
    text = message_text(message) if message else ""
    if message is not None:
        results.append(
            RuleResult("The message has text", True, "It has text to answer.")
            if text
            else RuleResult("The message has text", False, "The message has no text (only attachments, say).")
        )
    if text:
        repeat = _is_repeat(integration.organization_id, surviving_id, message.get("id"), text)
        results.append(
            RuleResult(
                "Not a repeat",
                not repeat,
                "The same words in this conversation were answered in the last 24 hours: a repeat is handled once."
                if repeat
                else "Not the same words as a message handled in the last 24 hours.",
            )
        )
    author = (message or {}).get("author")
    created = (message or {}).get("created_at")
    return LiveFront(
        conversation_id=surviving_id,
        merged=surviving_id != conversation_id,
        assignee=teammate_name(conversation.get("assignee")) if conversation.get("assignee") else "nobody",
        status=conversation.get("status"),
        message_id=(message or {}).get("id"),
        message_at=_timestamp(created),
        message_by=(teammate_name(author) if author else "the customer") if message else None,
        rules=results,
    )


def _timestamp(value) -> datetime | None:
    """Front's epoch seconds as a time; None for anything that is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError):
        return None


# -- putting it together ------------------------------------------------------------------------


def diagnose(organization_id: int, pasted: str) -> Diagnosis:
    """Everything the page says about one conversation. NotAConversation when ``pasted`` names
    none; Front's own failures are part of the answer, never an exception."""
    front_id = front_id_from(pasted)
    integration = front_integration(organization_id)
    entries = _front_entries_naming(organization_id, front_id)
    conversation_id = front_id
    live_error: LiveFront | None = None
    if front_id.startswith("msg_"):
        conversation_id = next((event.conversation_id for _, event in entries if event.conversation_id), None)
        if conversation_id is None:
            if not is_connected(integration):
                live_error = live_front(integration, front_id, None)
            else:
                try:
                    conversation_id = conversation_of_message(integration, front_id)
                except (FrontError, RateLimitTimeout, RedisError, requests.RequestException, ValueError) as exc:
                    error, fix = _front_error(exc, front_id)
                    live_error = LiveFront(error=error, error_fix=fix)
        if conversation_id is not None:
            entries = _front_entries_naming(organization_id, conversation_id)
        conversation_id = conversation_id or front_id
    support_session = sessions.find_session(organization_id, conversation_id)
    live = live_error or live_front(integration, conversation_id, support_session)
    if support_session is None and live.merged:
        support_session = sessions.find_session(organization_id, live.conversation_id)
    facts = [
        JournalFact(entry, event.type, explain_entry(entry, event, support_session is not None))
        for entry, event in entries
    ]
    last_webhook = _any_front_webhook(organization_id)
    refusals = activity.refusals(organization_id, utcnow()) if not facts else None
    headline, journal_fix = _journal_headline(facts, last_webhook, refusals.latest if refusals else None)
    return Diagnosis(
        conversation_id=conversation_id,
        session=support_session,
        last_skip=_last_skip(support_session),
        journal=facts,
        journal_headline=headline,
        journal_fix=journal_fix,
        webhooks_ever=last_webhook is not None,
        live=live,
    )


def _last_skip(support_session: SupportSession | None) -> dict | None:
    if support_session is None:
        return None
    skips = [event for event in support_session.events if event.kind == EventKind.SKIP]
    return dict(skips[-1].payload or {}) if skips else None
