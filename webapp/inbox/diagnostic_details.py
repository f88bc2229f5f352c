"""A session's diagnostic details as plain text, for an admin to paste into a support request.

What an admin pastes travels by email and chat, so by default it holds nothing private: the
ids, states, times and the timeline's non-customer facts (kinds, skip codes, errors), and
never what the customer wrote, their name, email, phone or the subject. Those are added only
when the admin asks for them. As a last guard, every secret the organization has stored (API
tokens, app secrets, OAuth tokens, keys, webhook tokens) is blanked out of the finished text,
whatever put it there.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from importlib import metadata

from sqlalchemy import select

from webapp.db import db
from webapp.models import (
    EventKind,
    Integration,
    KnowledgeSource,
    MessagingConversation,
    SessionEvent,
    SupportSession,
    utcnow,
)
from webapp.templating import format_datetime

log = logging.getLogger(__name__)

PACKAGE = "switchboard"  # the distribution name in pyproject.toml
REDACTED = "[redacted]"
DETAIL_MAX = 300
# A stored secret shorter than this is not looked for: it would blank out ordinary words.
SECRET_MIN_LENGTH = 8

# Payload keys that hold Switchboard's own facts, never what a customer wrote: ids, codes,
# decisions, destinations and the sentences Switchboard writes about what it did.
FACT_KEYS = (
    "code",
    "decision",
    "name",
    "duration_ms",
    "message_id",
    "front_message_id",
    "handoff_message_id",
    "message_type",
    "destination",
    "sentiment",
    "case_id",
    "case_number",
    "salesforce_record_id",
    "miaw_conversation_id",
    "created",
    "assignee",
    "instead_of",
    "error",
    "note",
)
# Keys whose text is Switchboard's own sentence for these kinds (assignments, tags, errors, ...).
MESSAGE_IS_OURS = {
    EventKind.ASSIGNMENT,
    EventKind.TAG,
    EventKind.ARCHIVE,
    EventKind.ARCHIVE_SKIPPED,
    EventKind.RESOLVED,
    EventKind.ERROR,
    EventKind.SALESFORCE_CASE,
    EventKind.LIVE_MESSAGING,
}
# A handoff's reason is the agent's: one of the rule-based agent's fixed phrases, or a forbidden
# topic the admin listed, or the model's own words, which may quote the customer and so count as
# customer text.
FIXED_HANDOFF_REASONS = (
    "customer asked for a human",
    "customer is frustrated",
    "unproductive conversation",
    "missing knowledge",
    "error",
    "handed off from the Inbox",
)
# Teammates' names are not the customer's: a skip's detail says who has the conversation.
DETAIL_IS_OURS = {EventKind.SKIP, EventKind.ERROR}
# What the customer wrote, or what was written about or to them.
CUSTOMER_KEYS = ("author", "text", "summary", "input", "output")


def app_version() -> str:
    try:
        return metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:
        return "unknown (not installed as a package)"


def _short(value, limit: int = DETAIL_MAX) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _is_fixed_reason(reason) -> bool:
    return isinstance(reason, str) and (reason in FIXED_HANDOFF_REASONS or reason.startswith("forbidden topic: "))


def _event_line(event: SessionEvent, customer_text: bool) -> list[str]:
    payload = event.payload or {}
    facts = []
    reason = payload.get("reason")
    if reason and (event.kind != EventKind.HANDOFF or _is_fixed_reason(reason)):
        facts.append(f"reason={_short(reason)}")
    elif reason and not customer_text:
        facts.append("reason=(in the AI's own words: left out with the customer text)")
    facts += [f"{key}={_short(payload[key])}" for key in FACT_KEYS if payload.get(key) not in (None, "", [], {})]
    if event.kind in MESSAGE_IS_OURS and payload.get("message"):
        facts.append(f"message={_short(payload['message'])}")
    if event.kind in DETAIL_IS_OURS and payload.get("detail"):
        facts.append(f"detail={_short(payload['detail'])}")
    lines = [f"  {format_datetime(event.created_at)}  {event.kind.value}" + (f"  {' '.join(facts)}" if facts else "")]
    if customer_text:
        for key in CUSTOMER_KEYS:
            if payload.get(key) not in (None, "", [], {}):
                lines.append(f"      {key}: {_short(payload[key], 2000)}")
        if reason and event.kind == EventKind.HANDOFF and not _is_fixed_reason(reason):
            lines.append(f"      reason: {_short(reason, 2000)}")
        if event.kind not in MESSAGE_IS_OURS and payload.get("message"):
            lines.append(f"      message: {_short(payload['message'], 2000)}")
        if event.kind not in DETAIL_IS_OURS and payload.get("detail"):
            lines.append(f"      detail: {_short(payload['detail'], 2000)}")
    return lines


def _check_lines(organization_id: int) -> list[str]:
    """The setup checks' latest results, where this installation runs them: by integration
    when they come grouped (``{"front": [...], ...}``), else as one list."""
    try:
        from webapp.diagnostics import latest_results
    except ImportError:
        return []
    try:
        results = latest_results(organization_id) or []
        groups = results.items() if isinstance(results, Mapping) else [(None, results)]
        lines = []
        for group, checks in groups:
            indent = "    " if group is not None else "  "
            if group is not None:
                lines.append(f"  {group}:")
            lines += [f"{indent}{_describe_check(check)}" for check in checks or []] or [f"{indent}none"]
    except Exception:  # the details are still worth copying without the checks
        log.exception("could not read the setup check results of organization %s", organization_id)
        return ["", "Setup checks: could not be read (see the server log)."]
    return ["", "Setup checks (latest results):", *(lines or ["  none run yet"])]


def _describe_check(shown) -> str:
    """One check's line: its title, its status and what it found, or ``str`` of it."""

    def part(thing, *names):
        for name in names:
            value = thing.get(name) if isinstance(thing, Mapping) else getattr(thing, name, None)
            if value not in (None, ""):
                return value
        return None

    check = part(shown, "check")
    result = part(shown, "result")
    title = part(check, "title", "key") if check is not None else part(shown, "title", "name", "label", "key")
    status = part(shown, "status", "state")
    found = part(result, "found", "message") if result is not None else part(shown, "found", "message", "detail")
    ran_at = part(result, "ran_at") if result is not None else None
    if title is None and status is None:
        return _short(str(shown))
    status_text = getattr(status, "label", None) or getattr(status, "value", None) or status or "not run yet"
    parts = [str(title or "a check"), str(status_text)]
    if found:
        parts.append(str(found))
    if isinstance(ran_at, datetime):
        parts.append(f"checked {format_datetime(ran_at)}")
    return _short(" — ".join(parts), 500)


