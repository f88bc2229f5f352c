"""The Front conversation checks, each run against the fake Front: the setup put into a broken
state makes the check fail (or warn) with its fix, and the fix makes it pass.

Conversations go through the real reply flow (signed webhook → journal → RQ worker → fake
Front); the checks then read what it recorded.
"""

# ruff: noqa: F811 (the Front fixtures imported below are named as test parameters)

from datetime import timedelta

import pytest
from flask import url_for
from sqlalchemy import delete, select

from tests.front.conftest import (  # noqa: F401 (fixtures)
    AI,
    HUMAN,
    Handoff,
    Reply,
    Resolve,
    agent_decides,
    deliver,
    fake_front,
    integration,
    no_settle,
    organization,
    process,
)
from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics.front_conversations import CONVERSATION_CHECKS
from webapp.front import actions
from webapp.front.events import RULE_NAME_MAX, parse
from webapp.front.integration import client_for
from webapp.knowledge import sources, sync
from webapp.models import (
    CheckStatus,
    EventKind,
    JournalEntry,
    KnowledgeSource,
    SessionEvent,
    SourceKind,
    SupportSession,
    SyncSchedule,
    SyncStatus,
    utcnow,
)

CONVERSATION_KEYS = ("ai_not_responding", "handoff_stayed_assigned", "duplicate_replies", "archive_skipped")


@pytest.fixture(autouse=True)
def only_these_checks(monkeypatch):
    """The Front page runs the connection checks too; these tests look at their own."""
    monkeypatch.setattr(diagnostics, "checks_for", lambda key: CONVERSATION_CHECKS if key == "front" else ())


def finding(organization, key: str):
    rows = diagnostics.run_checks(organization.id, "front")
    return next(row for row in rows if row.check_key == key)


def session_of(conversation_id: str) -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def age_timelines(by: timedelta) -> None:
    """Move everything that happened back in time, as if it happened ``by`` ago."""
    for event in db.session.scalars(select(SessionEvent)):
        event.created_at -= by
    db.session.commit()


def customer_writes(fake_front, deliver, conversation_id: str, text: str, assignee: str | None = AI) -> dict:
    if conversation_id not in fake_front.conversations:
        fake_front.add_conversation(conversation_id, assignee=assignee)
    message = fake_front.add_message(conversation_id, text)
    assert deliver(fake_front.event(message)).status_code == 200
    return message


def assignment_event(fake_front, conversation_id: str, teammate_id: str | None, *, rule: str | None = None):
    """Front's assignment event: by a named rule, by the API (Switchboard's own unassign), or,
    with neither, by the teammate it names."""
    if teammate_id is None:
        body = fake_front.event(event_type="unassign", conversation_id=conversation_id)
        body["payload"]["source"] = {"_meta": {"type": "api"}, "data": {}}
        return body
    body = fake_front.event(event_type="assign", conversation_id=conversation_id, teammate_id=teammate_id)
    if rule is not None:
        body["payload"]["source"] = {"_meta": {"type": "rule"}, "data": {"id": "rul_1", "name": rule}}
    else:
        body["payload"]["source"] = {"_meta": {"type": "teammate"}, "data": fake_front.teammates[teammate_id]}
    return body


@pytest.mark.parametrize("key", CONVERSATION_KEYS)
def test_without_front_connected_the_conversation_checks_say_so(world, key):
    organization = world.organization()
    row = finding(organization, key)
    assert row.status == CheckStatus.NOT_SET_UP
    assert "not connected" in row.found and row.fix_link["endpoint"] == "front.settings"


# -- why the AI did not answer ----------------------------------------------------------------------


