"""The fake Salesforce answers as Salesforce does, seen from outside over HTTP: the OAuth flow and
its errors, the REST API's shapes, limits and errors, SOQL, composite requests and the knobs tests
use to make it fail."""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests

from tests.fakes.salesforce import checked_fake
from webapp.sandbox.salesforce import FakeSalesforce, SalesforceServer, pkce_challenge, sign, to_18

VERIFIER = "v" * 43 + "-._~0123456789"
V = "/services/data/v68.0"


class Clock:
    """Epoch seconds that move only when the test moves them."""

    def __init__(self) -> None:
        self.now = float(math.floor(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def fake():
    with SalesforceServer(checked_fake()) as running:
        yield running
        assert running.spec_problems == []


@pytest.fixture
def auth(fake) -> dict:
    return {"Authorization": f"Bearer {fake.issue_tokens()['access_token']}"}


def authorize_url(fake: FakeSalesforce, **overrides) -> str:
    params = {
        "response_type": "code",
        "client_id": fake.client_id,
        "redirect_uri": fake.callback_url,
        "state": "st4te",
        "scope": "api refresh_token",
        "display": "popup",
        "code_challenge": pkce_challenge(VERIFIER),
        "code_challenge_method": "S256",
        **overrides,
    }
    return f"{fake.url}/services/oauth2/authorize?{urlencode({k: v for k, v in params.items() if v is not None})}"


def query_of(url: str) -> dict:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def exchange(fake: FakeSalesforce, authorization_code: str, **overrides) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": authorization_code,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        "redirect_uri": fake.callback_url,
        "code_verifier": VERIFIER,
        **overrides,
    }
    return requests.post(
        f"{fake.url}/services/oauth2/token", data={k: v for k, v in form.items() if v is not None}, timeout=10
    )


def refresh(fake: FakeSalesforce, token: str, **overrides) -> requests.Response:
    form = {
        "grant_type": "refresh_token",
        "refresh_token": token,
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
        **overrides,
    }
    return requests.post(f"{fake.url}/services/oauth2/token", data=form, timeout=10)


def code_for(fake: FakeSalesforce, **overrides) -> str:
    return query_of(fake.approve(authorize_url(fake, **overrides)))["code"]


def rest(fake, method: str, path: str, auth: dict, **kwargs) -> requests.Response:
    return requests.request(method, f"{fake.url}{V}{path}", headers=auth, timeout=10, **kwargs)


def soql(fake, auth: dict, text: str) -> requests.Response:
    return rest(fake, "GET", "/query", auth, params={"q": text})


# -- the authorize page -----------------------------------------------------------------------------


def test_the_authorize_page_offers_approve_and_deny_and_approve_returns_code_and_state(fake):
    page = requests.get(authorize_url(fake), timeout=10, allow_redirects=False)
    assert page.status_code == 200
    assert ">Approve</button>" in page.text and ">Deny</button>" in page.text

    form = {**query_of(authorize_url(fake)), "decision": "approve"}
    approved = requests.post(f"{fake.url}/services/oauth2/authorize", data=form, timeout=10, allow_redirects=False)
    assert approved.status_code == 302
    location = approved.headers["Location"]
    assert location.startswith(fake.callback_url + "?")
    assert query_of(location)["state"] == "st4te" and query_of(location)["code"]


def test_deny_sends_access_denied_back_to_the_callback(fake):
    form = {**query_of(authorize_url(fake)), "decision": "deny"}
    denied = requests.post(f"{fake.url}/services/oauth2/authorize", data=form, timeout=10, allow_redirects=False)
    assert query_of(denied.headers["Location"]) == {
        "error": "access_denied",
        "error_description": "end-user denied authorization",
        "state": "st4te",
    }
    assert fake.deny(authorize_url(fake)) == denied.headers["Location"]


@pytest.mark.parametrize(
    ("arrange", "overrides", "error", "description"),
    [
        ({}, {"client_id": "not-the-key"}, "invalid_client_id", "client identifier invalid"),
        ({"active": False}, {}, "invalid_client_id", "client identifier invalid"),
        (
            {},
            {"redirect_uri": "https://switchboard.example.test/oauth/salesforce/callback/"},
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ),
        ({"installed": False}, {}, "invalid_client", "app must be installed into org"),
    ],
)
def test_configuration_errors_stay_on_salesforces_error_page_and_never_reach_the_callback(
    fake, arrange, overrides, error, description
):
    for name, value in arrange.items():
        setattr(fake, name, value)
    url = authorize_url(fake, **overrides)
    answer = requests.get(url, timeout=10, allow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith(f"{fake.url}/setup/secur/RemoteAccessErrorPage.apexp?")
    assert query_of(location) == {"error": error, "error_description": description}
    assert fake.approve(url) == location and fake.deny(url) == location
    page = requests.get(location, timeout=10)
    assert page.status_code == 200 and description in page.text


def test_a_bad_request_from_a_known_app_goes_back_to_the_callback(fake):
    back = fake.approve(authorize_url(fake, response_type="token"))
    assert back.startswith(fake.callback_url) and query_of(back)["error"] == "unsupported_response_type"
    fake.require_pkce = True
    back = fake.approve(authorize_url(fake, code_challenge=None, code_challenge_method=None))
    assert query_of(back)["error"] == "invalid_request" and query_of(back)["state"] == "st4te"


# -- the token endpoint ----------------------------------------------------------------------------


def test_the_code_exchange_answers_salesforces_token_response_with_a_valid_signature(fake):
    answer = exchange(fake, code_for(fake))
    assert answer.status_code == 200
    tokens = answer.json()
    assert set(tokens) == {
        "access_token",
        "refresh_token",
        "signature",
        "scope",
        "instance_url",
        "id",
        "token_type",
        "issued_at",
    }
    assert "expires_in" not in tokens
    assert tokens["instance_url"] == fake.url
    assert tokens["id"] == f"{fake.url}/id/{fake.org_id}/{fake.user_id}"
    assert tokens["token_type"] == "Bearer" and tokens["scope"] == "api refresh_token"
    assert tokens["issued_at"].isdigit() and len(tokens["issued_at"]) == 13  # milliseconds
    assert tokens["signature"] == sign(fake.client_secret, tokens["id"], tokens["issued_at"])
    assert tokens["signature"] != sign("another-secret", tokens["id"], tokens["issued_at"])

    call = fake.calls_to("POST", "/services/oauth2/token")[-1]
    assert call.body["code_verifier"] == VERIFIER


def test_without_the_refresh_token_scope_there_is_no_refresh_token(fake):
    tokens = exchange(fake, code_for(fake, scope="api")).json()
    assert "refresh_token" not in tokens and tokens["scope"] == "api"


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"client_id": "not-the-key"}, "invalid_client_id", "client identifier invalid"),
        ({"client_secret": "wrong"}, "invalid_client", "invalid client credentials"),
        ({"client_secret": None}, "invalid_client", "invalid client credentials"),
        (
            {"redirect_uri": "https://elsewhere.example.test/cb"},
            "redirect_uri_mismatch",
            "redirect_uri must match configuration",
        ),
        ({"code": "aPrxnot-a-code"}, "invalid_grant", "invalid authorization code"),
        ({"code_verifier": "w" * 43}, "invalid_grant", "invalid code verifier"),
        ({"code_verifier": None}, "invalid_grant", "invalid code verifier"),
        ({"grant_type": "password"}, "unsupported_grant_type", "grant type not supported"),
    ],
)
def test_the_token_endpoint_refuses_like_salesforce(overrides, error, description):
    with SalesforceServer(FakeSalesforce()) as fake:
        answer = exchange(fake, code_for(fake), **overrides)
        assert answer.status_code == 400
        assert answer.json() == {"error": error, "error_description": description}


