"""The Front checks that read what happened to conversations: why the AI stayed quiet, handoffs
a Front rule took back, double replies, archives left to a teammate, and Knowledge Sync.

They read the session timelines (``session_events``) and knowledge sources Switchboard already
keeps, over the last :data:`WINDOW`, and make no call to Front. Sessions are named by their
ticket number, never by anything a customer wrote.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from webapp.db import db
from webapp.diagnostics import Check, Context, Finding, Link, failing, not_set_up, ok, warning
from webapp.front.actions import KEPT_NOTE, UNASSIGN_FAILED_KEY
from webapp.front.integration import is_connected, settings_of
from webapp.front.rules import SkipCode
from webapp.models import (
    CheckStatus,
    EventKind,
    KnowledgeArticle,
    KnowledgeSource,
    SessionEvent,
    SourceKind,
    SupportSession,
    SyncSchedule,
    SyncStatus,
)
from webapp.retention import JOURNAL_IDS_KEPT
from webapp.salesforce.errors import remote_text

WINDOW = timedelta(days=7)
WINDOW_WORDS = "the last 7 days"
RECENT = 200  # at most this many of the latest events of a kind are read
LISTED = 10  # sessions named in a finding's details
# A Front rule that takes a handed-off conversation does so as soon as it is unassigned; a
# teammate's assignment this long after is a person picking it up.
REASSIGNED_WITHIN = timedelta(minutes=5)
# Front's assignment event can be processed a moment before the handoff is written down.
CLOCK_SLACK = timedelta(seconds=30)
ERROR_SHOWN = 200

FRONT_SETTINGS = Link("Front settings", "front.settings")
HANDOFF_SETTINGS = Link("Handoff settings", "handoff.settings")
DATA_SOURCES = Link("Data Sources", "knowledge.data_sources")


def _not_connected() -> Finding:
    return not_set_up(
        "Front is not connected, so there are no conversations to look at.",
        "Connect Front with an API token.",
        FRONT_SETTINGS,
    )


def _ticket(ticket_number: int) -> str:
    return f"#{ticket_number}"


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _ago(delta: timedelta) -> str:
    seconds = max(int(delta.total_seconds()), 0)
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class Row:
    """One timeline event, with the ticket number of its session."""

    id: int
    session_id: int
    ticket_number: int
    kind: EventKind
    payload: dict
    created_at: datetime


def _rows(statement) -> list[Row]:
    return [
        Row(event_id, session_id, ticket_number, kind, payload or {}, created_at)
        for event_id, session_id, ticket_number, kind, payload, created_at in db.session.execute(statement)
    ]


def _events(ctx: Context, kinds, *, limit: int = RECENT, since: datetime | None = None, where=()) -> list[Row]:
    """The organization's latest events of these kinds in the window, newest first."""
    return _rows(
        select(
            SessionEvent.id,
            SessionEvent.session_id,
            SupportSession.ticket_number,
            SessionEvent.kind,
            SessionEvent.payload,
            SessionEvent.created_at,
        )
        .join(SupportSession, SupportSession.id == SessionEvent.session_id)
        .where(
            SupportSession.organization_id == ctx.organization_id,
            SessionEvent.kind.in_(list(kinds)),
            SessionEvent.created_at >= (since or ctx.now - WINDOW),
            *where,
        )
        .order_by(SessionEvent.created_at.desc(), SessionEvent.id.desc())
        .limit(limit)
    )


# -- the AI is not responding ------------------------------------------------------------------


@dataclass(frozen=True)
class RuleAdvice:
    label: str  # why the message was not answered
    advice: str  # what to do, or why that is right
    setting: bool = False  # stopped by a setting the admin can change (not by design)


