"""A session's "Copy diagnostic details": ids, states and the timeline's facts as plain text,
with no secret ever and the customer's text only when the admin asks for it."""

import sys
from types import SimpleNamespace

import pytest

from webapp.db import db
from webapp.inbox import diagnostic_details
from webapp.models import EventKind, Integration, IntegrationKind, Role, SessionStatus

FRONT_TOKEN = "front-api-token-never-shown-1234"
FRONT_APP_SECRET = "front-app-secret-never-shown-5678"
FRONT_WEBHOOK_TOKEN = "front-webhook-token-never-shown-9abc"
SALESFORCE_SECRETS = {
    "client_secret": "sf-client-secret-never-shown",
    "access_token": "00DSB000000access-token-never-shown",
    "refresh_token": "5Aep-refresh-token-never-shown",
}
SECRETS = [FRONT_TOKEN, FRONT_APP_SECRET, FRONT_WEBHOOK_TOKEN, *SALESFORCE_SECRETS.values()]
CUSTOMER_TEXT = [
    "Refund for order 4471",  # the subject
    "Grace Hopper",
    "grace@example.com",
    "+1 555 0100",
    "My card was charged twice",  # what she wrote
    "Here is how refunds work",  # the AI's reply to her
    "Sam here, I refunded you",  # a teammate's reply to her
    "Grace wants her money back",  # the handoff summary
    "Grace sounded furious about the double charge",  # a handoff reason in the model's own words
    "double charge refund",  # the knowledge search the AI ran for her
]
CASE_ID = "500SB0000000001AAA"
MIAW_ID = "0f8c3a52-5b1e-4c8e-9a7e-3f6f2f0f9d11"


@pytest.fixture
def support_session(world, logged_in_owner):
    organization = logged_in_owner.organization
    db.session.add_all(
        [
            Integration(
                organization_id=organization.id,
                kind=IntegrationKind.FRONT,
                enabled=True,
                settings={"ai_teammate_id": "tea_ai", "teammates": [{"id": "tea_ai", "name": "AI"}]},
                credentials={"api_token": FRONT_TOKEN, "app_secret": FRONT_APP_SECRET},
                webhook_token=FRONT_WEBHOOK_TOKEN,
            ),
            Integration(
                organization_id=organization.id,
                kind=IntegrationKind.SALESFORCE,
                enabled=True,
                settings={"state": "connected", "instance_url": "https://acme.my.salesforce.com"},
                credentials=SALESFORCE_SECRETS,
                webhook_token="sf-webhook-token-never-shown",
            ),
        ]
    )
    support_session = world.session(
        organization,
        status=SessionStatus.HANDED_OFF,
        subject="Refund for order 4471",
        contact_name="Grace Hopper",
        contact_email="grace@example.com",
        contact_phone="+1 555 0100",
        front_conversation_id="cnv_diag1",
        salesforce_case_id=CASE_ID,
        salesforce_case_number="00001001",
        miaw_conversation_id=MIAW_ID,
    )
    record = support_session.record
    record(EventKind.CUSTOMER_MESSAGE, text="My card was charged twice", author="Grace Hopper", message_id="msg_c1")
    record(
        EventKind.TOOL_CALL, name="search_knowledge", input={"query": "double charge refund"}, output={}, duration_ms=9
    )
    record(EventKind.AI_REASONING, text="Grace was charged twice; the refunds article applies.", decision="reply")
    record(EventKind.AI_REPLY, text="Here is how refunds work.", message_id="msg_c1", front_message_id="msg_r1")
    record(
        EventKind.SKIP,
        reason="assigned to another teammate",
        code="assigned_elsewhere",
        detail="Assigned to Bob Builder.",
        message_id="msg_c2",
    )
    record(
        EventKind.HANDOFF,
        reason="Grace sounded furious about the double charge",
        summary="Grace wants her money back.",
        sentiment="frustrated",
        destination="Salesforce Case",
        case_id=CASE_ID,
        case_number="00001001",
    )
    record(EventKind.HANDOFF, reason="customer asked for a human", summary="Grace wants her money back.")
    record(EventKind.HUMAN_REPLY, text="Sam here, I refunded you.", author="Sam", message_id="msg_h1")
    record(EventKind.ERROR, message=f"Front answered 401 for token {FRONT_TOKEN}", detail="FrontAuthError: rejected")
    db.session.commit()
    return support_session


