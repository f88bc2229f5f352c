"""The loopback fake of Salesforce, with every request Switchboard sends checked against the shapes
in the Salesforce spec (/work/shared/specs/salesforce.md, §1–2), the way front_spec checks Front.

The fake answers what Salesforce answers; this checker catches what Salesforce might accept today
but that the spec says is wrong or fragile (a composite subrequest without a referenceId, a SOQL
literal with a stray backslash, a REST call without a bearer token), so the test that made the
request fails here instead of in production.

    fake = checked_fake()
    with SalesforceServer(fake):
        ...
    assert fake.spec_problems == []
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from webapp.sandbox import soql
from webapp.sandbox.salesforce import (
    COLLECTION_MAX_RECORDS,
    COMPOSITE_MAX_SUBREQUESTS,
    Call,
    FakeSalesforce,
    SalesforceServer,
)

__all__ = ["Call", "FakeSalesforce", "SalesforceServer", "checked_fake", "problems"]

COMMENT_BODY_MAX_BYTES = 4000
REST_PATH = re.compile(r"^/services/data/v\d+\.\d/")
REFERENCE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")  # Composite: letters, digits, underscores
METHODS = {"GET", "POST", "PATCH", "PUT", "DELETE"}  # case-sensitive, per the Composite guide
# At most 5 of a composite's subrequests may be queries or sObject Collections (Composite guide).
HEAVY_SUBREQUESTS_MAX = 5
# The org's setup Switchboard reads: Apex through the Tooling API; Named Credentials and Apex
# jobs, which the Tooling API is not documented to hold, through /query.
TOOLING_OBJECTS = frozenset({"ApexClass", "ApexTrigger"})
SETUP_OBJECTS = frozenset({"ApexClass", "ApexTrigger", "NamedCredential", "AsyncApexJob"})


def checked_fake(**kwargs) -> FakeSalesforce:
    """A FakeSalesforce that checks every request; assert ``fake.spec_problems == []`` at the end."""
    return FakeSalesforce(request_check=problems, **kwargs)


def problems(method: str, path: str, body, query: dict, headers: dict) -> list[str]:
    """What is wrong with one request to the fake Salesforce; empty when it matches the spec."""
    if path.startswith("/services/oauth2/"):
        return _oauth_problems(method, path, body, headers)
    if not path.startswith("/services/data"):
        return []
    found = []
    if path.rstrip("/") != "/services/data" and not headers.get("Authorization", "").startswith("Bearer "):
        found.append(f"{method} {path}: REST call without 'Authorization: Bearer <token>'")
    found += _rest_problems(method, path, body, query, where=f"{method} {path}")
    return found


def _oauth_problems(method: str, path: str, form, headers: dict) -> list[str]:
    where = f"{method} {path}"
    if path.rstrip("/") != "/services/oauth2/token":
        return []
    if method != "POST" or not isinstance(form, dict):
        return [f"{where}: the token endpoint takes a form POST"]
    if headers.get("Authorization", "").startswith("Basic "):
        # Salesforce documents client_id and client_secret as form fields of the token request.
        return [f"{where}: client credentials in an Authorization: Basic header instead of the form"]
    grant = form.get("grant_type")
    needs = {
        "authorization_code": ("code", "client_id", "redirect_uri"),
        "refresh_token": ("refresh_token", "client_id"),
    }
    if grant not in needs:
        return [f"{where}: grant_type {grant!r} is neither authorization_code nor refresh_token"]
    found = [f"{where}: {grant} grant without {name}" for name in needs[grant] if not form.get(name)]
    if grant == "authorization_code" and not form.get("code_verifier"):
        found.append(f"{where}: no code_verifier (Switchboard always uses PKCE)")
    return found


def _rest_problems(method: str, path: str, body, query: dict, where: str) -> list[str]:
    rest = REST_PATH.sub("/", path).rstrip("/")
    if rest.startswith("/tooling"):
        return _tooling_problems(method, rest, query.get("q"), where)
    if rest.startswith("/query") and method == "GET":
        return _query_problems(query.get("q"), where) or _setup_query_problems(query.get("q"), where, tooling=False)
    if rest == "/composite" and method == "POST":
        return _composite_problems(body, where)
    if rest == "/composite/sobjects" and method == "POST":
        return _collection_problems(body, where)
    if re.fullmatch(r"/sobjects/CaseComment(/[^/]+)?", rest) and method in ("POST", "PATCH"):
        return _record_problems("CaseComment", body, where)
    return []


def _query_problems(text, where: str) -> list[str]:
    if not text:
        return [f"{where}: query without q"]
    try:
        soql.tokenize(text)
    except soql.SoqlError as error:
        return [f"{where}: SOQL literal not escaped as Salesforce requires: {error.message}"]
    return []


def _tooling_problems(method: str, rest: str, text, where: str) -> list[str]:
    if rest != "/tooling/query" or method != "GET":
        return [f"{where}: Switchboard reads the Tooling API with GET /tooling/query only"]
    return _query_problems(text, where) or _setup_query_problems(text, where, tooling=True)


def _setup_query_problems(text: str, where: str, *, tooling: bool) -> list[str]:
    """A query on the org's setup names the object's API it belongs to and what it looks for:
    the setup checks run every few minutes and must stay a small read."""
    tokens = soql.tokenize(text)
    depth, sobject, filtered = 0, None, False
    for index, (kind, value, _) in enumerate(tokens):
        if kind == "punct":
            depth += {"(": 1, ")": -1}.get(value, 0)
        elif kind == "keyword" and depth == 0 and value == "FROM" and tokens[index + 1][0] == "name":
            sobject = tokens[index + 1][1]
        elif kind == "keyword" and depth == 0 and value == "WHERE":
            filtered = True
    if tooling and sobject not in TOOLING_OBJECTS:
        return [f"{where}: {sobject} is not read through the Tooling API here; query it with /query"]
    if sobject in SETUP_OBJECTS and not filtered:
        return [f"{where}: a query on {sobject} without WHERE reads all of the org's; name what is looked for"]
    return []


def _record_problems(sobject: str, record, where: str) -> list[str]:
    if not isinstance(record, dict):
        return [f"{where}: a {sobject} body must be a JSON object"]
    body = record.get("CommentBody")
    if sobject == "CaseComment" and isinstance(body, str) and len(body.encode("utf-8")) > COMMENT_BODY_MAX_BYTES:
        size = len(body.encode("utf-8"))
        return [f"{where}: CommentBody is {size} bytes of UTF-8, over Salesforce's {COMMENT_BODY_MAX_BYTES}"]
    return []


def _composite_problems(body, where: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{where}: the body must be a JSON object"]
    found = []
    if not isinstance(body.get("allOrNone"), bool):
        found.append(f"{where}: allOrNone must be given as a boolean (Switchboard decides, not the default)")
    subrequests = body.get("compositeRequest")
    if not isinstance(subrequests, list) or not subrequests:
        return [*found, f"{where}: compositeRequest must be a non-empty list"]
    if len(subrequests) > COMPOSITE_MAX_SUBREQUESTS:
        found.append(f"{where}: {len(subrequests)} subrequests, over the limit of {COMPOSITE_MAX_SUBREQUESTS}")
    heavy, seen = 0, set()
    for index, sub in enumerate(subrequests):
        here = f"{where} subrequest {index}"
        if not isinstance(sub, dict):
            found.append(f"{here}: not an object")
            continue
        missing = [name for name in ("method", "url", "referenceId") if not sub.get(name)]
        found += [f"{here}: missing {name}" for name in missing]
        if missing:
            continue
        reference = sub["referenceId"]
        if not REFERENCE_ID.match(str(reference)):
            found.append(f"{here}: referenceId {reference!r} may hold only letters, digits and underscores")
        if reference in seen:
            found.append(f"{here}: referenceId {reference!r} used twice")
        seen.add(reference)
        if sub["method"] not in METHODS:
            found.append(f"{here}: method {sub['method']!r} is not one of {sorted(METHODS)}")
        if set(sub.get("httpHeaders") or {}) & {"Accept", "Authorization", "Content-Type"}:
            found.append(f"{here}: Accept, Authorization and Content-Type come from the top-level request")
        url = urlsplit(sub["url"])
        if not REST_PATH.match(url.path):
            found.append(f"{here}: url {sub['url']!r} must start with /services/data/vNN.N/")
            continue
        query = dict(parse_qsl(url.query))
        rest = REST_PATH.sub("/", url.path).rstrip("/")
        heavy += rest.startswith("/query") or rest == "/composite/sobjects"
        found += _rest_problems(sub["method"], url.path, sub.get("body"), query, here)
    if heavy > HEAVY_SUBREQUESTS_MAX:
        found.append(f"{where}: {heavy} query/collection subrequests, over the limit of {HEAVY_SUBREQUESTS_MAX}")
    return found


def _collection_problems(body, where: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{where}: the body must be a JSON object"]
    found = []
    if not isinstance(body.get("allOrNone"), bool):
        found.append(f"{where}: allOrNone must be given as a boolean")
    records = body.get("records")
    if not isinstance(records, list) or not records:
        return [*found, f"{where}: records must be a non-empty list"]
    if len(records) > COLLECTION_MAX_RECORDS:
        found.append(f"{where}: {len(records)} records, over the limit of {COLLECTION_MAX_RECORDS}")
    for index, record in enumerate(records):
        sobject = (record.get("attributes") or {}).get("type") if isinstance(record, dict) else None
        if not sobject:
            found.append(f"{where} record {index}: no attributes.type")
            continue
        found += _record_problems(sobject, record, f"{where} record {index}")
    return found
