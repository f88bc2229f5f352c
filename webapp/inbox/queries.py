"""What the Inbox reads: an organization's sessions, filtered and paginated, and one timeline."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import aliased, selectinload

from webapp.db import db
from webapp.front import events as front_events
from webapp.front.integration import front_integration, is_connected
from webapp.inbox import search
from webapp.inbox.search import SearchTerm, TermKind, UnrecognisedSearch
from webapp.models import Channel, EventKind, JournalEntry, JournalStatus, SessionEvent, SessionStatus, SupportSession
from webapp.routing import last_page_at_most, text_arg

# Where a session's events keep the Front message ids they are about.
MESSAGE_ID_KEYS = ("message_id", "front_message_id", "handoff_message_id")


@dataclass(frozen=True)
class InboxFilter:
    status: SessionStatus | None = None
    channel: Channel | None = None
    query: str = ""  # the search box, as typed (cleaned of control characters)
    search: SearchTerm | None = None
    search_error: str | None = None  # why the search box's text cannot be looked up

    @classmethod
    def from_args(cls, args) -> InboxFilter:
        """Unknown filter values are ignored rather than refused: a stale link still opens.
        Control characters (NUL included) are taken out before a value is looked at. A search
        that is none of the things the Inbox can look up is kept, with the reason, so the page
        can say so instead of listing everything."""
        status = text_arg(args, "status")
        channel = text_arg(args, "channel")
        query = text_arg(args, "q")
        term, error = None, None
        try:
            term = search.parse(query)
        except UnrecognisedSearch as exc:
            error = str(exc)
        return cls(
            status=SessionStatus(status) if status in SessionStatus._value2member_map_ else None,
            channel=Channel(channel) if channel in Channel._value2member_map_ else None,
            query=query,
            search=term,
            search_error=error,
        )

    @property
    def active(self) -> bool:
        """Whether anything narrows the list (an empty list then says so, not "nothing yet")."""
        return bool(self.status or self.channel or self.query)

    def without_search(self) -> InboxFilter:
        return InboxFilter(status=self.status, channel=self.channel)

    def as_args(self) -> dict[str, str]:
        args = {k: v.value for k, v in (("status", self.status), ("channel", self.channel)) if v}
        if self.query:
            args["q"] = self.query
        return args


def _matching(term: SearchTerm, organization_id: int):
    """The condition on SupportSession for one search term: exact matches on indexed or
    narrow columns, the same on SQLite and PostgreSQL."""
    value = term.value
    if term.kind == TermKind.FRONT_CONVERSATION:
        return SupportSession.front_conversation_id == value
    if term.kind == TermKind.FRONT_MESSAGE:
        # Only this organization's events: the payload is not indexed, so every row is read.
        owner = aliased(SupportSession)  # its own, not correlated with the outer query's
        about_message = (
            select(SessionEvent.session_id)
            .join(owner, owner.id == SessionEvent.session_id)
            .where(
                owner.organization_id == organization_id,
                or_(*(SessionEvent.payload[key].as_string() == value for key in MESSAGE_ID_KEYS)),
            )
        )
        return SupportSession.id.in_(about_message)
    if term.kind == TermKind.SALESFORCE_CASE_ID:
        # The 18-character id is the 15-character one plus a checksum: either finds the Case.
        return func.substr(SupportSession.salesforce_case_id, 1, 15) == value[:15]
    if term.kind == TermKind.MIAW_CONVERSATION:
        return func.lower(SupportSession.miaw_conversation_id) == value
    if term.kind == TermKind.EMAIL:
        return func.lower(SupportSession.contact_email) == value
    number = term.ticket_number
    by_number = SupportSession.ticket_number == number if number is not None else false()
    if term.kind == TermKind.SESSION_NUMBER:
        return by_number
    # Case numbers are zero-padded (00001001); "1001" finds that Case too.
    significant = value.lstrip("0")
    by_case_number = (
        func.ltrim(SupportSession.salesforce_case_number, "0") == significant
        if significant
        else SupportSession.salesforce_case_number == value
    )
    return or_(by_number, by_case_number)


@dataclass(frozen=True)
class Page:
    items: list[SupportSession]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def list_sessions(organization_id: int, filters: InboxFilter, page: int, per_page: int) -> Page:
    """One page of the sessions; a page past the last is the last."""
    query = select(SupportSession).where(SupportSession.organization_id == organization_id)
    if filters.status:
        query = query.where(SupportSession.status == filters.status)
    if filters.channel:
        query = query.where(SupportSession.channel == filters.channel)
    if filters.search_error:
        query = query.where(false())
    elif filters.search:
        query = query.where(_matching(filters.search, organization_id))
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    page = last_page_at_most(page, total, per_page)
    items = db.session.scalars(
        query.order_by(SupportSession.last_activity_at.desc(), SupportSession.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(items=list(items), number=page, per_page=per_page, total=total)


def get_session(organization_id: int, session_id: int) -> SupportSession | None:
    return db.session.scalar(
        select(SupportSession)
        .where(SupportSession.id == session_id, SupportSession.organization_id == organization_id)
        .options(selectinload(SupportSession.events))
    )


def case_status(support_session: SupportSession) -> str | None:
    """Whether the session's Salesforce Case is open or closed, as far as Switchboard heard:
    closed once Salesforce said so (its closing resolved the session), open otherwise."""
    case_id = support_session.salesforce_case_id
    if not case_id:
        return None
    for event in reversed(support_session.events):
        payload = event.payload or {}
        if event.kind == EventKind.RESOLVED and str(payload.get("salesforce_record_id") or "")[:15] == case_id[:15]:
            return "closed"
        if event.kind == EventKind.SALESFORCE_CASE and payload.get("case_id") == case_id:
            return "open"
    return "open"


class SetupState(StrEnum):
    """Why an Inbox with no session at all is empty, from the first step of the setup not done."""

    FRONT_NOT_CONNECTED = "front_not_connected"
    AI_SWITCHED_OFF = "ai_switched_off"
    NO_WEBHOOK_YET = "no_webhook_yet"
    NO_SESSION_YET = "no_session_yet"


@dataclass(frozen=True)
class EmptyInbox:
    state: SetupState
    last_webhook_at: datetime | None = None
    waiting: int = 0  # Front events received and not processed yet
    failed: int = 0  # Front events whose processing failed for good


def empty_inbox(organization_id: int) -> EmptyInbox:
    """What the setup of an organization without sessions is missing. A few small queries,
    asked only when the Inbox has nothing to list."""
    integration = front_integration(organization_id)
    if not is_connected(integration):
        return EmptyInbox(SetupState.FRONT_NOT_CONNECTED)
    from_front = (JournalEntry.organization_id == organization_id, JournalEntry.source == front_events.SOURCE)
    last_webhook_at = db.session.scalar(
        select(JournalEntry.received_at).where(*from_front).order_by(JournalEntry.id.desc()).limit(1)
    )
    if not integration.enabled:
        return EmptyInbox(SetupState.AI_SWITCHED_OFF, last_webhook_at=last_webhook_at)
    if last_webhook_at is None:
        return EmptyInbox(SetupState.NO_WEBHOOK_YET)
    counts = dict(
        db.session.execute(
            select(JournalEntry.status, func.count())
            .where(
                *from_front,
                JournalEntry.status.in_((JournalStatus.PENDING, JournalStatus.PROCESSING, JournalStatus.FAILED)),
            )
            .group_by(JournalEntry.status)
        ).all()
    )
    return EmptyInbox(
        SetupState.NO_SESSION_YET,
        last_webhook_at=last_webhook_at,
        waiting=counts.get(JournalStatus.PENDING, 0) + counts.get(JournalStatus.PROCESSING, 0),
        failed=counts.get(JournalStatus.FAILED, 0),
    )
