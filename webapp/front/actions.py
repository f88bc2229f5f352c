"""Carrying out the agent's decision in Front: reply, hand off (with a drafted answer when the
agent was unsure of it), resolve.

Each action re-reads what it depends on right before acting, so the AI never acts on a
conversation a human has taken in the meantime, and each send is checked for before it is
repeated, so a timeout never becomes a double reply.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import replace

from webapp.agent import Handoff, Reply
from webapp.agent.wording import mood_in_words, reason_in_words
from webapp.db import db
from webapp.front.client import FrontClient
from webapp.front.errors import FrontError, FrontOutcomeUnknown, FrontUnavailable
from webapp.front.integration import teammate_name
from webapp.models import Channel, EventKind, SessionStatus, SupportSession
from webapp.text import html_to_text, normalized, text_to_html

log = logging.getLogger(__name__)

SEND_ATTEMPTS = 3
# Front accepts a reply (202) before the message is listed; give it a moment before looking.
SETTLE_SECONDS = 2.0


class Sender:
    """Sends as the AI teammate, verifying before any resend."""

    def __init__(self, client: FrontClient, ai_teammate_id: str, sleep: Callable[[float], None] = time.sleep):
        self.client = client
        self.ai_teammate_id = ai_teammate_id
        self.sleep = sleep

    def find_reply(self, conversation_id: str, text: str) -> dict | None:
        wanted = normalized(text)
        for message in self.client.recent_messages(conversation_id):
            author = message.get("author") or {}
            if message.get("is_inbound") or author.get("id") != self.ai_teammate_id:
                continue
            sent = message.get("text") or html_to_text(message.get("body"))
            if normalized(sent) == wanted:
                return message
        return None

    def find_comment(self, conversation_id: str, body: str) -> dict | None:
        wanted = normalized(body)
        for comment in self.client.recent_comments(conversation_id):
            author = comment.get("author") or {}
            if author.get("id") == self.ai_teammate_id and normalized(comment.get("body") or "") == wanted:
                return comment
        return None

    def send_once(
        self, send: Callable[[], dict], find: Callable[[], dict | None], check_first: bool
    ) -> tuple[dict, bool]:
        """Send, or find that an earlier attempt already did. Returns (result, found_earlier)."""
        if check_first and (found := find()) is not None:
            return found, True
        last: Exception | None = None
        for attempt in range(SEND_ATTEMPTS):
            try:
                return send(), False
            except FrontOutcomeUnknown as exc:
                last = exc
                log.warning("send outcome unknown (attempt %d): %s; looking for it before resending", attempt + 1, exc)
                self.sleep(SETTLE_SECONDS)
                if (found := find()) is not None:
                    return found, True
        raise FrontUnavailable(f"Front did not confirm the send after {SEND_ATTEMPTS} attempts: {last}")


def send_reply(sender: Sender, support_session: SupportSession, message_id: str, reply: Reply, retrying: bool) -> None:
    conversation_id = support_session.front_conversation_id
    result, found = sender.send_once(
        lambda: sender.client.reply(
            conversation_id, author_id=sender.ai_teammate_id, body=text_to_html(reply.text), text=reply.text
        ),
        lambda: sender.find_reply(conversation_id, reply.text),
        check_first=retrying,
    )
    support_session.record(
        EventKind.AI_REPLY,
        text=reply.text,
        sources=list(reply.sources),
        message_id=message_id,
        front_message_id=result.get("id") if found else None,
        message_uid=result.get("message_uid"),
    )
    db.session.commit()


# A draft needs a channel to be sent from later: a call has none to reply on.
DRAFT_CHANNELS = (Channel.EMAIL, Channel.WEB, Channel.SMS)
DRAFT_TOOL = "create_draft"


def channel_alias(message: dict) -> str | None:
    """The channel a customer wrote to, as Front's resource alias of its address (the ``to``
    recipient of an inbound message), which a draft reply names as the channel to send from."""
    for recipient in message.get("recipients") or []:
        if isinstance(recipient, dict) and recipient.get("role") == "to" and (recipient.get("handle") or "").strip():
            return f"alt:address:{recipient['handle'].strip()}"
    return None


def find_draft(sender: Sender, conversation_id: str, body: str) -> dict | None:
    wanted = normalized(html_to_text(body))
    for draft in sender.client.drafts(conversation_id):
        author = draft.get("author") or {}
        text = draft.get("text") or html_to_text(draft.get("body"))
        if author.get("id") == sender.ai_teammate_id and normalized(html_to_text(text)) == wanted:
            return draft
    return None


def create_draft(
    sender: Sender, support_session: SupportSession, message_id: str, reply: Reply, retrying: bool
) -> bool:
    """Draft the answer in the conversation, shared with the team, for the teammate who takes
    over to check and send. Only a head start: when it cannot be made (a call, no channel
    address, Front refusing) the timeline says why and the handoff goes ahead without it.
    Returns whether the draft is there."""
    if any(
        e.kind == EventKind.TOOL_CALL
        and (e.payload or {}).get("name") == DRAFT_TOOL
        and (e.payload or {}).get("message_id") == message_id
        for e in support_session.events
    ):
        return True  # a retried job: drafted by the attempt before
    if support_session.channel not in DRAFT_CHANNELS:
        _record_no_draft(support_session, message_id, f"a {support_session.channel.value} conversation has no draft")
        return False
    conversation_id = support_session.front_conversation_id
    body = text_to_html(reply.text)
    started = time.monotonic()
    try:
        channel_id = channel_alias(sender.client.message(message_id))
        if channel_id is None:
            _record_no_draft(support_session, message_id, "Front did not say which channel the customer wrote to")
            return False
        result, found = sender.send_once(
            lambda: sender.client.create_draft(
                conversation_id, author_id=sender.ai_teammate_id, channel_id=channel_id, body=body
            ),
            lambda: find_draft(sender, conversation_id, body),
            check_first=retrying,
        )
    except FrontError as exc:
        _record_no_draft(support_session, message_id, f"Front refused it: {str(exc)[:500]}")
        return False
    support_session.record(
        EventKind.TOOL_CALL,
        name=DRAFT_TOOL,
        input={"conversation_id": conversation_id, "channel_id": channel_id, "text": reply.text},
        output={"draft_id": result.get("id"), "found_earlier": found},
        duration_ms=int((time.monotonic() - started) * 1000),
        sources=list(reply.sources),
        message_id=message_id,
    )
    db.session.commit()
    return True


def _record_no_draft(support_session: SupportSession, message_id: str, why: str) -> None:
    """On the timeline once per message, however many retries of the handoff follow."""
    if any(
        e.kind == EventKind.ERROR and (e.payload or {}).get("draft_skipped_for") == message_id
        for e in support_session.events
    ):
        return
    support_session.record(
        EventKind.ERROR,
        message=f"The possible answer was not drafted in Front ({why}); handed off without it.",
        draft_skipped_for=message_id,
    )
    db.session.commit()


def drafted(handoff: Handoff, reply: Reply) -> Handoff:
    """The handoff whose summary points the teammate to the draft."""
    title = next((s.get("title") for s in reply.sources if s.get("title")), None)
    source = f" from “{title}”" if title else ""
    return replace(
        handoff,
        summary=f"{handoff.summary}\nA possible answer{source} is drafted in this conversation: check it first.",
    )


def handoff_note(handoff: Handoff) -> str:
    """The internal comment teammates read in Front: each fact once, in words."""
    parts = ["**Handed off by the AI**", f"**Reason:** {reason_in_words(handoff.reason)}"]
    if mood := mood_in_words(handoff.sentiment, handoff.reason):
        parts.append(f"{mood}.")
    parts.append(f"**Summary:** {handoff.summary}")
    return "\n\n".join(parts)


UNASSIGNED_NOTE = "Unassigned in Front."
KEPT_NOTE = "Stays assigned to the AI teammate, which stays quiet."


def hand_off(
    sender: Sender,
    support_session: SupportSession,
    message_id: str,
    handoff: Handoff,
    retrying: bool,
    customer_message: str | None = None,
    *,
    note: str | None = None,
    unassign: bool = True,
    destination: str = "Front teammates",
    details: dict | None = None,
) -> None:
    """Tell the customer, leave the internal note, then unassign (unless ``unassign`` is off:
    a Case's conversation stays with the AI teammate, quiet, so nobody in Front answers over
    the rep). Every destination ends here, each with its own ``note`` (the handoff summary by
    default), its ``destination`` label and ``details`` for the HANDOFF event (a Case's id,
    number and link; an error that made it fall back).

    Who has the conversation next is not read back: if a Front rule reassigns it, Front's
    assignment event puts that on the timeline, and a handoff stays within four calls to Front.
    """
    conversation_id = support_session.front_conversation_id
    if customer_message:
        sender.send_once(
            lambda: sender.client.reply(
                conversation_id,
                author_id=sender.ai_teammate_id,
                body=text_to_html(customer_message),
                text=customer_message,
            ),
            lambda: sender.find_reply(conversation_id, customer_message),
            check_first=retrying,
        )
        # Not tied to message_id: the handoff is not done until the note and unassign are.
        support_session.record(EventKind.AI_REPLY, text=customer_message, handoff_notice_for=message_id)
        db.session.commit()
    note = note or handoff_note(handoff)
    sender.send_once(
        lambda: sender.client.comment(conversation_id, author_id=sender.ai_teammate_id, body=note),
        lambda: sender.find_comment(conversation_id, note),
        check_first=retrying,
    )
    if unassign:
        try:
            sender.client.set_assignee(conversation_id, None)
        except FrontError as exc:
            _record_unassign_failure(support_session, message_id, exc)
            raise  # the job's retries try again; the note is found, not posted twice
    support_session.status = SessionStatus.HANDED_OFF
    support_session.record(
        EventKind.HANDOFF,
        reason=handoff.reason,
        summary=handoff.summary,
        sentiment=handoff.sentiment,
        destination=destination,
        message_id=message_id,
        note=UNASSIGNED_NOTE if unassign else KEPT_NOTE,
        **(details or {}),
    )
    db.session.commit()


# The ERROR payload key naming the message whose handoff could not unassign the conversation.
UNASSIGN_FAILED_KEY = "unassign_failed_for"


def _record_unassign_failure(support_session: SupportSession, message_id: str, error: FrontError) -> None:
    """The handoff note is in Front but the conversation is still the AI teammate's: say so on
    the timeline (once per message, however many retries fail the same way)."""
    if any(
        e.kind == EventKind.ERROR and (e.payload or {}).get(UNASSIGN_FAILED_KEY) == message_id
        for e in support_session.events
    ):
        return
    support_session.record(
        EventKind.ERROR,
        message="The handoff note was posted, but Front did not unassign the conversation.",
        detail=str(error)[:1000],
        **{UNASSIGN_FAILED_KEY: message_id},
    )
    db.session.commit()


def fall_back(
    sender: Sender,
    support_session: SupportSession,
    message_id: str,
    handoff: Handoff,
    retrying: bool,
    customer_message: str | None,
    *,
    instead_of: str,
    what_failed: str,
    error_text: str,
    error_key: str,
) -> None:
    """The chosen destination could not take the conversation (or gave it back): Front teammates
    take it, told why in the note. The error goes on the timeline once per ``message_id`` (a
    retried job adds nothing), under ``error_key`` so each destination finds its own."""
    already = any(
        e.kind == EventKind.ERROR and (e.payload or {}).get(error_key) == message_id for e in support_session.events
    )
    if not already:
        support_session.record(
            EventKind.ERROR,
            message=f"{what_failed}; handed off to Front teammates instead.",
            detail=error_text,
            **{error_key: message_id},
        )
        db.session.commit()
    shown = error_text.replace("`", "'")
    hand_off(
        sender,
        support_session,
        message_id,
        handoff,
        retrying,
        customer_message,
        note=f"{handoff_note(handoff)}\n\n**{what_failed}:** `{shown}`. Over to you.",
        unassign=True,
        destination="Front teammates",
        details={"error": error_text, "instead_of": instead_of},
    )


class FrontTeammates:
    """The handoff destination that gives the conversation back to the team in Front."""

    key = "front_teammates"
    label = "Front teammates (unassign)"

    def hand_off(self, *, sender, support_session, message_id, handoff, retrying, customer_message) -> None:
        hand_off(sender, support_session, message_id, handoff, retrying, customer_message)


def archive_skipped(assignee: dict | None) -> dict:
    """The ARCHIVE_SKIPPED event's payload: who has the conversation, in words."""
    if assignee:
        name = teammate_name(assignee)
        return {"reason": f"Archive skipped: a teammate, {name}, took the conversation.", "teammate": name}
    return {"reason": "Archive skipped: the conversation is no longer assigned to the AI teammate."}


