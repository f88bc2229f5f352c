"""A session handed off as a Salesforce Case, against the fake org: what is written, in how many
calls, and that a retry never makes a second Case or a second copy of the transcript."""

from __future__ import annotations

import pytest

from tests.salesforce.case_fixtures import EXTERNAL_ID_FIELD, connect_salesforce, rest_calls, write_then_time_out
from webapp.agent import Handoff
from webapp.db import db
from webapp.models import Channel, EventKind, SupportSession
from webapp.salesforce import case_requests, cases
from webapp.salesforce.errors import SalesforceNotConnected, SalesforceRejected, SalesforceUnavailable
from webapp.salesforce.transcript import COMMENT_MAX_BYTES, utf8_size

HANDOFF = Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated")


@pytest.fixture
def connected(organization, fake_salesforce):
    return connect_salesforce(organization, fake_salesforce)


@pytest.fixture
def no_waiting(monkeypatch):
    waits = []
    monkeypatch.setattr(case_requests, "sleep", waits.append)
    return waits


def _session(world, organization, *messages: str, **fields) -> SupportSession:
    fields = {
        "contact_name": "Grace Hopper",
        "contact_email": "grace@example.com",
        "subject": "Refund for order 42",
        "front_conversation_id": "cnv_1",
        **fields,
    }
    support_session = world.session(organization, **fields)
    for number, text in enumerate(messages, start=1):
        kind = EventKind.CUSTOMER_MESSAGE if number % 2 else EventKind.AI_REPLY
        support_session.record(kind, text=text, message_id=f"msg_{number}")
    db.session.commit()
    return support_session


def _events(support_session: SupportSession, kind: EventKind) -> list:
    db.session.refresh(support_session)
    return [e for e in support_session.events if e.kind == kind]


# -- pure parts ---------------------------------------------------------------------------------


def test_the_handoff_key_is_stable_short_and_url_safe():
    key = case_requests.handoff_key(7, 12, "msg_1")
    assert key == case_requests.handoff_key(7, 12, "msg_1") != case_requests.handoff_key(7, 12, "msg_2")
    assert len(case_requests.handoff_key(10**9, 10**9, "x" * 5000)) <= 80
    assert key.replace("-", "").isalnum()


def test_lookup_queries_quote_every_literal():
    customer = case_requests.Customer(email="o'brien\\@example.com")
    queries = case_requests.lookup_queries(customer, EXTERNAL_ID_FIELD, "sb-1-2-abc")
    assert set(queries) == {"contacts", "contactCase", "suppliedCase", "keyCase"}
    assert "Email = 'o\\'brien\\\\@example.com'" in queries["contacts"]
    assert "IsClosed = false AND Contact.Email = 'o\\'brien" in queries["contactCase"]
    assert f"{EXTERNAL_ID_FIELD} = 'sb-1-2-abc'" in queries["keyCase"]
    phone = case_requests.lookup_queries(case_requests.Customer(phone="+33 6 12"), None, "k")
    assert "SuppliedPhone = '+33 6 12'" in phone["suppliedCase"] and "Contact.Phone" in phone["contactCase"]
    assert case_requests.lookup_queries(case_requests.Customer(name="Anonymous"), None, "k") == {}


def test_a_failed_atomic_request_reports_its_cause_not_the_rolled_back_rest():
    halted = [{"errorCode": "PROCESSING_HALTED", "message": "rolled back"}]
    results = [
        {"referenceId": "newCase", "httpStatusCode": 400, "body": halted},
        {
            "referenceId": "comment1",
            "httpStatusCode": 400,
            "body": [{"errorCode": "STRING_TOO_LONG", "message": "CommentBody: data value too large"}],
        },
    ]
    error = case_requests.composite_error(results)
    assert isinstance(error, SalesforceRejected) and error.error_code == "STRING_TOO_LONG"
    assert isinstance(case_requests.composite_error([{"httpStatusCode": 503, "body": []}]), SalesforceUnavailable)
    assert case_requests.composite_error([{"httpStatusCode": 200, "body": {}}]) is None
    rolled = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK", "message": "rolled back"}
    refused = {"statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION", "message": "No comments on Fridays"}
    error = case_requests.collection_error(
        [{"success": False, "errors": [rolled]}, {"success": False, "errors": [refused]}]
    )
    assert error.error_code == "FIELD_CUSTOM_VALIDATION_EXCEPTION" and "No comments on Fridays" in str(error)