RULE_ADVICE = {
    SkipCode.NO_AI_TEAMMATE: RuleAdvice(
        "no AI teammate chosen", "Choose the AI teammate in Front settings.", setting=True
    ),
    SkipCode.UNASSIGNED_NOT_HANDLED: RuleAdvice(
        "unassigned while Handle unassigned conversations was off",
        "Turn on Handle unassigned conversations in Front settings, or have a Front rule assign new "
        "conversations to the AI teammate.",
        setting=True,
    ),
    SkipCode.DISABLED: RuleAdvice(
        "the Front integration switched off", "Switch the integration on in Front settings.", setting=True
    ),
    SkipCode.ASSIGNED_ELSEWHERE: RuleAdvice(
        "assigned to another teammate",
        "By design: the AI never answers a conversation a teammate has. Assign it to the AI teammate to let it answer.",
    ),
    SkipCode.HANDED_OFF: RuleAdvice(
        "already handed off to a human",
        "By design: after a handoff or a teammate's reply, the AI answers again only once the conversation is "
        "assigned to the AI teammate.",
    ),
    SkipCode.FROM_TEAMMATE: RuleAdvice("sent by a teammate", "By design: the AI answers customers only."),
    SkipCode.OWN_ECHO: RuleAdvice("the AI's own reply, coming back", "By design: the AI does not answer itself."),
    SkipCode.DUPLICATE_CONTENT: RuleAdvice(
        "the same words again within 24 hours", "By design: a message sent twice is answered once."
    ),
    SkipCode.EMPTY: RuleAdvice(
        "no text to answer", "By design: an empty message or a lone attachment is not answered."
    ),
}


def _still_set(code: SkipCode, ctx: Context) -> bool:
    """Whether the setting that stopped these messages is still set that way (if it changed
    since, the messages that arrive now are answered)."""
    settings = settings_of(ctx.integration)
    if code == SkipCode.DISABLED:
        return not ctx.integration.enabled
    if code == SkipCode.UNASSIGNED_NOT_HANDLED:
        return not settings.handle_unassigned
    if code == SkipCode.NO_AI_TEAMMATE:
        return not settings.ai_teammate_id
    return False


def _customer_message_ids(ctx: Context) -> set[str]:
    """The Front ids of the latest customer messages in the window (not their words)."""
    message_id = SessionEvent.payload["message_id"].as_string()
    return set(
        db.session.scalars(
            select(message_id)
            .select_from(SessionEvent)
            .join(SupportSession, SupportSession.id == SessionEvent.session_id)
            .where(
                SupportSession.organization_id == ctx.organization_id,
                SessionEvent.kind == EventKind.CUSTOMER_MESSAGE,
                SessionEvent.created_at >= ctx.now - WINDOW,
                message_id.is_not(None),
            )
            .order_by(SessionEvent.created_at.desc(), SessionEvent.id.desc())
            .limit(RECENT)
        )
    )


def ai_not_responding(ctx: Context) -> Finding:
    if not is_connected(ctx.integration):
        return _not_connected()
    customer_messages = _customer_message_ids(ctx)
    skips = [
        (SkipCode(row.payload["code"]), row.payload.get("message_id"))
        for row in _events(ctx, (EventKind.SKIP,), limit=2 * RECENT)
        # Front's reply rules only (a Salesforce relay's skips name no Front message)
        if row.payload.get("message_id") and row.payload.get("code") in SkipCode._value2member_map_
    ]
    by_rule = Counter(code for code, _ in skips)
    skipped_customer = [code for code, message_id in skips if message_id in customer_messages]
    by_setting = Counter(code for code in skipped_customer if RULE_ADVICE[code].setting and _still_set(code, ctx))
    details = [
        f"{_capitalized(RULE_ADVICE[code].label)}: {_plural(count, 'message')}. {RULE_ADVICE[code].advice}"
        + (" (Changed since.)" if RULE_ADVICE[code].setting and not _still_set(code, ctx) else "")
        for code, count in by_rule.most_common()
    ]
    total = len(customer_messages)
    if by_setting and sum(by_setting.values()) * 2 > total:
        code, count = by_setting.most_common(1)[0]
        return warning(
            f"Most customer messages of {WINDOW_WORDS} were not answered because of a setting: "
            f"{count} of {total} ({RULE_ADVICE[code].label}).",
            RULE_ADVICE[code].advice,
            FRONT_SETTINGS,
            details,
        )
    if not total:
        return ok(f"No customer message arrived in {WINDOW_WORDS}, so no reply rule stopped one.", details)
    if not skipped_customer:
        return ok(f"No reply rule stopped any of the {_plural(total, 'customer message')} of {WINDOW_WORDS}.", details)
    return ok(
        f"The reply rules stopped {len(skipped_customer)} of the {_plural(total, 'customer message')} of "
        f"{WINDOW_WORDS}, none because of a setting that is still on: each reason below is by design or was "
        "changed since.",
        details,
    )