def _details(client, support_session, customer_text=False) -> str:
    args = {"customer_text": "1"} if customer_text else {}
    response = client.get(f"/inbox/{support_session.id}/diagnostics.txt", query_string=args)
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_the_details_say_what_support_needs_and_no_customer_text_or_secret(client, support_session):
    text = _details(client, support_session)
    for expected in (
        f"Session: #{support_session.ticket_number} (id {support_session.id})",
        "Channel: email",
        "Status: Handed off",
        "Front conversation: cnv_diag1",
        f"Salesforce Case: {CASE_ID} (number 00001001)",
        f"Live Messaging conversation: {MIAW_ID}",
        "Created: ",
        "Last activity: ",
        f"App version: switchboard {diagnostic_details.app_version()}",
        "customer_message  message_id=msg_c1",
        "tool_call  name=search_knowledge duration_ms=9",
        "ai_reasoning  decision=reply",
        "ai_reply  message_id=msg_c1 front_message_id=msg_r1",
        "skip  reason=assigned to another teammate code=assigned_elsewhere message_id=msg_c2",
        "detail=Assigned to Bob Builder.",
        "handoff  reason=(in the AI's own words: left out with the customer text) destination=Salesforce Case",
        "handoff  reason=customer asked for a human",
        "error  message=Front answered 401 for token [redacted] detail=FrontAuthError: rejected",
        "Customer text (messages, name, email, phone, subject) is left out.",
    ):
        assert expected in text, expected
    for private in CUSTOMER_TEXT + SECRETS + ["sf-webhook-token-never-shown"]:
        assert private not in text, private


def test_ticking_include_customer_text_adds_it_and_still_no_secret(client, support_session):
    text = _details(client, support_session, customer_text=True)
    for expected in CUSTOMER_TEXT:
        assert expected in text, expected
    for secret in SECRETS:
        assert secret not in text, secret


def test_the_session_page_offers_the_copy_button_and_shows_the_same_text(client, support_session):
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "Copy diagnostic details" in page and "Include customer text" in page
    assert 'id="diagnostics-text"' in page and "js/session_diagnostics.js" in page
    assert f'action="/inbox/{support_session.id}/diagnostics.txt"' in page
    shown = page.split('id="diagnostics-text">')[1].split("</pre>")[0]
    assert "Front conversation: cnv_diag1" in shown
    for private in CUSTOMER_TEXT[4:] + SECRETS:  # name, email and subject are on the page itself
        assert private not in shown, private


def test_setup_check_results_are_included_when_the_app_has_them(monkeypatch, client, support_session):
    shown = SimpleNamespace(
        check=SimpleNamespace(title="Webhooks arrive", key="webhooks"),
        status=SimpleNamespace(label="Failing", value="failing"),
        result=SimpleNamespace(found=f"Refused: signed with {FRONT_APP_SECRET}", ran_at=None),
    )
    monkeypatch.setitem(
        sys.modules, "webapp.diagnostics", SimpleNamespace(latest_results=lambda organization_id: {"front": [shown]})
    )
    text = _details(client, support_session)
    assert "Setup checks (latest results):" in text
    assert "  front:\n    Webhooks arrive — Failing — Refused: signed with [redacted]" in text


def test_setup_checks_that_cannot_be_read_leave_the_rest(monkeypatch, client, support_session):
    def broken(organization_id):
        raise RuntimeError("the checks table is missing")

    monkeypatch.setitem(sys.modules, "webapp.diagnostics", SimpleNamespace(latest_results=broken))
    text = _details(client, support_session)
    assert "Setup checks: could not be read" in text and "Front conversation: cnv_diag1" in text


def test_without_setup_checks_the_details_are_complete(monkeypatch, client, support_session):
    monkeypatch.setitem(sys.modules, "webapp.diagnostics", None)  # importing it raises ImportError
    text = _details(client, support_session)
    assert "Setup checks" not in text and "Front conversation: cnv_diag1" in text


def test_members_get_no_button_and_cannot_fetch_the_details(client, auth, world, owner):
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    support_session = world.session(owner.organization)
    auth.login("member@example.com")
    assert "Copy diagnostic details" not in client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert client.get(f"/inbox/{support_session.id}/diagnostics.txt").status_code == 403


def test_another_organizations_session_is_not_found(client, world, logged_in_owner):
    theirs = world.session(world.organization("Other Co"))
    assert client.get(f"/inbox/{theirs.id}/diagnostics.txt").status_code == 404


def test_an_empty_timeline_says_so(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization)
    text = _details(client, support_session)
    assert "Timeline (0 events):\n  nothing yet" in text and "Front conversation: —" in text
