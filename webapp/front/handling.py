"""Processing one journalled Front event: the reply flow for inbound messages, the timeline for
everything else. Runs in the webhook job; the journal guarantees it runs once per event.
"""

from __future__ import annotations

import json
import logging
import time
from contextlib import contextmanager

from sqlalchemy.exc import SQLAlchemyError

from webapp.agent import AgentContext, Draft, Handoff, Reply, Resolve, agent_for, destinations
from webapp.agent.confidence import AnswerPolicy
from webapp.agent.policy import policy_for
from webapp.agent.settings import handoff_message, settings_for
from webapp.db import db
from webapp.front import actions, events, rules, sessions
from webapp.front.errors import FrontError, FrontNotFound
from webapp.front.events import EventGroup, FrontEvent
from webapp.front.integration import client_for, front_integration, is_connected, settings_of, teammate_name
from webapp.inbox import learning
from webapp.leases import redis_lock
from webapp.models import EventKind, Integration, JournalEntry, SessionStatus, SupportSession
from webapp.text import html_to_text

log = logging.getLogger(__name__)

LOCK_WAIT_SECONDS = 120


class ConversationBusy(RuntimeError):
    """Another worker holds this conversation; the job is retried later."""


@contextmanager
def conversation_lock(organization_id: int, conversation_id: str):
    """One reply flow per conversation at a time, across every worker."""
    with redis_lock(
        f"switchboard:front:conversation:{organization_id}:{conversation_id}", wait=LOCK_WAIT_SECONDS
    ) as taken:
        if not taken:
            raise ConversationBusy(f"conversation {conversation_id} is busy")
        yield


def message_text(message: dict) -> str:
    return (message.get("text") or html_to_text(message.get("body")) or message.get("blurb") or "").strip()


def handle(entry: JournalEntry) -> None:
    integration = front_integration(entry.organization_id)
    if not is_connected(integration):
        return  # disconnected since the webhook arrived: there is nothing to fetch or answer with
    event = events.parse(json.loads(entry.payload))
    retrying = entry.attempts > 1
    if event.conversation_id is None:
        return
    if event.group == EventGroup.INBOUND:
        answer(integration, event, retrying)
    elif event.group == EventGroup.OUTBOUND:
        record_outbound(integration, event)
    elif event.group == EventGroup.ARCHIVED:
        record_archived(integration, event)
    elif event.group == EventGroup.ASSIGNMENT:
        record_assignment(integration, event)
    elif event.group == EventGroup.TAG:
        record_tag(integration, event)


def on_final_failure(entry: JournalEntry, error: BaseException) -> None:
    """After the last retry: say so on the session, and leave no customer waiting on an AI
    that cannot answer (best effort: note and unassign, so a human picks it up).

    A customer message that failed before its session existed (Front down for longer than the
    retries, a row the database refused) gets a session made from what the webhook carried, so
    the failure shows in the Inbox instead of nowhere.
    """
    try:
        event = events.parse(json.loads(entry.payload))
    except (ValueError, events.EventError):
        return
    support_session = sessions.find_session(entry.organization_id, event.conversation_id)
    if support_session is None and event.group == EventGroup.INBOUND and event.conversation_id:
        support_session = _session_from_webhook(entry.organization_id, event)
    if support_session is None:
        return
    support_session.record(
        EventKind.ERROR,
        message=f"Switchboard gave up on this {event.type} event after {entry.attempts} attempts.",
        detail=str(error)[:1000],
        message_id=event.message_id,
    )
    db.session.commit()
    if event.group == EventGroup.INBOUND and support_session.status == SessionStatus.AI:
        _hand_over_after_failure(support_session, error)


def _session_from_webhook(organization_id: int, event: FrontEvent) -> SupportSession | None:
    conversation = {**event.conversation, "id": event.conversation_id}
    try:
        support_session = sessions.session_for(organization_id, conversation, event.target, event.conversation_id)
        text = message_text(event.target)
        if text and event.message_id:
            support_session.record(
                EventKind.CUSTOMER_MESSAGE, text=text, author=support_session.contact, message_id=event.message_id
            )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not make a session for conversation %s after its event failed", event.conversation_id)
        return None
    return support_session


def _hand_over_after_failure(support_session: SupportSession, error: BaseException) -> None:
    integration = front_integration(support_session.organization_id)
    ai_teammate_id = settings_of(integration).ai_teammate_id
    if ai_teammate_id is None:
        return
    client = client_for(integration, max_retries=1)
    try:
        client.comment(
            support_session.front_conversation_id,
            author_id=ai_teammate_id,
            body=f"**The AI could not answer this message** ({type(error).__name__}). Over to you.",
        )
        client.set_assignee(support_session.front_conversation_id, None)
    except FrontError as exc:
        log.warning("could not hand over session %s after a failure: %s", support_session.id, exc)
        return
    support_session.status = SessionStatus.HANDED_OFF
    support_session.record(
        EventKind.HANDOFF,
        reason="error",
        summary="The AI could not answer; a teammate should reply.",
        sentiment="neutral",
        destination="Front teammates",
        note="Unassigned in Front after repeated errors.",
    )
    db.session.commit()