def test_handle_unassigned_off_while_most_arrive_unassigned_warns_then_passes_once_on(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    for number in range(3):
        customer_writes(fake_front, deliver, f"cnv_u{number}", "Where is my order?", assignee=None)
    customer_writes(fake_front, deliver, "cnv_ai", "Where is my order?")
    process()

    row = finding(organization, "ai_not_responding")
    assert row.status == CheckStatus.WARNING
    assert "3 of 4" in row.found and "Handle unassigned conversations" in row.found
    assert "Turn on Handle unassigned conversations" in row.fix
    assert row.fix_link["endpoint"] == "front.settings"
    assert "Unassigned while Handle unassigned conversations was off: 3 messages. Turn on" in row.details[0]

    integration.settings = {**integration.settings, "handle_unassigned": True}
    db.session.commit()
    row = finding(organization, "ai_not_responding")
    assert row.status == CheckStatus.OK and row.fix is None
    assert any("Changed since" in line for line in row.details)


def test_the_integration_switched_off_warns_then_passes_once_on(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    integration.enabled = False
    db.session.commit()
    customer_writes(fake_front, deliver, "cnv_1", "Hello?")
    customer_writes(fake_front, deliver, "cnv_2", "Anyone?")
    process()
    assert fake_front.replies("cnv_1") == []

    row = finding(organization, "ai_not_responding")
    assert row.status == CheckStatus.WARNING and "switched off" in row.found
    assert row.fix == "Switch the integration on in Front settings."

    integration.enabled = True
    db.session.commit()
    assert finding(organization, "ai_not_responding").status == CheckStatus.OK


def test_conversations_assigned_to_a_teammate_are_counted_as_by_design(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    customer_writes(fake_front, deliver, "cnv_1", "Hello?", assignee=HUMAN)
    customer_writes(fake_front, deliver, "cnv_2", "Where is my order?")
    process()

    row = finding(organization, "ai_not_responding")
    assert row.status == CheckStatus.OK and "1 of the 2 customer messages" in row.found
    [line] = row.details
    assert line.startswith("Assigned to another teammate: 1 message.") and "By design" in line


def test_no_message_stopped_is_ok(organization, integration, deliver, fake_front, process, agent_decides):
    agent_decides(Reply("Your order ships tomorrow."))
    customer_writes(fake_front, deliver, "cnv_1", "Where is my order?")
    process()
    row = finding(organization, "ai_not_responding")
    assert row.status == CheckStatus.OK and row.found.startswith("No reply rule stopped any of the 1 customer message")


# -- handoffs that stayed assigned ------------------------------------------------------------------


@pytest.fixture
def hands_off(agent_decides):
    return agent_decides(Handoff("customer asked for a human", "Wants to talk to a person.", "neutral"))


def test_a_front_rule_giving_the_handoff_back_to_the_ai_fails_until_a_handoff_goes_through(
    organization, integration, deliver, fake_front, process, hands_off
):
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.reassign_on_unassign["cnv_1"] = AI  # Front's rule: "assign unassigned conversations to the AI"
    customer_writes(fake_front, deliver, "cnv_1", "I want a person")
    process()
    deliver(assignment_event(fake_front, "cnv_1", None))
    deliver(assignment_event(fake_front, "cnv_1", AI, rule="Auto-assign to the bot"))
    process()
    assert fake_front.conversations["cnv_1"]["assignee_id"] == AI

    row = finding(organization, "handoff_stayed_assigned")
    assert row.status == CheckStatus.FAILING
    assert "reassigned by a Front rule" in row.found and "back to the AI teammate" in row.found
    assert "Change the Front rule" in row.fix and row.fix_link["endpoint"] == "handoff.settings"
    number = session_of("cnv_1").ticket_number
    [line] = row.details
    assert line.startswith(f"#{number}: ") and "“Auto-assign to the bot”" in line and "the AI teammate" in line

    # The rule is changed: the next handoff stays with the team.
    customer_writes(fake_front, deliver, "cnv_2", "I want a person")
    process()
    deliver(assignment_event(fake_front, "cnv_2", None))
    process()
    age_timelines(timedelta(minutes=10))
    row = finding(organization, "handoff_stayed_assigned")
    assert row.status == CheckStatus.OK
    [earlier] = row.details
    assert earlier.startswith(f"Before a later handoff went through: #{number}: ") and "Auto-assign" in earlier


def test_a_rule_sharing_handoffs_among_teammates_is_a_warning(
    organization, integration, deliver, fake_front, process, hands_off
):
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.reassign_on_unassign["cnv_1"] = HUMAN
    customer_writes(fake_front, deliver, "cnv_1", "I want a person")
    process()
    deliver(assignment_event(fake_front, "cnv_1", None))
    deliver(assignment_event(fake_front, "cnv_1", HUMAN, rule="Round robin"))
    process()

    row = finding(organization, "handoff_stayed_assigned")
    assert row.status == CheckStatus.WARNING and "meant to share" in row.fix
    assert "Bob Builder by the Front rule “Round robin”" in row.details[0]


def test_a_teammate_picking_up_the_handoff_is_what_a_handoff_is_for(
    organization, integration, deliver, fake_front, process, hands_off
):
    customer_writes(fake_front, deliver, "cnv_1", "I want a person")
    process()
    deliver(assignment_event(fake_front, "cnv_1", None))
    deliver(assignment_event(fake_front, "cnv_1", HUMAN))
    process()
    row = finding(organization, "handoff_stayed_assigned")
    assert row.status == CheckStatus.OK and row.details == []


def test_an_unassign_that_failed_fails_until_someone_changes_the_assignee(
    organization, integration, deliver, fake_front, process, hands_off
):
    customer_writes(fake_front, deliver, "cnv_1", "I want a person")
    fake_front.fail("PUT", "^/conversations/cnv_1/assignee$", 403, times=1000)
    process(allow_failures=True)
    assert fake_front.conversations["cnv_1"]["assignee_id"] == AI
    support_session = session_of("cnv_1")
    errors = [e for e in support_session.events if e.payload.get(actions.UNASSIGN_FAILED_KEY)]
    assert len(errors) == 1, "recorded once, however many attempts failed"

    row = finding(organization, "handoff_stayed_assigned")
    assert row.status == CheckStatus.FAILING and "did not unassign" in row.found
    assert row.fix_link == {
        "label": f"Open #{support_session.ticket_number}",
        "endpoint": "inbox.session",
        "anchor": None,
        "values": {"session_id": support_session.id},
    }
    assert "Front refused PUT /conversations/cnv_1/assignee" in row.details[0]

    # A teammate takes the conversation in Front.
    fake_front.failures.clear()
    fake_front.assign("cnv_1", HUMAN)
    deliver(assignment_event(fake_front, "cnv_1", HUMAN))
    process()
    assert finding(organization, "handoff_stayed_assigned").status == CheckStatus.OK


# -- duplicate replies ------------------------------------------------------------------------------


def test_two_ai_replies_to_one_message_fail_until_replies_go_out_once_again(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    message = customer_writes(fake_front, deliver, "cnv_1", "Where is my order?")
    process()
    # A second worker that did not share the conversation lock answers the same message.
    support_session = session_of("cnv_1")
    sender = actions.Sender(client_for(integration), AI)
    actions.send_reply(sender, support_session, message["id"], Reply("Your order ships tomorrow."), retrying=False)
    assert len(fake_front.replies("cnv_1")) == 2

    row = finding(organization, "duplicate_replies")
    assert row.status == CheckStatus.FAILING and "replied twice" in row.found
    assert row.details[0].startswith(f"#{support_session.ticket_number}: 2 AI replies to one customer message")
    assert row.fix_link["endpoint"] == "inbox.session"
    assert row.fix_link["values"] == {"session_id": support_session.id}

    customer_writes(fake_front, deliver, "cnv_2", "Do you ship abroad?")
    process()
    row = finding(organization, "duplicate_replies")
    assert row.status == CheckStatus.OK and "went out once" in row.found
    assert row.details[0].startswith("Earlier, since followed by single replies: #")


def test_a_message_sent_through_two_webhooks_warns_until_it_comes_once(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Where is my order?")
    deliver(fake_front.event(message, event_id="evt_app"))
    process()
    deliver(fake_front.event(message, envelope=False, event_id="evt_rule"))
    process()
    assert len(fake_front.replies("cnv_1")) == 1
    redelivered = [e for e in session_of("cnv_1").events if e.kind == EventKind.REDELIVERED]
    assert [e.payload["event_id"] for e in redelivered] == ["evt_rule"]

    row = finding(organization, "duplicate_replies")
    assert row.status == CheckStatus.WARNING and "1 under a second event id" in row.found
    assert "two webhooks" in row.fix and row.fix_link["endpoint"] == "front.settings"

    # The rule webhook is removed: the next message arrives once.
    customer_writes(fake_front, deliver, "cnv_2", "Do you ship abroad?")
    process()
    row = finding(organization, "duplicate_replies")
    assert row.status == CheckStatus.OK and "redeliveries have stopped" in row.found


def test_a_redelivery_after_the_journal_forgot_its_event_is_caught_and_counted_late(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    event = fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))
    deliver(event)
    process()
    age_timelines(timedelta(days=40))
    db.session.execute(delete(JournalEntry))  # what retention does after 30 days
    db.session.commit()

    deliver(event)
    process()
    assert len(fake_front.replies("cnv_1")) == 1
    row = finding(organization, "duplicate_replies")
    assert row.status == CheckStatus.WARNING and "more than 30 days later" in row.found
    assert "40 days after it was handled" in row.details[0]


# -- archives left to teammates ---------------------------------------------------------------------


def test_archives_skipped_because_a_teammate_took_over_are_shown_as_ok(
    organization, integration, deliver, fake_front, process, agent_decides
):
    agent_decides(Resolve())
    customer_writes(fake_front, deliver, "cnv_1", "Thanks, solved")
    process()
    row = finding(organization, "archive_skipped")
    assert row.status == CheckStatus.OK and row.found.startswith("No archive was skipped")

    fake_front.add_conversation("cnv_2", assignee=AI)
    fake_front.taken_by("cnv_2", HUMAN, after_reads=1)
    customer_writes(fake_front, deliver, "cnv_2", "That solved it, thanks")
    process()
    assert fake_front.conversations["cnv_2"]["status"] != "archived"
    row = finding(organization, "archive_skipped")
    assert row.status == CheckStatus.OK and "1 resolved conversation open" in row.found
    [line] = row.details
    assert line.startswith(f"#{session_of('cnv_2').ticket_number} ") and "Bob Builder had the conversation" in line


# -- Knowledge Sync ---------------------------------------------------------------------------------


@pytest.fixture
def help_center(fake_front, integration):
    fake_front.add_knowledge_base("knb_pub", "Acme Help Center")
    fake_front.add_article("knb_pub", "kba_ship", "Shipping times", "<p>Orders ship within 2 business days.</p>")
    source = KnowledgeSource(
        organization_id=integration.organization_id,
        kind=SourceKind.FRONT,
        name="Acme Help Center",
        credentials={"api_token": fake_front.token},
        schedule=SyncSchedule.DAILY,
        settings={
            "knowledge_bases": [{"id": "knb_pub", "name": "Acme Help Center", "type": "external", "locales": ["en"]}],
            "selected": ["knb_pub"],
            "start_date": "2000-01-01",
        },
    )
    db.session.add(source)
    db.session.commit()
    return source


def _synced(source: KnowledgeSource) -> KnowledgeSource:
    sync.run(source.id)
    db.session.refresh(source)
    assert source.status == SyncStatus.OK
    return source


def test_without_a_help_center_the_check_says_what_the_ai_answers_from(organization, integration):
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.WARNING and "no knowledge" in row.found
    assert row.fix_link["endpoint"] == "knowledge.data_sources"

    sources.add_manual_article(
        organization.id, title="Returns", body="Returns within 30 days.", url=None, locale="en", internal=False
    )
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.NOT_SET_UP and "1 article added by hand" in row.found


def test_a_key_front_rejects_fails_until_a_valid_key_syncs(organization, help_center, fake_front):
    help_center.credentials = {"api_token": "revoked"}
    db.session.commit()
    sync.run(help_center.id)

    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.FAILING and "rejected its API key" in row.found
    assert row.fix_link["endpoint"] == "knowledge.data_sources"

    help_center.credentials = {"api_token": fake_front.token}
    db.session.commit()
    _synced(help_center)
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.OK and "1 article" in row.found


def test_a_key_without_help_center_access_fails_until_it_has_it(organization, help_center, fake_front):
    fake_front.forbidden["/knowledge_bases"] = "This API token cannot access knowledge bases"
    sync.run(help_center.id)

    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.FAILING and "no Help Center read access" in row.found
    assert "Knowledge Base read access" in row.fix

    fake_front.forbidden.clear()
    _synced(help_center)
    assert finding(organization, "knowledge_sync").status == CheckStatus.OK


def test_no_help_center_selected_warns_until_one_is(organization, help_center):
    help_center.settings = {**help_center.settings, "selected": []}
    db.session.commit()
    sync.run(help_center.id)
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.WARNING and "No Help Center is selected" in row.found

    help_center.settings = {**help_center.settings, "selected": ["knb_pub"]}
    db.session.commit()
    _synced(help_center)
    assert finding(organization, "knowledge_sync").status == CheckStatus.OK


def test_a_sync_older_than_its_schedule_allows_warns_until_it_syncs(organization, help_center):
    _synced(help_center)
    help_center.last_synced_at = utcnow() - timedelta(days=3)
    db.session.commit()
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.WARNING
    assert "last synced 3 days ago" in row.found and "sync daily" in row.found

    _synced(help_center)
    assert finding(organization, "knowledge_sync").status == CheckStatus.OK


def test_a_passing_failure_warns_with_its_error_until_the_next_sync(organization, help_center, fake_front):
    fake_front.fail("GET", "/knowledge_bases/knb_pub/articles", 503, times=100)
    with pytest.raises(Exception, match="503"):
        sync.run(help_center.id)
    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.WARNING and "503" in row.found and "tries again" in row.fix

    fake_front.failures.clear()
    _synced(help_center)
    assert finding(organization, "knowledge_sync").status == CheckStatus.OK


def test_the_last_error_is_clipped_and_escaped_on_the_page(app, client, auth, organization, help_center):
    help_center.status = SyncStatus.FAILED
    help_center.last_error = "<script>alert(1)</script>\x1b[31m " + "x" * 5000
    db.session.commit()

    row = finding(organization, "knowledge_sync")
    assert row.status == CheckStatus.FAILING and len(row.found) < 400 and "\x1b" not in row.found

    auth.login("owner@example.com")
    page = client.get("/settings/ticketing/front/troubleshooting").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)" in page and "<script>alert(1)" not in page
    with app.test_request_context():
        assert f'href="{url_for("knowledge.data_sources")}">Data Sources</a>' in page


def test_an_assignment_event_keeps_who_made_it_and_only_a_storable_rule_name():
    def by_rule(name):
        return {
            "id": "evt_1",
            "type": "assign",
            "conversation": {"id": "cnv_1"},
            "source": {"_meta": {"type": "rule"}, "data": {"id": "rul_1", "name": name}},
            "target": {"_meta": {"type": "teammate"}, "data": {"id": AI}},
        }

    event = parse(by_rule("Round\n robin"))
    assert (event.source_type, event.rule_name) == ("rule", "Round robin")
    assert parse(by_rule("x" * 1000)).rule_name == "x" * RULE_NAME_MAX
    assert parse(by_rule("bad\x00name")).rule_name is None
    assert parse(by_rule(["not", "text"])).rule_name is None
    teammate = {**by_rule("ignored"), "source": {"_meta": {"type": "teammate"}, "data": {"id": HUMAN}}}
    assert (parse(teammate).source_type, parse(teammate).rule_name) == ("teammate", None)