# -- a handoff stayed assigned -----------------------------------------------------------------


@dataclass(frozen=True)
class Stuck:
    session_id: int
    ticket_number: int
    at: datetime
    line: str
    back_to_ai: bool = False
    unassign_failed: bool = False


def _taken_back(handoff: Row, assignments: list[Row], ai_teammate_id: str | None) -> Stuck | None:
    """The first assignment after the handoff's own unassign, if a Front rule made it (or it
    gave the conversation straight back to the AI teammate)."""
    unassigned = False
    for row in assignments:
        if not handoff.created_at - CLOCK_SLACK <= row.created_at <= handoff.created_at + REASSIGNED_WITHIN:
            continue
        assignee_id = row.payload.get("assignee_id")
        if not assignee_id and not row.payload.get("assignee"):
            unassigned = True  # the handoff's own unassign coming back as an event
            continue
        if row.created_at < handoff.created_at and not unassigned:
            continue  # assigned before the handoff, not after it
        source = row.payload.get("source")
        to_ai = bool(assignee_id) and assignee_id == ai_teammate_id
        if source != "rule" and not (source is None and to_ai):
            return None  # a teammate (or an app) took it: what a handoff is for
        rule = row.payload.get("rule")
        by = f"the Front rule “{rule}”" if rule else ("a Front rule" if source == "rule" else "someone in Front")
        who = "the AI teammate" if to_ai else (row.payload.get("assignee") or "a teammate")
        seconds = int((row.created_at - handoff.created_at).total_seconds())
        when = f"{seconds} s later" if seconds >= 1 else "right away"
        return Stuck(
            handoff.session_id,
            handoff.ticket_number,
            handoff.created_at,
            f"{_ticket(handoff.ticket_number)}: handed off {_when(handoff.created_at)}, reassigned to {who} by {by} "
            f"{when}.",
            back_to_ai=to_ai,
        )
    return None


def _unassign_failures(failures: list[Row], later: dict[int, list[Row]]) -> list[Stuck]:
    """Handoffs whose unassign failed and that nothing put right since (a retry that went
    through, or anyone changing the assignee)."""
    stuck, seen = [], set()
    for failure in failures:
        if failure.session_id in seen or any(row.created_at >= failure.created_at for row in later[failure.session_id]):
            continue
        seen.add(failure.session_id)
        error = remote_text(failure.payload.get("detail") or "no error given", ERROR_SHOWN)
        stuck.append(
            Stuck(
                failure.session_id,
                failure.ticket_number,
                failure.created_at,
                f"{_ticket(failure.ticket_number)}: handoff note posted {_when(failure.created_at)}, but the "
                f"unassign failed ({error}).",
                unassign_failed=True,
            )
        )
    return stuck


