"""Processing one journalled Salesforce callout: a rep's reply reaches the customer in the Front
conversation the Case came from; a closed Case resolves its session.

- A published CaseComment by a rep is sent as the AI teammate, signed with the rep's name, and
  shown in the Inbox as the rep's message. It is sent whoever holds the conversation in Front:
  these are the rep's words, not the AI's, and the customer is waiting for them.
- An outbound EmailMessage Salesforce sent itself (Status Sent) already reached the customer: it
  goes on the timeline and in an internal note in Front, and is not sent again. One that was
  only logged on the Case (any other status but Draft) is relayed like a comment.
- Each record is relayed once: the journal keys it by its record id, and the timeline event
  carries that id and is looked for before anything is sent. The same words relayed in the last
  24 hours (a rep who posts a comment and then emails the same text) are not sent twice.
- A closed Case resolves every open session of it; the Front conversation is archived only
  while it is still assigned to the AI teammate (as for any resolution), left as it is otherwise.
- A Case no session knows (Cases Switchboard did not create, or a sandbox org's) is logged and
  done. Front failing is retried by the journal; after the last attempt the error is put on the
  session's timeline.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from webapp.db import db
from webapp.front import actions
from webapp.front.handling import conversation_lock
from webapp.front.integration import client_for, front_integration
from webapp.front.integration import is_connected as front_is_connected
from webapp.front.integration import settings_of as front_settings_of
from webapp.models import EventKind, JournalEntry, SessionStatus, SupportSession, utcnow
from webapp.salesforce import callouts
from webapp.salesforce.callouts import CalloutEvent, EventType
from webapp.salesforce.integration import salesforce_integration, settings_of
from webapp.text import html_to_text, normalized, text_to_html

log = logging.getLogger(__name__)

SOURCE = "salesforce"
SAME_TEXT_WINDOW = timedelta(hours=24)


class RelayError(RuntimeError):
    """The reply cannot be relayed now (Front not connected, no AI teammate); retried, then
    shown on the session."""


def handle(entry: JournalEntry) -> None:
    event = event_of(entry)
    if not _from_connected_org(entry.organization_id, event):
        return
    found = sessions_for_case(entry.organization_id, event.case_id)
    if not found:
        log.info("Salesforce %s %s is about Case %s, which no session knows", event.type, event.id, event.case_id)
        return
    if event.type == EventType.CASE_CLOSED:
        close_case(found, event)
    elif event.type in (EventType.CASE_COMMENT, EventType.EMAIL_MESSAGE):
        reason = why_not_relayed(entry.organization_id, event)
        if reason:
            log.info("Salesforce %s %s is not relayed: %s", event.type, event.id, reason)
            return
        relay_reply(found[0], event, retrying=entry.attempts > 1)
    # case_created is informational: the handoff that made the Case already put it on the timeline.


def on_final_failure(entry: JournalEntry, error: BaseException) -> None:
    """After the last attempt: say so on the session the reply was meant for."""
    try:
        event = event_of(entry)
    except callouts.CalloutError:
        return
    found = sessions_for_case(entry.organization_id, event.case_id)
    if not found:
        return
    what = "the Case closing" if event.type == EventType.CASE_CLOSED else "a rep's reply"
    found[0].record(
        EventKind.ERROR,
        message=f"Switchboard could not relay {what} from {event.case_label} after {entry.attempts} attempts.",
        detail=str(error)[:1000],
        salesforce_record=event.id,  # not ..._id: an admin's retry must still relay it
    )
    db.session.commit()


def event_of(entry: JournalEntry) -> CalloutEvent:
    """The journalled event, read again. Its timestamp was checked when it arrived; a job that
    runs later must not find it stale."""
    document = callouts.decode(entry.payload.encode("utf-8"))
    return callouts.parse(document, int(document.get("timestamp") or 0))


def sessions_for_case(organization_id: int, case_id: str) -> list[SupportSession]:
    """This organization's sessions handed off to the Case, newest first (a returning
    customer's later conversation can be appended to the same Case)."""
    ids = {case_id, case_id[:15]}
    return list(
        db.session.scalars(
            select(SupportSession)
            .where(SupportSession.organization_id == organization_id, SupportSession.salesforce_case_id.in_(ids))
            .order_by(SupportSession.created_at.desc(), SupportSession.id.desc())
        )
    )


def _from_connected_org(organization_id: int, event: CalloutEvent) -> bool:
    """A sandbox org deployed from the same files posts here too; its Cases are not ours."""
    connected_org = settings_of(salesforce_integration(organization_id)).org_id
    if connected_org and event.org_id and connected_org[:15] != event.org_id[:15]:
        log.info(
            "Salesforce %s %s came from org %s, not the connected %s", event.type, event.id, event.org_id, connected_org
        )
        return False
    return True


def why_not_relayed(organization_id: int, event: CalloutEvent) -> str | None:
    """The Apex sends only reps' published comments and outbound emails; checked again here so
    a wrongly edited trigger cannot make Switchboard echo itself or leak an internal comment."""
    integration_user = settings_of(salesforce_integration(organization_id)).user_id
    if integration_user and event.created_by_id and integration_user[:15] == event.created_by_id[:15]:
        return "written by Switchboard's own Salesforce user"
    if event.type == EventType.CASE_COMMENT and event.is_published is not True:
        return "an internal comment (not public)"
    if event.type == EventType.EMAIL_MESSAGE and event.incoming is not False:
        return "an incoming email"
    if event.type == EventType.EMAIL_MESSAGE and event.status == callouts.EMAIL_DRAFT:
        return "a draft"
    if not reply_text(event):
        return "no text"
    return None