# -- inbound: the reply flow ------------------------------------------------------------------


def answer(integration: Integration, event: FrontEvent, retrying: bool) -> None:
    settings = settings_of(integration)
    client = client_for(integration)
    with conversation_lock(integration.organization_id, event.conversation_id):
        try:
            conversation = client.conversation(event.conversation_id)  # follows merges
        except FrontNotFound:
            log.info("conversation %s is gone from Front; nothing to answer", event.conversation_id)
            return
        message = message_of(client, event, conversation["id"])
        if message is None:
            return
        support_session = sessions.session_for(
            integration.organization_id, conversation, message, event.conversation_id
        )
        message_id = message["id"]
        text = message_text(message)
        if (
            message.get("is_inbound")
            and not message.get("author")
            and not sessions.events_about(support_session, message_id)
        ):
            support_session.record(
                EventKind.CUSTOMER_MESSAGE,
                text=text,
                author=support_session.contact,
                message_id=message_id,
                message_type=message.get("type"),
            )
        if sessions.has_acted_on(support_session, message_id):
            if not retrying:
                _record_redelivery(support_session, event, message_id)
            db.session.commit()
            return
        holder = destinations.holding(support_session)
        if holder is not None and _from_customer(message, settings.ai_teammate_id, support_session):
            # A Case or a live rep has the conversation: the customer's words go there, and the
            # AI stays quiet.
            db.session.commit()  # the customer message is kept whatever follows
            holder.forward_customer_message(support_session, message_id, text, retrying=retrying)
            return
        skip = rules.first_failing(
            rules.ReplyCheck(
                conversation=conversation,
                message=message,
                ai_teammate_id=settings.ai_teammate_id,
                handle_unassigned=settings.handle_unassigned,
                enabled=integration.enabled,
                session_status=support_session.status,
                our_message_ids=sessions.our_message_ids(support_session),
            )
        )
        if skip is None and not text:
            skip = rules.Skip(rules.SkipCode.EMPTY, "the message has no text to answer")
        if skip is None and sessions.is_duplicate_content(
            integration.organization_id, conversation["id"], message_id, text
        ):
            skip = rules.Skip(rules.SkipCode.DUPLICATE_CONTENT, "the same message was handled in the last 24 hours")
        if skip is not None:
            support_session.record(
                EventKind.SKIP, reason=skip.reason, code=skip.code.value, detail=skip.detail, message_id=message_id
            )
            db.session.commit()
            return
        db.session.commit()  # the customer message and its fingerprint are kept whatever follows
        decide_and_act(support_session, settings.ai_teammate_id, client, message_id, text, retrying)


def _record_redelivery(support_session: SupportSession, event: FrontEvent, message_id: str) -> None:
    """A first attempt at an event about a message already acted on: Front delivered it again
    under an event id the journal did not know (two webhooks sending the same events, or a
    redelivery after the journal forgot the id). Nothing more is done; the timeline says so."""
    handled = [e.created_at for e in sessions.events_about(support_session, message_id) if e.kind in sessions.ACTED]
    support_session.record(
        EventKind.REDELIVERED,
        message="Front delivered this message again; it was already handled, so nothing more was done.",
        message_id=message_id,
        event_id=event.id,
        handled_at=min(handled).isoformat() if handled else None,
    )


def _from_customer(message: dict, ai_teammate_id: str | None, support_session: SupportSession) -> bool:
    """Written by the customer: not by a teammate, not our own reply echoed back."""
    check = rules.ReplyCheck(
        conversation={},
        message=message,
        ai_teammate_id=ai_teammate_id,
        handle_unassigned=False,
        enabled=True,
        session_status=support_session.status,
        our_message_ids=sessions.our_message_ids(support_session),
    )
    return rules.not_from_customer(check) is None


