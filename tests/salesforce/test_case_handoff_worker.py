"""Handoff as a Salesforce Case end to end: a signed Front webhook → the journal → a real RQ worker →
the fake Front and the fake Salesforce; then the customer's later messages, the fallback to Front
teammates, the Inbox, and the manual handoff."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, run_worker
from tests.front.conftest import AI, Handoff, Reply
from tests.salesforce.case_fixtures import connect_salesforce, hand_off_to_cases, rest_calls
from webapp.agent.settings import settings_for
from webapp.db import db
from webapp.models import EventKind, JournalEntry, JournalStatus, Role, SessionStatus, SupportSession
from webapp.salesforce.integration import salesforce_integration, settings_of
from webapp.salesforce.transcript import COMMENT_MAX_BYTES, utf8_size

FRUSTRATED = Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated")


def _session(conversation_id: str = "cnv_1") -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def _events(session: SupportSession, kind: EventKind) -> list:
    return [event for event in session.events if event.kind == kind]


@pytest.fixture
def salesforce(organization, integration, fake_salesforce):
    """Front connected (``integration``), Salesforce connected, and every channel handing off to a Case."""
    connected = connect_salesforce(organization, fake_salesforce)
    hand_off_to_cases(organization)
    return connected


def _hand_off(deliver, fake_front, process, text="I want a human NOW!!", conversation_id="cnv_1"):
    fake_front.add_conversation(conversation_id, assignee=AI, subject="Refund for order 42")
    message = fake_front.add_message(conversation_id, text)
    assert deliver(fake_front.event(message)).status_code == 200
    process()
    return message


def test_a_handoff_becomes_a_case_with_a_note_in_front_and_the_case_on_the_session(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(FRUSTRATED)
    text = "Je veux parler à quelqu'un 😡 — 返金してください。 " * 120  # ~8 KB of multibyte text

    _hand_off(deliver, fake_front, process, text=text)

    [case] = fake_salesforce.cases.values()
    assert case["Subject"] == "Refund for order 42" and case["Priority"] == "High" and case["Origin"] == "Email"
    assert case["SuppliedEmail"] == "grace@example.com"
    comments = fake_salesforce.comments_on(case["Id"])
    assert len(comments) >= 3
    assert all(utf8_size(c["CommentBody"]) <= COMMENT_MAX_BYTES and c["IsPublished"] is False for c in comments)
    assert text.strip() in "".join(c["CommentBody"] for c in comments)
    assert len(fake_salesforce.data_calls()) <= 2  # the target, measured
    # Front: the customer is told, the note names the Case, the conversation stays with the quiet AI.
    [notice] = fake_front.replies("cnv_1")
    assert notice["text"] == "I'm passing you to a teammate who will reply here shortly."
    [note] = fake_front.comments["cnv_1"]
    case_url = f"{fake_salesforce.url}/lightning/r/Case/{case['Id']}/view"
    assert f"Salesforce Case {case['CaseNumber']} created:** {case_url}" in note["body"]
    assert "Grace wants a refund for order 42." in note["body"] and note["author"]["id"] == AI
    assert fake_front.conversations["cnv_1"]["assignee_id"] == AI
    assert not fake_front.calls_to("PUT", "/assignee$")
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    assert (session.salesforce_case_id, session.salesforce_case_number) == (case["Id"], case["CaseNumber"])
    [handoff] = _events(session, EventKind.HANDOFF)
    assert handoff.payload["destination"] == "Salesforce Case"
    assert handoff.payload["case_number"] == case["CaseNumber"] and handoff.payload["case_url"] == case_url
    assert fake_front.spec_problems == [] and fake_salesforce.spec_problems == []


def test_the_after_case_setting_can_unassign_instead(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    settings = dict(salesforce.settings, after_case="unassign")
    salesforce.settings = settings
    db.session.commit()
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    assert len(fake_salesforce.cases) == 1
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    assert _events(_session(), EventKind.HANDOFF)[0].payload["note"] == "Unassigned in Front."


def test_a_returning_contacts_open_case_gets_the_new_conversation(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    contact_id = fake_salesforce.add_contact("grace@example.com")
    open_case = fake_salesforce.add_case(Subject="Last week's problem", ContactId=contact_id)
    agent_decides(FRUSTRATED)

    _hand_off(deliver, fake_front, process, text="Still no refund.")

    assert list(fake_salesforce.cases) == [open_case]
    comments = fake_salesforce.comments_on(open_case)
    assert "Handed off again" in comments[0]["CommentBody"]
    assert "Still no refund." in "".join(c["CommentBody"] for c in comments)
    number = fake_salesforce.cases[open_case]["CaseNumber"]
    assert f"Added to the open Salesforce Case {number}" in fake_front.comments["cnv_1"][0]["body"]
    assert _session().salesforce_case_id == open_case
    assert rest_calls(fake_salesforce) == ["POST /composite", "POST /composite/sobjects"]


def _assert_fell_back(fake_front, fake_salesforce, said: str):
    assert fake_salesforce.cases == {}
    [note] = fake_front.comments["cnv_1"]
    assert "Could not create a Salesforce Case:" in note["body"] and "Over to you." in note["body"]
    assert said in note["body"]
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF and session.salesforce_case_id is None
    [error] = _events(session, EventKind.ERROR)
    assert said in error.payload["detail"]
    [handoff] = _events(session, EventKind.HANDOFF)
    assert handoff.payload["destination"] == "Front teammates" and said in handoff.payload["error"]
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


def test_never_connected_falls_back_to_front_teammates(
    deliver, fake_front, fake_salesforce, process, agent_decides, organization, integration
):
    hand_off_to_cases(organization)
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    _assert_fell_back(fake_front, fake_salesforce, "Salesforce is not connected")
    assert fake_salesforce.data_calls() == []


def test_a_refused_refresh_token_disconnects_and_falls_back(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    fake_salesforce.revoke_refresh_tokens()  # the access token dies with it: the next call refreshes, refused
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    _assert_fell_back(fake_front, fake_salesforce, "disconnected")
    db.session.expire_all()
    assert settings_of(salesforce_integration(salesforce.organization_id)).state == "disconnected"


def test_an_already_disconnected_org_falls_back_without_calling(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    salesforce.settings = dict(salesforce.settings, state="disconnected", disconnected_reason="invalid_grant")
    db.session.commit()
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    _assert_fell_back(fake_front, fake_salesforce, "disconnected")
    assert fake_salesforce.data_calls() == []


def test_a_refusal_falls_back_at_once_with_salesforces_words_escaped(
    client, auth, deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    fake_salesforce.fail(
        "POST",
        "/sobjects/Case$",
        400,
        body=[{"message": "Subject: <b>no</b> refunds on Fridays", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}],
    )
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    _assert_fell_back(fake_front, fake_salesforce, "FIELD_CUSTOM_VALIDATION_EXCEPTION: Subject: <b>no</b> refunds")
    assert len(fake_salesforce.data_calls()) == 2  # looked, tried once: a refusal does not change
    auth.login("owner@example.com")
    page = client.get(f"/inbox/{_session().id}").get_data(as_text=True)
    assert "&lt;b&gt;no&lt;/b&gt; refunds" in page and "<b>no</b>" not in page


def test_salesforce_down_is_tried_three_times_then_falls_back(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    fake_salesforce.fail("GET", "/query$", 503, times=1000)
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    _assert_fell_back(fake_front, fake_salesforce, "SERVER_UNAVAILABLE")
    assert rest_calls(fake_salesforce) == ["POST /composite"] * 3


def test_a_job_retried_after_front_failed_does_not_ask_salesforce_again(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    fake_front.fail("POST", "/conversations/cnv_1/comments", 503, times=4)  # the note fails the first job run
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    assert len(fake_salesforce.cases) == 1 and len(fake_salesforce.data_calls()) == 2
    assert len(fake_front.comments["cnv_1"]) == 1
    assert len(fake_front.replies("cnv_1")) == 1
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


# -- the customer's later messages ----------------------------------------------------------------


def test_later_customer_messages_go_to_the_case_once_each_and_the_ai_stays_quiet(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [case_id] = fake_salesforce.cases
    before = len(fake_salesforce.comments_on(case_id))
    quiet = agent_decides(Reply("The AI must not say this."))

    later = fake_front.add_message("cnv_1", "Any news? Ça fait 3 jours 🙁")
    for _ in range(2):  # Front delivers it twice
        deliver(fake_front.event(later))
        deliver(fake_front.event(later, event_id="evt_redelivered"))
    process()

    comments = fake_salesforce.comments_on(case_id)
    assert len(comments) == before + 1
    added = comments[-1]
    assert added["IsPublished"] is False and "Any news? Ça fait 3 jours 🙁" in added["CommentBody"]
    assert added["CommentBody"].startswith(f"Customer message in Front ({later['id']}):")
    assert len(fake_front.replies("cnv_1")) == 1  # only the handoff notice: the AI stayed quiet
    assert quiet.calls == 0
    session = _session()
    [recorded] = [e for e in _events(session, EventKind.SALESFORCE_CASE) if e.payload.get("message_id")]
    assert recorded.payload["message_id"] == later["id"] and recorded.payload["comment_ids"] == [added["Id"]]
    assert "AI stays quiet" in recorded.payload["message"]
    assert not _events(session, EventKind.SKIP)
    assert fake_salesforce.spec_problems == []


def test_a_later_message_whose_comment_answer_was_lost_is_looked_for_not_added_twice(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [case_id] = fake_salesforce.cases
    before = len(fake_salesforce.comments_on(case_id))
    fake_salesforce.commit_then_timeout("POST", "/composite/sobjects$")

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hello again?")))
    process()

    assert len(fake_salesforce.comments_on(case_id)) == before + 1
    session = _session()
    [error] = _events(session, EventKind.ERROR)
    assert error.payload["unknown"] is True and "tried again" in error.payload["message"]
    assert [e for e in _events(session, EventKind.SALESFORCE_CASE) if e.payload.get("message_id")]
    assert db.session.scalar(select(JournalEntry.status).order_by(JournalEntry.id.desc())) == JournalStatus.DONE


def test_a_later_message_the_case_cannot_take_goes_to_front_teammates(
    deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    """Disconnected (the refresh token revoked): trying again changes nothing, so rather than
    leave the customer writing to nobody, Front teammates take the conversation, told why."""
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    fake_salesforce.revoke_refresh_tokens()
    quiet = agent_decides(Reply("The AI must not say this."))

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Are you there?")))
    process()

    entry = db.session.scalar(select(JournalEntry).order_by(JournalEntry.id.desc()))
    assert entry.status == JournalStatus.DONE
    session = _session()
    assert any("Are you there?" == e.payload.get("text") for e in _events(session, EventKind.CUSTOMER_MESSAGE))
    [error] = [e for e in _events(session, EventKind.ERROR) if e.payload.get("case_follow_up_failed")]
    assert "Could not add the customer's message" in error.payload["message"]
    last = _events(session, EventKind.HANDOFF)[-1]
    assert last.payload["destination"] == "Front teammates" and last.payload["instead_of"] == "Salesforce Case"
    assert "Could not add the customer's message" in fake_front.comments["cnv_1"][-1]["body"]
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    assert len(fake_front.replies("cnv_1")) == 1 and quiet.calls == 0


# -- the Inbox ------------------------------------------------------------------------------------


def test_the_inbox_shows_the_case_with_its_link_and_status(
    client, auth, deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [case] = fake_salesforce.cases.values()
    auth.login("owner@example.com")
    page = client.get(f"/inbox/{_session().id}").get_data(as_text=True)
    assert f'href="{fake_salesforce.url}/lightning/r/Case/{case["Id"]}/view"' in page
    assert f"Case {case['CaseNumber']}" in page and "status-case-open" in page
    assert "Salesforce Case" in page
    listing = client.get("/inbox").get_data(as_text=True)
    assert f"Case {case['CaseNumber']}" in listing


# -- the manual handoff ---------------------------------------------------------------------------


def test_an_admin_hands_a_session_off_to_a_case_from_the_inbox(
    client, auth, deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Order 42")
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    session = _session()
    auth.login("owner@example.com")
    page = f"/inbox/{session.id}"
    assert "Hand off now" in client.get(page).get_data(as_text=True)

    response = client.post(
        f"{page}/handoff", data={"destination": "salesforce_case", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302
    assert fake_salesforce.cases == {}  # the page only queued it
    process()

    [case] = fake_salesforce.cases.values()
    assert "Handed off from the Inbox by Ada." in case["Description"]
    session = _session()
    assert session.salesforce_case_number == case["CaseNumber"] and session.status == SessionStatus.HANDED_OFF
    [handoff] = _events(session, EventKind.HANDOFF)
    assert (
        handoff.payload["destination"] == "Salesforce Case" and handoff.payload["reason"] == "handed off from the Inbox"
    )
    assert "Where is my order?" in "".join(c["CommentBody"] for c in fake_salesforce.comments_on(case["Id"]))
    assert any("Salesforce Case" in c["body"] for c in fake_front.comments["cnv_1"])


def test_an_admin_hands_off_to_front_teammates_from_the_inbox(
    client, auth, world, fake_front, process, organization, integration
):
    session = world.session(organization, front_conversation_id="cnv_9", contact_email="a@example.com")
    fake_front.add_conversation("cnv_9", assignee=AI)
    auth.login("owner@example.com")
    page = f"/inbox/{session.id}"
    client.post(f"{page}/handoff", data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)})
    process()
    assert fake_front.conversations["cnv_9"]["assignee_id"] is None
    assert "Handed off from the Inbox by Ada." in fake_front.comments["cnv_9"][0]["body"]


def test_a_member_cannot_hand_off_and_sees_no_button(client, auth, world, fake_front, organization, integration):
    session = world.session(organization, front_conversation_id="cnv_9")
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    page = f"/inbox/{session.id}"
    assert "Hand off now" not in client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/handoff", data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 403
    assert run_worker() == [] and fake_front.calls_to("POST", "/comments$") == []


def test_a_manual_handoff_needs_the_csrf_token_and_a_known_destination(client, auth, world, organization, integration):
    session = world.session(organization, front_conversation_id="cnv_9")
    auth.login("owner@example.com")
    page = f"/inbox/{session.id}"
    assert client.post(f"{page}/handoff", data={"destination": "front_teammates"}).status_code == 400
    response = client.post(
        f"{page}/handoff",
        data={"destination": "carrier_pigeon", "csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )
    assert "Not handed off: choose one of the handoff destinations." in response.get_data(as_text=True)
    other = world.organization("Other Co")
    theirs = world.session(other, front_conversation_id="cnv_x")
    response = client.post(
        f"/inbox/{theirs.id}/handoff", data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 404


def test_after_a_handoff_to_front_teammates_later_messages_stay_in_front(
    client, auth, deliver, fake_front, fake_salesforce, process, agent_decides, salesforce
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [case_id] = fake_salesforce.cases
    before = len(fake_salesforce.comments_on(case_id))
    auth.login("owner@example.com")
    page = f"/inbox/{_session().id}"
    client.post(f"{page}/handoff", data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)})
    process()

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Is anyone in Front there?")))
    process()

    assert len(fake_salesforce.comments_on(case_id)) == before
    [skip] = _events(_session(), EventKind.SKIP)
    assert skip.payload["code"] == "unassigned_not_handled"  # Front teammates have it: the AI stays out


def test_handoff_settings_offer_a_salesforce_case_per_channel(client, logged_in_owner):
    page = client.get("/settings/handoff").get_data(as_text=True)
    assert page.count('<option value="salesforce_case">Salesforce Case</option>') == 4
    data = {
        "mode": "preset",
        "level": "1",
        "adv_unproductive_after": "3",
        "message_open": "Passing you on.",
        "message_closed": "Back {next_opening}.",
        "office_hours": "",
        "destination_email": "salesforce_case",
        "destination_web": "front_teammates",
        "destination_sms": "front_teammates",
        "destination_phone": "front_teammates",
        "csrf_token": csrf_token(client, "/settings/handoff"),
    }
    assert client.post("/settings/handoff", data=data).status_code == 302
    db.session.expire_all()
    assert settings_for(logged_in_owner.organization_id).destination_for("email") == "salesforce_case"