def test_case_fields_fit_salesforce_limits():
    plan = case_requests.CasePlan(
        key="k",
        customer=case_requests.Customer(email="a" * 76 + "@x.io", name="N" * 100, phone="+1 " + "5" * 50),
        subject="s",
        description="d",
        origin="Email",
        priority="High",
        header="h",
        lines=(),
    )
    fields = plan.case_fields("003SB0000000001AAA")
    assert len(fields["SuppliedName"]) == 80 and len(fields["SuppliedPhone"]) == 40
    assert fields["ContactId"] == "003SB0000000001AAA"
    assert "SuppliedEmail" not in fields  # 81 characters: clipped, it would be refused as invalid


# -- against the fake org -----------------------------------------------------------------------


def test_a_new_case_gets_the_transcript_split_at_4000_bytes_in_two_calls(
    world, organization, connected, fake_salesforce
):
    big = "Mon colis 📦 n'est pas arrivé — 注文番号 42. " * 150  # ~9 KB of 1- to 4-byte characters
    support_session = _session(world, organization, "Where is my order?", "It ships tomorrow.", big)

    outcome = cases.hand_off_as_case(support_session, HANDOFF, "msg_3")

    assert rest_calls(fake_salesforce) == ["POST /composite", "POST /composite"]
    [case] = fake_salesforce.cases.values()
    assert outcome.created and outcome.case_id == case["Id"] and outcome.case_number == case["CaseNumber"]
    assert case["Subject"] == "Refund for order 42"
    assert case["SuppliedEmail"] == "grace@example.com" and case["SuppliedName"] == "Grace Hopper"
    assert case["Origin"] == "Email" and case["Priority"] == "High"  # frustrated
    assert case["ContactId"] is None
    for expected in (
        "Grace wants a refund for order 42.",
        "customer asked for a human",
        "frustrated",
        "https://app.frontapp.com/open/cnv_1",
        f"https://switchboard.example.test/inbox/{support_session.id}",
    ):
        assert expected in case["Description"]
    comments = fake_salesforce.comments_on(case["Id"])
    assert len(comments) >= 4
    assert all(utf8_size(c["CommentBody"]) <= COMMENT_MAX_BYTES and c["IsPublished"] is False for c in comments)
    bodies = [c["CommentBody"] for c in comments]
    assert bodies[0].startswith(
        case_requests.marker_line(case_requests.handoff_key(organization.id, support_session.id, "msg_3"))
    )
    assert "Grace Hopper <grace@example.com>: Where is my order?" in bodies[0]
    assert "AI: It ships tomorrow." in bodies[0]
    assert big.strip() in "".join(bodies[1:])  # cut across comments, nothing lost
    db.session.refresh(support_session)
    assert support_session.salesforce_case_id == case["Id"]
    assert support_session.salesforce_case_number == "00001001"
    [recorded] = _events(support_session, EventKind.SALESFORCE_CASE)
    assert recorded.payload["case_url"] == f"{fake_salesforce.url}/lightning/r/Case/{case['Id']}/view"
    assert "message_id" not in recorded.payload  # the handoff is not done until Front has its note
    assert fake_salesforce.spec_problems == []


def test_one_matching_contact_is_linked_two_are_not(world, organization, connected, fake_salesforce):
    contact_id = fake_salesforce.add_contact("grace@example.com")
    fake_salesforce.add_contact("twin@example.com", first_name="Ann")
    fake_salesforce.add_contact("TWIN@example.com", first_name="Anne")
    cases.hand_off_as_case(_session(world, organization, "Hello"), HANDOFF, "msg_1")
    twins = _session(world, organization, "Hello", contact_email="twin@example.com", front_conversation_id="cnv_2")
    cases.hand_off_as_case(twins, HANDOFF, "msg_1")
    assert [c["ContactId"] for c in fake_salesforce.cases.values()] == [contact_id, None]


