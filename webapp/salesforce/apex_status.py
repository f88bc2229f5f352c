"""Whether the Apex Switchboard generates (``webapp.salesforce.apex``) is deployed and working in
the org, as the connected user can see it:

- its triggers on Case, CaseComment and EmailMessage, present and Active (Tooling API
  ``ApexTrigger``: ``Name``, ``Status`` Active or Inactive, ``TableEnumOrId``). The callout class
  is not asked for on its own: the triggers call it, so they can neither be deployed without it
  nor outlive it (Apex that others reference cannot be deleted);
- the Named Credential's URL (``NamedCredential``: ``DeveloperName``, ``Endpoint``, "the root URL
  of the endpoint"), which must be this organization's webhook URL;
- the callouts that failed (``AsyncApexJob`` of the callout class with ``Status`` Failed and
  ``ExtendedStatus``, the first error): a failed callout leaves the Case as it is and is not
  tried again, so the Apex jobs are its only trace.

Two requests: the Tooling query, and one composite request holding both SOQL queries. Salesforce
lets only users with "View Setup and Configuration" read NamedCredential and AsyncApexJob
(Object Reference) and the Apex through the Tooling API; others get a refusal (the object is
"not supported", ``INSUFFICIENT_ACCESS``, ``API_DISABLED_FOR_ORG`` or a 403). What could not be
read is reported with Salesforce's words, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import quote as url_quote

from webapp.salesforce import apex, soql
from webapp.salesforce.client import SalesforceClient
from webapp.salesforce.errors import SalesforceRejected, remote_text

TRIGGERS: tuple[str, ...] = tuple(f.name.removesuffix(".trigger") for f in apex.FILES if f.grammar == "trigger")
CALLOUT_CLASS = next(f.name.removesuffix(".cls") for f in apex.FILES if f.key == "callout-class")
NAMED_CREDENTIAL = apex.NAMED_CREDENTIAL
FAILED_CALLOUTS_SHOWN = 20
# What a user without access to the org's setup is told (besides a 403).
NO_ACCESS_CODES = frozenset(
    {"INVALID_TYPE", "INSUFFICIENT_ACCESS", "INSUFFICIENT_ACCESS_OR_READONLY", "API_DISABLED_FOR_ORG"}
)


@dataclass(frozen=True)
class FailedCallout:
    at: datetime | None
    status_detail: str  # ExtendedStatus, clipped: what went wrong


@dataclass(frozen=True)
class Unreadable:
    what: str  # "the Apex triggers", "the Named Credential", "the Apex jobs"
    said: str  # Salesforce's words, clipped
    no_access: bool  # refused for want of permission (rather than another error)


@dataclass(frozen=True)
class Deployment:
    """What was found; a part that could not be read is None and listed in ``unreadable``."""

    triggers: dict[str, str] | None = None  # name -> Status ("Active", "Inactive")
    named_credential_found: bool | None = None
    named_credential_url: str | None = None
    failed_callouts: list[FailedCallout] | None = None
    unreadable: list[Unreadable] = field(default_factory=list)

    @property
    def missing_triggers(self) -> list[str]:
        return [name for name in TRIGGERS if self.triggers is not None and name not in self.triggers]

    @property
    def inactive_triggers(self) -> list[str]:
        return [name for name, status in (self.triggers or {}).items() if status != "Active"]

    @property
    def nothing_deployed(self) -> bool:
        return self.triggers == {} and self.named_credential_found is False


def read(client: SalesforceClient, *, failed_since: datetime) -> Deployment:
    """The deployment as Salesforce shows it to the connected user. Raises SalesforceError only
    when Salesforce could not be asked at all (unavailable, disconnected)."""
    unreadable: list[Unreadable] = []
    names = ", ".join(soql.quote(name) for name in TRIGGERS)
    triggers = None
    try:
        answer = client.tooling_query(f"SELECT Name, Status, TableEnumOrId FROM ApexTrigger WHERE Name IN ({names})")
    except SalesforceRejected as exc:
        unreadable.append(_refusal("the Apex triggers", exc.status, exc.error_code, str(exc)))
    else:
        triggers = {
            str(r.get("Name")): str(r.get("Status") or "") for r in answer.get("records") or [] if r.get("Name")
        }

    since = failed_since.strftime("%Y-%m-%dT%H:%M:%SZ")
    results = client.composite(
        [
            _query_subrequest(
                client,
                "namedCredential",
                f"SELECT DeveloperName, Endpoint FROM NamedCredential "
                f"WHERE DeveloperName = {soql.quote(NAMED_CREDENTIAL)}",
            ),
            _query_subrequest(
                client,
                "failedCallouts",
                f"SELECT Id, ExtendedStatus, CompletedDate, CreatedDate FROM AsyncApexJob "
                f"WHERE ApexClass.Name = {soql.quote(CALLOUT_CLASS)} AND Status = 'Failed' AND CreatedDate >= {since} "
                f"ORDER BY CreatedDate DESC LIMIT {FAILED_CALLOUTS_SHOWN}",
            ),
        ],
        all_or_none=False,
    )
    by_reference = {result.get("referenceId"): result for result in results if isinstance(result, dict)}

    found, url = None, None
    credential = by_reference.get("namedCredential")
    if (refusal := _subrequest_refusal("the Named Credential", credential)) is not None:
        unreadable.append(refusal)
    else:
        records = (credential.get("body") or {}).get("records") or []
        found = bool(records)
        endpoint = records[0].get("Endpoint") if records else None
        url = remote_text(endpoint, 300) if isinstance(endpoint, str) and endpoint else None

    failed = None
    jobs = by_reference.get("failedCallouts")
    if (refusal := _subrequest_refusal("the Apex jobs", jobs)) is not None:
        unreadable.append(refusal)
    else:
        failed = [
            FailedCallout(
                at=_datetime(job.get("CompletedDate") or job.get("CreatedDate")),
                status_detail=remote_text(job.get("ExtendedStatus") or "no detail given", 300),
            )
            for job in (jobs.get("body") or {}).get("records") or []
        ]
    return Deployment(triggers, found, url, failed, unreadable)


def _query_subrequest(client: SalesforceClient, reference: str, query: str) -> dict:
    return {"method": "GET", "url": client.api_path(f"query?q={url_quote(query, safe='')}"), "referenceId": reference}


def _subrequest_refusal(what: str, result: dict | None) -> Unreadable | None:
    if result is None:
        return Unreadable(what, "Salesforce's answer did not include it", False)
    status = result.get("httpStatusCode")
    if isinstance(status, int) and status < 300:
        return None
    body = result.get("body")
    first = body[0] if isinstance(body, list) and body and isinstance(body[0], dict) else {}
    code = first.get("errorCode") if isinstance(first.get("errorCode"), str) else None
    message = f"{code}: {first.get('message', '')}" if code else str(first.get("message") or f"HTTP {status}")
    return _refusal(what, status if isinstance(status, int) else None, code, message)


def _refusal(what: str, status: int | None, code: str | None, said: str) -> Unreadable:
    no_access = code in NO_ACCESS_CODES or (status == 403 and code != "REQUEST_LIMIT_EXCEEDED")
    return Unreadable(what, remote_text(said, 300), no_access)


def _datetime(value) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