def decide_and_act(
    support_session: SupportSession, ai_teammate_id: str, client, message_id: str, text: str, retrying: bool
) -> None:
    agent_settings = settings_for(support_session.organization_id)
    context = AgentContext(
        organization_id=support_session.organization_id,
        channel=support_session.channel,
        contact=support_session.contact,
        message=text,
        transcript=sessions.transcript(support_session),
        policy=policy_for(agent_settings),
        forbidden_topics=tuple(agent_settings.topics) if agent_settings else (),
        answer_policy=AnswerPolicy.from_settings(agent_settings.answer_policy if agent_settings else None),
    )
    started = time.monotonic()
    result = agent_for(support_session.organization_id).decide(context)
    for call in result.tool_calls:
        support_session.record(
            EventKind.TOOL_CALL, name=call.name, input=call.input, output=call.output, duration_ms=call.duration_ms
        )
    support_session.record(
        EventKind.AI_REASONING,
        text=result.reasoning,
        decision=result.decision.kind,
        message_id=message_id,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    db.session.commit()
    sender = actions.Sender(client, ai_teammate_id)
    decision = result.decision
    if isinstance(decision, Reply):
        actions.send_reply(sender, support_session, message_id, decision, retrying)
    elif isinstance(decision, Handoff | Draft):
        destination = destinations.for_channel(agent_settings, support_session.channel)
        handoff = decision if isinstance(decision, Handoff) else decision.handoff
        # The draft is for a teammate in Front; a Case or a live rep answers elsewhere.
        if isinstance(decision, Draft) and destination.key == destinations.DEFAULT:
            if actions.create_draft(sender, support_session, message_id, decision.reply, retrying):
                handoff = actions.drafted(handoff, decision.reply)
        destination.hand_off(
            sender=sender,
            support_session=support_session,
            message_id=message_id,
            handoff=handoff,
            retrying=retrying,
            customer_message=handoff_message(agent_settings, support_session.channel),
        )
    elif isinstance(decision, Resolve):
        actions.resolve(sender, support_session, message_id)


def message_of(client, event: FrontEvent, conversation_id: str) -> dict | None:
    """The message the event is about. An application webhook carries the whole message,
    signed with the rest of the body, so it is used as it is; a rule webhook carries only a
    preview (no body, no author), so the message is fetched."""
    if not event.message_id:
        return _latest_inbound(client, conversation_id)
    target = event.target
    if target.get("id") == event.message_id and "is_inbound" in target and ("body" in target or "text" in target):
        return target
    return client.message(event.message_id)


def _latest_inbound(client, conversation_id: str) -> dict | None:
    return next((m for m in client.recent_messages(conversation_id) if m.get("is_inbound")), None)


# -- everything else: the timeline ------------------------------------------------------------


def record_outbound(integration: Integration, event: FrontEvent) -> None:
    """A teammate's message: never answered; it also means a human has taken over."""
    support_session = sessions.find_session(integration.organization_id, event.conversation_id)
    if support_session is None:
        return
    message = event.target
    if not message.get("author") and event.message_id:
        try:
            message = client_for(integration).message(event.message_id)
        except FrontError:
            log.warning("could not fetch outbound message %s", event.message_id)
    author = message.get("author") or {}
    if author.get("id") == settings_of(integration).ai_teammate_id:
        return  # our own reply, already on the timeline
    if event.message_id and sessions.events_about(support_session, event.message_id):
        return
    support_session.record(
        EventKind.HUMAN_REPLY,
        text=message_text(message),
        author=teammate_name(author) if author else "A teammate",
        message_id=event.message_id,
    )
    if support_session.status == SessionStatus.AI:
        support_session.status = SessionStatus.HANDED_OFF
    db.session.commit()
    _suggest_examples(support_session, message)


def _suggest_examples(support_session: SupportSession, message: dict) -> None:
    """A teammate's answer that links or quotes an article offers the customer's question as an
    example for it (webapp.inbox.learning). Only an offer: a failure here is logged and the
    recorded reply stands."""
    try:
        if learning.suggest_examples(support_session, message_text(message), message.get("body")):
            db.session.commit()
    except Exception:
        db.session.rollback()
        log.exception("could not suggest an example question for session %s", support_session.id)


def record_archived(integration: Integration, event: FrontEvent) -> None:
    support_session = sessions.find_session(integration.organization_id, event.conversation_id)
    if support_session is None or support_session.status == SessionStatus.RESOLVED:
        return
    support_session.status = SessionStatus.RESOLVED
    support_session.record(EventKind.RESOLVED, message="The conversation was archived in Front.")
    db.session.commit()


def record_assignment(integration: Integration, event: FrontEvent) -> None:
    support_session = sessions.find_session(integration.organization_id, event.conversation_id)
    if support_session is None:
        return
    assignee = event.target if event.type == "assign" and event.target.get("id") else None
    ai_teammate_id = settings_of(integration).ai_teammate_id
    to_ai = bool(assignee) and assignee.get("id") == ai_teammate_id
    message = f"Assigned to {teammate_name(assignee)}." if assignee else "Unassigned."
    if to_ai and support_session.status == SessionStatus.HANDED_OFF:
        support_session.status = SessionStatus.AI
        message += " The AI answers this conversation again."
    # Who made the change, so a Front rule that takes a handed-off conversation back shows as one.
    by = {"source": event.source_type} if event.source_type else {}
    if event.rule_name:
        by["rule"] = event.rule_name
    support_session.record(
        EventKind.ASSIGNMENT,
        message=message,
        assignee=teammate_name(assignee) if assignee else None,
        assignee_id=assignee.get("id") if assignee else None,
        **by,
    )
    db.session.commit()


def record_tag(integration: Integration, event: FrontEvent) -> None:
    support_session = sessions.find_session(integration.organization_id, event.conversation_id)
    if support_session is None:
        return
    verb = "added" if event.type == "tag" else "removed"
    support_session.record(EventKind.TAG, message=f"Tag {verb}: {event.target.get('name', 'a tag')}.")
    db.session.commit()