def test_a_code_works_once_and_for_fifteen_minutes():
    clock = Clock()
    with SalesforceServer(FakeSalesforce(clock=clock)) as fake:
        code = code_for(fake)
        assert exchange(fake, code).status_code == 200
        assert exchange(fake, code).json()["error_description"] == "invalid authorization code"

        late = code_for(fake)
        clock.advance(15 * 60 + 1)
        assert exchange(fake, late).json() == {
            "error": "invalid_grant",
            "error_description": "invalid authorization code",
        }


def test_the_secret_is_optional_only_when_the_app_does_not_require_it():
    with SalesforceServer(FakeSalesforce(require_secret=False)) as fake:
        assert exchange(fake, code_for(fake), client_secret=None).status_code == 200
        # Validated whenever it is sent.
        assert exchange(fake, code_for(fake), client_secret="wrong").json()["error"] == "invalid_client"


# -- refresh, rotation, revoke, identity ------------------------------------------------------------


def test_a_refresh_gives_a_new_access_token_and_keeps_the_refresh_token(fake):
    tokens = fake.issue_tokens()
    fake.expire_access_tokens()
    assert rest(fake, "GET", "/limits", {"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401

    renewed = refresh(fake, tokens["refresh_token"])
    assert renewed.status_code == 200
    body = renewed.json()
    assert "refresh_token" not in body
    assert body["signature"] == sign(fake.client_secret, body["id"], body["issued_at"])
    assert rest(fake, "GET", "/limits", {"Authorization": f"Bearer {body['access_token']}"}).status_code == 200
    assert refresh(fake, tokens["refresh_token"]).status_code == 200
    assert fake.refresh_count == 2


def test_with_rotation_the_old_refresh_token_dies(fake):
    fake.rotate_refresh_tokens = True
    old = fake.issue_tokens()["refresh_token"]
    rotated = refresh(fake, old).json()
    assert rotated["refresh_token"] != old
    assert refresh(fake, old).json() == {"error": "invalid_grant", "error_description": "expired access/refresh token"}
    assert refresh(fake, rotated["refresh_token"]).status_code == 200
    assert fake.refresh_count == 3


def test_revoked_refresh_tokens_are_refused_and_their_sessions_end(fake):
    tokens = fake.issue_tokens()
    fake.revoke_refresh_tokens()
    assert refresh(fake, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert rest(fake, "GET", "/limits", {"Authorization": f"Bearer {tokens['access_token']}"}).status_code == 401


def test_the_refresh_grant_checks_the_client_too(fake):
    token = fake.issue_tokens()["refresh_token"]
    assert refresh(fake, token, client_secret="wrong").json()["error"] == "invalid_client"
    assert refresh(fake, token, client_id="other").json()["error"] == "invalid_client_id"


def test_revoke_a_refresh_token_ends_its_access_tokens_and_unknown_tokens_are_refused(fake):
    tokens = fake.issue_tokens()
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    revoked = requests.post(f"{fake.url}/services/oauth2/revoke", data={"token": tokens["refresh_token"]}, timeout=10)
    assert revoked.status_code == 200
    assert rest(fake, "GET", "/limits", auth).status_code == 401
    again = requests.post(f"{fake.url}/services/oauth2/revoke", data={"token": tokens["refresh_token"]}, timeout=10)
    assert again.status_code == 400 and again.json()["error"] == "unsupported_token_type"


def test_userinfo_names_the_user_and_the_org(fake, auth):
    info = requests.get(f"{fake.url}/services/oauth2/userinfo", headers=auth, timeout=10).json()
    assert info["user_id"] == fake.user_id and info["organization_id"] == fake.org_id
    assert info["preferred_username"] == fake.username and info["email"] and info["name"]
    assert requests.get(f"{fake.url}/services/oauth2/userinfo", timeout=10).status_code == 403


# -- REST basics -------------------------------------------------------------------------------------


def test_rest_needs_a_live_session_and_every_answer_carries_the_api_usage(fake, auth):
    refused = rest(fake, "GET", "/limits", {})
    assert refused.status_code == 401
    assert refused.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]

    fake.api_used, fake.api_limit = 41, 15000
    limits = rest(fake, "GET", "/limits", auth)
    assert limits.headers["Sforce-Limit-Info"] == "api-usage=42/15000"
    assert limits.json()["DailyApiRequests"] == {"Max": 15000, "Remaining": 14958}
    missing = rest(fake, "GET", "/sobjects/Case/500SB0000000999AAA", auth)
    assert missing.status_code == 404 and missing.headers["Sforce-Limit-Info"] == "api-usage=43/15000"

    versions = requests.get(f"{fake.url}/services/data/", timeout=10).json()
    assert {"label": "v68.0", "url": "/services/data/v68.0", "version": "68.0"} in versions
    assert fake.api_used == 43  # listing versions is free
    assert [c.path for c in fake.data_calls()] == [
        f"{V}/limits",
        f"{V}/limits",
        f"{V}/sobjects/Case/500SB0000000999AAA",
    ]
    fake.spec_problems.clear()  # the checker rightly flagged the call without a token


def test_past_the_daily_allocation_rest_answers_request_limit_exceeded(fake, auth):
    fake.api_used = fake.api_limit
    refused = rest(fake, "GET", "/limits", auth)
    assert refused.status_code == 403 and refused.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_a_case_gets_salesforces_defaults_and_can_be_read_and_updated(fake, auth):
    contact = fake.add_contact("grace@example.com", "Grace", "Hopper")
    created = rest(fake, "POST", "/sobjects/Case", auth, json={"Subject": "Printer on fire", "ContactId": contact})
    assert created.status_code == 201
    case_id = created.json()["id"]
    assert created.json() == {"id": case_id, "success": True, "errors": []}
    assert case_id.startswith("500") and len(case_id) == 18 and to_18(case_id[:15]) == case_id

    read = rest(fake, "GET", f"/sobjects/Case/{case_id[:15]}", auth, params={"fields": "CaseNumber,Status,IsClosed"})
    assert read.json() == {
        "attributes": {"type": "Case", "url": f"{V}/sobjects/Case/{case_id}"},
        "CaseNumber": "00001001",
        "Status": "New",
        "IsClosed": False,
    }
    assert fake.cases[case_id]["CreatedById"] == fake.user_id

    assert rest(fake, "PATCH", f"/sobjects/Case/{case_id}", auth, json={"Status": "Closed"}).status_code == 204
    assert fake.cases[case_id]["IsClosed"] is True
    second = rest(fake, "POST", "/sobjects/Case", auth, json={"Subject": "Again"}).json()["id"]
    assert fake.cases[second]["CaseNumber"] == "00001002"


@pytest.mark.parametrize(
    ("path", "body", "code", "field"),
    [
        ("/sobjects/Case", {"Subject": "s" * 256}, "STRING_TOO_LONG", "Subject"),
        ("/sobjects/Case", {"SuppliedName": "n" * 81}, "STRING_TOO_LONG", "SuppliedName"),
        ("/sobjects/Case", {"SuppliedPhone": "1" * 41}, "STRING_TOO_LONG", "SuppliedPhone"),
        ("/sobjects/Case", {"Description": "d" * 32001}, "STRING_TOO_LONG", "Description"),
        ("/sobjects/Case", {"Origin": "Carrier pigeon"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Origin"),
        ("/sobjects/Case", {"Priority": "Urgent"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Priority"),
        ("/sobjects/Case", {"Handoff_Key__c": "k1"}, "INVALID_FIELD", None),
        ("/sobjects/Case", {"CaseNumber": "1"}, "INVALID_FIELD_FOR_INSERT_UPDATE", "CaseNumber"),
        ("/sobjects/Case", {"ContactId": "not-an-id"}, "MALFORMED_ID", "ContactId"),
        ("/sobjects/CaseComment", {"CommentBody": "no parent"}, "REQUIRED_FIELD_MISSING", "ParentId"),
    ],
)
def test_writes_are_validated_like_salesforce(fake, auth, path, body, code, field):
    refused = rest(fake, "POST", path, auth, json=body)
    assert refused.status_code == 400
    [error] = refused.json()
    assert error["errorCode"] == code and set(error) == {"message", "errorCode", "fields"}
    if field:
        assert error["fields"] == [field]
    assert not fake.cases and not fake.case_comments


def test_the_picklists_can_be_set_per_org(fake, auth):
    fake.picklists["Case.Origin"] = {"Switchboard"}
    assert rest(fake, "POST", "/sobjects/Case", auth, json={"Origin": "Switchboard"}).status_code == 201
    assert rest(fake, "POST", "/sobjects/Case", auth, json={"Origin": "Email"}).status_code == 400


def test_a_case_comment_holds_4000_bytes_of_utf8_not_4000_characters(fake, auth):
    case_id = fake.add_case(Subject="Accents")
    fits = "é" * 2000  # 4,000 bytes
    assert rest(fake, "POST", "/sobjects/CaseComment", auth, json={"ParentId": case_id, "CommentBody": fits}).ok
    for too_long in ("é" * 2000 + "a", "😀" * 1001, "a" * 4001):
        refused = rest(fake, "POST", "/sobjects/CaseComment", auth, json={"ParentId": case_id, "CommentBody": too_long})
        assert refused.json()[0]["errorCode"] == "STRING_TOO_LONG"
    [comment] = fake.case_comments.values()
    assert comment["IsPublished"] is False and comment["CommentBody"] == fits
    assert len(fake.spec_problems) == 3  # the checker flags each comment over 4,000 bytes
    fake.spec_problems.clear()


def test_a_comment_needs_an_existing_case(fake, auth):
    refused = rest(fake, "POST", "/sobjects/CaseComment", auth, json={"ParentId": "500SB0000000404AAA"})
    assert refused.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"


# -- upsert ------------------------------------------------------------------------------------------


def test_upsert_on_an_external_id_creates_updates_or_finds_several(fake, auth):
    fake.external_id_fields = {"Handoff_Key__c"}
    path = "/sobjects/Case/Handoff_Key__c/sb-42"
    created = rest(fake, "PATCH", path, auth, json={"Subject": "First"})
    assert created.status_code == 201
    case_id = created.json()["id"]
    assert created.json() == {"id": case_id, "success": True, "errors": [], "created": True}
    assert fake.cases[case_id]["Handoff_Key__c"] == "sb-42"

    updated = rest(fake, "PATCH", path, auth, json={"Subject": "Second"})
    assert updated.status_code == 200
    assert updated.json() == {"id": case_id, "success": True, "errors": [], "created": False}
    assert len(fake.cases) == 1 and fake.cases[case_id]["Subject"] == "Second"

    fake.add_case(Subject="Twin", Handoff_Key__c="sb-42")
    several = rest(fake, "PATCH", path, auth, json={"Subject": "Third"})
    assert several.status_code == 300 and len(several.json()) == 2

    unknown = rest(fake, "PATCH", "/sobjects/Case/Other_Key__c/sb-42", auth, json={"Subject": "x"})
    assert unknown.status_code == 404 and unknown.json()[0]["errorCode"] == "NOT_FOUND"


def test_describe_names_the_external_id_fields(fake, auth):
    fake.external_id_fields = {"Handoff_Key__c"}
    fields = {f["name"]: f for f in rest(fake, "GET", "/sobjects/Case/describe", auth).json()["fields"]}
    assert fields["Handoff_Key__c"]["externalId"] is True and fields["Subject"]["externalId"] is False
    assert {v["value"] for v in fields["Origin"]["picklistValues"]} == {"Email", "Phone", "Web"}


# -- SOQL --------------------------------------------------------------------------------------------


def test_the_open_case_of_a_contact_with_its_latest_comments(fake, auth):
    contact = fake.add_contact("o'brien@example.com", "Pat", "O'Brien")
    old = fake.add_case(Subject="Old", ContactId=contact)
    fake.close_case(old)
    case_id = fake.add_case(Subject="Open", ContactId=contact)
    bare = fake.add_case(Subject="No comments", SuppliedEmail="O'Brien@Example.com")
    first = fake.add_comment(case_id, "first", is_published=True, created_by_name="Riley Rep")
    second = fake.add_comment(case_id, "second", is_published=False, created_by_name="Riley Rep")

    answer = soql(
        fake,
        auth,
        (
            "SELECT Id, CaseNumber, Contact.Email, (SELECT Id, CommentBody, CreatedDate, CreatedBy.Name "
            "FROM CaseComments ORDER BY CreatedDate DESC LIMIT 50) FROM Case "
            "WHERE Contact.Email = 'O\\'BRIEN@example.com' AND IsClosed = false ORDER BY CreatedDate DESC LIMIT 1"
        ),
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["totalSize"] == 1 and body["done"] is True
    [record] = body["records"]
    assert record["attributes"] == {"type": "Case", "url": f"{V}/sobjects/Case/{case_id}"}
    assert record["Id"] == case_id and record["CaseNumber"] == fake.cases[case_id]["CaseNumber"]
    assert record["Contact"]["Email"] == "o'brien@example.com"
    comments = record["CaseComments"]
    assert comments["totalSize"] == 2 and comments["done"] is True
    assert [c["Id"] for c in comments["records"]] == [second["Id"], first["Id"]]
    assert comments["records"][0]["CreatedBy"]["Name"] == "Riley Rep"

    by_email = soql(
        fake,
        auth,
        (
            "SELECT Id, Contact.Email, (SELECT Id FROM CaseComments) FROM Case "
            "WHERE SuppliedEmail = 'o\\'brien@example.com' AND IsClosed = false"
        ),
    ).json()
    assert [r["Id"] for r in by_email["records"]] == [bare]
    assert by_email["records"][0]["Contact"] is None and by_email["records"][0]["CaseComments"] is None


def test_where_with_or_in_not_null_and_several_order_keys(fake, auth):
    a = fake.add_case(Subject="a", Priority="High", Origin="Email")
    b = fake.add_case(Subject="b", Priority="Low", Origin="Web")
    c = fake.add_case(Subject="c", Priority="High", Origin="Phone")
    d = fake.add_case(Subject="d")

    def ids(text: str) -> list[str]:
        answer = soql(fake, auth, text)
        assert answer.status_code == 200, answer.text
        return [r["Id"] for r in answer.json()["records"]]

    assert ids("SELECT Id FROM Case WHERE Priority = 'High' OR Origin = 'Web' ORDER BY Subject DESC") == [c, b, a]
    assert ids(
        "SELECT Id FROM Case WHERE (Priority = 'High' OR Priority = null) AND Origin != 'Email' ORDER BY Subject"
    ) == [c, d]
    assert ids("SELECT Id FROM Case WHERE Origin IN ('Web', 'Phone') ORDER BY Origin ASC") == [c, b]
    assert ids("SELECT Id FROM Case WHERE Origin NOT IN ('Web') ORDER BY Priority DESC, Subject ASC") == [a, c, d]
    assert ids("select id from case where not (priority = 'high') order by subject limit 1") == [b]
    assert ids(f"SELECT Id FROM Case WHERE Id = '{a[:15]}'") == [a]
    assert ids("SELECT Id FROM Case WHERE Subject LIKE 'b%' OR Subject LIKE '_'") == [a, b, c, d]


def test_string_literals_take_soqls_escapes(fake, auth):
    subject = "back\\slash 'single' \"double\"\nnew\tline"
    case_id = fake.add_case(Subject=subject)
    escaped = "back\\\\slash \\'single\\' \\\"double\\\"\\nnew\\tline"
    assert [
        r["Id"] for r in soql(fake, auth, f"SELECT Id FROM Case WHERE Subject = '{escaped}'").json()["records"]
    ] == [case_id]


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("SELECT Id FROM Case WHERE Subject = 'a\\qb'", "MALFORMED_QUERY"),  # not a SOQL escape
        ("SELECT Id FROM Case WHERE Subject = 'unterminated", "MALFORMED_QUERY"),
        ("SELECT Id FROM Case WHERE Subject = 'a' AND Origin = 'b' OR Priority = 'c'", "MALFORMED_QUERY"),
        ("SELECT Id FROM Case WHERE", "MALFORMED_QUERY"),
        ("SELECT Id FROM Case LIMIT many", "MALFORMED_QUERY"),
        ("SELECT Nope FROM Case", "INVALID_FIELD"),
        ("SELECT Id FROM Case WHERE Nope__r.Name = 'x'", "INVALID_FIELD"),
        ("SELECT Id FROM Cases", "INVALID_TYPE"),
        ("SELECT Id, (SELECT Id FROM Comments) FROM Case", "INVALID_TYPE"),
    ],
)
def test_a_query_salesforce_refuses_is_refused(text, code):
    with SalesforceServer(FakeSalesforce()) as fake:
        auth = {"Authorization": f"Bearer {fake.issue_tokens()['access_token']}"}
        refused = soql(fake, auth, text)
        assert refused.status_code == 400
        assert refused.json()[0]["errorCode"] == code


# -- composite and sObject Collections ---------------------------------------------------------------


def case_with_comments(comments: list[str], all_or_none: bool = True) -> dict:
    subrequests = [
        {"method": "POST", "url": f"{V}/sobjects/Case", "referenceId": "newCase", "body": {"Subject": "Help"}}
    ]
    for index, text in enumerate(comments):
        subrequests.append(
            {
                "method": "POST",
                "url": f"{V}/sobjects/CaseComment",
                "referenceId": f"comment{index}",
                "body": {"ParentId": "@{newCase.id}", "CommentBody": text},
            }
        )
    return {"allOrNone": all_or_none, "compositeRequest": subrequests}


def test_composite_resolves_references_and_reads_back_in_one_call(fake, auth):
    body = case_with_comments(["one", "two"])
    body["compositeRequest"] += [
        {"method": "GET", "url": f"{V}/sobjects/Case/@{{newCase.id}}?fields=CaseNumber", "referenceId": "caseRow"},
        {
            "method": "GET",
            "referenceId": "found",
            "url": f"{V}/query?q=" + quote("SELECT Id, CaseNumber FROM Case WHERE Id = '@{newCase.id}'"),
        },
    ]
    answer = rest(fake, "POST", "/composite", auth, json=body)
    assert answer.status_code == 200
    results = {r["referenceId"]: r for r in answer.json()["compositeResponse"]}
    case_id = results["newCase"]["body"]["id"]
    assert results["newCase"]["httpStatusCode"] == 201
    assert results["newCase"]["httpHeaders"] == {"Location": f"{V}/sobjects/Case/{case_id}"}
    assert [fake.case_comments[results[f"comment{i}"]["body"]["id"]]["ParentId"] for i in (0, 1)] == [case_id] * 2
    assert results["caseRow"]["body"]["CaseNumber"] == "00001001"
    assert results["found"]["body"]["records"][0]["CaseNumber"] == "00001001"
    assert len(fake.data_calls()) == 1 and fake.api_used == 1


def test_with_all_or_none_one_failure_rolls_back_every_write(fake, auth):
    too_long = "é" * 2001
    answer = rest(fake, "POST", "/composite", auth, json=case_with_comments(["fine", too_long, "never"]))
    assert answer.status_code == 200
    results = answer.json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [400, 400, 400, 400]
    assert results[2]["body"][0]["errorCode"] == "STRING_TOO_LONG"
    halted = [r["body"][0] for r in results if r["referenceId"] != "comment1"]
    assert {(e["errorCode"], e["message"]) for e in halted} == {
        ("PROCESSING_HALTED", "The transaction was rolled back since another operation in the same transaction failed.")
    }
    assert not fake.cases and not fake.case_comments
    fake.spec_problems.clear()  # the checker rightly flagged the 4,002-byte comment


def test_without_all_or_none_only_dependent_subrequests_fail(fake, auth):
    body = case_with_comments(["kept"], all_or_none=False)
    body["compositeRequest"][0]["body"]["Origin"] = "Fax"
    results = rest(fake, "POST", "/composite", auth, json=body).json()["compositeResponse"]
    assert results[0]["body"][0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert results[1]["httpStatusCode"] == 400 and results[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"

    body = case_with_comments(["a", "b"], all_or_none=False)
    body["compositeRequest"][1]["body"]["Bogus__c"] = 1
    results = rest(fake, "POST", "/composite", auth, json=body).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [201, 400, 201]
    assert len(fake.cases) == 1 and len(fake.case_comments) == 1


def test_composite_takes_at_most_25_subrequests(fake, auth):
    refused = rest(fake, "POST", "/composite", auth, json=case_with_comments(["c"] * 25))
    assert refused.status_code == 400 and not fake.cases
    assert any("over the limit of 25" in problem for problem in fake.spec_problems)
    fake.spec_problems.clear()


def test_a_failure_on_cue_can_hit_one_subrequest(fake, auth):
    fake.fail("POST", r"/sobjects/CaseComment$", 500)
    results = rest(fake, "POST", "/composite", auth, json=case_with_comments(["a", "b"])).json()["compositeResponse"]
    assert results[1]["httpStatusCode"] == 500 and results[1]["body"][0]["errorCode"] == "UNKNOWN_EXCEPTION"
    assert not fake.cases
    assert rest(fake, "POST", "/composite", auth, json=case_with_comments(["a", "b"])).ok and len(fake.cases) == 1


def test_sobject_collections_create_mixed_records_atomically(fake, auth):
    case_id = fake.add_case(Subject="Existing")
    records = [
        {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "one"},
        {"attributes": {"type": "Contact"}, "LastName": "Lovelace", "Email": "ada@example.com"},
    ]
    answer = rest(fake, "POST", "/composite/sobjects", auth, json={"allOrNone": True, "records": records})
    assert answer.status_code == 200
    assert [r["success"] for r in answer.json()] == [True, True]
    assert answer.json()[0]["id"].startswith("00a") and answer.json()[1]["id"].startswith("003")

    records.append({"attributes": {"type": "CaseComment"}, "ParentId": case_id, "Nope": 1})
    rolled_back = rest(fake, "POST", "/composite/sobjects", auth, json={"allOrNone": True, "records": records}).json()
    assert [r["success"] for r in rolled_back] == [False, False, False]
    assert rolled_back[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert rolled_back[2]["errors"][0]["statusCode"] == "INVALID_FIELD"
    assert len(fake.case_comments) == 1 and len(fake.contacts) == 1

    too_many = [{"attributes": {"type": "Contact"}, "LastName": f"n{i}"} for i in range(201)]
    assert (
        rest(fake, "POST", "/composite/sobjects", auth, json={"allOrNone": True, "records": too_many}).status_code
        == 400
    )
    fake.spec_problems.clear()


# -- knobs and the request checker ---------------------------------------------------------------------


def test_fail_answers_the_given_status_the_given_number_of_times(fake, auth):
    fake.fail("GET", r"/limits$", 503, times=2)
    assert [rest(fake, "GET", "/limits", auth).status_code for _ in range(3)] == [503, 503, 200]
    fake.fail("POST", r"/sobjects/Case$", 400, body=[{"message": "CaseTrigger: boom", "errorCode": "X", "fields": []}])
    assert rest(fake, "POST", "/sobjects/Case", auth, json={}).json()[0]["message"] == "CaseTrigger: boom"
    assert [c.status for c in fake.calls_to("GET", "/limits")] == [503, 503, 200]


def test_commit_then_timeout_does_the_write_but_answers_too_late(fake, auth):
    fake.commit_then_timeout("POST", r"/composite$")
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.post(f"{fake.url}{V}/composite", json=case_with_comments(["a"]), headers=auth, timeout=0.5)
    assert len(fake.cases) == 1 and len(fake.case_comments) == 1
    assert rest(fake, "POST", "/composite", auth, json=case_with_comments(["a"])).ok  # only once


def test_helpers_arrange_what_reps_do(fake):
    contact = fake.add_contact("ada@example.com", "Ada", "Lovelace")
    case_id = fake.add_case(Subject="Help", ContactId=contact)
    other = fake.add_case(Subject="Other", SuppliedEmail="ADA@example.com")
    fake.add_case(Subject="Someone else", SuppliedEmail="bob@example.com")
    assert {c["Id"] for c in fake.cases_for_email("ada@example.com")} == {case_id, other}

    comment = fake.add_comment(case_id, "We're on it", is_published=True, created_by_name="Riley Rep")
    assert comment["IsPublished"] is True and comment["ParentId"] == case_id
    assert fake.users[comment["CreatedById"]]["Name"] == "Riley Rep" and comment["CreatedById"] != fake.user_id
    assert fake.add_comment(case_id, "again", created_by_name="Riley Rep")["CreatedById"] == comment["CreatedById"]

    closed = fake.close_case(case_id)
    assert closed["Status"] == "Closed" and closed["IsClosed"] is True and closed["ClosedDate"]


def test_the_checker_reports_what_the_spec_forbids():
    fake = checked_fake()
    with SalesforceServer(fake):
        auth = {"Authorization": f"Bearer {fake.issue_tokens()['access_token']}"}
        rest(
            fake,
            "POST",
            "/composite",
            auth,
            json={
                "compositeRequest": [
                    {"method": "post", "url": "/services/data/sobjects/Case", "referenceId": "a-b", "body": {}},
                    {"method": "GET", "url": f"{V}/query?q=" + quote("SELECT Id FROM Case WHERE Subject = 'x\\y'")},
                ]
            },
        )
        rest(fake, "POST", "/composite/sobjects", auth, json={"allOrNone": "yes", "records": [{"LastName": "x"}]})
        rest(fake, "GET", "/limits", {})
        exchange(fake, code_for(fake), code_verifier=None)
    problems = "\n".join(fake.spec_problems)
    for expected in (
        "allOrNone must be given as a boolean",
        "referenceId 'a-b' may hold only letters",
        "method 'post' is not one of",
        "must start with /services/data/vNN.N/",
        "subrequest 1: missing referenceId",
        "record 0: no attributes.type",
        "REST call without 'Authorization: Bearer <token>'",
        "no code_verifier",
    ):
        assert expected in problems, expected


# -- details that keep clients honest ------------------------------------------------------------------


def test_a_collection_inside_an_all_or_none_composite_fails_the_whole_request(fake, auth):
    case_id = fake.add_case(Subject="Existing")
    collection = {
        "allOrNone": False,
        "records": [
            {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "fine"},
            {"attributes": {"type": "CaseComment"}, "ParentId": case_id, "CommentBody": "x" * 4001},
        ],
    }
    body = {
        "allOrNone": True,
        "compositeRequest": [
            {"method": "POST", "url": f"{V}/composite/sobjects", "referenceId": "comments", "body": collection},
            {
                "method": "PATCH",
                "url": f"{V}/sobjects/Case/{case_id}",
                "referenceId": "touch",
                "body": {"Status": "Working"},
            },
        ],
    }
    results = rest(fake, "POST", "/composite", auth, json=body).json()["compositeResponse"]
    assert results[0]["httpStatusCode"] == 200
    assert [r["success"] for r in results[0]["body"]] == [False, False]  # the outer allOrNone wins
    assert results[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert not fake.case_comments and fake.cases[case_id]["Status"] == "New"
    fake.spec_problems.clear()


@pytest.mark.parametrize(
    "subrequests",
    [
        [{"method": "GET", "url": f"{V}/limits", "referenceId": "bad-id"}],
        [{"method": "GET", "url": f"{V}/limits", "referenceId": "twice"}] * 2,
        [{"method": "get", "url": f"{V}/limits", "referenceId": "lower"}],
        [{"method": "GET", "url": f"{V}/query?q=SELECT+Id+FROM+Case", "referenceId": f"q{i}"} for i in range(6)],
    ],
)
def test_a_composite_salesforce_cannot_read_is_refused_whole(subrequests):
    with SalesforceServer(FakeSalesforce()) as fake:
        auth = {"Authorization": f"Bearer {fake.issue_tokens()['access_token']}"}
        refused = rest(fake, "POST", "/composite", auth, json={"allOrNone": False, "compositeRequest": subrequests})
        assert refused.status_code == 400 and refused.json()[0]["errorCode"]


def test_a_case_shows_its_contacts_email(fake, auth):
    contact = fake.add_contact("ada@example.com", "Ada", "Lovelace")
    case_id = rest(fake, "POST", "/sobjects/Case", auth, json={"ContactId": contact, "Subject": "Hi"}).json()["id"]
    found = soql(fake, auth, "SELECT Id FROM Case WHERE ContactEmail = 'ADA@example.com'").json()["records"]
    assert [r["Id"] for r in found] == [case_id]
    assert rest(fake, "PATCH", f"/sobjects/Case/{case_id}", auth, json={"ContactEmail": "x@y.z"}).status_code == 400


def test_the_token_endpoint_reads_a_form_and_accepts_basic_client_authentication(fake):
    code = code_for(fake)
    as_json = requests.post(
        f"{fake.url}/services/oauth2/token", json={"grant_type": "authorization_code", "code": code}, timeout=10
    )
    assert as_json.json()["error"] == "unsupported_grant_type"

    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": fake.callback_url,
        "code_verifier": VERIFIER,
    }
    basic = requests.post(
        f"{fake.url}/services/oauth2/token", data=form, auth=(fake.client_id, fake.client_secret), timeout=10
    )
    assert basic.status_code == 200
    assert "Authorization: Basic header instead of the form" in "\n".join(fake.spec_problems)
    fake.spec_problems.clear()


def test_the_identity_url_answers_403_without_a_live_token(fake, auth):
    identity = requests.get(fake.identity_url, headers=auth, timeout=10)
    assert identity.json()["organization_id"] == fake.org_id and identity.json()["username"] == fake.username
    fake.expire_access_tokens()
    assert requests.get(fake.identity_url, headers=auth, timeout=10).status_code == 403


def test_a_reference_to_a_failed_subrequest_halts_only_what_depends_on_it(fake, auth):
    body = {
        "allOrNone": False,
        "compositeRequest": [
            {"method": "GET", "url": f"{V}/sobjects/Case/500SB0000000404AAA", "referenceId": "missing"},
            {"method": "PATCH", "url": f"{V}/sobjects/Case/@{{missing.Id}}", "referenceId": "dependent", "body": {}},
            {"method": "GET", "url": f"{V}/limits", "referenceId": "unrelated"},
        ],
    }
    results = rest(fake, "POST", "/composite", auth, json=body).json()["compositeResponse"]
    assert [r["httpStatusCode"] for r in results] == [404, 400, 200]
    assert results[1]["body"][0]["errorCode"] == "PROCESSING_HALTED"
    assert "missing" in results[1]["body"][0]["message"]


def test_knobs_can_match_on_the_body_too(fake, auth):
    def writing(body) -> bool:
        return isinstance(body, dict) and body.get("allOrNone") is True

    fake.fail("POST", r"/composite$", 503, when=writing)
    lookup = {"allOrNone": False, "compositeRequest": [{"method": "GET", "url": f"{V}/limits", "referenceId": "l"}]}
    assert rest(fake, "POST", "/composite", auth, json=lookup).status_code == 200
    assert rest(fake, "POST", "/composite", auth, json=case_with_comments(["a"])).status_code == 503
    assert not fake.cases


def test_latency_is_spent_before_every_answer():
    slept = []
    with SalesforceServer(FakeSalesforce(latency=0.1, sleep=slept.append)) as fake:
        requests.get(f"{fake.url}/services/data/", timeout=10)
        exchange(fake, code_for(fake))
    assert slept == [0.1, 0.1]


def test_comments_newer_than_a_cursor(fake, auth):
    case_id = fake.add_case(Subject="Cursor")
    first = fake.add_comment(case_id, "one")
    second = fake.add_comment(case_id, "two")
    cursor = first["CreatedDate"].replace("+0000", "Z")
    answer = soql(fake, auth, f"SELECT Id FROM CaseComment WHERE ParentId = '{case_id}' AND CreatedDate > {cursor}")
    assert [r["Id"] for r in answer.json()["records"]] == [second["Id"]]
    by_rep = soql(fake, auth, f"SELECT Id, Parent.CaseNumber FROM CaseComment WHERE CreatedById != '{fake.user_id}'")
    assert by_rep.json()["totalSize"] == 2
    assert by_rep.json()["records"][0]["Parent"]["CaseNumber"] == fake.cases[case_id]["CaseNumber"]


def test_cases_created_at_once_get_distinct_numbers(fake, auth):
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(
            pool.map(lambda i: rest(fake, "POST", "/sobjects/Case", auth, json={"Subject": f"n{i}"}), range(24))
        )
    assert all(a.status_code == 201 for a in answers)
    assert len({c["CaseNumber"] for c in fake.cases.values()}) == 24
    assert fake.api_used == 24
