"""Handing a conversation to a live rep through Salesforce Live Messaging (MIAW), and what happens
while the rep has it.

The handoff (``LiveMessaging``, in the same job as the agent's decision): an access token for the
customer (verified by a signed identity token when their email is known and keys are set, else
anonymous), a ``MessagingConversation`` row, the MIAW conversation with its routing attributes,
then the transcript and the handoff summary as its first messages. In Front: the customer's
handoff message and an internal note; the conversation stays with the AI teammate, quiet.
Salesforce failing is tried three times with growing waits; a refusal, or Live Messaging not set
up, or an email conversation, hands the conversation to Front teammates at once, saying why.

The relay process holds each open conversation's event stream and reports what happens through
jobs that call the functions just below, by these names. Each loads the row, takes the Front
conversation's lock (so nothing here races the reply flow or another report) and reads the row
again under it, so a report delivered twice acts once.

How the rep's words reach the customer depends on the channel:

- web chat: one reply as the AI teammate, signed with the rep's name;
- SMS: the same, cut into 160-character segments, each sent once;
- phone: the rep's words cannot reach a caller, so they are posted as internal notes for Front
  teammates; the rep was told in the handoff summary to call the customer back. A phone session
  gets the transcript only: the rep reads it, and answers by calling.

Email is no chat channel: handed off to Live Messaging, it goes to Front teammates with that reason.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from webapp.agent import Handoff, signals
from webapp.db import db
from webapp.front import actions
from webapp.front.errors import FrontError
from webapp.front.handling import ConversationBusy, conversation_lock
from webapp.models import (
    Channel,
    EventKind,
    Integration,
    MessagingConversation,
    MessagingStatus,
    SessionEvent,
    SessionStatus,
    SupportSession,
    utcnow,
)
from webapp.salesforce.case_handoff import inbox_url, priority_for, speakers_for, summary_lines
from webapp.salesforce.cases import with_retries
from webapp.salesforce.errors import remote_text
from webapp.salesforce.integration import salesforce_integration, settings_of
from webapp.salesforce.messaging.client import (
    MessagingAuthRejected,
    MessagingClient,
    MessagingError,
    MessagingRejected,
    MessagingUnavailable,
    TokenGrant,
    client_for,
)
from webapp.salesforce.messaging.conversation import (
    ACCESS_TOKEN,
    ERROR_SHOWN_MAX,
    LABEL,
    MESSAGE_MAX_BYTES,
    FrontNotReady,
    close_quietly,
    conversation_of,
    end,
    forward_customer_message,
    front_sender,
    hand_to_front_teammates,
    is_with_live_rep,
    latest_handoff,
    message_uuid,
    pieces,
    store_grant,
)
from webapp.salesforce.messaging.events import Kind, MessagingEvent
from webapp.salesforce.messaging.identity import customer_identity_token
from webapp.salesforce.messaging.settings import LiveMessagingSettings, live_messaging_of
from webapp.salesforce.relay import signed
from webapp.salesforce.transcript import single_line, split_comments, transcript_lines
from webapp.session_failures import record_final_failure
from webapp.text import text_to_html

log = logging.getLogger(__name__)

SOURCE = "live_messaging"  # the ``source`` of a rep's message on the timeline
SMS_SEGMENT_CHARS = 160
# MIAW takes 22 end-user messages a minute per conversation (Enhanced Chat rate limits): a long
# transcript is sent as its newest part, leaving room for the summary and the customer's messages.
TRANSCRIPT_MAX_MESSAGES = 12
ORIGINS = {Channel.WEB: "Web", Channel.SMS: "SMS", Channel.PHONE: "Phone", Channel.EMAIL: "Email"}
# Salesforce's language codes where they are not the ISO 639-1 code itself.
SALESFORCE_LANGUAGES = {"en": "en_US", "pt": "pt_BR", "zh": "zh_CN"}
DEFAULT_LANGUAGE = "en_US"
LANGUAGE_SAMPLE_MESSAGES = 5
EMAIL_REASON = (
    "Live Messaging is for chat channels (web chat, SMS, phone); an email conversation is handed to Front "
    "teammates. Choose another destination for email in Handoff settings."
)
HANDOFF_ERROR_KEY = "live_messaging_handoff_for"
ENDED_BY = {"Agent": "by the rep", "Supervisor": "by a supervisor"}


# == What the relay reports: the relay's jobs call these, by these names ==========================


def relay_event(conversation_row_id: int, event: MessagingEvent) -> None:
    """One event the relay read on the conversation's stream, to whichever function acts on it."""
    if event.kind == Kind.REP_MESSAGE:
        text = "\n".join(part for part in (event.text or "", *event.attachments) if part.strip())
        if text.strip():
            relay_rep_message(conversation_row_id, event.key, text, event.rep_name)
    elif event.kind == Kind.REP_JOINED:
        rep_joined(conversation_row_id, event.rep_name)
    elif event.kind == Kind.REP_LEFT:
        # Left, or transferred it: either way it waits for the next rep, against the deadline.
        rep_left(conversation_row_id, event.rep_name)
    elif event.kind == Kind.ROUTING_FAILED:
        routing_failed(conversation_row_id, event.reason)
    elif event.kind == Kind.SESSION_ENDED:
        session_ended(conversation_row_id, event.reason)
    elif event.kind == Kind.CONVERSATION_CLOSED:
        session_ended(conversation_row_id, None)
    elif event.kind == Kind.TOKEN_LOST:
        token_lost(conversation_row_id, event.reason)


