"""What a Case handoff says to Salesforce, and in how many calls.

A handoff takes at most two calls to Salesforce:

1. one composite request of queries: the Contact with the customer's email (or phone), the
   newest open Case of that Contact, else with that ``SuppliedEmail`` (or ``SuppliedPhone``),
   and, when the org has an External ID field for Switchboard, the Case holding this handoff's
   key;
2. one write: a new Case with its transcript as internal CaseComments and a read of its number,
   in one atomic composite request; or the comments added to the returning contact's open Case
   in one sObject Collections request.

Exactly one Case per handoff. Every handoff has a key, and the first comment it writes starts
with a marker line naming it. An attempt whose answer never came (a timeout after the write was
sent) is looked for before writing again: the Case found by the External ID field, or the
contact's open Case holding the marker, is the one the earlier attempt made. With an External ID
field the Case is created by upsert on it, so two writes of one handoff still make one Case.

Salesforce failing is tried three times with growing waits; a refusal (a validation rule, a
picklist value) is not, and neither is a connection that is gone (``cases`` then hands
the conversation to Front teammates instead).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote as url_quote

from webapp.salesforce import soql
from webapp.salesforce.errors import (
    SalesforceError,
    SalesforceRejected,
    SalesforceUnavailable,
    remote_text,
)
from webapp.salesforce.transcript import (
    COMMENT_MAX_BYTES,
    clip_chars,
    single_line,
    split_comments,
)

log = logging.getLogger(__name__)

ATTEMPTS = 3
# Salesforce's limits: a composite request holds 25 subrequests, a collection 200 records; the
# Supplied* fields of a Case (field reference, Case; SuppliedPhone is 40 in every org seen).
COMPOSITE_MAX_SUBREQUESTS = 25
COLLECTION_MAX_RECORDS = 200
SUPPLIED_EMAIL_MAX = 80
SUPPLIED_NAME_MAX = 80
SUPPLIED_PHONE_MAX = 40
# How many of a Case's newest comments are read to find a marker: an earlier attempt's is among
# the newest, written seconds before.
COMMENTS_LOOKED_AT = 50
ERROR_SHOWN_MAX = 300

MARKER = "Switchboard handoff"
AGAIN = "Handed off again from Front."
# What the other subrequests of a failed atomic request answer: not the cause.
ROLLED_BACK_CODES = {"PROCESSING_HALTED", "ALL_OR_NONE_OPERATION_ROLLED_BACK"}

CASE_WITH_COMMENTS = (
    "SELECT Id, CaseNumber, (SELECT CommentBody FROM CaseComments ORDER BY CreatedDate DESC "
    f"LIMIT {COMMENTS_LOOKED_AT}) FROM Case"
)

T = TypeVar("T")

# Tests set it to a function that does not wait.
sleep: Callable[[float], None] = time.sleep


# -- keys and markers -----------------------------------------------------------------------------


def handoff_key(organization_id: int, session_id: int, message_id: str) -> str:
    """This handoff's name in Salesforce: the same for every attempt of it, different for any
    other. Letters, digits and hyphens only (it goes in an upsert's URL), under 80 characters."""
    digest = hashlib.sha256(f"{organization_id}:{session_id}:{message_id}".encode()).hexdigest()[:32]
    return f"sb-{organization_id}-{session_id}-{digest}"


def marker_line(key: str) -> str:
    return f"{MARKER} {key}"


# -- what Salesforce answered ---------------------------------------------------------------------


@dataclass(frozen=True)
class FoundCase:
    id: str
    number: str | None
    comments: tuple[str, ...] = ()

    @classmethod
    def from_record(cls, record: dict) -> FoundCase:
        comments = (record.get("CaseComments") or {}).get("records") or []
        return cls(
            id=record["Id"],
            number=record.get("CaseNumber"),
            comments=tuple(c.get("CommentBody") or "" for c in comments),
        )

    def marker_comment(self, key: str) -> str | None:
        line = marker_line(key)
        return next((body for body in self.comments if body.startswith(line)), None)


@dataclass(frozen=True)
class Lookup:
    contact_id: str | None = None
    open_case: FoundCase | None = None
    case_by_key: FoundCase | None = None

    def done_earlier(self, key: str) -> tuple[FoundCase, bool] | None:
        """The Case an earlier attempt of this handoff wrote, and whether it created it."""
        if self.case_by_key is not None:
            return self.case_by_key, True
        if self.open_case is not None and (marker := self.open_case.marker_comment(key)) is not None:
            return self.open_case, marker.split("\n")[1:2] != [AGAIN]
        return None


@dataclass(frozen=True)
class CaseOutcome:
    case_id: str
    case_number: str | None
    created: bool
    found_earlier: bool = False
    comments_added: int = 0
    leftover: tuple[str, ...] = ()  # comments past what one request takes, written after it


def _error_from(status: int, errors: Sequence[dict], code_key: str = "errorCode") -> SalesforceError:
    real = [e for e in errors if isinstance(e, dict) and e.get(code_key) not in ROLLED_BACK_CODES]
    first = (real or [e for e in errors if isinstance(e, dict)] or [{}])[0]
    code = first.get(code_key) or "UNKNOWN"
    message = remote_text(f"{code}: {first.get('message') or 'no message'}", ERROR_SHOWN_MAX)
    kind = SalesforceUnavailable if status >= 500 else SalesforceRejected
    return kind(message, status=status, error_code=code)


def composite_error(results: Sequence[dict]) -> SalesforceError | None:
    """The cause of a failed composite request: the first subrequest's own error, not the
    ``PROCESSING_HALTED`` of the others."""
    failed = [r for r in results if int(r.get("httpStatusCode") or 0) >= 400]
    if not failed:
        return None
    causes = [r for r in failed if not _only_rolled_back(r.get("body"))] or failed
    cause = causes[0]
    body = cause.get("body")
    return _error_from(int(cause["httpStatusCode"]), body if isinstance(body, list) else [])


def _only_rolled_back(body) -> bool:
    return (
        isinstance(body, list)
        and bool(body)
        and all(isinstance(e, dict) and e.get("errorCode") in ROLLED_BACK_CODES for e in body)
    )


def collection_error(results: Sequence[dict]) -> SalesforceError | None:
    """The cause of a failed sObject Collections request (``statusCode`` per error there)."""
    errors = [e for r in results if not r.get("success") for e in (r.get("errors") or [])]
    if not errors and all(r.get("success") for r in results):
        return None
    return _error_from(400, errors, code_key="statusCode")


def _by_reference(results: Sequence[dict]) -> dict[str, dict]:
    return {r.get("referenceId"): r for r in results}


def _records(result: dict | None) -> list[dict]:
    body = (result or {}).get("body") or {}
    return (body.get("records") or []) if isinstance(body, dict) else []


# -- call 1: what Salesforce already has ----------------------------------------------------------


@dataclass(frozen=True)
class Customer:
    email: str | None = None
    phone: str | None = None
    name: str | None = None


def lookup_queries(customer: Customer, external_id_field: str | None, key: str) -> dict[str, str]:
    """The queries of call 1, by reference id; every literal quoted."""
    queries: dict[str, str] = {}
    if customer.email:
        email = soql.quote(customer.email)
        queries["contacts"] = f"SELECT Id FROM Contact WHERE Email = {email} ORDER BY LastModifiedDate DESC LIMIT 2"
        queries["contactCase"] = (
            f"{CASE_WITH_COMMENTS} WHERE IsClosed = false AND Contact.Email = {email} ORDER BY CreatedDate DESC LIMIT 1"
        )
        queries["suppliedCase"] = (
            f"{CASE_WITH_COMMENTS} WHERE IsClosed = false AND SuppliedEmail = {email} ORDER BY CreatedDate DESC LIMIT 1"
        )
    elif customer.phone:
        phone = soql.quote(customer.phone)
        queries["contacts"] = f"SELECT Id FROM Contact WHERE Phone = {phone} ORDER BY LastModifiedDate DESC LIMIT 2"
        queries["contactCase"] = (
            f"{CASE_WITH_COMMENTS} WHERE IsClosed = false AND Contact.Phone = {phone} ORDER BY CreatedDate DESC LIMIT 1"
        )
        queries["suppliedCase"] = (
            f"{CASE_WITH_COMMENTS} WHERE IsClosed = false AND SuppliedPhone = {phone} ORDER BY CreatedDate DESC LIMIT 1"
        )
    if external_id_field:
        # A validated API name (SalesforceSettings.validate), so it may stand in the query as it is.
        queries["keyCase"] = f"{CASE_WITH_COMMENTS} WHERE {external_id_field} = {soql.quote(key)} LIMIT 1"
    return queries


def query_subrequest(api_path: Callable[[str], str], reference: str, query: str) -> dict:
    return {"method": "GET", "url": api_path("query?q=" + url_quote(query, safe="")), "referenceId": reference}


def read_lookup(results: Sequence[dict]) -> Lookup:
    if (error := composite_error(results)) is not None:
        raise error
    found = _by_reference(results)
    contacts = _records(found.get("contacts"))
    open_case = next(iter(_records(found.get("contactCase")) or _records(found.get("suppliedCase"))), None)
    by_key = next(iter(_records(found.get("keyCase"))), None)
    return Lookup(
        contact_id=contacts[0]["Id"] if len(contacts) == 1 else None,
        open_case=FoundCase.from_record(open_case) if open_case else None,
        case_by_key=FoundCase.from_record(by_key) if by_key else None,
    )


def look_up(client, customer: Customer, external_id_field: str | None, key: str) -> Lookup:
    queries = lookup_queries(customer, external_id_field, key)
    if not queries:
        return Lookup()  # nothing to look by: no email, no phone, no External ID field
    subrequests = [query_subrequest(client.api_path, reference, query) for reference, query in queries.items()]
    return read_lookup(client.composite(subrequests, all_or_none=False))


# -- call 2: writing ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CasePlan:
    """Everything a handoff writes, worked out before the first call."""

    key: str
    customer: Customer
    subject: str
    description: str
    origin: str
    priority: str
    header: str  # what a returning contact's open Case gets before the new part of the transcript
    lines: tuple[str, ...]  # the whole transcript, oldest first
    # How many of ``lines`` each Case already has (an earlier handoff of this session to it).
    sent_to: dict[str, int] = field(default_factory=dict)
    external_id_field: str | None = None

    def case_fields(self, contact_id: str | None) -> dict:
        fields = {
            "Subject": self.subject,
            "Description": self.description,
            "Origin": self.origin,
            "Priority": self.priority,
        }
        customer = self.customer
        if customer.email and len(customer.email) <= SUPPLIED_EMAIL_MAX:
            fields["SuppliedEmail"] = customer.email  # a clipped address would be refused as invalid
        if customer.name:
            fields["SuppliedName"] = clip_chars(single_line(customer.name), SUPPLIED_NAME_MAX, "")
        if customer.phone:
            fields["SuppliedPhone"] = clip_chars(single_line(customer.phone), SUPPLIED_PHONE_MAX, "")
        if contact_id:
            fields["ContactId"] = contact_id
        return fields

    def new_case_comments(self) -> list[str]:
        first = f"{marker_line(self.key)}\nTranscript of the conversation in Front, oldest first."
        return split_comments([first, *self.lines], COMMENT_MAX_BYTES)

    def appended_comments(self, case_id: str) -> list[str]:
        new_part = self.lines[self.sent_to.get(case_id, 0) :]
        return split_comments([f"{marker_line(self.key)}\n{AGAIN}\n{self.header}", *new_part], COMMENT_MAX_BYTES)


def comment_record(case_id: str, body: str) -> dict:
    """An internal comment: reps see it, the customer never does (``IsPublished`` false)."""
    return {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": body, "IsPublished": False}


def new_case_subrequests(
    api_path: Callable[[str], str], plan: CasePlan, fields: dict, comments: Sequence[str]
) -> list[dict]:
    if plan.external_id_field:
        create = {
            "method": "PATCH",
            "url": api_path(f"sobjects/Case/{plan.external_id_field}/{plan.key}"),
            "referenceId": "newCase",
            "body": fields,
        }
    else:
        create = {"method": "POST", "url": api_path("sobjects/Case"), "referenceId": "newCase", "body": fields}
    subrequests = [create]
    for number, body in enumerate(comments, start=1):
        record = comment_record("@{newCase.id}", body)
        del record["attributes"]
        subrequests.append(
            {
                "method": "POST",
                "url": api_path("sobjects/CaseComment"),
                "referenceId": f"comment{number}",
                "body": record,
            }
        )
    subrequests.append(
        {
            "method": "GET",
            "url": api_path("sobjects/Case/@{newCase.id}?fields=CaseNumber"),
            "referenceId": "newCaseNumber",
        }
    )
    return subrequests


def create_case(client, plan: CasePlan, contact_id: str | None) -> CaseOutcome:
    """The Case, its first comments and its number in one atomic request; the comments beyond
    what one composite request takes (a transcript of more than ~90 KB) are left for after."""
    comments = plan.new_case_comments()
    room = COMPOSITE_MAX_SUBREQUESTS - 2
    first, rest = comments[:room], comments[room:]
    results = client.composite(
        new_case_subrequests(client.api_path, plan, plan.case_fields(contact_id), first), all_or_none=True
    )
    if (error := composite_error(results)) is not None:
        raise error
    found = _by_reference(results)
    created = found["newCase"].get("body") or {}
    number = (found.get("newCaseNumber") or {}).get("body") or {}
    return CaseOutcome(
        case_id=created["id"],
        case_number=number.get("CaseNumber"),
        created=created.get("created", True) is not False,
        comments_added=len(first),
        leftover=tuple(rest),
    )


def add_comments(client, case_id: str, bodies: Sequence[str]) -> list[str]:
    """Internal comments on a Case, atomically per request of up to 200; their ids."""
    ids: list[str] = []
    for start in range(0, len(bodies), COLLECTION_MAX_RECORDS):
        batch = [comment_record(case_id, body) for body in bodies[start : start + COLLECTION_MAX_RECORDS]]
        results = client.create_records(batch, all_or_none=True)
        if (error := collection_error(results)) is not None:
            raise error
        ids.extend(r.get("id") for r in results)
    return ids


def append_to_case(client, plan: CasePlan, case: FoundCase) -> CaseOutcome:
    comments = plan.appended_comments(case.id)
    first, rest = comments[:COLLECTION_MAX_RECORDS], comments[COLLECTION_MAX_RECORDS:]
    add_comments(client, case.id, first)
    return CaseOutcome(
        case_id=case.id, case_number=case.number, created=False, comments_added=len(first), leftover=tuple(rest)
    )


def write_case(client, plan: CasePlan) -> CaseOutcome:
    """One attempt: look, then write what is not there yet (at most two calls)."""
    lookup = look_up(client, plan.customer, plan.external_id_field, plan.key)
    if (earlier := lookup.done_earlier(plan.key)) is not None:
        case, created = earlier
        return CaseOutcome(case_id=case.id, case_number=case.number, created=created, found_earlier=True)
    if lookup.open_case is not None:
        return append_to_case(client, plan, lookup.open_case)
    return create_case(client, plan, lookup.contact_id)


def with_retries(
    action: Callable[[], T], backoff: float, retry_on: tuple[type[Exception], ...] = (SalesforceUnavailable,)
) -> T:
    """Three attempts, waiting ``backoff`` then twice that between them; only what may pass
    (Salesforce unavailable, an answer that never came: ``retry_on``) is tried again."""
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return action()
        except retry_on as exc:
            if attempt == ATTEMPTS:
                raise
            log.warning("Salesforce attempt %d of %d failed (%s); trying again", attempt, ATTEMPTS, exc)
            sleep(backoff * attempt)
    raise AssertionError("unreachable")