def _strings_in(value) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings_in(item)


def stored_secrets(support_session: SupportSession) -> set[str]:
    """Every secret stored for the session's organization (and the session's own Live
    Messaging token): what the text must never contain."""
    organization_id = support_session.organization_id
    found: set[str] = set()
    for credentials, webhook_token in db.session.execute(
        select(Integration.credentials, Integration.webhook_token).where(Integration.organization_id == organization_id)
    ):
        found.update(_strings_in(credentials))
        if webhook_token:
            found.add(webhook_token)
    found.update(
        s
        for credentials in db.session.scalars(
            select(KnowledgeSource.credentials).where(KnowledgeSource.organization_id == organization_id)
        )
        for s in _strings_in(credentials)
    )
    found.update(
        s
        for credentials in db.session.scalars(
            select(MessagingConversation.credentials).where(MessagingConversation.session_id == support_session.id)
        )
        for s in _strings_in(credentials)
    )
    pieces = set()
    for secret in found:
        pieces.add(secret.strip())
        pieces.update(line.strip() for line in secret.splitlines())  # a PEM key, line by line
    return {piece for piece in pieces if len(piece) >= SECRET_MIN_LENGTH}


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def diagnostic_text(support_session: SupportSession, *, customer_text: bool = False) -> str:
    s = support_session
    lines = [
        "Switchboard diagnostic details",
        f"Generated: {format_datetime(utcnow())}",
        f"App version: {PACKAGE} {app_version()}",
        "",
        f"Session: #{s.ticket_number} (id {s.id})",
        f"Channel: {s.channel.value}",
        f"Status: {s.status.label}",
        f"Front conversation: {s.front_conversation_id or '—'}",
        f"Salesforce Case: {s.salesforce_case_id or '—'}"
        + (f" (number {s.salesforce_case_number})" if s.salesforce_case_number else ""),
        f"Live Messaging conversation: {s.miaw_conversation_id or '—'}",
        f"Created: {format_datetime(s.created_at)}",
        f"Last activity: {format_datetime(s.last_activity_at)}",
    ]
    if customer_text:
        lines += [
            "",
            "Customer text (included on request):",
            f"  Subject: {s.subject or '—'}",
            f"  Contact name: {s.contact_name or '—'}",
            f"  Contact email: {s.contact_email or '—'}",
            f"  Contact phone: {s.contact_phone or '—'}",
        ]
    else:
        lines += ["", "Customer text (messages, name, email, phone, subject) is left out."]
    lines += ["", f"Timeline ({len(s.events)} event{'s' if len(s.events) != 1 else ''}):"]
    for event in s.events:
        lines += _event_line(event, customer_text)
    if not s.events:
        lines.append("  nothing yet")
    lines += _check_lines(s.organization_id)
    return redact("\n".join(lines) + "\n", stored_secrets(s))
