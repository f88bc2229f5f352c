"""Why didn't the AI answer? for a Front conversation with no session: the webhook journal's
facts and Front's answer now, through the reply rules, in an admin's words."""

from datetime import timedelta

import pytest

from tests.conftest import free_port, run_worker
from tests.inbox.conftest import AI, HUMAN
from webapp import journal
from webapp.db import db
from webapp.inbox import why
from webapp.models import EventKind, JournalEntry, JournalStatus, Role, utcnow

WHY = "/inbox/why"
FRONT_SETTINGS = 'href="/settings/ticketing/front"'


def _why(client, conversation: str, status: int = 200) -> str:
    response = client.get(WHY, query_string={"conversation": conversation})
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def _troubleshooting(app) -> str:
    """Front's Troubleshooting page where the app has one, else the Front settings page."""
    from flask import url_for

    with app.test_request_context():
        return url_for(why.front_troubleshooting_endpoint())


def _journal(organization_id, event: dict, status=JournalStatus.DONE, error=None, attempts=1, received_at=None):
    import json

    payload = event.get("payload", event)
    entry = JournalEntry(
        organization_id=organization_id,
        source="front",
        external_id=payload["id"],
        event_type=payload["type"],
        payload=json.dumps(event),
        status=status,
        attempts=attempts,
        last_error=error,
        received_at=received_at or utcnow(),
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def _assigned_to_bob(fake_front, conversation_id="cnv_bob"):
    fake_front.add_conversation(conversation_id, assignee=HUMAN, subject="Where is my parcel?")
    return fake_front.add_message(conversation_id, "Where is my parcel?")


def test_a_conversation_front_never_sent_says_the_webhook_is_not_delivering(
    app, client, logged_in_owner, connect_front, fake_front
):
    connect_front()
    _assigned_to_bob(fake_front)
    page = _why(client, "https://app.frontapp.com/open/cnv_bob")
    assert "Front conversation <code>cnv_bob</code>" in page
    assert "Switchboard has no session for it" in page
    assert "Never received: Switchboard has not received any webhook from Front yet" in page
    assert f'href="{_troubleshooting(app)}"' in page  # the Troubleshooting page, where there is one
    # And what Front says now, rule by rule.
    assert "Assigned to</dt><dd>Bob Builder" in page
    assert "✗ Failed: Assigned to the AI teammate." in page and "Assigned to Bob Builder." in page
    assert "assign the conversation to Switchboard AI in Front" in page
    assert "✓ Passed: The AI is switched on." in page
    assert "✓ Passed: The latest message is from the customer." in page
    assert "Where is my parcel" not in page  # no customer text on this page


def test_webhooks_refused_by_signature_are_named_instead_of_never_received(
    app, client, logged_in_owner, connect_front, fake_front
):
    from webapp.front import activity

    integration = connect_front()
    _assigned_to_bob(fake_front)
    activity.record_refusal(integration.organization_id, activity.Refusal.SIGNATURE_MISMATCH, 401)
    page = _why(client, "cnv_bob")
    assert "Refused: Front&#39;s webhooks reach Switchboard but are turned away" in page
    assert "the app secret saved here is not the one Front signs with" in page
    assert "Never received" not in page


def test_webhooks_arriving_for_other_conversations_point_at_the_webhook_scope(
    client, logged_in_owner, connect_front, fake_front
):
    integration = connect_front()
    fake_front.add_conversation("cnv_other", assignee=AI)
    _journal(integration.organization_id, fake_front.event(fake_front.add_message("cnv_other", "Hi")))
    _assigned_to_bob(fake_front)
    page = _why(client, "cnv_bob")
    assert "Front sent no webhook about this conversation, though webhooks about other conversations arrive" in page
    assert "cnv_other" not in page


def test_the_troubleshooting_page_is_linked_when_the_app_has_one(app, client, auth, owner, fake_front, connect_front):
    if "diagnostics.front" not in app.view_functions:
        app.add_url_rule("/settings/ticketing/front/troubleshooting", "diagnostics.front", lambda: "troubleshooting")
    from flask import url_for

    with app.test_request_context():
        troubleshooting = url_for("diagnostics.front")
    auth.login(owner.email)
    connect_front()
    _assigned_to_bob(fake_front)
    assert f'href="{troubleshooting}"' in _why(client, "cnv_bob")


def test_a_received_event_that_failed_shows_its_error_and_the_way_to_retry(
    client, logged_in_owner, connect_front, fake_front
):
    integration = connect_front()
    message = _assigned_to_bob(fake_front)
    _journal(
        integration.organization_id,
        fake_front.event(message),
        status=JournalStatus.FAILED,
        attempts=journal.MAX_ATTEMPTS,
        error='FrontUnavailable: Front answered 503 <img src=x onerror="alert(1)">',
    )
    page = _why(client, "cnv_bob")
    assert "Received, and failed" in page
    assert f"Failed for good after {journal.MAX_ATTEMPTS} attempts: FrontUnavailable: Front answered 503" in page
    assert "&lt;img src=x" in page and "<img src=x" not in page
    assert 'href="/inbox/failed"' in page


def test_a_received_event_skipped_without_a_session_says_why(
    client, logged_in_owner, connect_front, fake_front, deliver
):
    """An assignment event on a conversation that never had a customer message: journalled,
    processed by the real worker, and skipped, since only a customer's message starts a session."""
    integration = connect_front()
    fake_front.add_conversation("cnv_quiet", assignee=None)
    assert deliver(integration, fake_front.event(event_type="assign", conversation_id="cnv_quiet", teammate_id=AI))
    run_worker()
    page = _why(client, "cnv_quiet")
    assert "Received: 1 event about this conversation, all processed." in page
    assert "Processed, and skipped: assign events are recorded only on a conversation that already has a session" in (
        page
    )
    assert "✗ Failed: The latest message is from the customer." in page
    assert "The conversation has no message in Front." in page


def test_an_event_left_pending_says_the_worker_is_not_taking_it(client, logged_in_owner, connect_front, fake_front):
    integration = connect_front()
    message = _assigned_to_bob(fake_front)
    _journal(
        integration.organization_id,
        fake_front.event(message),
        status=JournalStatus.PENDING,
        attempts=0,
        received_at=utcnow() - timedelta(hours=1),
    )
    page = _why(client, "cnv_bob")
    assert "Received, and not processed yet." in page
    assert "no worker is taking Front&#39;s events" in page


def test_when_every_rule_passes_the_page_says_so(client, logged_in_owner, connect_front, fake_front):
    connect_front()
    fake_front.add_conversation("cnv_ai", assignee=AI)
    fake_front.add_message("cnv_ai", "Hello")
    page = _why(client, "cnv_ai")
    assert page.count("✓ Passed") == 5 and "✗ Failed" not in page
    assert "Assigned to the AI teammate, Switchboard AI." in page
    assert "The webhook never reached Switchboard for this conversation" in page


@pytest.mark.parametrize(
    ("arrange", "expected", "fix"),
    [
        (
            lambda f: (f.add_conversation("cnv_x", assignee=None), f.add_message("cnv_x", "Hi")),
            "Unassigned, and Handle unassigned conversations is off.",
            "or turn on Handle unassigned conversations.",
        ),
        (
            lambda f: (
                f.add_conversation("cnv_x", assignee=AI),
                f.add_message("cnv_x", "Done", inbound=False, author=HUMAN),
            ),
            "The latest message was sent by a teammate (Bob Builder), not the customer",
            None,
        ),
    ],
    ids=["unassigned", "from-a-teammate"],
)
def test_each_failing_rule_is_explained(client, logged_in_owner, connect_front, fake_front, arrange, expected, fix):
    connect_front()
    arrange(fake_front)
    page = _why(client, "cnv_x")
    assert expected in page
    if fix:
        assert fix in page and FRONT_SETTINGS in page


def test_the_ai_switched_off_is_a_failing_rule_with_its_fix(client, logged_in_owner, connect_front, fake_front):
    connect_front(enabled=False)
    fake_front.add_conversation("cnv_x", assignee=AI)
    fake_front.add_message("cnv_x", "Hi")
    page = _why(client, "cnv_x")
    assert "✗ Failed: The AI is switched on." in page
    assert "Turn on “Let the AI answer in Front”" in page


def test_a_conversation_with_a_session_links_to_it_and_its_last_skip(
    client, logged_in_owner, world, connect_front, fake_front
):
    connect_front()
    _assigned_to_bob(fake_front)
    support_session = world.session(logged_in_owner.organization, front_conversation_id="cnv_bob")
    support_session.record(EventKind.SKIP, reason="assigned to another teammate", code="assigned_elsewhere")
    db.session.commit()
    page = _why(client, "cnv_bob")
    assert f'href="/inbox/{support_session.id}">#{support_session.ticket_number}</a>' in page
    assert "skipped because: <strong>assigned to another teammate</strong>" in page


def test_a_front_message_id_finds_its_conversation(client, logged_in_owner, connect_front, fake_front):
    connect_front()
    message = _assigned_to_bob(fake_front)
    page = _why(client, f"https://app.frontapp.com/open/{message['id']}")
    assert "Front conversation <code>cnv_bob</code>" in page


def test_an_unknown_conversation_is_front_s_404_in_words(client, logged_in_owner, connect_front):
    connect_front()
    page = _why(client, "cnv_nope")
    assert "Front has no cnv_nope" in page and "Private resources" in page


def test_a_rejected_token_is_said_with_its_fix(client, logged_in_owner, connect_front):
    connect_front(token="revoked-token-0000")
    page = _why(client, "cnv_bob")
    assert "Front rejected the API token" in page and FRONT_SETTINGS in page
    assert "revoked-token-0000" not in page


def test_front_unreachable_is_a_message_not_an_error_page(app, client, logged_in_owner, connect_front):
    connect_front()
    app.config["FRONT_API_URL"] = f"http://127.0.0.1:{free_port()}"
    page = _why(client, "cnv_bob")
    assert "Front could not be asked" in page and "Try again in a moment" in page


def test_front_not_connected_is_said_and_the_journal_still_read(client, logged_in_owner):
    page = _why(client, "cnv_bob")
    assert "Front is not connected, so Front was not asked" in page
    assert "Never received" in page


@pytest.mark.parametrize(
    "pasted",
    ["hello", "https://example.com/open/cnv_1", "https://app.frontapp.com/inboxes", "cnv_", "%_", "cnv_1\x00x"],
)
def test_anything_but_a_front_conversation_gets_a_clear_error(client, logged_in_owner, pasted):
    page = _why(client, pasted, status=400)
    assert "Paste a Front conversation id (cnv_…)" in page


def test_the_empty_form_asks_for_a_conversation(client, logged_in_owner):
    page = _why(client, "")
    assert 'name="conversation"' in page and "Paste a Front conversation" in page


def test_members_cannot_open_it(client, auth, world, owner):
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    assert client.get(WHY, query_string={"conversation": "cnv_1"}).status_code == 403


def test_another_organizations_journal_is_not_read(client, logged_in_owner, world, connect_front, fake_front):
    connect_front()
    other = world.organization("Other Co")
    _assigned_to_bob(fake_front)
    _journal(other.id, fake_front.event(fake_front.add_message("cnv_bob", "Theirs")))
    assert "Never received" in _why(client, "cnv_bob")