def record_relay_failure(conversation_row_id: int, event: MessagingEvent, error: BaseException) -> None:
    """The job for an event gave up after its retries: say so on the session, with what the rep
    wrote, so nobody takes the timeline for delivered."""
    row = db.session.get(MessagingConversation, conversation_row_id)
    if event.kind == Kind.REP_MESSAGE:
        what = f"the rep's message ({single_line(event.text or '')[:200]})"
    else:
        what = f"a {event.kind.value.replace('_', ' ')} event"
    record_final_failure(
        row.session_id if row is not None else None,
        f"Switchboard gave up on {what} from Salesforce Live Messaging after its retries.",
        error,
        miaw_conversation_id=row.conversation_id if row is not None else None,
    )


def rep_joined(conversation_row_id: int, rep_name: str | None) -> None:
    """A rep accepted the conversation: it is ACTIVE, no longer waiting against the deadline."""
    with _held(conversation_row_id) as held:
        if held is None:
            return
        row, support_session = held
        if _let_go_if_handed_elsewhere(support_session, row):
            return
        name = _rep(rep_name)
        if not row.status.open or (row.status == MessagingStatus.ACTIVE and row.rep_name == name):
            return
        row.status, row.rep_name, row.routing_deadline_at = MessagingStatus.ACTIVE, name, None
        support_session.record(
            EventKind.LIVE_MESSAGING,
            message=f"{name} joined the conversation in Salesforce.",
            miaw_conversation_id=row.conversation_id,
        )
        db.session.commit()


def rep_left(conversation_row_id: int, rep_name: str | None = None) -> None:
    """The rep left without ending the session (not a transfer): the conversation waits for a rep
    again, against a new deadline."""
    with _held(conversation_row_id) as held:
        if held is None:
            return
        row, support_session = held
        if _let_go_if_handed_elsewhere(support_session, row):
            return
        if row.status != MessagingStatus.ACTIVE or (rep_name and row.rep_name and _rep(rep_name) != row.rep_name):
            return  # not waiting on this rep (a transfer's new rep joined first, events ran out of order)
        wait = _settings(support_session).rep_wait_seconds
        row.status, row.rep_name = MessagingStatus.ROUTING, None
        row.routing_deadline_at = utcnow() + timedelta(seconds=wait)
        support_session.record(
            EventKind.LIVE_MESSAGING,
            message=(
                f"{_rep(rep_name)} left the conversation in Salesforce; waiting for another rep "
                f"(Front teammates take it if none answers within {duration(wait)})."
            ),
            miaw_conversation_id=row.conversation_id,
        )
        db.session.commit()


def relay_rep_message(conversation_row_id: int, entry_id: str, text: str, rep_name: str | None) -> None:
    """A rep's message reaches the Front conversation once per MIAW entry id: as the AI teammate,
    signed with the rep's name (SMS: in 160-character segments; phone: as internal notes), shown in
    the Inbox as the rep's. A retry resumes after the last part Front confirmed, and looks in
    Front first for a part whose send may have happened."""
    with _held(conversation_row_id) as held:
        if held is None:
            return
        row, support_session = held
        event = _rep_message_event(support_session, entry_id)
        if event is None and _let_go_if_handed_elsewhere(support_session, row, text):
            return
        if event is None:
            if not row.status.open:
                support_session.record(
                    EventKind.SKIP,
                    reason="a rep's message after the Live Messaging conversation ended is not sent",
                    code="live_messaging_ended",
                    detail=single_line(text)[:500],
                    live_messaging_entry_id=entry_id,
                )
                db.session.commit()
                return
            event = _record_rep_message(support_session, row, entry_id, text, rep_name)
        _deliver(front_sender(support_session), support_session, event)