def reply_text(event: CalloutEvent) -> str:
    return (event.text or html_to_text(event.html)).strip()


def signed(text: str, author: str | None) -> str:
    """What the customer reads: the rep's words, signed with the rep's name."""
    return f"{text}\n\n— {author}" if author else text


# -- a reply -------------------------------------------------------------------------------


def relay_reply(support_session: SupportSession, event: CalloutEvent, retrying: bool) -> None:
    conversation_id = support_session.front_conversation_id
    if not conversation_id:
        log.info("session %s has no Front conversation to relay %s into", support_session.id, event.id)
        return
    front = front_integration(support_session.organization_id)
    ai_teammate_id = front_settings_of(front).ai_teammate_id if front else None
    if not (front_is_connected(front) and ai_teammate_id):
        raise RelayError("Front is not connected or has no AI teammate: reconnect it to relay reps' replies")
    sender = actions.Sender(client_for(front), ai_teammate_id)
    with conversation_lock(support_session.organization_id, conversation_id):
        db.session.refresh(support_session)
        if already_relayed(support_session, event.id):
            return
        text = reply_text(event)
        if said_recently(support_session, text):
            support_session.record(
                EventKind.SKIP,
                reason="rep's reply not sent again: the customer already has the same words",
                code="duplicate_content",
                detail=f"{event.author or 'A rep'} in {event.case_label}",
                salesforce_record_id=event.id,
            )
        elif event.sent_by_salesforce:
            _note_email_sent(sender, support_session, event, text, retrying)
        else:
            _send(sender, support_session, event, text, retrying)
        db.session.commit()


# What the timeline says about a record that was dealt with: relayed, noted, or left out as said.
DEALT_WITH = {EventKind.HUMAN_REPLY, EventKind.SKIP}


def already_relayed(support_session: SupportSession, record_id: str) -> bool:
    return any(
        e.kind in DEALT_WITH and (e.payload or {}).get("salesforce_record_id") == record_id
        for e in support_session.events
    )


def said_recently(support_session: SupportSession, text: str) -> bool:
    wanted, since = normalized(text), utcnow() - SAME_TEXT_WINDOW
    return any(
        e.kind == EventKind.HUMAN_REPLY
        and (e.payload or {}).get("source") == SOURCE
        and e.created_at >= since
        and normalized(e.payload.get("text") or "") == wanted
        for e in support_session.events
    )


def _send(sender: actions.Sender, support_session: SupportSession, event: CalloutEvent, text: str, retrying: bool):
    conversation_id = support_session.front_conversation_id
    message = signed(text, event.author)
    result, found = sender.send_once(
        lambda: sender.client.reply(
            conversation_id, author_id=sender.ai_teammate_id, body=text_to_html(message), text=message
        ),
        lambda: sender.find_reply(conversation_id, message),
        check_first=retrying,
    )
    _record_reply(
        support_session,
        event,
        text,
        delivery="sent to the customer in Front",
        front_message_id=result.get("id") if found else None,
        message_uid=result.get("message_uid"),
    )


def _note_email_sent(sender, support_session: SupportSession, event: CalloutEvent, text: str, retrying: bool):
    conversation_id = support_session.front_conversation_id
    note = f"**{event.author or 'A rep'} emailed the customer from {event.case_label}:**\n\n{text}"
    sender.send_once(
        lambda: sender.client.comment(conversation_id, author_id=sender.ai_teammate_id, body=note),
        lambda: sender.find_comment(conversation_id, note),
        check_first=retrying,
    )
    _record_reply(support_session, event, text, delivery="emailed by Salesforce; internal note in Front")


def _record_reply(support_session: SupportSession, event: CalloutEvent, text: str, **details) -> None:
    support_session.record(
        EventKind.HUMAN_REPLY,
        text=text,
        author=event.author or "A Salesforce rep",
        source=SOURCE,
        salesforce_record_id=event.id,
        salesforce_case=event.case_number,
        **details,
    )


# -- a closed Case -------------------------------------------------------------------------


def close_case(found: list[SupportSession], event: CalloutEvent) -> None:
    for support_session in found:
        if support_session.status != SessionStatus.RESOLVED:
            _resolve(support_session, event)


def _resolve(support_session: SupportSession, event: CalloutEvent) -> None:
    """Archive first, then resolve: a Front failure is retried with the session still open."""
    archived = _archive_if_ai_owns(support_session, event)
    support_session.status = SessionStatus.RESOLVED
    support_session.record(EventKind.RESOLVED, message=f"{event.case_label} was closed.", salesforce_record_id=event.id)
    if archived is not None:
        kind, payload = archived
        support_session.record(kind, **payload)
    db.session.commit()


def _archive_if_ai_owns(support_session: SupportSession, event: CalloutEvent) -> tuple[EventKind, dict] | None:
    conversation_id = support_session.front_conversation_id
    front = front_integration(support_session.organization_id)
    ai_teammate_id = front_settings_of(front).ai_teammate_id if front else None
    if not (conversation_id and front_is_connected(front) and ai_teammate_id):
        return None
    sender = actions.Sender(client_for(front), ai_teammate_id)
    with conversation_lock(support_session.organization_id, conversation_id):
        return actions.archive_if_ai_owns(sender, conversation_id, f"{event.case_label} was closed")
