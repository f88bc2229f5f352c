"""The REST client against the fake org: the operations others build on, the API usage it
records, the 401 refresh and retry, and each kind of failure sorted by what the caller does."""

from __future__ import annotations

import pytest

from tests.conftest import free_port
from tests.salesforce.connecting import connected, fake, integration_of
from webapp.db import db
from webapp.salesforce import soql
from webapp.salesforce.client import SalesforceClient, api_usage, client_for
from webapp.salesforce.errors import (
    SalesforceNotConnected,
    SalesforceOutcomeUnknown,
    SalesforceRejected,
    SalesforceUnavailable,
    remote_text,
)
from webapp.salesforce.integration import ACCESS_TOKEN, update_settings

__all__ = ["fake"]  # the fixture, used by name


@pytest.fixture
def organization(world):
    return world.organization()


@pytest.fixture
def client(organization, fake) -> SalesforceClient:
    return client_for(connected(organization.id, fake))


# -- the operations --------------------------------------------------------------------------------


def test_query_reads_records_with_quoted_values(client, fake):
    contact_id = fake.add_contact("o'brien@example.com", "Pat", "O'Brien")
    email = soql.quote("o'brien@example.com")
    answer = client.query(f"SELECT Id, LastName FROM Contact WHERE Email = {email}")
    assert answer["totalSize"] == 1 and answer["done"] is True
    assert answer["records"][0]["Id"] == contact_id
    assert client.api_path("query") == "/services/data/v68.0/query"
    assert client.calls == 1


def test_create_records_and_composite(client, fake):
    results = client.create_records(
        [{"attributes": {"type": "Case"}, "Subject": "Refund", "SuppliedEmail": "ada@example.com"}], all_or_none=True
    )
    assert results[0]["success"] is True
    case_id = results[0]["id"]
    assert fake.cases[case_id]["Subject"] == "Refund"

    answers = client.composite(
        [
            {
                "method": "POST",
                "url": client.api_path("sobjects/CaseComment"),
                "referenceId": "comment1",
                "body": {"ParentId": case_id, "CommentBody": "Hello", "IsPublished": False},
            }
        ],
        all_or_none=True,
    )
    assert answers[0]["httpStatusCode"] == 201 and answers[0]["referenceId"] == "comment1"
    assert client.calls == 2


def test_get_post_patch_take_paths_relative_to_the_api_version(client, fake):
    created = client.post("sobjects/Case", {"Subject": "Billing"})
    assert client.last_status == 201
    assert client.patch(f"sobjects/Case/{created['id']}", {"Subject": "Billing, again"}) is None
    assert client.last_status == 204
    record = client.get(client.api_path(f"sobjects/Case/{created['id']}"))
    assert record["Subject"] == "Billing, again"


def test_every_answer_records_the_api_usage(client, fake, organization):
    client.limits()
    usage = api_usage(integration_of(organization.id))
    assert (usage.used, usage.limit) == (fake.api_used, fake.api_limit)
    assert usage.at


def test_not_connected_is_refused_before_any_call(organization, fake):
    with pytest.raises(SalesforceNotConnected):
        client_for(None)
    with pytest.raises(SalesforceNotConnected):
        from webapp.salesforce.integration import get_or_create

        client_for(get_or_create(organization.id))
    assert fake.calls == []


# -- the 401 refresh -------------------------------------------------------------------------------


def test_an_expired_session_is_refreshed_once_and_the_call_retried(client, fake, organization):
    fake.expire_access_tokens()
    created = client.post("sobjects/Case", {"Subject": "After the refresh"})
    assert fake.cases[created["id"]]["Subject"] == "After the refresh"
    assert fake.refresh_count == 1
    assert client.calls == 2
    assert len(fake.cases) == 1
    assert fake.access_tokens[integration_of(organization.id).credential(ACCESS_TOKEN)]["alive"]


def test_a_401_after_the_refresh_is_not_retried_again(client, fake):
    fake.fail("GET", r"/query", 401, times=2)
    with pytest.raises(SalesforceRejected) as refused:
        client.query("SELECT Id FROM Case")
    assert refused.value.status == 401 and refused.value.error_code == "INVALID_SESSION_ID"
    assert "IP relaxation" in str(refused.value)
    assert fake.refresh_count == 1
    assert client.calls == 2


# -- failures, sorted --------------------------------------------------------------------------------


def test_salesforce_s_error_array_becomes_the_message(client, fake):
    fake.fail(
        "POST",
        r"/sobjects/Case$",
        400,
        body=[
            {
                "message": "Priority: bad value for restricted picklist field: Urgent",
                "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                "fields": ["Priority"],
            },
            {"message": "Subject too long", "errorCode": "STRING_TOO_LONG", "fields": []},
        ],
    )
    with pytest.raises(SalesforceRejected) as refused:
        client.post("sobjects/Case", {"Subject": "x", "Priority": "Urgent"})
    message = str(refused.value)
    assert refused.value.status == 400
    assert refused.value.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert (
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST: Priority: bad value for restricted picklist field: Urgent (Priority)"
        in message
    )
    assert "STRING_TOO_LONG: Subject too long" in message