def routing_failed(conversation_row_id: int, reason: str | None) -> None:
    """Omni-Channel could not route the conversation to a rep: Front teammates take it."""
    with _held(conversation_row_id) as held:
        if held is not None and held[0].status.open:
            _give_back(*held, "Salesforce could not route the conversation to a rep", reason or "routing failed")


def session_ended(conversation_row_id: int, by: str | None) -> None:
    """The rep (or Salesforce) ended the messaging session: the session is resolved, the customer
    gets the closing message if one is set, and the Front conversation is archived if the AI
    teammate still has it."""
    with _held(conversation_row_id) as held:
        if held is None:
            return
        row, support_session = held
        if not row.status.open:
            return
        how = ENDED_BY.get(by or "", "in Salesforce")
        if not _still_with(support_session, row):
            end(row, MessagingStatus.ENDED)
            support_session.record(
                EventKind.LIVE_MESSAGING,
                message=f"The Live Messaging session was ended {how}.",
                miaw_conversation_id=row.conversation_id,
            )
            db.session.commit()
            return
        sender = front_sender(support_session)
        _send_closing_message(sender, support_session, row)
        archived = actions.archive_if_ai_owns(
            sender, support_session.front_conversation_id, "the live rep's session ended"
        )
        end(row, MessagingStatus.ENDED)
        support_session.status = SessionStatus.RESOLVED
        support_session.record(
            EventKind.RESOLVED,
            message=f"The Live Messaging session was ended {how}.",
            miaw_conversation_id=row.conversation_id,
        )
        support_session.record(archived[0], **archived[1])
        db.session.commit()


def token_lost(conversation_row_id: int, error: str | None) -> None:
    """The relay can no longer reach the conversation (its access token is dead and could not be
    renewed): nobody would hear the rep, so Front teammates take it."""
    with _held(conversation_row_id) as held:
        if held is not None and held[0].status.open:
            reason = remote_text(error or "the access token could not be renewed", ERROR_SHOWN_MAX)
            _give_back(*held, "Switchboard lost its access to the Live Messaging conversation", reason, close=False)