def handoff_stayed_assigned(ctx: Context) -> Finding:
    if not is_connected(ctx.integration):
        return _not_connected()
    handoffs = [row for row in _events(ctx, (EventKind.HANDOFF,)) if row.payload.get("note") != KEPT_NOTE]
    unassign_failed = SessionEvent.payload[UNASSIGN_FAILED_KEY].as_string().is_not(None)
    failures = _events(ctx, (EventKind.ERROR,), where=(unassign_failed,))
    session_ids = {row.session_id for row in handoffs + failures}
    later: dict[int, list[Row]] = defaultdict(list)
    if session_ids:
        for row in reversed(
            _events(
                ctx,
                (EventKind.ASSIGNMENT, EventKind.HANDOFF),
                limit=20 * RECENT,
                since=ctx.now - WINDOW - CLOCK_SLACK,
                where=(SessionEvent.session_id.in_(session_ids),),
            )
        ):
            later[row.session_id].append(row)
    failed = _unassign_failures(failures, later)
    taken_back, earlier = _rule_takebacks(ctx, handoffs, later)
    stuck = sorted(failed + taken_back, key=lambda item: item.at, reverse=True)
    history = [f"Before a later handoff went through: {item.line}" for item in earlier[:LISTED]]
    if not stuck:
        if not handoffs:
            return ok(f"No conversation was handed off in {WINDOW_WORDS}.")
        return ok(
            f"The latest of the {_plural(len(handoffs), 'handoff')} of {WINDOW_WORDS} left the conversation with "
            "the team: no unassign is left failed and no Front rule took it back.",
            history,
        )
    details = [item.line for item in stuck[:LISTED]] + history
    if taken_back:
        back_to_ai = [item for item in taken_back if item.back_to_ai]
        found = (
            f"{_plural(len(taken_back), 'handed-off conversation')} {'was' if len(taken_back) == 1 else 'were'} "
            "reassigned by a Front rule right after the handoff"
            + _back_to_ai(len(back_to_ai), len(taken_back))
            + (f"; {_plural(len(failed), 'more')} stayed assigned because the unassign failed" if failed else "")
            + "."
        )
        fix = (
            "Change the Front rule so it leaves conversations alone once the AI hands them off, or have handoffs "
            "leave the conversation assigned (a Salesforce Case destination can keep it with the AI teammate)."
        )
        if back_to_ai or failed:
            return failing(found, fix, HANDOFF_SETTINGS, details)
        fix += " If the rule is meant to share handed-off conversations among teammates, this is fine."
        return warning(found, fix, HANDOFF_SETTINGS, details)
    latest = failed[0]
    return failing(
        f"{_plural(len(failed), 'handed-off conversation')} of {WINDOW_WORDS} stayed assigned to the AI "
        "teammate: the handoff note was posted, but Front did not unassign the conversation.",
        "Unassign these conversations in Front so a teammate sees them; each one's timeline shows Front's error. "
        "If it keeps happening, check that the API token may update conversations.",
        Link(f"Open {_ticket(latest.ticket_number)}", "inbox.session", values={"session_id": latest.session_id}),
        details,
    )


def _back_to_ai(count: int, of: int) -> str:
    if not count:
        return ""
    which = "" if count == of else f" {count} of them"
    return f",{which} back to the AI teammate, which then answers again"


def _rule_takebacks(ctx: Context, handoffs: list[Row], later: dict[int, list[Row]]) -> tuple[list[Stuck], list[Stuck]]:
    """Handoffs a Front rule took back: those since the latest handoff that went through (the
    rule is still there), and those before it (the rule has likely been changed since)."""
    ai_teammate_id = settings_of(ctx.integration).ai_teammate_id
    taken_back, went_through = [], []
    for handoff in handoffs:
        assignments = [row for row in later[handoff.session_id] if row.kind == EventKind.ASSIGNMENT]
        if (found := _taken_back(handoff, assignments, ai_teammate_id)) is not None:
            taken_back.append(found)
        elif handoff.created_at + REASSIGNED_WITHIN <= ctx.now:  # a rule has had its moment to act
            went_through.append(handoff.created_at)
    latest_through = max(went_through, default=None)
    if latest_through is None:
        return taken_back, []
    return [item for item in taken_back if item.at > latest_through], [
        item for item in taken_back if item.at <= latest_through
    ]


# -- duplicate replies -------------------------------------------------------------------------


def _double_replies(ctx: Context) -> list:
    message_id = SessionEvent.payload["message_id"].as_string()
    last = func.max(SessionEvent.created_at)
    return db.session.execute(
        select(SupportSession.id, SupportSession.ticket_number, func.count(), last)
        .select_from(SessionEvent)
        .join(SupportSession, SupportSession.id == SessionEvent.session_id)
        .where(
            SupportSession.organization_id == ctx.organization_id,
            SessionEvent.kind == EventKind.AI_REPLY,
            SessionEvent.created_at >= ctx.now - WINDOW,
            message_id.is_not(None),
        )
        .group_by(SupportSession.id, SupportSession.ticket_number, message_id)
        .having(func.count() > 1)
        .order_by(last.desc())
        .limit(LISTED)
    ).all()