def test_a_returning_contacts_open_case_is_appended_to(world, organization, connected, fake_salesforce):
    contact_id = fake_salesforce.add_contact("grace@example.com")
    fake_salesforce.add_case(Subject="Old problem", SuppliedEmail="grace@example.com")  # older, by email only
    open_case = fake_salesforce.add_case(Subject="Earlier problem", ContactId=contact_id)
    closed = fake_salesforce.add_case(Subject="Solved", ContactId=contact_id)
    fake_salesforce.close_case(closed)
    fake_salesforce.add_comment(open_case, "We are looking into it.")

    outcome = cases.hand_off_as_case(_session(world, organization, "Me again: still broken"), HANDOFF, "msg_1")

    assert len(rest_calls(fake_salesforce)) == 2 and rest_calls(fake_salesforce)[1] == "POST /composite/sobjects"
    assert len(fake_salesforce.cases) == 3
    assert outcome.case_id == open_case and not outcome.created
    rep, *added = [c["CommentBody"] for c in fake_salesforce.comments_on(open_case)]
    assert rep == "We are looking into it." and len(added) == 1  # header and new part share a comment
    assert added[0].startswith("Switchboard handoff ") and case_requests.AGAIN in added[0]
    assert "Grace wants a refund" in added[0] and "Me again: still broken" in added[0]
    assert all(c["IsPublished"] is False for c in fake_salesforce.comments_on(open_case)[1:])
    assert fake_salesforce.spec_problems == []


def test_an_open_case_found_by_supplied_email_is_appended_to(world, organization, connected, fake_salesforce):
    open_case = fake_salesforce.add_case(Subject="Web form", SuppliedEmail="GRACE@example.com")
    outcome = cases.hand_off_as_case(_session(world, organization, "Hi"), HANDOFF, "msg_1")
    assert outcome.case_id == open_case and len(fake_salesforce.cases) == 1


def test_a_phone_only_contact_is_looked_up_by_phone(world, organization, connected, fake_salesforce):
    open_case = fake_salesforce.add_case(Subject="Call", SuppliedPhone="+33612345678")
    support_session = _session(
        world, organization, "Hi", contact_email=None, contact_phone="+33612345678", channel=Channel.SMS
    )
    assert cases.hand_off_as_case(support_session, HANDOFF, "msg_1").case_id == open_case


def test_a_retry_after_a_timeout_makes_no_second_case_and_no_second_transcript(
    world, organization, connected, fake_salesforce, no_waiting
):
    write_then_time_out(fake_salesforce)
    support_session = _session(world, organization, "Where is my order?")

    outcome = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")

    [case] = fake_salesforce.cases.values()
    assert outcome.case_id == case["Id"] and outcome.created and outcome.found_earlier
    assert len(fake_salesforce.comments_on(case["Id"])) == 1
    # Look, write (no answer), look again and find it: nothing written twice.
    assert rest_calls(fake_salesforce) == ["POST /composite"] * 3
    assert no_waiting == [0.0]


def test_a_retry_after_a_timeout_appends_once(world, organization, connected, fake_salesforce, no_waiting):
    open_case = fake_salesforce.add_case(Subject="Earlier", SuppliedEmail="grace@example.com")
    fake_salesforce.commit_then_timeout("POST", "/composite/sobjects$")
    outcome = cases.hand_off_as_case(_session(world, organization, "Still broken"), HANDOFF, "msg_1")
    assert outcome.case_id == open_case and outcome.found_earlier and not outcome.created
    assert len(fake_salesforce.comments_on(open_case)) == 1


