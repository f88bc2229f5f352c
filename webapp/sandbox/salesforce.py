"""A fake Salesforce org on loopback: the OAuth web-server flow and the REST API Switchboard uses,
for the tests, the sandbox and the benchmark.

One real HTTP server (threaded) is both the login host and the instance: the authorize page
(with an Approve and a Deny button), the token, userinfo and revoke endpoints, and under
``/services/data/v<version>/`` sObject rows for Case, CaseComment, Contact and EmailMessage,
upsert on External ID fields, SOQL queries (``webapp.sandbox.soql``), composite requests and
sObject Collections with ``allOrNone`` rollback, ``limits``, and the Tooling API's ``/tooling/query``
over the org's Apex and credentials (``webapp.sandbox.salesforce_setup``). It answers with Salesforce's
shapes and error codes (``/work/shared/specs/salesforce.md``), records every call, checks each
one when told to (``request_check``), and can be slow (``latency``), fail on cue (``fail()``),
or do a write and then not answer in time (``commit_then_timeout()``). Deleting a Case deletes its
comments and emails, as in Salesforce; what a request inserted is handed to ``after_commit``
hooks once the request is done, as an org's after-insert triggers see it.

What was checked against Salesforce's documentation (and where the spec marks an inference):
- PKCE: a ``code_challenge`` without a ``code_verifier`` is ``invalid_grant`` (REST API guide, web
  server flow); a wrong verifier answers ``invalid_grant`` "invalid code verifier" as observed on
  salesforce.stackexchange.com/questions/330168 (the guide's table says ``invalid_request``).
  An authorization code is good for 15 minutes and once.
- The userinfo and identity URLs answer 403 ``Bad_OAuth_Token`` to a dead token, not 401.
- Revoke: 200, or 400 ``unsupported_token_type`` / ``invalid_token`` (Mobile SDK guide); a revoked
  refresh token takes its access tokens with it.
- Composite: at most 25 subrequests, at most 5 of them queries or sObject Collections; referenceIds
  of letters, digits and underscores; the outer ``allOrNone`` overrides a collection's; with it, a
  failure rolls everything back and the others answer 400 ``PROCESSING_HALTED`` "The transaction was
  rolled back since another operation in the same transaction failed."; without it, only
  subrequests that reference a failed one fail; a 201 subrequest carries a ``Location`` header.
- Upsert: none → 201 ``created: true``, one → 200 ``created: false``, several → 300; an unknown
  External ID field → 404 ``NOT_FOUND`` "The requested resource does not exist".
- Case field lengths (field reference, Case): Subject 255, Description 32,000, SuppliedEmail/Name/
  Company 80, ContactEmail read-only; SuppliedPhone 40 is still an inference.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import hmac
import html
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NoReturn
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from werkzeug.wrappers import Request, Response

from webapp.sandbox import salesforce_setup, soql
from webapp.sandbox.serving import LoopbackServer
from webapp.sandbox.serving import locked as _locked

CLIENT_ID = "sandbox-client-id"
CLIENT_SECRET = "sandbox-client-secret"
CALLBACK_URL = "https://switchboard.example.test/oauth/salesforce/callback"
USERNAME = "admin@sandbox.example"
ORG_ID = "00DSB00000000012AA"  # a real 18-character id: the checksum suffix fits
USER_ID = "005SB0000000001YAA"
API_VERSION = "68.0"  # Winter '27, the newest the fake serves
OLDEST_API_VERSION = 31.0
CODE_LIFETIME_SECONDS = 15 * 60  # an authorization code is good for 15 minutes
COMPOSITE_MAX_SUBREQUESTS = 25
COMPOSITE_MAX_QUERIES_AND_COLLECTIONS = 5
COMPOSITE_METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}  # case-sensitive
REFERENCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_]*")
COLLECTION_MAX_RECORDS = 200
CLOSED_STATUSES = {"Closed"}
ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."

KEY_PREFIXES = {"Case": "500", "CaseComment": "00a", "Contact": "003", "EmailMessage": "02s", "User": "005"}
ID_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
ID_SHAPE = re.compile(r"[a-zA-Z0-9]{15}(?:[A-Z0-5]{3})?")


@dataclass(frozen=True)
class Field:
    type: str  # id, string, textarea, picklist, boolean, reference, datetime, email, phone
    length: int = 0  # characters (bytes when ``in_bytes``)
    writable: bool = True
    reference_to: str | None = None
    relationship: str | None = None
    in_bytes: bool = False
    required: bool = False


def _audit_fields() -> dict[str, Field]:
    return {
        "Id": Field("id", 18, writable=False),
        "IsDeleted": Field("boolean", writable=False),
        "CreatedDate": Field("datetime", writable=False),
        "CreatedById": Field("reference", 18, False, "User", "CreatedBy"),
        "LastModifiedDate": Field("datetime", writable=False),
        "LastModifiedById": Field("reference", 18, False, "User", "LastModifiedBy"),
        "SystemModstamp": Field("datetime", writable=False),
    }


# Lengths from the field reference (Case, CaseComment, Contact, EmailMessage); SuppliedPhone 40.
OBJECTS: dict[str, dict[str, Field]] = {
    "Case": {
        **_audit_fields(),
        "CaseNumber": Field("string", 30, writable=False),
        "Subject": Field("string", 255),
        "Description": Field("textarea", 32000),
        "Status": Field("picklist", 255),
        "Priority": Field("picklist", 255),
        "Origin": Field("picklist", 255),
        "Reason": Field("picklist", 255),
        "Type": Field("picklist", 255),
        "IsClosed": Field("boolean", writable=False),
        "ClosedDate": Field("datetime", writable=False),
        "ContactId": Field("reference", 18, True, "Contact", "Contact"),
        "AccountId": Field("reference", 18, True, "Account", "Account"),
        "OwnerId": Field("reference", 18, True, "User", "Owner"),
        "SuppliedEmail": Field("email", 80),
        "SuppliedName": Field("string", 80),
        "SuppliedCompany": Field("string", 80),
        "SuppliedPhone": Field("string", 40),
        "ParentId": Field("reference", 18, True, "Case", "Parent"),
        "IsEscalated": Field("boolean"),
        "Comments": Field("textarea", 4000),
        # Copied from the Case's Contact by Salesforce, read-only.
        "ContactEmail": Field("email", 80, writable=False),
        "ContactPhone": Field("phone", 40, writable=False),
        "ContactMobile": Field("phone", 40, writable=False),
    },
    "CaseComment": {
        **_audit_fields(),
        "ParentId": Field("reference", 18, True, "Case", "Parent", required=True),
        "CommentBody": Field("textarea", 4000, in_bytes=True),
        "IsPublished": Field("boolean"),
    },
    "Contact": {
        **_audit_fields(),
        "FirstName": Field("string", 40),
        "LastName": Field("string", 80, required=True),
        "Name": Field("string", 121, writable=False),
        "Email": Field("email", 80),
        "Phone": Field("phone", 40),
        "AccountId": Field("reference", 18, True, "Account", "Account"),
        "OwnerId": Field("reference", 18, True, "User", "Owner"),
    },
    "EmailMessage": {
        **_audit_fields(),
        "ParentId": Field("reference", 18, True, "Case", "Parent"),
        "Incoming": Field("boolean"),
        "Status": Field("picklist", 40),
        "Subject": Field("string", 3000),
        "TextBody": Field("textarea", 32000),
        "HtmlBody": Field("textarea", 32000),
        "FromAddress": Field("email", 255),
        "FromName": Field("string", 1000),
        "ToAddress": Field("string", 4000),
        "CcAddress": Field("string", 4000),
        "MessageDate": Field("datetime"),
        "ReplyToEmailMessageId": Field("reference", 18, True, "EmailMessage", "ReplyToEmailMessage"),
    },
    "User": {
        **_audit_fields(),
        "Name": Field("string", 121, writable=False),
        "Username": Field("string", 80, writable=False),
        "Email": Field("email", 128, writable=False),
    },
}
STORES = {"Case": "cases", "CaseComment": "case_comments", "Contact": "contacts", "EmailMessage": "email_messages"}
CHILDREN = {  # parent object -> relationship name -> (child object, reference field)
    "Case": {"CaseComments": ("CaseComment", "ParentId"), "EmailMessages": ("EmailMessage", "ParentId")},
    "Contact": {"Cases": ("Case", "ContactId")},
}
DEFAULT_PICKLISTS = {"Case.Origin": {"Email", "Phone", "Web"}, "Case.Priority": {"High", "Medium", "Low"}}

# Bodies for fail() when the test gives none: what Salesforce says with that status.
FAILURE_BODIES = {
    400: [{"message": "Injected failure", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "fields": []}],
    401: [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}],
    403: [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
    404: [{"message": "The requested resource does not exist", "errorCode": "NOT_FOUND"}],
    500: [
        {
            "message": "An unexpected error occurred. Please include this ErrorId if you contact support: 1-2-3 (4)",
            "errorCode": "UNKNOWN_EXCEPTION",
        }
    ],
    503: [{"message": "Server unavailable", "errorCode": "SERVER_UNAVAILABLE"}],
}


def salesforce_id(prefix: str, number: int, pod: str = "SB") -> str:
    """An 18-character id: the 15-character id and the case-safe suffix Salesforce computes."""
    short = f"{prefix}{pod}{number:0{15 - len(prefix) - len(pod)}d}"
    return to_18(short)


def to_18(record_id: str) -> str:
    """Salesforce's 18-character form of a 15-character id (each suffix letter encodes which of
    five characters are upper case); other strings come back unchanged."""
    if not isinstance(record_id, str) or not re.fullmatch(r"[a-zA-Z0-9]{15}", record_id):
        return record_id
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(record_id[chunk * 5 : chunk * 5 + 5]) if char.isupper())
        suffix += ID_SUFFIX_CHARS[bits]
    return record_id + suffix


def timestamp(epoch: float) -> str:
    """Salesforce's date-time format: ``2026-11-05T10:00:00.000+0000``."""
    moment = datetime.fromtimestamp(epoch, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def sign(client_secret: str, identity_url: str, issued_at: str) -> str:
    """The token response's ``signature``: base64(HMAC-SHA256(consumer secret, id + issued_at))."""
    digest = hmac.new(client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def pkce_challenge(verifier: str) -> str:
    """``code_challenge`` for a verifier with the S256 method: base64url(SHA-256), no padding."""
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def rest_error(error_code: str, message: str, fields: list | None = None) -> list[dict]:
    return [{"message": message, "errorCode": error_code, "fields": fields or []}]


def refuse(status: int, error_code: str, message: str, fields: list | None = None) -> NoReturn:
    """Answer a REST error from deep inside an operation; the composite and collection requests
    that catch it roll back what was written before."""
    raise RestError(status, rest_error(error_code, message, fields))


@dataclass
class Call:
    method: str
    path: str
    body: object  # the JSON body, or the form of an OAuth request
    at: float
    status: int = 0
    query: dict = field(default_factory=dict)  # the URL's query string

    @property
    def succeeded(self) -> bool:
        return 0 < self.status < 400


@dataclass
class Failure:
    method: str
    path: re.Pattern
    status: int
    times: int
    body: object = None
    when: Callable[[object], bool] | None = None  # also matches only requests whose body passes


@dataclass
class Held:
    """A write that is done, then answered too late: the client gives up first."""

    method: str
    path: re.Pattern
    times: int
    when: Callable[[object], bool] | None = None


class RestError(Exception):
    """A REST answer other than success, raised from deep inside a write."""

    def __init__(self, status: int, body):
        super().__init__(body)
        self.status = status
        self.body = body


@dataclass
class FakeSalesforce:
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET
    callback_url: str = CALLBACK_URL
    other_callback_urls: list = field(default_factory=list)  # a connected app may list several
    username: str = USERNAME
    user_name: str = "Sandbox Admin"
    user_email: str = "admin@sandbox.example"
    org_id: str = ORG_ID
    user_id: str = USER_ID
    installed: bool = True  # False: "app must be installed into org" (invalid_client)
    active: bool = True  # False: a new app not yet active, answered as an unknown client id
    require_secret: bool = True  # "Require Secret for Web Server Flow"
    require_secret_for_refresh: bool = True  # "Require Secret for Refresh Token Flow"
    require_pkce: bool = False
    rotate_refresh_tokens: bool = False
    app_scopes: set = field(default_factory=lambda: {"api", "refresh_token", "offline_access", "full", "id", "web"})
    external_id_fields: set = field(default_factory=set)  # "Field__c" (on Case) or "Object.Field__c"
    picklists: dict = field(default_factory=lambda: copy.deepcopy(DEFAULT_PICKLISTS))  # restricted ones
    api_used: int = 0
    api_limit: int = 100_000
    latency: float = 0.0  # seconds before every answer
    timeout_hold: float = 5.0  # how long commit_then_timeout() holds an answer
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Called for every request with (method, path, body, query, headers); returns a list of problems.
    request_check: Callable[..., list] | None = None
    cases: dict = field(default_factory=dict)
    case_comments: dict = field(default_factory=dict)
    contacts: dict = field(default_factory=dict)
    email_messages: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    spec_problems: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    held: list = field(default_factory=list)
    # Called with (sobject, record) for each record a REST request inserted, once the request is
    # done and only if the record is still there (a rolled-back insert fires nothing): the
    # deployed Apex's after-insert triggers (webapp.sandbox.salesforce_callouts.DeployedApex).
    after_commit: list = field(default_factory=list)
    refresh_count: int = 0  # refresh_token grants asked for, granted or not
    # The Apex, Named Credentials and Apex jobs (Tooling API and setup objects): deploy_apex() & co.
    apex: salesforce_setup.ApexSetup = field(default_factory=salesforce_setup.ApexSetup)
    url: str = ""

    def __post_init__(self):
        self._lock = threading.RLock()
        self._closing = threading.Event()
        self._numbers = itertools.count(1)
        self._case_numbers = itertools.count(1001)
        self._last_stamp = 0.0
        self._inserted: list[tuple[str, str]] = []  # (sobject, id) inserted by the request being answered
        self.codes: dict[str, dict] = {}
        self.access_tokens: dict[str, dict] = {}  # token -> {"refresh": refresh token or None, "alive": bool}
        self.refresh_tokens: dict[str, dict] = {}  # token -> {"alive": bool, "scope": str}
        self.users.setdefault(
            self.user_id,
            {"Id": self.user_id, "Name": self.user_name, "Username": self.username, "Email": self.user_email},
        )

    # -- arranging ---------------------------------------------------------------------------

    @property
    def callback_urls(self) -> list[str]:
        return [self.callback_url, *self.other_callback_urls]

    @property
    def identity_url(self) -> str:
        return f"{self.url}/id/{self.org_id}/{self.user_id}"

    @_locked
    def add_contact(self, email: str, first_name: str = "Grace", last_name: str = "Hopper", **fields) -> str:
        return self._insert("Contact", {"FirstName": first_name, "LastName": last_name, "Email": email, **fields})

    @_locked
    def add_case(self, **fields) -> str:
        return self._insert("Case", fields)

    @_locked
    def close_case(self, case_id: str) -> dict:
        self._update("Case", to_18(case_id), {"Status": "Closed"})
        return self.cases[to_18(case_id)]

    @_locked
    def add_comment(
        self, case_id: str, body: str, is_published: bool = True, created_by_name: str = "Riley Rep"
    ) -> dict:
        """A comment a rep wrote in Salesforce."""
        rep = self.add_user(created_by_name)
        fields = {"ParentId": to_18(case_id), "CommentBody": body, "IsPublished": is_published}
        return self.case_comments[self._insert("CaseComment", fields, by=rep)]

    @_locked
    def add_email_message(self, case_id: str, text_body: str, incoming: bool = False, **fields) -> dict:
        """An email on a Case; ``Status`` "3" (Sent) unless given."""
        values = {"ParentId": to_18(case_id), "TextBody": text_body, "Incoming": incoming, "Status": "3", **fields}
        return self.email_messages[self._insert("EmailMessage", values)]

    @_locked
    def add_user(self, name: str) -> str:
        for user in self.users.values():
            if user["Name"] == name:
                return user["Id"]
        user_id = salesforce_id("005", next(self._numbers) + 100)
        handle = re.sub(r"\W+", ".", name.lower()).strip(".") or "user"
        self.users[user_id] = {
            "Id": user_id,
            "Name": name,
            "Username": f"{handle}@sandbox.example",
            "Email": f"{handle}@sandbox.example",
        }
        return user_id

    @_locked
    def cases_for_email(self, email: str) -> list[dict]:
        """The Cases of a customer: by their Contact's email, else by SuppliedEmail."""
        wanted = email.lower()
        contact_ids = {c["Id"] for c in self.contacts.values() if (c.get("Email") or "").lower() == wanted}
        return [
            case
            for case in self.cases.values()
            if case.get("ContactId") in contact_ids or (case.get("SuppliedEmail") or "").lower() == wanted
        ]

    @_locked
    def comments_on(self, case_id: str) -> list[dict]:
        case_id = to_18(case_id)
        return sorted(
            (c for c in self.case_comments.values() if c["ParentId"] == case_id), key=lambda c: c["CreatedDate"]
        )

    @_locked
    def issue_tokens(self, scope: str = "api refresh_token") -> dict:
        """A token response as if an admin had connected, for tests that start connected."""
        return self._token_response(scope, with_refresh=True)

    @_locked
    def expire_access_tokens(self) -> None:
        for token in self.access_tokens.values():
            token["alive"] = False

    @_locked
    def revoke_refresh_tokens(self) -> None:
        """Every refresh token is revoked, and with it the access tokens it made."""
        for refresh in self.refresh_tokens.values():
            refresh["alive"] = False
        for token in self.access_tokens.values():
            if token["refresh"] is not None:
                token["alive"] = False

    @_locked
    def fail(self, method: str, path: str, status: int, body=None, times: int = 1, when=None) -> None:
        """The next ``times`` calls of ``method`` whose path matches the regex ``path`` (and whose
        JSON body passes ``when``, if given) answer ``status``. Composite subrequests are matched
        too (by their URL's path), so one subrequest of an atomic request can be made to fail."""
        self.failures.append(Failure(method.upper(), re.compile(path), status, times, body, when))

    @_locked
    def commit_then_timeout(self, method: str, path: str, times: int = 1, when=None) -> None:
        """The next ``times`` matching calls do their work, then hold the answer for
        ``timeout_hold`` seconds: a client with a shorter timeout sees a timeout after the write.
        ``when(body)`` narrows the match, e.g. to a composite request with ``allOrNone`` true."""
        self.held.append(Held(method.upper(), re.compile(path), times, when))

    @_locked
    def data_calls(self) -> list[Call]:
        """REST calls (under ``/services/data/v…``): what counts against the API allocation."""
        return [c for c in self.calls if c.path.startswith("/services/data/v")]

    @_locked
    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method.upper() and regex.search(c.path)]

    # -- OAuth without a browser ---------------------------------------------------------------

    def approve(self, authorize_url: str) -> str:
        """Where pressing Approve on the authorize page sends the browser."""
        return self._decide(dict(parse_qsl(urlsplit(authorize_url).query)), approved=True)

    def deny(self, authorize_url: str) -> str:
        return self._decide(dict(parse_qsl(urlsplit(authorize_url).query)), approved=False)

    @_locked
    def _decide(self, params: dict, approved: bool) -> str:
        problem = self._authorize_problem(params)
        if problem:
            return problem
        redirect_uri = params["redirect_uri"]
        state = {"state": params["state"]} if "state" in params else {}
        if not approved:
            denial = {"error": "access_denied", "error_description": "end-user denied authorization"}
            return _with_query(redirect_uri, {**denial, **state})
        code = "aPrx" + secrets.token_urlsafe(24)
        self.codes[code] = {
            "client_id": params["client_id"],
            "redirect_uri": redirect_uri,
            "challenge": params.get("code_challenge"),
            "scope": self._granted_scope(params.get("scope")),
            "at": self.clock(),
            "used": False,
        }
        return _with_query(redirect_uri, {"code": code, **state})

    def _authorize_problem(self, params: dict) -> str | None:
        """Where the browser goes instead of the approval page, if anywhere: configuration
        errors stay on Salesforce's own error page; request errors go back to the callback."""
        if params.get("client_id") != self.client_id or not self.active:
            return self._error_page("invalid_client_id", "client identifier invalid")
        if params.get("redirect_uri") not in self.callback_urls:
            return self._error_page("redirect_uri_mismatch", "redirect_uri must match configuration")
        if not self.installed:
            return self._error_page("invalid_client", "app must be installed into org")
        state = {"state": params["state"]} if "state" in params else {}
        back = functools.partial(_with_query, params["redirect_uri"])
        if params.get("response_type") != "code":
            return back(
                {"error": "unsupported_response_type", "error_description": "response type not supported", **state}
            )
        if params.get("code_challenge") and params.get("code_challenge_method", "S256") != "S256":
            return back({"error": "invalid_request", "error_description": "invalid code challenge method", **state})
        if self.require_pkce and not params.get("code_challenge"):
            return back({"error": "invalid_request", "error_description": "missing required code challenge", **state})
        requested = set((params.get("scope") or "").split())
        if requested - self.app_scopes:
            return back({"error": "invalid_scope", "error_description": "the requested scope is not allowed", **state})
        return None

    def _error_page(self, error: str, description: str) -> str:
        return _with_query(
            f"{self.url}/setup/secur/RemoteAccessErrorPage.apexp", {"error": error, "error_description": description}
        )

    def _granted_scope(self, requested: str | None) -> str:
        return " ".join(sorted(set(requested.split()))) if requested else " ".join(sorted(self.app_scopes))

    def _token_response(self, scope: str, with_refresh: bool, refresh_token: str | None = None) -> dict:
        issued_at = str(int(self.clock() * 1000))
        refresh = refresh_token
        if with_refresh and refresh is None and ({"refresh_token", "offline_access"} & set(scope.split())):
            refresh = "5Aep861" + secrets.token_urlsafe(40)
            self.refresh_tokens[refresh] = {"alive": True, "scope": scope}
        access = f"{self.org_id[:15]}!AQ" + secrets.token_urlsafe(60)
        self.access_tokens[access] = {"refresh": refresh, "alive": True}
        answer = {
            "access_token": access,
            "signature": sign(self.client_secret, self.identity_url, issued_at),
            "scope": scope,
            "instance_url": self.url,
            "id": self.identity_url,
            "token_type": "Bearer",
            "issued_at": issued_at,
        }
        if refresh and with_refresh:
            answer["refresh_token"] = refresh
        return answer

    # -- serving -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.latency:
            self.sleep(self.latency)  # outside the lock: a slow org still answers many at once
        hold = False
        with self._lock:
            self._inserted = []  # records an arranging helper added are no request's
            body = self._body(request)
            call = Call(request.method, request.path, body, self.clock(), query=dict(request.args))
            self.calls.append(call)
            if self.request_check is not None:
                headers = {key: value for key, value in request.headers.items()}
                self.spec_problems.extend(
                    self.request_check(request.method, request.path, body, dict(request.args), headers)
                )
            try:
                response = self._answer(request, body)
            except Exception:
                call.status = 500
                raise
            call.status = response.status_code
            hold = self._take(self.held, request.method, request.path, body) is not None
            committed = self._committed()
        for hook in self.after_commit:
            for sobject, record in committed:
                hook(sobject, record)
        if hold:
            self._closing.wait(self.timeout_hold)
        return response(environ, start_response)

    def _committed(self) -> list[tuple[str, dict]]:
        """Copies of the records this request inserted that are still there."""
        found = []
        for sobject, record_id in self._inserted:
            record = getattr(self, STORES[sobject]).get(record_id)
            if record is not None:
                found.append((sobject, copy.deepcopy(record)))
        self._inserted = []
        return found

    @staticmethod
    def _body(request: Request):
        if request.mimetype == "application/x-www-form-urlencoded":
            return request.form.to_dict()
        if not request.data:
            return None
        try:
            return json.loads(request.data)
        except ValueError:
            return request.get_data(as_text=True)

    @staticmethod
    def _take(rules: list, method: str, path: str, body):
        """The first rule still armed for this call, now used once."""
        for rule in rules:
            when = getattr(rule, "when", None)
            if rule.times > 0 and rule.method == method and rule.path.search(path) and (not when or when(body)):
                rule.times -= 1
                return rule
        return None

    def _answer(self, request: Request, body) -> Response:
        path = request.path
        if path.startswith("/services/oauth2/") or path.startswith("/id/") or path.startswith("/setup/"):
            failure = self._take(self.failures, request.method, path, body)
            if failure:
                return _json(failure.body if failure.body is not None else {"error": "server_error"}, failure.status)
            return self._oauth(request, body)
        if path.rstrip("/") == "/services/data":
            versions = [
                {"label": f"v{v}.0", "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                for v in range(int(OLDEST_API_VERSION), int(float(API_VERSION)) + 1)
            ]
            return _json(versions)
        if path.startswith("/services/data/"):
            return self._rest(request, body)
        return _json(rest_error("NOT_FOUND", "The requested resource does not exist"), 404)

    # -- OAuth endpoints -------------------------------------------------------------------------

    def _oauth(self, request: Request, body) -> Response:
        route = request.method, request.path.rstrip("/")
        if route == ("GET", "/services/oauth2/authorize"):
            params = request.args.to_dict()
            problem = self._authorize_problem(params)
            if problem:
                return _redirect(problem)
            return Response(self._approval_page(params), content_type="text/html; charset=utf-8")
        if route == ("POST", "/services/oauth2/authorize"):
            form = body if isinstance(body, dict) else {}
            params = {k: v for k, v in form.items() if k != "decision"}
            return _redirect(self._decide(params, approved=form.get("decision") == "approve"))
        if request.path.startswith("/setup/secur/RemoteAccessErrorPage.apexp"):
            return Response(self._error_page_html(request.args), content_type="text/html; charset=utf-8")
        if route == ("POST", "/services/oauth2/token"):
            form = request.form.to_dict() if request.mimetype == "application/x-www-form-urlencoded" else {}
            if request.authorization and request.authorization.type == "basic":
                form.setdefault("client_id", request.authorization.username)
                form.setdefault("client_secret", request.authorization.password)
            return self._token(form)
        if route in (("POST", "/services/oauth2/revoke"), ("GET", "/services/oauth2/revoke")):
            token = (body if isinstance(body, dict) else {}).get("token") or request.args.get("token")
            return self._revoke(token)
        if (
            route == ("GET", "/services/oauth2/userinfo")
            or request.path.rstrip("/") == f"/id/{self.org_id}/{self.user_id}"
        ):
            if not self._session(request):
                return Response("Bad_OAuth_Token", status=403, content_type="text/plain")
            return _json(self._identity(userinfo=route[1] == "/services/oauth2/userinfo"))
        return _json(rest_error("NOT_FOUND", "The requested resource does not exist"), 404)

    def _approval_page(self, params: dict) -> str:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">' for k, v in params.items()
        )
        return (
            "<!doctype html><html><head><title>Allow Access? | Salesforce (fake)</title></head><body>"
            f"<h1>Allow Access?</h1><p>Switchboard is asking to access your data as {html.escape(self.username)}.</p>"
            f'<form method="post" action="/services/oauth2/authorize">{hidden}'
            '<button type="submit" name="decision" value="deny">Deny</button> '
            '<button type="submit" name="decision" value="approve">Approve</button>'
            "</form></body></html>"
        )

    def _error_page_html(self, args) -> str:
        error = html.escape(args.get("error", ""))
        description = html.escape(args.get("error_description", ""))
        return (
            "<!doctype html><html><head><title>Error | Salesforce (fake)</title></head><body>"
            f"<h1>OAUTH_APPROVAL_ERROR_GENERIC</h1><p>error={error}</p><p>error_description={description}</p>"
            "<p>An unexpected error has occurred during authentication. Please try again.</p></body></html>"
        )

    def _token(self, form: dict) -> Response:
        grant = form.get("grant_type")
        if grant not in ("authorization_code", "refresh_token"):
            return _oauth_error("unsupported_grant_type", "grant type not supported")
        if grant == "refresh_token":
            self.refresh_count += 1
        if form.get("client_id") != self.client_id or not self.active:
            return _oauth_error("invalid_client_id", "client identifier invalid")
        if not self.installed:
            return _oauth_error("invalid_client", "app must be installed into org")
        required = self.require_secret if grant == "authorization_code" else self.require_secret_for_refresh
        secret = form.get("client_secret")
        if (secret is None and required) or (
            secret is not None and not hmac.compare_digest(secret, self.client_secret)
        ):
            return _oauth_error("invalid_client", "invalid client credentials")
        if grant == "refresh_token":
            return self._refresh(form)
        return self._exchange_code(form)

    def _exchange_code(self, form: dict) -> Response:
        if form.get("redirect_uri") not in self.callback_urls:
            return _oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        code = self.codes.get(form.get("code") or "")
        if code is None or code["used"] or self.clock() - code["at"] > CODE_LIFETIME_SECONDS:
            return _oauth_error("invalid_grant", "invalid authorization code")
        if code["redirect_uri"] != form["redirect_uri"]:
            return _oauth_error("redirect_uri_mismatch", "redirect_uri must match configuration")
        verifier = form.get("code_verifier")
        if code["challenge"] and not verifier:
            return _oauth_error("invalid_grant", "invalid code verifier")
        if code["challenge"] and not hmac.compare_digest(pkce_challenge(verifier), code["challenge"]):
            return _oauth_error("invalid_grant", "invalid code verifier")
        code["used"] = True
        return _json(self._token_response(code["scope"], with_refresh=True))

    def _refresh(self, form: dict) -> Response:
        old = form.get("refresh_token") or ""
        refresh = self.refresh_tokens.get(old)
        if refresh is None or not refresh["alive"]:
            return _oauth_error("invalid_grant", "expired access/refresh token")
        if not self.rotate_refresh_tokens:
            return _json(self._token_response(refresh["scope"], with_refresh=False, refresh_token=old))
        refresh["alive"] = False
        return _json(self._token_response(refresh["scope"], with_refresh=True))

    def _revoke(self, token: str | None) -> Response:
        if token in self.refresh_tokens and self.refresh_tokens[token]["alive"]:
            self.refresh_tokens[token]["alive"] = False
            for access in self.access_tokens.values():
                if access["refresh"] == token:
                    access["alive"] = False
            return Response("", status=200)
        if token in self.access_tokens and self.access_tokens[token]["alive"]:
            self.access_tokens[token]["alive"] = False
            return Response("", status=200)
        return _oauth_error("unsupported_token_type", "this token type is not supported")

    def _session(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header[len("Bearer ") :] if header.startswith("Bearer ") else ""
        found = self.access_tokens.get(token)
        return bool(found and found["alive"])

    def _identity(self, userinfo: bool) -> dict:
        user = self.users[self.user_id]
        if userinfo:
            return {
                "sub": self.identity_url,
                "user_id": self.user_id,
                "organization_id": self.org_id,
                "preferred_username": self.username,
                "nickname": self.username.split("@")[0],
                "name": user["Name"],
                "email": self.user_email,
                "email_verified": True,
                "active": True,
                "user_type": "STANDARD",
                "urls": self._identity_urls(),
            }
        return {
            "id": self.identity_url,
            "asserted_user": True,
            "user_id": self.user_id,
            "organization_id": self.org_id,
            "username": self.username,
            "display_name": user["Name"],
            "email": self.user_email,
            "active": True,
            "user_type": "STANDARD",
            "urls": self._identity_urls(),
        }

    def _identity_urls(self) -> dict:
        return {
            "rest": f"{self.url}/services/data/v{{version}}/",
            "sobjects": f"{self.url}/services/data/v{{version}}/sobjects/",
            "query": f"{self.url}/services/data/v{{version}}/query/",
            "limits": f"{self.url}/services/data/v{{version}}/limits/",
            "profile": f"{self.url}/{self.user_id}",
        }

    # -- REST --------------------------------------------------------------------------------------

    def _rest(self, request: Request, body) -> Response:
        if not self._session(request):
            return _json([{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], 401)
        match = re.match(r"^/services/data/v(\d+\.\d)(/.*)?$", request.path)
        if not match or not OLDEST_API_VERSION <= float(match.group(1)) <= float(API_VERSION):
            return self._limited(404, rest_error("NOT_FOUND", "The requested resource does not exist"))
        if self.api_used >= self.api_limit:
            return self._limited(403, rest_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."))
        self.api_used += 1
        version, rest = match.group(1), (match.group(2) or "/").rstrip("/") or "/"
        status, answer = self._route(request.method, version, rest, dict(request.args), body)
        return self._limited(status, answer)

    def _limited(self, status: int, answer) -> Response:
        """Every REST answer carries the org's API usage over the last 24 hours."""
        headers = {"Sforce-Limit-Info": f"api-usage={self.api_used}/{self.api_limit}"}
        if status == 204:
            return Response(status=204, headers=headers)
        return _json(answer, status, headers)

    def _route(self, method: str, version: str, rest: str, args: dict, body) -> tuple[int, object]:
        """One REST operation: (status, JSON body). Shared by HTTP requests and composite subrequests."""
        path = f"/services/data/v{version}{rest}"
        failure = self._take(self.failures, method, path, body)
        if failure:
            return failure.status, failure.body if failure.body is not None else FAILURE_BODIES.get(
                failure.status, rest_error("UNKNOWN_EXCEPTION", "Injected failure")
            )
        try:
            return self._dispatch(method, version, rest, args, body)
        except RestError as error:
            return error.status, error.body

    def _dispatch(self, method: str, version: str, rest: str, args: dict, body) -> tuple[int, object]:
        if rest == "/" and method == "GET":
            return 200, {
                name: f"/services/data/v{version}/{name}" for name in ("sobjects", "query", "composite", "limits")
            }
        if rest == "/limits" and method == "GET":
            return 200, self._limits()
        if rest == "/query" and method == "GET":
            return self._query(version, args.get("q"))
        if rest == "/tooling/query" and method == "GET":
            return self.apex.tooling_query(args.get("q"), version, to_18)
        if rest == "/composite" and method == "POST":
            return self._composite(version, body)
        if rest == "/composite/sobjects" and method == "POST":
            return self._collection(body)
        match = re.match(r"^/sobjects/([A-Za-z]+)(?:/([^/]+))?(?:/([^/]+))?$", rest)
        if match:
            return self._sobject_route(method, version, match.group(1), match.group(2), match.group(3), args, body)
        refuse(404, "NOT_FOUND", "The requested resource does not exist")

    def _limits(self) -> dict:
        return {
            "DailyApiRequests": {"Max": self.api_limit, "Remaining": max(0, self.api_limit - self.api_used)},
            "DailyAsyncApexExecutions": {"Max": 250_000, "Remaining": 250_000},
            "DataStorageMB": {"Max": 5, "Remaining": 5},
        }

    # -- sObject rows -----------------------------------------------------------------------------

    def _sobject_route(self, method, version, sobject, first, second, args, body) -> tuple[int, object]:
        if sobject not in STORES:
            refuse(404, "NOT_FOUND", "The requested resource does not exist")
        if first is None and method == "POST":
            record_id = self._insert(sobject, self._json_object(body))
            return 201, {"id": record_id, "success": True, "errors": []}
        if first == "describe" and second is None and method == "GET":
            return 200, self._describe(sobject)
        if first is not None and second is None:
            record = self._record(sobject, first)
            if method == "GET":
                return 200, self._shape(sobject, record, version, args.get("fields"))
            if method == "PATCH":
                self._update(sobject, record["Id"], self._json_object(body))
                return 204, None
            if method == "DELETE":
                del getattr(self, STORES[sobject])[record["Id"]]
                if sobject == "Case":  # a Case's comments and emails go with it
                    for child, reference in CHILDREN["Case"].values():
                        store = getattr(self, STORES[child])
                        for child_id in [i for i, r in store.items() if r.get(reference) == record["Id"]]:
                            del store[child_id]
                return 204, None
        if first is not None and second is not None:
            if method == "PATCH":
                return self._upsert(sobject, first, second, self._json_object(body), args)
            if method == "GET":
                return 200, self._shape(
                    sobject, self._by_external_id(sobject, first, second, single=True)[0], version, args.get("fields")
                )
        refuse(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed.")

    @staticmethod
    def _json_object(body) -> dict:
        if not isinstance(body, dict):
            refuse(400, "JSON_PARSER_ERROR", "The request body must be a JSON object")
        return body

    def _record(self, sobject: str, record_id: str) -> dict:
        record = getattr(self, STORES[sobject]).get(to_18(record_id))
        if record is None:
            refuse(404, "NOT_FOUND", "The requested resource does not exist")
        return record

    def _shape(self, sobject: str, record: dict, version: str, fields: str | None) -> dict:
        out = {"attributes": {"type": sobject, "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"}}
        names = [f.strip() for f in fields.split(",")] if fields else list(self._fields(sobject))
        for name in names:
            canonical = self._field_name(sobject, name)
            if canonical is None:
                refuse(400, "INVALID_FIELD", f"No such column '{name}' on entity '{sobject}'.")
            out[canonical] = record.get(canonical)
        return out

    def _fields(self, sobject: str) -> dict[str, Field]:
        fields = dict(OBJECTS[sobject])
        for name in self._external_ids(sobject):
            fields[name] = Field("string", 255)
        return fields

    def _external_ids(self, sobject: str) -> list[str]:
        names = []
        for entry in self.external_id_fields:
            owner, _, name = entry.rpartition(".")
            if (owner or "Case") == sobject:
                names.append(name)
        return names

    def _field_name(self, sobject: str, name: str) -> str | None:
        lowered = name.lower()
        return next((known for known in self._fields(sobject) if known.lower() == lowered), None)

    def _describe(self, sobject: str) -> dict:
        external = set(self._external_ids(sobject))
        fields = []
        for name, spec in self._fields(sobject).items():
            allowed = self.picklists.get(f"{sobject}.{name}")
            fields.append(
                {
                    "name": name,
                    "type": spec.type,
                    "length": spec.length,
                    "createable": spec.writable,
                    "updateable": spec.writable,
                    "nillable": not spec.required,
                    "externalId": name in external,
                    "unique": name in external,
                    "referenceTo": [spec.reference_to] if spec.reference_to else [],
                    "relationshipName": spec.relationship,
                    "restrictedPicklist": allowed is not None,
                    "picklistValues": [{"value": v, "label": v, "active": True} for v in sorted(allowed or ())],
                }
            )
        return {"name": sobject, "keyPrefix": KEY_PREFIXES[sobject], "fields": fields}

    def _stamp(self) -> str:
        """Now, a millisecond after the last record at least, so records made together still sort."""
        moment = max(self.clock(), self._last_stamp + 0.001)
        self._last_stamp = moment
        return timestamp(moment)

    def _validate(self, sobject: str, values: dict, creating: bool) -> dict:
        fields = self._fields(sobject)
        clean = {}
        for name, value in values.items():
            if name == "attributes":
                continue
            canonical = self._field_name(sobject, name)
            if canonical is None:
                refuse(400, "INVALID_FIELD", f"No such column '{name}' on sobject of type {sobject}")
            spec = fields[canonical]
            if not spec.writable:
                refuse(
                    400,
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {canonical}. Please check the security settings of this "
                    "field and verify that it is read/write for your profile or permission set.",
                    [canonical],
                )
            clean[canonical] = self._valid_value(sobject, canonical, spec, value)
        if creating:
            missing = [n for n, s in fields.items() if s.required and clean.get(n) in (None, "")]
            if missing:
                refuse(400, "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", missing)
        return clean

    def _valid_value(self, sobject: str, name: str, spec: Field, value):
        if value == "":
            value = None  # Salesforce stores an empty text as null
        if value is None:
            return None
        if spec.type == "boolean":
            if not isinstance(value, bool):
                refuse(
                    400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of boolean from VALUE_STRING value {value}"
                )
            return value
        if spec.type == "reference":
            return self._valid_reference(name, spec, value)
        if isinstance(value, (dict, list)):
            refuse(400, "JSON_PARSER_ERROR", f"Cannot deserialize instance of string for {name}")
        value = value if isinstance(value, str) else json.dumps(value)
        size = len(value.encode("utf-8")) if spec.in_bytes else len(value)
        if spec.length and size > spec.length:
            shown = value[:40] + ("..." if len(value) > 40 else "")
            refuse(400, "STRING_TOO_LONG", f"{name}: data value too large: {shown} (max length={spec.length})", [name])
        allowed = self.picklists.get(f"{sobject}.{name}")
        if allowed is not None and value not in allowed:
            refuse(
                400,
                "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                f"{name}: bad value for restricted picklist field: {value}",
                [name],
            )
        return value

    def _valid_reference(self, name: str, spec: Field, value):
        if not isinstance(value, str) or not ID_SHAPE.fullmatch(value):
            refuse(400, "MALFORMED_ID", f"{name}: id value of incorrect type: {value}", [name])
        value = to_18(value)
        store = STORES.get(spec.reference_to) if spec.reference_to != "User" else "users"
        if store and value not in getattr(self, store):
            refuse(400, "INVALID_CROSS_REFERENCE_KEY", f"invalid cross reference id: {value}", [name])
        return value

    def _insert(self, sobject: str, values: dict, by: str | None = None) -> str:
        clean = self._validate(sobject, values, creating=True)
        record_id = salesforce_id(KEY_PREFIXES[sobject], next(self._numbers))
        stamp = self._stamp()
        author = by or self.user_id
        record = {name: None for name in self._fields(sobject)}
        record.update(
            Id=record_id,
            IsDeleted=False,
            CreatedDate=stamp,
            LastModifiedDate=stamp,
            SystemModstamp=stamp,
            CreatedById=author,
            LastModifiedById=author,
        )
        if sobject == "Case":
            number = f"{next(self._case_numbers):08d}"
            record.update(CaseNumber=number, Status="New", IsClosed=False, IsEscalated=False, OwnerId=self.user_id)
        if sobject == "CaseComment":
            record["IsPublished"] = False
        if sobject == "EmailMessage":
            record["Incoming"] = False
        record.update(clean)
        self._derive(sobject, record)
        getattr(self, STORES[sobject])[record_id] = record
        self._inserted.append((sobject, record_id))
        return record_id

    def _update(self, sobject: str, record_id: str, values: dict) -> None:
        record = self._record(sobject, record_id)
        clean = self._validate(sobject, values, creating=False)
        if sobject == "Contact" and "LastName" in clean and not clean["LastName"]:
            refuse(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]", ["LastName"])
        record.update(clean)
        stamp = self._stamp()
        record.update(LastModifiedDate=stamp, SystemModstamp=stamp)
        self._derive(sobject, record)

    def _derive(self, sobject: str, record: dict) -> None:
        if sobject == "Case":
            closed = record.get("Status") in CLOSED_STATUSES
            if closed and not record.get("IsClosed"):
                record["ClosedDate"] = record["LastModifiedDate"]
            record["IsClosed"] = closed
            if not closed:
                record["ClosedDate"] = None
            contact = self.contacts.get(record.get("ContactId") or "")
            record["ContactEmail"] = contact.get("Email") if contact else None
            record["ContactPhone"] = contact.get("Phone") if contact else None
        if sobject == "Contact":
            record["Name"] = " ".join(p for p in (record.get("FirstName"), record.get("LastName")) if p)

    def _by_external_id(self, sobject: str, name: str, value: str, single: bool = False) -> list[dict]:
        canonical = next((n for n in self._external_ids(sobject) if n.lower() == name.lower()), None)
        if canonical is None and name.lower() != "id":
            refuse(404, "NOT_FOUND", "The requested resource does not exist")
        canonical = canonical or "Id"
        wanted = to_18(value) if canonical == "Id" else value
        found = [r for r in getattr(self, STORES[sobject]).values() if r.get(canonical) == wanted]
        if single and not found:
            refuse(404, "NOT_FOUND", "The requested resource does not exist")
        return found

    def _upsert(self, sobject: str, name: str, value: str, body: dict, args: dict) -> tuple[int, object]:
        found = self._by_external_id(sobject, name, value)
        if len(found) > 1:
            return 300, [f"/services/data/v{API_VERSION}/sobjects/{sobject}/{r['Id']}" for r in found]
        values = {k: v for k, v in body.items() if k.lower() != name.lower()}
        if found:
            self._update(sobject, found[0]["Id"], values)
            return 200, {"id": found[0]["Id"], "success": True, "errors": [], "created": False}
        if args.get("updateOnly") == "true" or name.lower() == "id":
            refuse(404, "NOT_FOUND", "The requested resource does not exist")
        field_name = next(n for n in self._external_ids(sobject) if n.lower() == name.lower())
        record_id = self._insert(sobject, {**values, field_name: value})
        return 201, {"id": record_id, "success": True, "errors": [], "created": True}

    # -- query ---------------------------------------------------------------------------------------

    def _query(self, version: str, text: str | None) -> tuple[int, object]:
        if not text:
            refuse(400, "MALFORMED_QUERY", "A query string has to be specified")
        try:
            schema = salesforce_setup.SetupSchema(self.apex, salesforce_setup.DATA_OBJECTS, base=_Schema(self))
            return 200, soql.run(
                text, schema, to_18, lambda sobject, rid: f"/services/data/v{version}/sobjects/{sobject}/{rid}"
            )
        except soql.SoqlError as error:
            return 400, [{"message": error.message, "errorCode": error.error_code}]

    # -- composite and collections -------------------------------------------------------------------

    def _snapshot(self) -> dict:
        return {store: copy.deepcopy(getattr(self, store)) for store in STORES.values()}

    def _restore(self, snapshot: dict) -> None:
        """Undo every write since the snapshot, in place (tests may hold the dicts). Ids and Case
        numbers are not handed out again, as in Salesforce."""
        for store, saved in snapshot.items():
            records = getattr(self, store)
            records.clear()
            records.update(saved)

    def _composite(self, version: str, body) -> tuple[int, object]:
        body = self._json_object(body)
        subrequests = body.get("compositeRequest")
        if not isinstance(subrequests, list) or not subrequests:
            refuse(400, "JSON_PARSER_ERROR", "compositeRequest must be a non-empty array")
        if len(subrequests) > COMPOSITE_MAX_SUBREQUESTS:
            refuse(
                400,
                "INVALID_BATCH_REQUEST",
                f"Composite request can't contain more than {COMPOSITE_MAX_SUBREQUESTS} subrequests",
            )
        _check_subrequests(subrequests)
        all_or_none = body.get("allOrNone") is True
        snapshot = self._snapshot()
        results: dict[str, object] = {}
        answers, failed = [], set()  # failed: indexes of the subrequests that failed on their own
        for index, sub in enumerate(subrequests):
            if failed and all_or_none:
                answers.append(_sub_answer(sub["referenceId"], 400, rest_error("PROCESSING_HALTED", ROLLED_BACK)))
                continue
            status, answer = self._subrequest(sub, results, all_or_none)
            results[sub["referenceId"]] = (status, answer)
            answers.append(_sub_answer(sub["referenceId"], status, answer))
            if status >= 400 or _collection_failed(answer):
                failed.add(index)
        if failed and all_or_none:
            self._restore(snapshot)
            for index, answer in enumerate(answers):
                if index not in failed and answer["httpStatusCode"] < 400:
                    answer.update(httpStatusCode=400, body=rest_error("PROCESSING_HALTED", ROLLED_BACK), httpHeaders={})
        return 200, {"compositeResponse": answers}

    def _subrequest(self, sub: dict, results: dict, all_or_none: bool) -> tuple[int, object]:
        try:
            url = _resolve(sub["url"], results, in_url=True)
            body = _resolve(sub.get("body"), results)
        except RestError as error:
            return error.status, error.body
        parts = urlsplit(url)
        match = re.match(r"^/services/data/v(\d+\.\d)(/.*)$", parts.path)
        if not match:
            return 400, rest_error("INVALID_INPUT", f"The URL {url} is not a REST resource of this org")
        rest = match.group(2).rstrip("/") or "/"
        if rest == "/composite":
            return 400, rest_error("INVALID_INPUT", "A composite subrequest can't be a composite request")
        if rest == "/composite/sobjects" and all_or_none and isinstance(body, dict):
            body = {**body, "allOrNone": True}  # the outer allOrNone overrides the collection's
        return self._route(sub["method"], match.group(1), rest, dict(parse_qsl(parts.query)), body)

    def _collection(self, body) -> tuple[int, object]:
        body = self._json_object(body)
        records = body.get("records")
        if not isinstance(records, list) or not records:
            refuse(400, "JSON_PARSER_ERROR", "records must be a non-empty array")
        if len(records) > COLLECTION_MAX_RECORDS:
            refuse(
                400,
                "EXCEEDED_ID_LIMIT",
                f"record limit reached. cannot submit more than {COLLECTION_MAX_RECORDS} records in a single call",
            )
        all_or_none = body.get("allOrNone") is True
        snapshot = self._snapshot()
        answers = []
        for record in records:
            sobject = (record.get("attributes") or {}).get("type") if isinstance(record, dict) else None
            try:
                if sobject not in STORES:
                    refuse(400, "INVALID_TYPE", f"sObject type '{sobject}' is not supported.")
                record_id = self._insert(sobject, record)
                answers.append({"id": record_id, "success": True, "errors": []})
            except RestError as error:
                errors = [
                    {"statusCode": e["errorCode"], "message": e["message"], "fields": e.get("fields", [])}
                    for e in error.body
                ]
                answers.append({"success": False, "errors": errors})
        if all_or_none and any(not a["success"] for a in answers):
            self._restore(snapshot)
            halted = {
                "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                "message": "Record rolled back because not "
                "all records were valid and the request was using AllOrNone header",
                "fields": [],
            }
            answers = [a if not a["success"] else {"success": False, "errors": [halted]} for a in answers]
        return 200, answers


class _Schema:
    """What the SOQL evaluator sees of the fake org."""

    def __init__(self, fake: FakeSalesforce):
        self.fake = fake

    def sobject(self, name: str) -> str | None:
        return next((known for known in OBJECTS if known.lower() == name.lower()), None)

    def field_type(self, sobject: str, name: str):
        if sobject == "User":
            canonical = next((n for n in OBJECTS["User"] if n.lower() == name.lower()), None)
        else:
            canonical = self.fake._field_name(sobject, name)
        return None if canonical is None else (canonical, self._fields(sobject)[canonical].type)

    def _fields(self, sobject: str) -> dict[str, Field]:
        return OBJECTS["User"] if sobject == "User" else self.fake._fields(sobject)

    def parent(self, sobject: str, relationship: str):
        for name, spec in self._fields(sobject).items():
            if spec.relationship and spec.relationship.lower() == relationship.lower():
                return spec.relationship, name, spec.reference_to
        return None

    def child(self, sobject: str, relationship: str):
        for name, (child, reference) in CHILDREN.get(sobject, {}).items():
            if name.lower() == relationship.lower():
                return name, child, reference
        return None

    def records(self, sobject: str) -> list[dict]:
        if sobject == "User":
            return list(self.fake.users.values())
        return list(getattr(self.fake, STORES[sobject]).values()) if sobject in STORES else []

    def record(self, sobject: str, record_id):
        if record_id is None:
            return None
        store = self.fake.users if sobject == "User" else getattr(self.fake, STORES.get(sobject, ""), {})
        return store.get(record_id)


REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
# In a URL the query string is URL-encoded, references included.
URL_REFERENCE = re.compile(
    r"(?:@|%40)(?:\{|%7B)([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|(?:\[|%5B)\d+(?:\]|%5D))+)(?:\}|%7D)", re.I
)


def _resolve(value, results: dict, in_url: bool = False):
    """Replace ``@{ref.id}`` / ``@{ref.records[0].Id}`` with what an earlier subrequest answered."""
    if isinstance(value, dict):
        return {k: _resolve(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, results) for v in value]
    if not isinstance(value, str):
        return value
    if in_url:
        return URL_REFERENCE.sub(lambda m: quote(str(_reference(m, results)), safe=""), value)
    whole = REFERENCE.fullmatch(value)
    if whole:
        return _reference(whole, results)  # keeps the referenced value's JSON type
    return REFERENCE.sub(lambda m: str(_reference(m, results)), value)


def _reference(match: re.Match, results: dict):
    name, path = match.group(1), match.group(2)
    found = results.get(name)
    if found is None or found[0] >= 400:
        refuse(
            400,
            "PROCESSING_HALTED",
            f"Invalid reference specified. No value for {name}{path} found in {name}. Provided referenceId "
            f"({name}) is either invalid or the dependent subrequest has failed.",
        )
    current = found[1]
    for step in re.findall(r"\.([A-Za-z0-9_]+)|(?:\[|%5B)(\d+)(?:\]|%5D)", path, re.I):
        key, index = step
        try:
            current = current[int(index)] if index else current[key]
        except (KeyError, IndexError, TypeError):
            refuse(400, "PROCESSING_HALTED", f"Invalid reference specified. No value for {name}{path} found in {name}.")
    return current


def _check_subrequests(subrequests: list) -> None:
    """What makes Salesforce refuse a composite request as a whole (REST API guide, Composite)."""
    seen, heavy = set(), 0
    for sub in subrequests:
        if not isinstance(sub, dict) or not all(isinstance(sub.get(k), str) for k in ("method", "url", "referenceId")):
            refuse(400, "JSON_PARSER_ERROR", "Each subrequest needs method, url and referenceId")
        if sub["method"] not in COMPOSITE_METHODS:
            refuse(400, "JSON_PARSER_ERROR", f"Invalid HTTP method: {sub['method']}")
        reference = sub["referenceId"]
        if not REFERENCE_ID.fullmatch(reference):
            message = f"Invalid reference id: {reference}. It can hold only letters, digits and underscores."
            refuse(400, "INVALID_INPUT", message)
        if reference in seen:
            refuse(400, "INVALID_INPUT", f"Duplicate ReferenceId provided in the request: {reference}")
        seen.add(reference)
        path = urlsplit(sub["url"]).path.rstrip("/")
        heavy += bool(re.search(r"/(query|queryAll)$|/composite/sobjects$", path))
    if heavy > COMPOSITE_MAX_QUERIES_AND_COLLECTIONS:
        message = f"At most {COMPOSITE_MAX_QUERIES_AND_COLLECTIONS} subrequests can be queries or sObject Collections"
        refuse(400, "INVALID_INPUT", message)


def _collection_failed(answer) -> bool:
    """An sObject Collections subrequest answers 200 even when a record failed."""
    return isinstance(answer, list) and any(isinstance(r, dict) and r.get("success") is False for r in answer)


def _sub_answer(reference, status: int, body) -> dict:
    headers = {}
    if status == 201 and isinstance(body, dict) and isinstance(body.get("id"), str):
        sobject = next((name for name, prefix in KEY_PREFIXES.items() if body["id"].startswith(prefix)), None)
        headers["Location"] = f"/services/data/v{API_VERSION}/sobjects/{sobject}/{body['id']}"
    return {"body": body, "httpHeaders": headers, "httpStatusCode": status, "referenceId": reference}


def _json(data, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(data), status=status, headers=headers or {}, content_type="application/json;charset=UTF-8"
    )


def _oauth_error(error: str, description: str) -> Response:
    return _json({"error": error, "error_description": description}, 400)


def _redirect(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


def _with_query(url: str, params: dict) -> str:
    return f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"


class SalesforceServer(LoopbackServer):
    """Runs a FakeSalesforce on a free loopback port: ``with SalesforceServer() as fake: fake.url``."""

    def __init__(self, fake: FakeSalesforce | None = None, port: int = 0):
        super().__init__(fake or FakeSalesforce(), port)

    def closing(self) -> None:
        self.fake._closing.set()  # held answers end now instead of after timeout_hold
