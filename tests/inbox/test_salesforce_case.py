"""The Inbox and Salesforce Cases: the Case's number, link and status on a session, its tag in the
list, and the admins' Hand off now form."""

import pytest

from tests.conftest import csrf_token, unreachable_redis
from webapp.db import db
from webapp.models import EventKind, Integration, IntegrationKind, Role, SessionStatus

CASE_ID = "500SB0000000001AAA"


def _with_case(world, organization, **fields):
    support_session = world.session(
        organization,
        status=SessionStatus.HANDED_OFF,
        subject="Refund",
        salesforce_case_id=CASE_ID,
        salesforce_case_number="00001001",
        **fields,
    )
    support_session.record(
        EventKind.SALESFORCE_CASE,
        message="Salesforce Case 00001001 created with the transcript.",
        case_id=CASE_ID,
        case_number="00001001",
        case_url=f"https://acme.my.salesforce.com/lightning/r/Case/{CASE_ID}/view",
    )
    db.session.commit()
    return support_session


def _connect_salesforce(organization):
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.SALESFORCE,
            enabled=True,
            settings={"state": "connected", "instance_url": "https://acme.my.salesforce.com"},
            credentials={},
            webhook_token="sf-token",
        )
    )
    db.session.commit()


def test_a_session_shows_its_case_number_linked_and_open(client, world, logged_in_owner):
    organization = logged_in_owner.organization
    _connect_salesforce(organization)
    support_session = _with_case(world, organization)
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert f'<a href="https://acme.my.salesforce.com/lightning/r/Case/{CASE_ID}/view"' in page
    assert ">Case 00001001</a>" in page and "status-case-open" in page
    assert "Salesforce Case 00001001 created with the transcript." in page
    assert "Case 00001001" in client.get("/inbox").get_data(as_text=True)


def test_a_case_closed_in_salesforce_shows_closed(client, world, logged_in_owner):
    organization = logged_in_owner.organization
    support_session = _with_case(world, organization)
    support_session.status = SessionStatus.RESOLVED
    support_session.record(
        EventKind.RESOLVED, message="Salesforce Case 00001001 was closed.", salesforce_record_id=CASE_ID[:15]
    )
    db.session.commit()
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "status-case-closed" in page and "Closed" in page
    assert "lightning/r/Case" not in page.split("Salesforce Case</dt>")[1].split("</dd>")[0]  # not connected: no link


def test_a_session_without_a_case_shows_none(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization, subject="No case")
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "Salesforce Case</dt>" not in page
    assert "Case 0" not in client.get("/inbox").get_data(as_text=True)


def test_admins_get_the_hand_off_now_form_with_every_destination(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization)
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "Hand off now" in page
    assert '<option value="front_teammates">' in page and '<option value="salesforce_case">' in page


def test_members_get_no_hand_off_form_and_are_refused(client, auth, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    support_session = world.session(owner.organization)
    auth.login(member.email)
    page = f"/inbox/{support_session.id}"
    assert "Hand off now" not in client.get(page).get_data(as_text=True)
    response = client.post(
        f"{page}/handoff", data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 403 and "owners and admins" in response.get_data(as_text=True)


def test_a_hand_off_without_front_connected_is_refused_with_the_reason(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization, front_conversation_id="cnv_1")
    page = f"/inbox/{support_session.id}"
    response = client.post(
        f"{page}/handoff",
        data={"destination": "front_teammates", "csrf_token": csrf_token(client, page)},
        follow_redirects=True,
    )
    assert "Not handed off: Front is not connected" in response.get_data(as_text=True)


def test_a_hand_off_while_the_job_queue_is_down_is_refused_not_a_500(app, client, world, logged_in_owner):
    organization = logged_in_owner.organization
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={"ai_teammate_id": "tea_ai", "teammates": [{"id": "tea_ai", "name": "AI"}]},
            credentials={"api_token": "front-token", "app_secret": "front-secret"},
            webhook_token="front-hook",
        )
    )
    db.session.commit()
    support_session = world.session(organization, front_conversation_id="cnv_1")
    page = f"/inbox/{support_session.id}"
    token = csrf_token(client, page)
    app.extensions["redis"] = unreachable_redis()
    response = client.post(
        f"{page}/handoff", data={"destination": "front_teammates", "csrf_token": token}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "could not be queued" in response.get_data(as_text=True)


def test_an_inbox_handoff_whose_job_gives_up_says_so_on_the_timeline(monkeypatch, world, owner):
    import jobs.handoff
    from webapp.inbox import handoff

    support_session = world.session(owner.organization)

    def broken(*args, **kwargs):
        raise RuntimeError("Front is down")

    monkeypatch.setattr(handoff, "hand_off_session", broken)
    monkeypatch.setattr(jobs.handoff, "last_attempt", lambda: True)

    with pytest.raises(RuntimeError):
        jobs.handoff.hand_off_session(support_session.id, "front_teammates", "Ada Admin", "req-1")

    db.session.expire_all()
    [error] = [e for e in support_session.events if e.kind == EventKind.ERROR]
    assert "The handoff from the Inbox by Ada Admin failed" in error.payload["message"]
    assert error.payload["detail"] == "Front is down"
