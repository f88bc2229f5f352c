"""A session handed off as a Salesforce Case, as Switchboard records it: the plan of what to
write (from the session's timeline and the Case options), the destination that falls back to
Front teammates when Salesforce cannot take it, and the customer's later messages added to the
Case. What is said to Salesforce, and in how many calls, is ``webapp.salesforce.case_requests``;
what a handoff says about the session, ``webapp.salesforce.case_handoff``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flask import current_app

from webapp.agent import Handoff
from webapp.db import db
from webapp.front import actions
from webapp.models import EventKind, SessionEvent, SessionStatus, SupportSession, utcnow
from webapp.salesforce import soql
from webapp.salesforce.case_handoff import (
    customer_of,
    description_for,
    front_url,
    priority_for,
    speakers_for,
    subject_for,
    summary_lines,
)
from webapp.salesforce.case_requests import (
    COMMENTS_LOOKED_AT,
    ERROR_SHOWN_MAX,
    CaseOutcome,
    CasePlan,
    add_comments,
    handoff_key,
    with_retries,
    write_case,
)
from webapp.salesforce.client import SalesforceClient, client_for
from webapp.salesforce.errors import (
    SalesforceError,
    SalesforceNotConnected,
    SalesforceOutcomeUnknown,
    SalesforceRejected,
    remote_text,
)
from webapp.salesforce.integration import (
    AfterCase,
    SalesforceSettings,
    case_url,
    salesforce_integration,
    settings_of,
)
from webapp.salesforce.messaging.conversation import front_sender, handoff_of
from webapp.salesforce.transcript import (
    COMMENT_MAX_BYTES,
    Speakers,
    clean_text,
    single_line,
    split_comments,
    timestamp,
    transcript_lines,
)

FOLLOW_UP = "Customer message in Front"


def follow_up_marker(message_id: str) -> str:
    return f"{FOLLOW_UP} ({single_line(message_id)}):"


# -- the plan, from the session -------------------------------------------------------------------


def sent_to_cases(events: Sequence[SessionEvent], speakers: Speakers) -> dict[str, int]:
    """How many transcript lines each Case already got from this session."""
    sent: dict[str, int] = {}
    count = 0
    for event in events:
        count += len(transcript_lines([event], speakers))
        if event.kind == EventKind.SALESFORCE_CASE and (case_id := (event.payload or {}).get("case_id")):
            sent[case_id] = count
    return sent


def plan_for(support_session: SupportSession, handoff: Handoff, key: str, settings: SalesforceSettings) -> CasePlan:
    speakers = speakers_for(support_session)
    events = list(support_session.events)
    return CasePlan(
        key=key,
        customer=customer_of(support_session),
        subject=subject_for(support_session),
        description=description_for(support_session, handoff),
        origin=settings.case_origin,
        priority=priority_for(settings, handoff.sentiment),
        header=summary_lines(support_session, handoff),
        lines=tuple(transcript_lines(events, speakers)),
        sent_to=sent_to_cases(events, speakers),
        external_id_field=settings.external_id_field,
    )


# -- the connection ---------------------------------------------------------------------------------


def connected_client(organization_id: int) -> SalesforceClient:
    """The organization's Salesforce client; SalesforceNotConnected, saying why, when there is
    no connection to use (never connected, or disconnected)."""
    return client_for(salesforce_integration(organization_id))


# -- a handoff, as the session records it ---------------------------------------------------------


def recorded_outcome(support_session: SupportSession, key: str) -> CaseOutcome | None:
    """The Case an earlier run of this handoff already wrote and recorded (its job retried after
    Front failed): Salesforce is not asked again."""
    for event in reversed(support_session.events):
        payload = event.payload or {}
        if event.kind == EventKind.SALESFORCE_CASE and payload.get("handoff_key") == key:
            return CaseOutcome(
                case_id=payload["case_id"],
                case_number=payload.get("case_number"),
                created=bool(payload.get("created")),
                found_earlier=True,
            )
    return None


def case_label(number: str | None) -> str:
    return f"Salesforce Case {number}" if number else "the Salesforce Case"


def hand_off_as_case(support_session: SupportSession, handoff: Handoff, message_id: str) -> CaseOutcome:
    """Find or create the Case and record it on the session (committed). Raises
    SalesforceError when it could not be done."""
    key = handoff_key(support_session.organization_id, support_session.id, message_id)
    if (recorded := recorded_outcome(support_session, key)) is not None:
        return recorded
    client = connected_client(support_session.organization_id)
    settings = settings_of(salesforce_integration(support_session.organization_id))
    plan = plan_for(support_session, handoff, key, settings)
    outcome = with_retries(lambda: write_case(client, plan), current_app.config["SALESFORCE_RETRY_BACKOFF"])
    url = case_url(settings, outcome.case_id)
    support_session.salesforce_case_id = outcome.case_id
    support_session.salesforce_case_number = outcome.case_number
    label = case_label(outcome.case_number)
    support_session.record(
        EventKind.SALESFORCE_CASE,
        message=f"{label} created with the transcript." if outcome.created else f"Added to the open {label}.",
        handoff_key=key,
        handoff_message_id=message_id,
        case_id=outcome.case_id,
        case_number=outcome.case_number,
        case_url=url,
        created=outcome.created,
        comments=outcome.comments_added,
        found_earlier=outcome.found_earlier,
    )
    db.session.commit()
    if outcome.leftover:
        _write_leftover(client, support_session, outcome)
    return outcome


def _write_leftover(client, support_session: SupportSession, outcome: CaseOutcome) -> None:
    """A transcript too long for one request: the rest in as few more as it takes. The Case
    exists either way; what could not be added is said on the timeline (the Inbox has it all)."""
    label = case_label(outcome.case_number)
    try:
        add_comments(client, outcome.case_id, outcome.leftover)
    except SalesforceError as exc:
        support_session.record(
            EventKind.ERROR,
            message=f"{len(outcome.leftover)} transcript comments could not be added to {label}.",
            detail=remote_text(str(exc), ERROR_SHOWN_MAX),
        )
    else:
        support_session.record(
            EventKind.SALESFORCE_CASE,
            message=(
                f"The transcript needed {outcome.comments_added + len(outcome.leftover)} comments: "
                f"the last {len(outcome.leftover)} were added to {label} in a further request."
            ),
            case_id=outcome.case_id,
            case_number=outcome.case_number,
        )
    db.session.commit()


def case_note(handoff: Handoff, outcome: CaseOutcome, url: str | None, unassign: bool) -> str:
    label = case_label(outcome.case_number)
    what = f"{label} created" if outcome.created else f"Added to the open {label}"
    lines = [actions.handoff_note(handoff), f"**{what}:** {url}" if url else f"**{what}.**"]
    if not unassign:
        lines.append(
            "The conversation stays with the AI teammate, which stays quiet: the rep answers from Salesforce, "
            "and the customer's new messages are added to the Case."
        )
    return "\n\n".join(lines)


class SalesforceCase:
    """The handoff destination that makes the conversation a Salesforce Case (or adds it to the
    customer's open one). Falls back to Front teammates when Salesforce cannot take it."""

    key = "salesforce_case"
    label = "Salesforce Case"

    def holds(self, support_session: SupportSession) -> bool:
        return is_with_case(support_session)

    def forward_customer_message(
        self, support_session: SupportSession, message_id: str, text: str, *, retrying: bool = False
    ) -> None:
        add_customer_message(support_session, message_id, text, retrying=retrying)

    def hand_off(self, *, sender, support_session, message_id, handoff, retrying, customer_message) -> None:
        try:
            outcome = hand_off_as_case(support_session, handoff, message_id)
        except SalesforceError as exc:
            fall_back(sender, support_session, message_id, handoff, retrying, customer_message, exc)
            return
        settings = settings_of(salesforce_integration(support_session.organization_id))
        unassign = settings.after_case == AfterCase.UNASSIGN.value
        url = case_url(settings, outcome.case_id)
        actions.hand_off(
            sender,
            support_session,
            message_id,
            handoff,
            retrying,
            customer_message,
            note=case_note(handoff, outcome, url, unassign),
            unassign=unassign,
            destination=self.label,
            details={"case_id": outcome.case_id, "case_number": outcome.case_number, "case_url": url},
        )


def fall_back(sender, support_session, message_id, handoff, retrying, customer_message, error: SalesforceError):
    """Front teammates take it, told why; the error goes on the timeline (once per handoff)."""
    actions.fall_back(
        sender,
        support_session,
        message_id,
        handoff,
        retrying,
        customer_message,
        instead_of=SalesforceCase.label,
        what_failed="Could not create a Salesforce Case",
        error_text=remote_text(str(error), ERROR_SHOWN_MAX) or type(error).__name__,
        error_key="case_handoff_for",
    )


# -- the customer's later messages ----------------------------------------------------------------


def is_with_case(support_session: SupportSession) -> bool:
    """Handed off, and its latest handoff went to its Case (not to Front teammates since, by a
    fallback or an admin): the customer's messages then belong to the Case."""
    case_id = support_session.salesforce_case_id
    if support_session.status != SessionStatus.HANDED_OFF or not case_id:
        return False
    last = next((e for e in reversed(support_session.events) if e.kind == EventKind.HANDOFF), None)
    return last is not None and (last.payload or {}).get("case_id") == case_id


def _message_time(support_session: SupportSession, message_id: str):
    for event in support_session.events:
        if event.kind == EventKind.CUSTOMER_MESSAGE and (event.payload or {}).get("message_id") == message_id:
            return event.created_at
    return utcnow()


def follow_up_comments(support_session: SupportSession, message_id: str, text: str) -> list[str]:
    words = clean_text(text).strip()
    if not words:
        link = front_url(support_session)
        words = "(a message without text" + (f": see it in Front, {link})" if link else ")")
    who = single_line(support_session.contact) or "Customer"
    line = f"{timestamp(_message_time(support_session, message_id))} {who}: {words}"
    return split_comments([follow_up_marker(message_id), line], COMMENT_MAX_BYTES)


def find_follow_up(client, case_id: str, message_id: str) -> list[str]:
    """The comments an earlier attempt added for this message, if its answer was lost."""
    query = (
        f"SELECT Id, CommentBody FROM CaseComment WHERE ParentId = {soql.quote(case_id)} "
        f"ORDER BY CreatedDate DESC LIMIT {COMMENTS_LOOKED_AT}"
    )
    marker = follow_up_marker(message_id)
    return [
        r["Id"] for r in client.query(query).get("records") or [] if (r.get("CommentBody") or "").startswith(marker)
    ]


def _outcome_was_unknown(support_session: SupportSession, message_id: str) -> bool:
    return any(
        e.kind == EventKind.ERROR
        and (e.payload or {}).get("case_comment_for") == message_id
        and e.payload.get("unknown")
        for e in support_session.events
    )


def _record_follow_up_error(support_session: SupportSession, message_id: str, label: str, error: SalesforceError):
    """Once per message and error: the journal's retries of the same failure add nothing."""
    payload = {
        "message": f"Could not add the customer's message to {label}; it will be tried again.",
        "detail": remote_text(str(error), ERROR_SHOWN_MAX),
        "case_comment_for": message_id,
        "unknown": isinstance(error, SalesforceOutcomeUnknown),
    }
    if not any(e.kind == EventKind.ERROR and e.payload == payload for e in support_session.events):
        support_session.record(EventKind.ERROR, **payload)
        db.session.commit()


def _give_to_front_teammates(support_session: SupportSession, label: str, error: SalesforceError) -> None:
    """Once per Case: Front teammates take the conversation, told why in the note."""
    actions.fall_back(
        front_sender(support_session),
        support_session,
        f"case-{support_session.salesforce_case_id}",
        handoff_of(support_session),
        True,  # whatever an earlier run of this fallback sent is looked for first
        None,  # the customer was told at the handoff that someone will reply
        instead_of=SalesforceCase.label,
        what_failed=f"Could not add the customer's message to {label}",
        error_text=remote_text(str(error), ERROR_SHOWN_MAX) or type(error).__name__,
        error_key="case_follow_up_failed",
    )


def add_customer_message(
    support_session: SupportSession, message_id: str, text: str, *, retrying: bool = False
) -> None:
    """A customer's message on a session with a Case goes to the Case as an internal comment,
    once; the AI stays quiet. A failure is put on the timeline and raised, so the journal tries
    the message again (and shows it failed after the last try)."""
    case_id = support_session.salesforce_case_id
    label = case_label(support_session.salesforce_case_number)
    try:
        client = connected_client(support_session.organization_id)
        # A retry looks first: the comment may be in while its timeline entry was never committed.
        looks_first = retrying or _outcome_was_unknown(support_session, message_id)
        ids = find_follow_up(client, case_id, message_id) if looks_first else []
        if not ids:
            ids = add_comments(client, case_id, follow_up_comments(support_session, message_id, text))
    except (SalesforceNotConnected, SalesforceRejected) as exc:
        # Trying again changes nothing (disconnected, the Case deleted or locked): rather than
        # leave the customer writing to nobody, Front teammates take the conversation.
        _give_to_front_teammates(support_session, label, exc)
        return
    except SalesforceError as exc:
        _record_follow_up_error(support_session, message_id, label, exc)
        raise
    support_session.record(
        EventKind.SALESFORCE_CASE,
        message=f"Added to {label} as an internal comment. The AI stays quiet while the Case has the conversation.",
        message_id=message_id,
        case_id=case_id,
        case_number=support_session.salesforce_case_number,
        comment_ids=ids,
    )
    db.session.commit()
