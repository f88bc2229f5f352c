"""What a handoff says about the session, to whichever Salesforce destination takes it (a Case,
or a Live Messaging conversation): who the customer is, links back to Front and the Inbox, the
summary a rep reads first, the priority, and who said what in the transcript."""

from __future__ import annotations

from urllib.parse import quote as url_quote

from flask import current_app

from webapp.agent import Handoff
from webapp.front.integration import front_integration
from webapp.front.integration import settings_of as front_settings_of
from webapp.models import EventKind, SupportSession
from webapp.salesforce.case_requests import SUPPLIED_EMAIL_MAX, Customer
from webapp.salesforce.integration import SalesforceSettings
from webapp.salesforce.transcript import Speakers, clean_text, clip_chars, single_line

SUBJECT_MAX = 255
DESCRIPTION_MAX = 32_000
FRONT_OPEN_URL = "https://app.frontapp.com/open/"
FRUSTRATED_SENTIMENTS = {"frustrated", "angry"}


def customer_of(support_session: SupportSession) -> Customer:
    return Customer(
        email=(support_session.contact_email or "").strip() or None,
        phone=(support_session.contact_phone or "").strip() or None,
        name=(support_session.contact_name or "").strip() or None,
    )


def front_url(support_session: SupportSession) -> str | None:
    conversation_id = support_session.front_conversation_id
    return f"{FRONT_OPEN_URL}{url_quote(conversation_id, safe='')}" if conversation_id else None


def inbox_url(support_session: SupportSession) -> str:
    """The session in the Inbox, built without a request (handoffs run in a worker)."""
    path = current_app.url_map.bind("localhost").build("inbox.session", {"session_id": support_session.id})
    return f"{current_app.config['PUBLIC_URL'].rstrip('/')}{path}"


def subject_for(support_session: SupportSession) -> str:
    """The customer's request in one line: the conversation's subject, else their first words."""
    subject = single_line(support_session.subject)
    if not subject:
        first = next((e for e in support_session.events if e.kind == EventKind.CUSTOMER_MESSAGE), None)
        subject = single_line((first.payload or {}).get("text")) if first else ""
    return clip_chars(subject or f"Conversation with {single_line(support_session.contact)}", SUBJECT_MAX)


def summary_lines(support_session: SupportSession, handoff: Handoff) -> str:
    lines = [
        f"Reason: {single_line(handoff.reason)}",
        f"Customer sentiment: {single_line(handoff.sentiment)}",
        f"Summary: {clean_text(handoff.summary).strip()}",
    ]
    if url := front_url(support_session):
        lines.append(f"Front conversation: {url}")
    lines.append(f"Switchboard Inbox: {inbox_url(support_session)}")
    return "\n".join(lines)


def description_for(support_session: SupportSession, handoff: Handoff) -> str:
    parts = ["Handed off from Front by Switchboard.", summary_lines(support_session, handoff)]
    customer = customer_of(support_session)
    if customer.email and len(customer.email) > SUPPLIED_EMAIL_MAX:
        parts.append(f"Customer email (too long for Web Email): {customer.email}")
    parts.append("The conversation so far is in the Case comments, oldest first.")
    return clip_chars("\n\n".join(parts), DESCRIPTION_MAX)


def priority_for(settings: SalesforceSettings, sentiment: str) -> str:
    if (sentiment or "").strip().lower() in FRUSTRATED_SENTIMENTS:
        return settings.frustrated_priority
    return settings.case_priority


def speakers_for(support_session: SupportSession) -> Speakers:
    front = front_integration(support_session.organization_id)
    ai_name = front_settings_of(front).ai_teammate_name if front else None
    return Speakers(customer=single_line(support_session.contact) or "Customer", ai=single_line(ai_name) or "AI")