def _redelivered_after(row: Row) -> timedelta:
    """How long after the message was first handled Front delivered it again (zero if unknown)."""
    try:
        handled_at = datetime.fromisoformat(row.payload["handled_at"])
        return max(row.created_at - handled_at, timedelta(0))
    except (KeyError, TypeError, ValueError):  # an older event, or a naive time
        return timedelta(0)


def _redelivery_line(row: Row) -> str:
    after = _redelivered_after(row)
    gap = f", {_ago(after).removesuffix(' ago')} after it was handled" if after >= timedelta(minutes=1) else ""
    return f"{_ticket(row.ticket_number)}: delivered again {_when(row.created_at)}{gap}."


def _replies_since(ctx: Context, moment: datetime) -> int:
    """AI replies to customer messages after ``moment`` (none of them doubled: a double reply
    after it would be the latest)."""
    return db.session.scalar(
        select(func.count())
        .select_from(SessionEvent)
        .join(SupportSession, SupportSession.id == SessionEvent.session_id)
        .where(
            SupportSession.organization_id == ctx.organization_id,
            SessionEvent.kind == EventKind.AI_REPLY,
            SessionEvent.created_at > moment,
            SessionEvent.payload["message_id"].as_string().is_not(None),
        )
    )


def _latest_customer_message(ctx: Context) -> datetime | None:
    latest = _events(ctx, (EventKind.CUSTOMER_MESSAGE,), limit=1)
    return latest[0].created_at if latest else None


def duplicate_replies(ctx: Context) -> Finding:
    if not is_connected(ctx.integration):
        return _not_connected()
    doubles = _double_replies(ctx)
    double_lines = [
        f"{_ticket(ticket)}: {count} AI replies to one customer message, the last {_when(last)}."
        for _, ticket, count, last in doubles
    ]
    if doubles and not _replies_since(ctx, doubles[0][3]):
        session_id, ticket, _, _ = doubles[0]
        return failing(
            f"The AI replied twice to the same customer message in {_plural(len(doubles), 'conversation')} of "
            f"{WINDOW_WORDS}{' (at least)' if len(doubles) == LISTED else ''}.",
            "Two deliveries of one message were answered at once. Make sure the web app and every worker use the "
            "same Redis (it keeps one reply at a time per conversation), and that Front sends its events through "
            "one webhook only. Each session's timeline shows both replies.",
            Link(f"Open {_ticket(ticket)}", "inbox.session", values={"session_id": session_id}),
            double_lines,
        )
    history = [f"Earlier, since followed by single replies: {line}" for line in double_lines]
    redelivered = _events(ctx, (EventKind.REDELIVERED,))
    latest_message = _latest_customer_message(ctx)
    if redelivered and (latest_message is None or redelivered[0].created_at > latest_message):
        return _redeliveries(redelivered, history)
    said = (
        f"Every AI reply since {_when(doubles[0][3])} went out once (the earlier double replies are listed)"
        if doubles
        else f"No customer message got two AI replies in {WINDOW_WORDS}"
    )
    if redelivered:
        history += [f"Earlier: {_redelivery_line(row)}" for row in redelivered[:LISTED]]
        return ok(f"{said}, and Front's redeliveries have stopped: the latest customer message came once.", history)
    return ok(f"{said}, and Front delivered no message twice.", history)


def _redeliveries(redelivered: list[Row], history: list[str]) -> Finding:
    """Front delivering handled messages again: caught, so a warning with what to change."""
    late = [row for row in redelivered if _redelivered_after(row) > JOURNAL_IDS_KEPT]
    twice = len(redelivered) - len(late)
    days = JOURNAL_IDS_KEPT.days
    reasons = []
    if late:
        reasons.append(f"{len(late)} more than {days} days later, when event ids are no longer remembered")
    if twice:
        reasons.append(f"{twice} under a second event id")
    found = (
        f"Front delivered {_plural(len(redelivered), 'message')} again in {WINDOW_WORDS} after Switchboard had "
        f"handled {'it' if len(redelivered) == 1 else 'them'}: {'; '.join(reasons)}. Each was recognised and not "
        "answered again."
    )
    details = [_redelivery_line(row) for row in redelivered[:LISTED]] + history
    if twice:
        fix = (
            "Front sends the same events through two webhooks: keep the app's webhook and remove any Front rule that "
            "also sends events to Switchboard's webhook URL (or a second app webhook with the same URL)."
        )
        return warning(found, fix, FRONT_SETTINGS, details)
    return warning(
        found,
        f"Nothing needs changing here: redeliveries older than {days} days are caught by their message. If they "
        "keep coming, ask Front support why these events are sent again so late.",
        None,
        details,
    )