def fall_back_unanswered(now: datetime | None = None) -> int:
    """The periodic check: conversations still waiting for a rep past their deadline go to Front
    teammates, and are closed in Salesforce (best effort). Returns how many. One that cannot be
    done now (Front down, the conversation busy) is left for the next run."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(MessagingConversation.id).where(
            MessagingConversation.status == MessagingStatus.ROUTING,
            MessagingConversation.routing_deadline_at <= now,
        )
    ).all()
    handed = 0
    for row_id in overdue:
        try:
            handed += _no_rep_in_time(row_id, now)
        except (FrontError, FrontNotReady, ConversationBusy, SQLAlchemyError) as exc:
            db.session.rollback()
            log.warning("live conversation %s is past its deadline; handing it to Front failed: %s", row_id, exc)
    return handed


# == The destination ==============================================================================


class LiveMessaging:
    """The handoff destination that gives the conversation to a live rep through Salesforce Live
    Messaging. Falls back to Front teammates when Live Messaging cannot take it."""

    key = "salesforce_live_messaging"
    label = LABEL
    channels = (Channel.WEB, Channel.SMS, Channel.PHONE)

    def holds(self, support_session: SupportSession) -> bool:
        return is_with_live_rep(support_session)

    def forward_customer_message(
        self, support_session: SupportSession, message_id: str, text: str, *, retrying: bool = False
    ) -> None:
        # MIAW message ids are made from the Front message id, so a retry's resend is taken once.
        forward_customer_message(support_session, message_id, text)

    def hand_off(self, *, sender, support_session, message_id, handoff, retrying, customer_message) -> None:
        failed = _failed_earlier(support_session, message_id)
        if failed is None:
            try:
                row = open_conversation(support_session, handoff, message_id)
            except MessagingError as exc:
                failed = remote_text(str(exc), ERROR_SHOWN_MAX) or type(exc).__name__
        said = (sender, support_session, message_id, handoff, retrying, customer_message)
        if failed is not None:
            actions.fall_back(
                *said,
                instead_of=self.label,
                what_failed="Could not hand off to Salesforce Live Messaging",
                error_text=failed,
                error_key=HANDOFF_ERROR_KEY,
            )
            return
        wait = _settings(support_session).rep_wait_seconds
        actions.hand_off(
            *said,
            note=live_note(support_session, handoff, row, wait),
            unassign=False,
            destination=self.label,
            details={"miaw_conversation_id": row.conversation_id, "verified": row.authenticated},
        )


def _failed_earlier(support_session: SupportSession, message_id: str) -> str | None:
    """What made an earlier run of this handoff fall back (its job retried after Front failed):
    the same fallback is carried on, with the same note."""
    for event in support_session.events:
        if event.kind == EventKind.ERROR and (event.payload or {}).get(HANDOFF_ERROR_KEY) == message_id:
            return event.payload.get("detail") or "failed"
    return None


def open_conversation(support_session: SupportSession, handoff: Handoff, message_id: str) -> MessagingConversation:
    """Open the MIAW conversation for this handoff with the transcript and the summary, and record
    it on the session (committed). A retried job carries on from what an earlier run recorded.
    MessagingError says why it could not be done; the conversation is then FAILED."""
    if support_session.channel == Channel.EMAIL:
        raise MessagingRejected(EMAIL_REASON)
    integration = salesforce_integration(support_session.organization_id)
    client = client_for(integration)  # MessagingRejected, saying what to set, when it is not set up
    row = conversation_of(support_session)
    started = _handoff_events(support_session, message_id)
    if row is not None and any(e.payload.get("miaw_conversation_id") == row.conversation_id for e in started):
        if not row.status.open:  # it ended (no rep in time) while this handoff's job waited to retry
            raise MessagingRejected("the Live Messaging conversation ended before the handoff was done")
        if any(e.payload.get("opened") for e in started):
            return row
    elif row is not None and row.status.open:
        return row  # a rep has it already (an admin handed it off again): that conversation carries on
    else:
        row = _start(client, integration, support_session, row, message_id)
    messages = first_messages(support_session, handoff)
    attributes, language = routing_of(support_session, handoff, integration, row.authenticated)
    try:
        with_retries(
            lambda: _create(client, row, attributes, language, messages),
            current_app.config["SALESFORCE_RETRY_BACKOFF"],
            retry_on=(MessagingUnavailable,),
        )
    except MessagingError:
        end(row, MessagingStatus.FAILED)
        db.session.commit()
        close_quietly(support_session, row)
        raise
    support_session.miaw_conversation_id = row.conversation_id
    support_session.record(
        EventKind.LIVE_MESSAGING,
        message=(
            f"Salesforce Live Messaging conversation opened with the transcript and the summary "
            f"({len(messages)} messages); waiting for a rep."
        ),
        handoff_message_id=message_id,
        miaw_conversation_id=row.conversation_id,
        opened=True,
    )
    db.session.commit()
    return row


def _handoff_events(support_session: SupportSession, message_id: str) -> list[SessionEvent]:
    return [
        e
        for e in support_session.events
        if e.kind == EventKind.LIVE_MESSAGING and (e.payload or {}).get("handoff_message_id") == message_id
    ]


def _start(
    client: MessagingClient,
    integration: Integration,
    support_session: SupportSession,
    previous: MessagingConversation | None,
    message_id: str,
) -> MessagingConversation:
    """The end user's token, then the row (with the token) and the event naming it, in one commit:
    the relay never sees a conversation without a token, and a retry finds the row."""
    grant, refused = with_retries(
        lambda: _token(client, integration, support_session),
        current_app.config["SALESFORCE_RETRY_BACKOFF"],
        retry_on=(MessagingUnavailable,),
    )
    if previous is not None:  # an earlier handoff's, ended: one row per session
        db.session.delete(previous)
        db.session.flush()
    row = MessagingConversation(
        organization_id=support_session.organization_id,
        session_id=support_session.id,
        conversation_id=str(uuid.uuid4()),
        status=MessagingStatus.ROUTING,
        routing_deadline_at=utcnow() + timedelta(seconds=live_messaging_of(integration).rep_wait_seconds),
    )
    store_grant(row, grant)
    db.session.add(row)
    if refused:
        support_session.record(
            EventKind.LIVE_MESSAGING,
            message=(
                f"Salesforce did not verify the customer as {support_session.contact_email}, so the conversation "
                "is anonymous. Test connection in Settings → Integrations → Salesforce → Live Messaging says why."
            ),
            detail=refused,
            handoff_message_id=message_id,
        )
    support_session.record(
        EventKind.LIVE_MESSAGING,
        message="Asked Salesforce Live Messaging for a live rep"
        + (" for the verified customer." if grant.authenticated else " for an anonymous customer."),
        handoff_message_id=message_id,
        miaw_conversation_id=row.conversation_id,
        verified=grant.authenticated,
    )
    db.session.commit()
    return row


def _token(
    client: MessagingClient, integration: Integration, support_session: SupportSession
) -> tuple[TokenGrant, str | None]:
    """A verified token for a customer known by email (when the organization verifies customers),
    else an anonymous one; with why verification was refused, when it was."""
    refused = None
    try:
        identity = customer_identity_token(integration, support_session.contact_email or "")
        if identity is not None:
            return client.authenticated_token(identity), None
    except MessagingAuthRejected as exc:
        refused = remote_text(str(exc), ERROR_SHOWN_MAX)
    except ValueError as exc:  # the keys cannot sign (a private key that no longer loads)
        refused = f"the identity token could not be signed: {exc}"
    return client.unauthenticated_token(), refused


def _create(
    client: MessagingClient, row: MessagingConversation, attributes: dict, language: str, messages: list[str]
) -> None:
    """One attempt: the conversation, then its first messages. A second attempt finds the
    conversation made (409) and sends the same message ids, which MIAW takes once."""
    token = row.credential(ACCESS_TOKEN)
    try:
        client.create_conversation(token, row.conversation_id, attributes, language=language)
    except MessagingRejected as exc:
        if exc.status != 409:
            raise
    for number, text in enumerate(messages):
        client.send_message(token, row.conversation_id, text, message_id=message_uuid(row.conversation_id, str(number)))


# -- what is sent -------------------------------------------------------------------------------


def routing_of(
    support_session: SupportSession, handoff: Handoff, integration: Integration, verified: bool
) -> tuple[dict[str, str], str]:
    """The routing attributes (under the names set for each role; a role whose name was cleared is
    not sent) and the conversation's language."""
    language = language_of(support_session)
    values = {
        "session_id": str(support_session.id),
        "consumer_type": "authenticated" if verified else "anonymous",
        "origin": ORIGINS[support_session.channel],
        "priority": priority_for(settings_of(integration), handoff.sentiment),
        "language": language,
    }
    names = live_messaging_of(integration).attribute_names()
    return {name: values[role] for role, name in names.items() if role in values}, language


