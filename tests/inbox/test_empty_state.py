"""An empty Inbox says what the setup is missing, from the first step not done."""

import json

import pytest

from tests.conftest import run_worker
from webapp.db import db
from webapp.inbox import why
from webapp.inbox.queries import SetupState, empty_inbox
from webapp.models import Integration, IntegrationKind, JournalEntry, JournalStatus, Role


def _inbox(client, **args) -> str:
    response = client.get("/inbox", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _troubleshooting(app) -> str:
    from flask import url_for

    with app.test_request_context():
        return url_for(why.front_troubleshooting_endpoint())


def _front_event(organization_id: int, status=JournalStatus.DONE, n: int = 1) -> None:
    body = {
        "type": "assignee_changed",
        "payload": {"id": f"evt_{n}", "type": "assign", "conversation": {"id": "cnv_1"}},
    }
    db.session.add(
        JournalEntry(
            organization_id=organization_id,
            source="front",
            external_id=f"evt_{n}",
            event_type="assign",
            payload=json.dumps(body),
            status=status,
        )
    )
    db.session.commit()


def test_front_not_connected_says_connect_front(client, logged_in_owner):
    page = _inbox(client)
    assert "No conversations yet" in page and 'Connect <a href="/settings/ticketing/front">Front</a>' in page
    assert empty_inbox(logged_in_owner.organization_id).state == SetupState.FRONT_NOT_CONNECTED


def test_a_front_integration_without_a_token_is_not_connected(client, logged_in_owner):
    db.session.add(
        Integration(
            organization_id=logged_in_owner.organization_id,
            kind=IntegrationKind.FRONT,
            enabled=False,
            settings={},
            credentials={"app_secret": "only-the-app-secret"},
            webhook_token="hook",
        )
    )
    db.session.commit()
    assert 'Connect <a href="/settings/ticketing/front">Front</a>' in _inbox(client)


def test_the_ai_switched_off_says_so(client, logged_in_owner, connect_front):
    connect_front(enabled=False)
    page = _inbox(client)
    assert "The AI is switched off" in page and "it answers nobody" in page
    assert 'href="/settings/ticketing/front"' in page
    assert "No webhook from Front has arrived yet either" in page


def test_connected_with_no_webhook_yet_points_at_the_webhook_setup(app, client, logged_in_owner, connect_front):
    connect_front()
    page = _inbox(client)
    assert "Front is connected but no webhook has arrived" in page
    assert 'href="/settings/ticketing/front"' in page
    troubleshooting = _troubleshooting(app)
    if troubleshooting != "/settings/ticketing/front":
        assert f'href="{troubleshooting}"' in page
    assert "Connect <a" not in page


def test_the_troubleshooting_page_is_linked_when_the_app_has_one(app, client, auth, owner, connect_front):
    if "diagnostics.front" not in app.view_functions:
        app.add_url_rule("/settings/ticketing/front/troubleshooting", "diagnostics.front", lambda: "troubleshooting")
    auth.login(owner.email)
    connect_front()
    page = _inbox(client)
    assert f'href="{_troubleshooting(app)}">Troubleshoot Front' in page


def test_webhooks_without_a_session_explain_the_reply_rules_and_link_why(
    client, logged_in_owner, connect_front, fake_front, deliver
):
    """A real assignment webhook, processed by the worker: journalled, and no session."""
    integration = connect_front()
    fake_front.add_conversation("cnv_quiet")
    deliver(integration, fake_front.event(event_type="assign", conversation_id="cnv_quiet", teammate_id="tea_ai"))
    run_worker()
    page = _inbox(client)
    assert "Webhooks arrive, but no conversation yet" in page
    assert "the reply rules" in page
    assert 'href="/inbox/why"' in page
    assert "waiting to be processed" not in page


def test_events_waiting_and_failed_are_counted(client, logged_in_owner, connect_front):
    integration = connect_front()
    _front_event(integration.organization_id, JournalStatus.PENDING, 1)
    _front_event(integration.organization_id, JournalStatus.PENDING, 2)
    _front_event(integration.organization_id, JournalStatus.FAILED, 3)
    page = _inbox(client)
    assert "2 events are waiting to be processed: check that the worker runs." in page
    assert "1 failed event: see why" in page


def test_members_are_not_sent_to_admin_pages(client, auth, world, owner, connect_front):
    integration = connect_front()
    _front_event(integration.organization_id)
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    page = _inbox(client)
    assert "Webhooks arrive, but no conversation yet" in page and "/inbox/why" not in page


@pytest.mark.parametrize(
    ("args", "heading"),
    [
        ({"status": "resolved"}, "No sessions match these filters"),
        ({"q": "cnv_none"}, "No session found for the Front conversation cnv_none"),
        ({"q": "not an id"}, "Nothing was searched"),
    ],
)
def test_a_filter_or_search_with_no_match_says_so_and_offers_to_clear_it(client, world, logged_in_owner, args, heading):
    world.session(logged_in_owner.organization, status="ai", subject="an open one")
    page = _inbox(client, **args)
    assert heading in page and 'href="/inbox">Show all sessions</a>' in page
    assert "No conversations yet" not in page and "an open one" not in page


def test_states_other_organizations_do_not_change(client, world, logged_in_owner):
    other = world.organization("Other Co")
    _front_event(other.id)
    assert empty_inbox(logged_in_owner.organization_id).state == SetupState.FRONT_NOT_CONNECTED