# -- archive skipped ---------------------------------------------------------------------------

ARCHIVES_SHOWN = 5


def archive_skipped(ctx: Context) -> Finding:
    if not is_connected(ctx.integration):
        return _not_connected()
    rows = _events(ctx, (EventKind.ARCHIVE_SKIPPED,))
    if not rows:
        return ok(f"No archive was skipped in {WINDOW_WORDS}: each conversation the AI resolved was still its own.")
    details = [
        f"{_ticket(row.ticket_number)} {_when(row.created_at)}: {_who_had_it(row)}" for row in rows[:ARCHIVES_SHOWN]
    ]
    return ok(
        f"In {WINDOW_WORDS} the AI left {_plural(len(rows), 'resolved conversation')} open in Front"
        f"{' (at least)' if len(rows) == RECENT else ''} because a teammate had taken "
        f"{'it' if len(rows) == 1 else 'them'}: it archives only conversations that are still its own, as it should.",
        details,
    )


def _who_had_it(row: Row) -> str:
    name = row.payload.get("teammate") or row.payload.get("assignee")
    if isinstance(name, str) and name:
        return f"{remote_text(name, 200)} had the conversation."
    return "it was no longer assigned to the AI teammate."


# -- Knowledge Sync ----------------------------------------------------------------------------

# What a sync keeps as its last error (webapp.knowledge.sync): the admin's own problems as they
# were raised ("Front rejected the token: …", "Front refused GET …: …", a source's own message),
# anything passing as "<ExceptionName>: …", which the next attempt may well not meet.
TRANSIENT_ERROR = re.compile(r"[A-Z][A-Za-z]*: ")
SEVERITY = {CheckStatus.OK: 0, CheckStatus.NOT_SET_UP: 1, CheckStatus.WARNING: 2, CheckStatus.FAILING: 3}


@dataclass(frozen=True)
class SourceState:
    status: CheckStatus
    found: str
    fix: str | None = None


def _sync_allowance(schedule: SyncSchedule) -> timedelta | None:
    """How old the last sync may be before the schedule has clearly missed one."""
    if schedule.seconds is None:
        return None
    return timedelta(seconds=2 * schedule.seconds) + timedelta(minutes=30)


def _failed_sync(source: KnowledgeSource) -> SourceState:
    error = source.last_error or "no error was recorded"
    shown = remote_text(error, ERROR_SHOWN)
    name = source.name
    if error.startswith("Front rejected the token"):
        return SourceState(
            CheckStatus.FAILING,
            f"{name} is not importing: Front rejected its API key ({shown}).",
            "Enter a valid key for the source (Front → Settings → Developers → API tokens), then press Sync now.",
        )
    if error.startswith("Front refused"):
        return SourceState(
            CheckStatus.FAILING,
            f"{name} is not importing: its key has no Help Center read access ({shown}).",
            "Give the key Knowledge Base read access in Front → Settings → Developers → API tokens, then press "
            "Sync now.",
        )
    if error.startswith("FrontNotFound: "):
        return SourceState(
            CheckStatus.FAILING,
            f"{name} is not importing: a selected Help Center is gone from Front ({shown}).",
            "Edit the source and choose its Help Centers again.",
        )
    if TRANSIENT_ERROR.match(error):
        return SourceState(
            CheckStatus.WARNING,
            f"The last sync of {name} failed: {shown}.",
            "The next scheduled sync tries again; press Sync now to try at once.",
        )
    return SourceState(CheckStatus.FAILING, f"{name} is not importing: {shown}", "Edit the source to fix it.")