def language_of(support_session: SupportSession) -> str:
    """The customer's language from their latest messages, as Salesforce writes it; English when
    there is too little to tell."""
    texts = [
        (e.payload or {}).get("text") or "" for e in support_session.events if e.kind == EventKind.CUSTOMER_MESSAGE
    ][-LANGUAGE_SAMPLE_MESSAGES:]
    code = signals.language(" ".join(texts)) if texts else None
    return SALESFORCE_LANGUAGES.get(code, code) if code else DEFAULT_LANGUAGE


def first_messages(support_session: SupportSession, handoff: Handoff) -> list[str]:
    """The transcript (oldest first), then the handoff summary, each split to the size limit.
    Posted as the end user, so they read as the customer's lines: each says it is Switchboard's."""
    lines = transcript_lines(support_session.events, speakers_for(support_session))
    header = "Switchboard: the conversation so far in Front, oldest first."
    transcript = split_comments([header, *lines], MESSAGE_MAX_BYTES) if lines else []
    if len(transcript) > TRANSCRIPT_MAX_MESSAGES:
        transcript = [
            f"Switchboard: the conversation is long; its newest part follows. All of it: {inbox_url(support_session)}",
            *transcript[-(TRANSCRIPT_MAX_MESSAGES - 1) :],
        ]
    summary = f"Switchboard: handoff summary.\n{summary_lines(support_session, handoff)}"
    if support_session.channel == Channel.PHONE:
        at = f" at {support_session.contact_phone}" if support_session.contact_phone else ""
        summary += (
            "\nThe customer reached us by phone: what you write here does not reach them (it is posted for the team "
            f"in Front). Call them back{at}."
        )
    return transcript + pieces(summary)


