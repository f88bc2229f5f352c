"""What the Inbox reads: an organization's sessions, filtered and paginated, and one timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from webapp.db import db
from webapp.models import Channel, EventKind, SessionStatus, SupportSession
from webapp.routing import last_page_at_most, text_arg


@dataclass(frozen=True)
class InboxFilter:
    status: SessionStatus | None = None
    channel: Channel | None = None

    @classmethod
    def from_args(cls, args) -> InboxFilter:
        """Unknown filter values are ignored rather than refused: a stale link still opens.
        Control characters (NUL included) are taken out before a value is looked at."""
        status = text_arg(args, "status")
        channel = text_arg(args, "channel")
        return cls(
            status=SessionStatus(status) if status in SessionStatus._value2member_map_ else None,
            channel=Channel(channel) if channel in Channel._value2member_map_ else None,
        )

    def as_args(self) -> dict[str, str]:
        return {k: v.value for k, v in (("status", self.status), ("channel", self.channel)) if v}


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
