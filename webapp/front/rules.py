"""Whether the AI may answer a message: the documented checks, in the documented order.

The first check that fails is the skip reason recorded on the session, which is how the Inbox
answers "why did the AI not answer?".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from webapp.front.integration import teammate_name
from webapp.models import SessionStatus


class SkipCode(StrEnum):
    NO_AI_TEAMMATE = "no_ai_teammate"
    ASSIGNED_ELSEWHERE = "assigned_elsewhere"
    UNASSIGNED_NOT_HANDLED = "unassigned_not_handled"
    HANDED_OFF = "handed_off"
    DISABLED = "integration_disabled"
    FROM_TEAMMATE = "from_teammate"
    OWN_ECHO = "own_echo"
    DUPLICATE_CONTENT = "duplicate_content"
    EMPTY = "empty_message"


@dataclass(frozen=True)
class Skip:
    code: SkipCode
    reason: str
    detail: str | None = None


@dataclass(frozen=True)
class ReplyCheck:
    conversation: dict
    message: dict
    ai_teammate_id: str | None
    handle_unassigned: bool
    enabled: bool
    session_status: SessionStatus
    our_message_ids: frozenset[str] = frozenset()


def first_failing(check: ReplyCheck) -> Skip | None:
    for rule in (_owned_by_ai, _enabled, _from_customer):
        skip = rule(check)
        if skip is not None:
            return skip
    return None


def _owned_by_ai(check: ReplyCheck) -> Skip | None:
    if not check.ai_teammate_id:
        return Skip(
            SkipCode.NO_AI_TEAMMATE, "no AI teammate is chosen", "Choose one in Settings → Ticketing System → Front."
        )
    assignee = check.conversation.get("assignee") or None
    if assignee and assignee.get("id") != check.ai_teammate_id:
        return Skip(
            SkipCode.ASSIGNED_ELSEWHERE, "assigned to another teammate", f"Assigned to {teammate_name(assignee)}."
        )
    if not assignee and not check.handle_unassigned:
        return Skip(
            SkipCode.UNASSIGNED_NOT_HANDLED,
            "unassigned, and Handle unassigned conversations is off",
            "Assign the conversation to the AI teammate, or turn the setting on.",
        )
    if check.session_status == SessionStatus.HANDED_OFF:
        # After a handoff or a teammate's reply, a human owns the conversation until someone
        # assigns it to the AI teammate again (the assignment event flips the session back).
        return Skip(
            SkipCode.HANDED_OFF, "handed off to a human", "Assign it to the AI teammate to let the AI answer again."
        )
    return None


def _enabled(check: ReplyCheck) -> Skip | None:
    if not check.enabled:
        return Skip(SkipCode.DISABLED, "the Front integration is switched off")
    return None


def not_from_customer(check: ReplyCheck) -> Skip | None:
    """Why the message is not the customer's to answer (a teammate's, our own echo), or None."""
    return _from_customer(check)


def _from_customer(check: ReplyCheck) -> Skip | None:
    message = check.message
    author = message.get("author") or None
    if message.get("id") in check.our_message_ids or (author and author.get("id") == check.ai_teammate_id):
        return Skip(SkipCode.OWN_ECHO, "our own reply, echoed back")
    if not message.get("is_inbound", False) or author:
        return Skip(
            SkipCode.FROM_TEAMMATE,
            "sent by a teammate, not the customer",
            f"Sent by {teammate_name(author)}." if author else None,
        )
    return None