def test_with_an_external_id_field_the_case_is_upserted_on_the_handoff_key(
    world, organization, fake_salesforce, no_waiting
):
    fake_salesforce.external_id_fields.add(EXTERNAL_ID_FIELD)
    connect_salesforce(organization, fake_salesforce, external_id_field=EXTERNAL_ID_FIELD)
    write_then_time_out(fake_salesforce)
    support_session = _session(world, organization, "Where is my order?")

    outcome = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")

    key = case_requests.handoff_key(organization.id, support_session.id, "msg_1")
    [case] = fake_salesforce.cases.values()
    assert case[EXTERNAL_ID_FIELD] == key and outcome.case_id == case["Id"] and outcome.found_earlier
    write = next(c for c in fake_salesforce.data_calls() if (c.body or {}).get("allOrNone") is True)
    create = write.body["compositeRequest"][0]
    assert create["method"] == "PATCH" and create["url"].endswith(f"/sobjects/Case/{EXTERNAL_ID_FIELD}/{key}")
    lookup = fake_salesforce.data_calls()[-1].body["compositeRequest"]
    assert any(sub["referenceId"] == "keyCase" for sub in lookup)
    assert len(fake_salesforce.comments_on(case["Id"])) == 1
    assert fake_salesforce.spec_problems == []


def test_a_case_already_holding_the_key_is_recorded_without_writing(world, organization, fake_salesforce):
    """Found by its External ID (an attempt whose answer was lost, without an email to look by)."""
    fake_salesforce.external_id_fields.add(EXTERNAL_ID_FIELD)
    connect_salesforce(organization, fake_salesforce, external_id_field=EXTERNAL_ID_FIELD)
    support_session = _session(world, organization, "Hi", contact_email=None)
    key = case_requests.handoff_key(organization.id, support_session.id, "msg_1")
    existing = fake_salesforce.add_case(Subject="Made by the lost attempt", **{EXTERNAL_ID_FIELD: key})

    outcome = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")

    assert outcome.case_id == existing and outcome.found_earlier
    assert rest_calls(fake_salesforce) == ["POST /composite"]


def test_a_recorded_case_is_not_asked_for_again(world, organization, connected, fake_salesforce):
    support_session = _session(world, organization, "Hi")
    first = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")
    calls = len(fake_salesforce.data_calls())
    again = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")
    assert again.case_id == first.case_id and len(fake_salesforce.data_calls()) == calls


def test_a_refusal_is_not_retried(world, organization, fake_salesforce, no_waiting):
    connect_salesforce(organization, fake_salesforce, case_priority="Urgent")  # not in the org's picklist
    with pytest.raises(SalesforceRejected, match="INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"):
        cases.hand_off_as_case(_session(world, organization, "Hi"), Handoff("asked", "Hi.", "neutral"), "msg_1")
    assert len(fake_salesforce.data_calls()) == 2 and no_waiting == []
    assert fake_salesforce.cases == {}


def test_unavailable_is_tried_three_times_with_growing_waits(
    world, organization, connected, fake_salesforce, app, no_waiting
):
    app.config["SALESFORCE_RETRY_BACKOFF"] = 2.0
    fake_salesforce.fail("GET", "/query$", 503, times=1000)
    with pytest.raises(SalesforceUnavailable):
        cases.hand_off_as_case(_session(world, organization, "Hi"), HANDOFF, "msg_1")
    assert rest_calls(fake_salesforce) == ["POST /composite"] * 3
    assert no_waiting == [2.0, 4.0]


def test_not_connected_is_said_in_the_admins_words(world, organization, fake_salesforce):
    with pytest.raises(SalesforceNotConnected, match="Settings → Integrations → Salesforce"):
        cases.hand_off_as_case(_session(world, organization, "Hi"), HANDOFF, "msg_1")
    assert fake_salesforce.data_calls() == []


def test_a_transcript_too_long_for_one_request_goes_in_one_more(world, organization, connected, fake_salesforce):
    messages = [f"message {n}: " + "é" * 1960 for n in range(30)]  # ~4 KB each: a comment apiece
    support_session = _session(world, organization, *messages)

    outcome = cases.hand_off_as_case(support_session, HANDOFF, "msg_1")

    assert rest_calls(fake_salesforce) == ["POST /composite", "POST /composite", "POST /composite/sobjects"]
    comments = fake_salesforce.comments_on(outcome.case_id)
    assert len(comments) == 31 and outcome.comments_added == 23
    assert "".join(c["CommentBody"] for c in comments).count("message ") == 30
    said = _events(support_session, EventKind.SALESFORCE_CASE)[-1].payload["message"]
    assert "needed 31 comments" in said and "further request" in said
    assert fake_salesforce.spec_problems == []