def _source_state(source: KnowledgeSource, now: datetime) -> SourceState:
    name = source.name
    if not source.selected_ids:
        return SourceState(
            CheckStatus.WARNING,
            f"No Help Center is selected in {name}, so it imports nothing.",
            "Edit the source and select the Help Centers to import.",
        )
    if source.status == SyncStatus.FAILED:
        return _failed_sync(source)
    allowance = _sync_allowance(source.schedule)
    synced = source.last_synced_at
    if synced is None:
        if allowance is not None and now - source.created_at <= allowance:
            return SourceState(CheckStatus.OK, f"{name} is waiting for its first sync.")
        return SourceState(
            CheckStatus.WARNING,
            f"{name} has never finished a sync.",
            "Press Sync now. If no sync starts, the background worker is not running.",
        )
    if allowance is not None and now - synced > allowance:
        return SourceState(
            CheckStatus.WARNING,
            f"{name} last synced {_ago(now - synced)}, though it is set to sync {source.schedule.value}.",
            "Press Sync now. If no sync starts, the background worker or its scheduler is not running.",
        )
    return SourceState(CheckStatus.OK, f"{name} synced {_ago(now - synced)}.")


def _article_counts(organization_id: int) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(KnowledgeArticle.source_id, func.count())
            .where(KnowledgeArticle.organization_id == organization_id)
            .group_by(KnowledgeArticle.source_id)
        ).all()
    )


def knowledge_sync(ctx: Context) -> Finding:
    sources = list(
        db.session.scalars(
            select(KnowledgeSource)
            .where(KnowledgeSource.organization_id == ctx.organization_id)
            .order_by(KnowledgeSource.id)
        )
    )
    counts = _article_counts(ctx.organization_id)
    help_centers = [source for source in sources if source.kind == SourceKind.FRONT]
    if not help_centers:
        by_hand = sum(counts.get(source.id, 0) for source in sources)
        if by_hand:
            return not_set_up(
                f"No Front Help Center is a data source: the AI answers from the {_plural(by_hand, 'article')} "
                "added by hand.",
                "Add your Front Help Center to import its articles.",
                DATA_SOURCES,
            )
        return warning(
            "There is no knowledge to answer from: no Front Help Center is a data source and no article was added "
            "by hand, so the AI hands off what it cannot answer from the conversation alone.",
            "Add your Front Help Center, or write articles by hand.",
            DATA_SOURCES,
        )
    states = [(source, _source_state(source, ctx.now)) for source in help_centers]
    details = [
        f"{state.found} {_plural(counts.get(source.id, 0), 'article')}, "
        f"{_plural(len(source.selected_ids), 'Help Center')} selected, syncs {source.schedule.value}."
        for source, state in states
    ]
    _, worst = max(states, key=lambda item: SEVERITY[item[1].status])
    if worst.status == CheckStatus.FAILING:
        return failing(worst.found, worst.fix, DATA_SOURCES, details)
    if worst.status == CheckStatus.WARNING:
        return warning(worst.found, worst.fix, DATA_SOURCES, details)
    imported = sum(counts.get(source.id, 0) for source in help_centers)
    return ok(f"Knowledge Sync is importing: {_plural(imported, 'article')} from Front Help Centers.", details)


CONVERSATION_CHECKS: tuple[Check, ...] = (
    Check(
        "ai_not_responding",
        "Why the AI did not answer",
        "Customers write in and the AI says nothing.",
        ai_not_responding,
    ),
    Check(
        "handoff_stayed_assigned",
        "Handed-off conversations reach the team",
        "The AI hands off, but the conversation stays assigned to the AI teammate or a rule takes it back.",
        handoff_stayed_assigned,
    ),
    Check(
        "duplicate_replies",
        "One reply per customer message",
        "A customer gets the same answer twice.",
        duplicate_replies,
    ),
    Check(
        "archive_skipped",
        "Archives left to teammates",
        "A conversation the AI resolved stays open in Front.",
        archive_skipped,
    ),
    Check(
        "knowledge_sync",
        "Knowledge Sync",
        "The AI cannot find answers that are in your Help Center.",
        knowledge_sync,
    ),
)