def live_note(support_session: SupportSession, handoff: Handoff, row: MessagingConversation, wait: int) -> str:
    customer = (
        f"verified as {support_session.contact_email}"
        if row.authenticated
        else "anonymous (not verified by Salesforce)"
    )
    if support_session.channel == Channel.PHONE:
        relay = "the rep's messages are posted here as internal notes (the customer is on the phone)"
    else:
        relay = "the rep's messages are sent to the customer from here, signed with the rep's name"
    return "\n\n".join(
        [
            "**Handed to a live rep through Salesforce Live Messaging; waiting for a rep.**",
            actions.handoff_note(handoff),
            f"**Customer:** {customer}. **Salesforce conversation:** `{row.conversation_id}`. If no rep answers "
            f"within {duration(wait)}, the conversation comes back to you.",
            f"The conversation stays with the AI teammate, which stays quiet: {relay}, and the customer's new "
            "messages go to the rep.",
        ]
    )


def duration(seconds: int) -> str:
    if seconds % 60:
        return f"{seconds} seconds"
    minutes = seconds // 60
    return f"{minutes} minute" + ("s" if minutes != 1 else "")


def sms_segments(text: str, size: int = SMS_SEGMENT_CHARS) -> list[str]:
    """``text`` in segments of at most ``size`` characters, cut after a space or line break where
    there is one, mid-word only in a word longer than a segment."""
    segments, rest = [], text.strip()
    while len(rest) > size:
        cut = max(rest.rfind(" ", 0, size + 1), rest.rfind("\n", 0, size + 1))
        head = rest[:cut].rstrip() if cut > 0 else ""
        if not head:
            head, cut = rest[:size], size
        segments.append(head)
        rest = rest[cut:].lstrip()
    if rest:
        segments.append(rest)
    return segments


# -- a rep's message --------------------------------------------------------------------------------


def _rep(name: str | None) -> str:
    return single_line(name) or "A Salesforce rep"


def _rep_message_event(support_session: SupportSession, entry_id: str) -> SessionEvent | None:
    return next(
        (
            e
            for e in support_session.events
            if e.kind in (EventKind.HUMAN_REPLY, EventKind.SKIP)
            and (e.payload or {}).get("live_messaging_entry_id") == entry_id
        ),
        None,
    )


def _record_rep_message(
    support_session: SupportSession, row: MessagingConversation, entry_id: str, text: str, rep_name: str | None
) -> SessionEvent:
    """The rep's message on the timeline, with the parts it goes to Front in, before any is sent:
    ``started``/``sent`` count the parts begun and confirmed, so a retry knows where it stands."""
    name = _rep(rep_name or row.rep_name)
    message = signed(text.strip(), name)
    if support_session.channel == Channel.PHONE:
        note = f"**{name} wrote in Salesforce Live Messaging** (not sent: the customer is on the phone):"
        parts, delivery = [f"{note}\n\n{text.strip()}"], "note"
    elif support_session.channel == Channel.SMS:
        parts, delivery = sms_segments(message), "reply"
    else:
        parts, delivery = [message], "reply"
    event = support_session.record(
        EventKind.HUMAN_REPLY,
        text=text.strip(),
        author=name,
        source=SOURCE,
        live_messaging_entry_id=entry_id,
        miaw_conversation_id=row.conversation_id,
        delivery=delivery,
        parts=parts,
        started=0,
        sent=0,
    )
    db.session.commit()
    return event


def _progress(event: SessionEvent, **changes) -> None:
    event.payload = {**event.payload, **changes}
    db.session.commit()


def _deliver(sender: actions.Sender, support_session: SupportSession, event: SessionEvent) -> None:
    conversation_id = support_session.front_conversation_id
    parts = event.payload["parts"]
    for number in range(event.payload["sent"], len(parts)):
        part = parts[number]
        may_have_sent = event.payload["started"] > number
        _progress(event, started=number + 1)
        if event.payload["delivery"] == "note":
            sender.send_once(
                lambda part=part: sender.client.comment(conversation_id, author_id=sender.ai_teammate_id, body=part),
                lambda part=part: sender.find_comment(conversation_id, part),
                check_first=may_have_sent,
            )
        else:
            sender.send_once(
                lambda part=part: sender.client.reply(
                    conversation_id, author_id=sender.ai_teammate_id, body=text_to_html(part), text=part
                ),
                lambda part=part: sender.find_reply(conversation_id, part),
                check_first=may_have_sent,
            )
        _progress(event, sent=number + 1)