def archive_if_ai_owns(sender: Sender, conversation_id: str, why: str) -> tuple[EventKind, dict]:
    """Archive the conversation only while the AI teammate still has it, as for any resolution
    a human did not make in Front; returns the timeline event saying which happened."""
    assignee = sender.client.conversation(conversation_id).get("assignee") or None
    if assignee and assignee.get("id") == sender.ai_teammate_id:
        sender.client.archive(conversation_id)
        return EventKind.ARCHIVE, {"message": f"Archived in Front: {why}."}
    return EventKind.ARCHIVE_SKIPPED, archive_skipped(assignee)


def resolve(sender: Sender, support_session: SupportSession, message_id: str) -> None:
    """Archive only a conversation the AI still owns; otherwise say who has it."""
    conversation_id = support_session.front_conversation_id
    assignee = sender.client.conversation(conversation_id).get("assignee") or None
    if assignee and assignee.get("id") == sender.ai_teammate_id:
        sender.client.archive(conversation_id)
        support_session.status = SessionStatus.RESOLVED
        support_session.record(
            EventKind.ARCHIVE, message="Archived in Front: the customer confirmed it is solved.", message_id=message_id
        )
    else:
        support_session.record(EventKind.ARCHIVE_SKIPPED, **archive_skipped(assignee), message_id=message_id)
    db.session.commit()