def test_remote_messages_lose_control_characters_and_are_clipped(client, fake):
    fake.fail(
        "GET", r"/query", 400, body=[{"message": "bad\x00\x1b[31m\u202e" + "z" * 2000, "errorCode": "MALFORMED_QUERY"}]
    )
    with pytest.raises(SalesforceRejected) as refused:
        client.query("SELECT Id FROM Case")
    message = str(refused.value)
    assert "\x00" not in message and "\x1b" not in message and "\u202e" not in message
    assert "z" * 600 not in message
    assert len(remote_text("x" * 2000)) == 500


def test_a_trigger_that_threw_is_rejected_with_its_text(client, fake):
    fake.fail(
        "POST",
        r"/sobjects/Case$",
        400,
        body=[
            {
                "message": (
                    "CaseTrigger: execution of AfterInsert caused by: System.CalloutException: "
                    "Callout from triggers are currently not supported."
                ),
                "errorCode": "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                "fields": [],
            }
        ],
    )
    with pytest.raises(SalesforceRejected, match="Callout from triggers are currently not supported"):
        client.post("sobjects/Case", {"Subject": "x"})


@pytest.mark.parametrize("status", [500, 503])
def test_a_5xx_is_unavailable(client, fake, status):
    fake.fail("GET", r"/query", status)
    with pytest.raises(SalesforceUnavailable) as failed:
        client.query("SELECT Id FROM Case")
    assert failed.value.status == status
    assert not isinstance(failed.value, SalesforceOutcomeUnknown)


def test_the_api_limit_is_unavailable_not_rejected(client, fake):
    fake.api_used = fake.api_limit
    with pytest.raises(SalesforceUnavailable) as failed:
        client.query("SELECT Id FROM Case")
    assert failed.value.error_code == "REQUEST_LIMIT_EXCEEDED"


def test_another_403_is_rejected(client, fake):
    fake.fail("GET", r"/query", 403, body=[{"message": "Insufficient access", "errorCode": "INSUFFICIENT_ACCESS"}])
    with pytest.raises(SalesforceRejected, match="INSUFFICIENT_ACCESS"):
        client.query("SELECT Id FROM Case")


def test_a_write_answered_too_late_has_an_unknown_outcome(app, client, fake):
    app.config["SALESFORCE_TIMEOUT"] = 0.5
    client = client_for(client.integration)
    fake.commit_then_timeout("POST", r"/sobjects/Case$")
    with pytest.raises(SalesforceOutcomeUnknown):
        client.post("sobjects/Case", {"Subject": "Done, then silence"})
    assert len(fake.cases) == 1  # it was written: look before writing again


def test_a_read_answered_too_late_is_unavailable(app, client, fake):
    app.config["SALESFORCE_TIMEOUT"] = 0.5
    client = client_for(client.integration)
    fake.commit_then_timeout("GET", r"/query")
    with pytest.raises(SalesforceUnavailable) as failed:
        client.query("SELECT Id FROM Case")
    assert not isinstance(failed.value, SalesforceOutcomeUnknown)


def test_a_write_that_cannot_connect_was_never_sent(organization, fake):
    integration = connected(organization.id, fake)
    update_settings(integration, instance_url=f"http://127.0.0.1:{free_port()}")
    db.session.commit()
    with pytest.raises(SalesforceUnavailable) as failed:
        client_for(integration).post("sobjects/Case", {"Subject": "x"})
    assert not isinstance(failed.value, SalesforceOutcomeUnknown)


def test_an_instance_url_that_is_not_allowed_is_never_called(app, organization, fake):
    integration = connected(organization.id, fake)
    app.config["ALLOW_PRIVATE_OUTBOUND"] = False
    with pytest.raises(SalesforceUnavailable, match="does not call"):
        client_for(integration).query("SELECT Id FROM Case")
    assert fake.data_calls() == []


def test_a_redirect_is_not_followed(client, fake):
    fake.fail("GET", r"/query", 302, body={"location": "elsewhere"})
    with pytest.raises(SalesforceRejected) as refused:
        client.query("SELECT Id FROM Case")
    assert refused.value.status == 302


# -- SOQL literals ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("ada@example.com", "'ada@example.com'"),
        ("O'Brien", "'O\\'Brien'"),
        ('say "hi"', "'say \\\"hi\\\"'"),
        ("back\\slash", "'back\\\\slash'"),
        ("two\nlines\r\ttab\bbell\fform", "'two\\nlines\\r\\ttab\\bbell\\fform'"),
        ("100%_sure", "'100%_sure'"),
        ("nul\x00and\x1besc", "'nul\\u0000and\\u001besc'"),
        ("émile 😀", "'émile 😀'"),
        ("' OR Name != '", "'\\' OR Name != \\''"),
    ],
)
def test_quote_escapes_as_soql_wants(value, literal):
    assert soql.quote(value) == literal


def test_quote_like_escapes_the_wildcards():
    assert soql.quote_like("100%_sure") == "'100\\%\\_sure'"


def test_quote_takes_text_only():
    with pytest.raises(TypeError):
        soql.quote(None)


def test_quoted_values_pass_the_fake_s_soql_parser(client, fake):
    fake.add_contact("a'b\\c@example.com", "Pat", "Doe")
    email = soql.quote("a'b\\c@example.com")
    answer = client.query(f"SELECT Id FROM Contact WHERE Email = {email}")
    assert answer["totalSize"] == 1
