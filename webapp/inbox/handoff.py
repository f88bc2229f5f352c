"""Handing a session off from the Inbox, now, to any registered destination.

The page only queues the handoff: Front's and Salesforce's calls happen in a worker, so the
admin's page answers at once and a slow remote API holds no web process. The job runs the same
destination code as the agent's handoffs, under the same per-conversation lock, so it never
races the reply flow; each request has an id, so a retried job acts once.
"""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError

from webapp import registry
from webapp.agent import Handoff
from webapp.agent.settings import handoff_message, settings_for
from webapp.db import db
from webapp.front import actions, sessions
from webapp.front.handling import conversation_lock
from webapp.front.integration import client_for, front_integration, is_connected, settings_of
from webapp.models import EventKind, SupportSession
from webapp.queue import HAND_OFF_SESSION

log = logging.getLogger(__name__)

REASON = "handed off from the Inbox"


class CannotHandOff(ValueError):
    """Why a handoff cannot be queued, in the admin's words."""


def message_id_for(request_id: str) -> str:
    """What the handoff's events carry instead of a customer's message id."""
    return f"inbox-{request_id}"


def check_can_hand_off(support_session: SupportSession, destination_key: str) -> None:
    if destination_key not in registry.current().destinations:
        raise CannotHandOff("That handoff destination does not exist.")
    if not support_session.front_conversation_id:
        raise CannotHandOff("This session has no Front conversation to hand off.")
    front = front_integration(support_session.organization_id)
    if not (is_connected(front) and settings_of(front).ai_teammate_id):
        raise CannotHandOff(
            "Front is not connected, or has no AI teammate: set it up in Settings → Ticketing System → Front."
        )


def request_handoff(support_session: SupportSession, destination_key: str, admin_name: str) -> str:
    """Queue the handoff; its request id. CannotHandOff says why it cannot be queued."""
    check_can_hand_off(support_session, destination_key)
    request_id = uuid.uuid4().hex
    try:
        HAND_OFF_SESSION.enqueue(
            support_session.id,
            destination_key,
            admin_name,
            request_id,
            job_id=f"inbox-handoff-{support_session.id}-{request_id}",
        )
    except RedisError as exc:
        log.warning("could not queue the handoff of session %s: %s", support_session.id, exc)
        raise CannotHandOff("The handoff could not be queued (the job queue is unreachable). Try again.") from exc
    return request_id


def hand_off_session(session_id: int, destination_key: str, admin_name: str, request_id: str, retrying: bool) -> None:
    """Run the destination for a session, as the agent's handoffs do (in a job)."""
    support_session = db.session.get(SupportSession, session_id)
    if support_session is None:
        log.info("session %s is gone; nothing to hand off", session_id)
        return
    try:
        check_can_hand_off(support_session, destination_key)
    except CannotHandOff as exc:
        support_session.record(EventKind.ERROR, message=f"The handoff from the Inbox was not done: {exc}")
        db.session.commit()
        return
    destination = registry.current().destinations[destination_key]
    front = front_integration(support_session.organization_id)
    sender = actions.Sender(client_for(front), settings_of(front).ai_teammate_id)
    message_id = message_id_for(request_id)
    with conversation_lock(support_session.organization_id, support_session.front_conversation_id):
        db.session.refresh(support_session)
        if sessions.has_acted_on(support_session, message_id):
            return
        agent_settings = settings_for(support_session.organization_id)
        destination.hand_off(
            sender=sender,
            support_session=support_session,
            message_id=message_id,
            handoff=Handoff(reason=REASON, summary=f"Handed off from the Inbox by {admin_name}.", sentiment="neutral"),
            retrying=retrying,
            customer_message=handoff_message(agent_settings, support_session.channel),
        )
