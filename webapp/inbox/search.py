"""What an admin types into the Inbox's search box, recognised as the one thing it can be.

An admin looking for one conversation has whatever the customer, a teammate or a rep handed
them: a Front link or id, the session's number, a Salesforce Case id or number, a Live
Messaging conversation id, or the customer's email. Each has a shape of its own, so the box
needs no "search by" menu: the shape says which column to look in, and the page can say
exactly what it looked for when nothing matches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from webapp.routing import MAX_ID

# Front's resource ids: a type prefix and a base-36 number (cnv_55c8c149, msg_1q5ptlg).
FRONT_ID = re.compile(r"\b(cnv|msg)_[A-Za-z0-9]{1,60}\b")
# Salesforce record ids are 15 characters (case-sensitive) or 18 (a case-safe suffix added);
# a Case's start with its key prefix, 500.
SALESFORCE_CASE_ID = re.compile(r"500[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
# Live Messaging conversation ids are UUIDs Switchboard made (lowercase, v4).
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
NUMBER = re.compile(r"(#)?\s*([0-9]{1,20})")
EMAIL = re.compile(r"[^\s<>@,;]+@[^\s<>@,;]+")

WHAT_CAN_BE_SEARCHED = (
    "Search by a Front conversation id (cnv_…) or link, a Front message id (msg_…), a session number (#12), "
    "a Salesforce Case id (500…) or number, a Live Messaging conversation id, or the customer's email."
)


class TermKind(StrEnum):
    FRONT_CONVERSATION = "front_conversation"
    FRONT_MESSAGE = "front_message"
    SESSION_NUMBER = "session_number"  # the session's ticket number, typed with a leading #
    NUMBER = "number"  # a session number or a Salesforce Case number: either is looked for
    SALESFORCE_CASE_ID = "salesforce_case_id"
    MIAW_CONVERSATION = "miaw_conversation"
    EMAIL = "email"


@dataclass(frozen=True)
class SearchTerm:
    kind: TermKind
    value: str

    @property
    def description(self) -> str:
        """What was looked for, in the admin's words."""
        return {
            TermKind.FRONT_CONVERSATION: f"the Front conversation {self.value}",
            TermKind.FRONT_MESSAGE: f"the Front message {self.value}",
            TermKind.SESSION_NUMBER: f"session #{self.ticket_number if self.ticket_number is not None else self.value}",
            TermKind.NUMBER: f"session #{self.ticket_number} or Salesforce Case number {self.value}"
            if self.ticket_number is not None
            else f"Salesforce Case number {self.value}",
            TermKind.SALESFORCE_CASE_ID: f"the Salesforce Case {self.value}",
            TermKind.MIAW_CONVERSATION: f"the Live Messaging conversation {self.value}",
            TermKind.EMAIL: f"the contact email {self.value}",
        }[self.kind]

    @property
    def ticket_number(self) -> int | None:
        """The session number this term names, when it is one a database integer can hold."""
        if self.kind not in (TermKind.SESSION_NUMBER, TermKind.NUMBER):
            return None
        digits = self.value.lstrip("0") or "0"
        return int(digits) if len(digits) <= len(str(MAX_ID)) and int(digits) <= MAX_ID else None


class UnrecognisedSearch(ValueError):
    """The text is none of the things the Inbox can search for; the message says what can be."""


def front_id_in_link(text: str) -> str | None:
    """The conversation (or, failing that, message) id in a Front link such as
    https://app.frontapp.com/open/cnv_abc123; None when ``text`` is not a link to Front."""
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not (host == "frontapp.com" or host.endswith(".frontapp.com")):
        return None
    found = [match.group(0) for match in FRONT_ID.finditer(f"{parts.path}?{parts.query}#{parts.fragment}")]
    return next((i for i in found if i.startswith("cnv_")), None) or next(iter(found), None)


def is_link(text: str) -> bool:
    return bool(re.match(r"(?i)https?://", text.strip()))


def parse(text: str) -> SearchTerm | None:
    """The term ``text`` names; None for an empty box. Raises UnrecognisedSearch otherwise."""
    text = text.strip()
    if not text:
        return None
    if is_link(text):
        found = front_id_in_link(text)
        if found is None:
            raise UnrecognisedSearch(
                "That link is not a Front conversation link: open the conversation in Front and copy its "
                "address (it contains cnv_…). " + WHAT_CAN_BE_SEARCHED
            )
        text = found
    if FRONT_ID.fullmatch(text):
        kind = TermKind.FRONT_CONVERSATION if text.startswith("cnv_") else TermKind.FRONT_MESSAGE
        return SearchTerm(kind, text)
    if SALESFORCE_CASE_ID.fullmatch(text):
        return SearchTerm(TermKind.SALESFORCE_CASE_ID, text)
    if UUID.fullmatch(text):
        return SearchTerm(TermKind.MIAW_CONVERSATION, text.lower())
    number = NUMBER.fullmatch(text)
    if number:
        hashed, digits = number.groups()
        return SearchTerm(TermKind.SESSION_NUMBER if hashed else TermKind.NUMBER, digits)
    email = EMAIL.search(text)
    if email:
        return SearchTerm(TermKind.EMAIL, email.group(0).lower())
    raise UnrecognisedSearch(f"“{text[:80]}” is not something the Inbox can look up. {WHAT_CAN_BE_SEARCHED}")