# -- the session ends ---------------------------------------------------------------------------


def _send_closing_message(sender: actions.Sender, support_session: SupportSession, row: MessagingConversation):
    closing = (_settings(support_session).closing_message or "").strip()
    if not closing or support_session.channel == Channel.PHONE:
        return
    if any(
        e.kind == EventKind.AI_REPLY and (e.payload or {}).get("closing_for") == row.conversation_id
        for e in support_session.events
    ):
        return
    conversation_id = support_session.front_conversation_id
    for part in sms_segments(closing) if support_session.channel == Channel.SMS else [closing]:
        sender.send_once(
            lambda part=part: sender.client.reply(
                conversation_id, author_id=sender.ai_teammate_id, body=text_to_html(part), text=part
            ),
            lambda part=part: sender.find_reply(conversation_id, part),
            check_first=False,
        )
    support_session.record(EventKind.AI_REPLY, text=closing, closing_for=row.conversation_id)
    db.session.commit()


# -- falling back after the handoff --------------------------------------------------------------


def _no_rep_in_time(row_id: int, now: datetime) -> bool:
    with _held(row_id) as held:
        if held is None:
            return False
        row, support_session = held
        deadline = row.routing_deadline_at
        if row.status != MessagingStatus.ROUTING or deadline is None or deadline > now:
            return False  # a rep came, or it ended, since it was found overdue
        wait = _settings(support_session).rep_wait_seconds
        _give_back(
            row,
            support_session,
            "No rep answered in Salesforce Live Messaging",
            f"no rep answered within {duration(wait)}",
        )
        return True


def _give_back(
    row: MessagingConversation, support_session: SupportSession, what_failed: str, reason: str, close: bool = True
) -> None:
    """Front teammates take the conversation, told why; unless it is no longer the rep's (an admin
    handed it off elsewhere since), when the conversation just ends."""
    if _still_with(support_session, row):
        hand_to_front_teammates(support_session, row, what_failed, reason, close=close)
        return
    end(row, MessagingStatus.FAILED)
    support_session.record(
        EventKind.LIVE_MESSAGING, message=f"{what_failed}: {reason}.", miaw_conversation_id=row.conversation_id
    )
    db.session.commit()
    if close:
        close_quietly(support_session, row)


# -- plumbing -----------------------------------------------------------------------------------


def _let_go_if_handed_elsewhere(
    support_session: SupportSession, row: MessagingConversation, text: str | None = None
) -> bool:
    """After this conversation was opened, the session was handed off again elsewhere (an admin
    gave it to Front teammates or a Case): what the rep does no longer reaches the customer, and
    the conversation is closed so the rep stops. True when so (committed)."""
    last = latest_handoff(support_session)
    if last is None or last.created_at < row.created_at or _still_with(support_session, row):
        return False
    if row.status.open:
        end(row, MessagingStatus.ENDED)
    support_session.record(
        EventKind.SKIP,
        reason="the session was handed off elsewhere; the live rep's conversation is closed and not relayed",
        code="live_messaging_handed_elsewhere",
        detail=single_line(text)[:500] if text else None,
        miaw_conversation_id=row.conversation_id,
    )
    db.session.commit()
    close_quietly(support_session, row)
    return True


def _still_with(support_session: SupportSession, row: MessagingConversation) -> bool:
    """The session's latest handoff went to this conversation."""
    last = latest_handoff(support_session)
    return last is not None and (last.payload or {}).get("miaw_conversation_id") == row.conversation_id


def _settings(support_session: SupportSession) -> LiveMessagingSettings:
    return live_messaging_of(salesforce_integration(support_session.organization_id))


@contextmanager
def _held(conversation_row_id: int) -> Iterator[tuple[MessagingConversation, SupportSession] | None]:
    """The conversation and its session, read again under the Front conversation's lock; None
    when the conversation is gone (a later handoff of the session replaced it)."""
    row = db.session.get(MessagingConversation, conversation_row_id)
    support_session = db.session.get(SupportSession, row.session_id) if row is not None else None
    if row is None or support_session is None:
        log.info("live conversation %s is gone; nothing to do", conversation_row_id)
        yield None
        return
    lock_id = support_session.front_conversation_id or f"session-{support_session.id}"
    with conversation_lock(support_session.organization_id, lock_id):
        db.session.refresh(row)
        db.session.refresh(support_session)
        yield row, support_session
