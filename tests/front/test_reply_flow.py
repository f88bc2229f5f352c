"""The reply flow end to end: signed webhook → journal → real RQ worker → fake Front.

Each test arranges Front's state, delivers what Front would deliver, runs the worker, and
checks what reached Front and what the Inbox timeline says.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from tests.front.conftest import AI, HUMAN, Handoff, Reply, Resolve
from webapp.db import db
from webapp.models import (
    EventKind,
    JournalEntry,
    JournalStatus,
    MessageFingerprint,
    SessionStatus,
    SupportSession,
    utcnow,
)


def _session(conversation_id="cnv_1") -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def _kinds(session) -> list[str]:
    return [event.kind.value for event in session.events]


def _skip_reason(session) -> str | None:
    skips = [e for e in session.events if e.kind == EventKind.SKIP]
    return skips[-1].payload["reason"] if skips else None


@pytest.fixture
def reply(agent_decides):
    return agent_decides(
        Reply("Your order ships tomorrow.", sources=[{"title": "Shipping", "url": "https://help.acme.test/shipping"}])
    )


def test_a_customer_message_on_a_conversation_assigned_to_the_ai_is_answered(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Where is my order?")
    message = fake_front.add_message("cnv_1", "Where is my order?")
    assert deliver(fake_front.event(message)).status_code == 200

    process()

    [sent] = fake_front.replies("cnv_1")
    assert sent["text"] == "Your order ships tomorrow." and sent["author"]["id"] == AI
    assert fake_front.calls_to("POST", "/messages$")[0].body["options"] == {"archive": False}
    session = _session()
    assert session.status == SessionStatus.AI
    assert session.contact == "Grace Hopper <grace@example.com>" and session.channel.value == "email"
    assert _kinds(session) == ["customer_message", "ai_reasoning", "ai_reply"]
    assert session.events[1].payload["decision"] == "reply"
    assert fake_front.spec_problems == []
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


def test_the_legacy_event_shape_is_answered_too(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hello?"), envelope=False))
    process()
    assert len(fake_front.replies("cnv_1")) == 1


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (lambda f, i: f.assign("cnv_1", HUMAN), "assigned to another teammate"),
        (lambda f, i: f.assign("cnv_1", None), "unassigned, and Handle unassigned conversations is off"),
        (lambda f, i: setattr(i, "enabled", False), "the Front integration is switched off"),
        (lambda f, i: i.settings.update(ai_teammate_id=None), "no AI teammate is chosen"),
    ],
    ids=["assigned-elsewhere", "unassigned-not-handled", "integration-off", "no-ai-teammate"],
)
def test_each_reply_rule_records_its_skip_reason(deliver, fake_front, process, reply, integration, arrange, reason):
    fake_front.add_conversation("cnv_1", assignee=AI)
    arrange(fake_front, integration)
    integration.settings = dict(integration.settings)
    db.session.commit()
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Anyone there?")))
    process()
    assert fake_front.replies("cnv_1") == []
    assert _skip_reason(_session()) == reason
    assert reply.calls == 0


def test_the_checks_apply_in_the_documented_order(deliver, fake_front, process, reply, integration):
    """Assigned elsewhere AND switched off: the assignment is reported, it comes first."""
    fake_front.add_conversation("cnv_1", assignee=HUMAN)
    integration.enabled = False
    db.session.commit()
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hi")))
    process()
    assert _skip_reason(_session()) == "assigned to another teammate"


def test_unassigned_is_answered_when_handle_unassigned_is_on(deliver, fake_front, process, reply, integration):
    integration.settings = {**integration.settings, "handle_unassigned": True}
    db.session.commit()
    fake_front.add_conversation("cnv_1", assignee=None)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hi")))
    process()
    assert len(fake_front.replies("cnv_1")) == 1


def test_a_teammate_message_is_not_answered(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Internal forward", inbound=True, author=HUMAN)
    deliver(fake_front.event(message))
    process()
    assert fake_front.replies("cnv_1") == []
    assert _skip_reason(_session()) == "sent by a teammate, not the customer"


def test_an_echo_of_our_own_reply_is_not_answered(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    [ours] = fake_front.replies("cnv_1")
    # Front reports our reply back, as an outbound event and (on some channels) as inbound.
    deliver(fake_front.event(ours, event_type="outbound"))
    deliver(fake_front.event(ours, event_type="inbound", event_id="evt_echo"))
    process()
    assert len(fake_front.replies("cnv_1")) == 1
    session = _session()
    assert _skip_reason(session) == "our own reply, echoed back"
    assert EventKind.HUMAN_REPLY not in [e.kind for e in session.events]


def test_a_teammate_reply_is_recorded_and_the_ai_stops_answering(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    human = fake_front.add_message("cnv_1", "Hi, Bob here, let me check.", inbound=False, author=HUMAN)
    deliver(fake_front.event(human, event_type="outbound"))
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Thanks Bob, still waiting")))
    process()

    assert len(fake_front.replies("cnv_1")) == 1  # only the AI's first answer
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    human_reply = next(e for e in session.events if e.kind == EventKind.HUMAN_REPLY)
    assert human_reply.payload["author"] == "Bob Builder"
    assert _skip_reason(session) == "handed off to a human"


def test_the_same_event_delivered_three_times_gets_one_reply(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    event = fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))
    for _ in range(3):
        assert deliver(event).status_code == 200
    process()
    assert len(fake_front.replies("cnv_1")) == 1


def test_two_deliveries_racing_on_two_workers_get_one_reply(app, deliver, fake_front, reply):
    """The app webhook and a rule webhook for the same message: two events, two jobs, two
    worker processes at once; the conversation lock and the per-message record give one reply."""
    import multiprocessing

    from tests.conftest import run_worker

    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Where is my order?")
    deliver(fake_front.event(message, event_id="evt_app"))
    deliver(fake_front.event(message, envelope=False, event_id="evt_rule"))

    def work():
        with app.app_context():
            run_worker()

    # Daemons, killed if they outlive the wait: a hung child fails this test instead of holding
    # the whole test session open at exit.
    workers = [multiprocessing.get_context("fork").Process(target=work, daemon=True) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        if worker.is_alive():
            worker.kill()
            worker.join()
    assert [w.exitcode for w in workers] == [0, 0]
    assert len(fake_front.replies("cnv_1")) == 1
    assert db.session.scalars(select(JournalEntry.status)).all() == [JournalStatus.DONE, JournalStatus.DONE]


def test_the_same_text_twice_within_a_day_is_answered_once_and_again_after(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    deliver(fake_front.event(fake_front.add_message("cnv_1", "  where is my ORDER? ")))
    process()
    assert len(fake_front.replies("cnv_1")) == 1
    assert _skip_reason(_session()) == "the same message was handled in the last 24 hours"

    db.session.execute(update(MessageFingerprint).values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    assert len(fake_front.replies("cnv_1")) == 2


def test_handoff_comments_before_unassigning_and_records_summary_and_sentiment(
    deliver, fake_front, process, agent_decides
):
    agent_decides(Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated"))
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "I want a human NOW!!")))
    process()

    writes = [c for c in fake_front.calls if c.method in ("POST", "PUT", "PATCH")]
    assert [(c.method, c.path) for c in writes] == [
        ("POST", "/conversations/cnv_1/messages"),  # the customer is told first
        ("POST", "/conversations/cnv_1/comments"),
        ("PUT", "/conversations/cnv_1/assignee"),
    ]
    assert writes[2].body == {"assignee_id": None}
    [note] = fake_front.comments["cnv_1"]
    assert (
        "customer asked for a human" in note["body"]
        and "frustrated" in note["body"]
        and "refund for order 42" in note["body"]
    )
    assert note["author"]["id"] == AI
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    handoff = next(e for e in session.events if e.kind == EventKind.HANDOFF)
    assert handoff.payload["sentiment"] == "frustrated" and handoff.payload["note"] == "Unassigned in Front."
    [notice] = fake_front.replies("cnv_1")
    assert notice["text"] == "I'm passing you to a teammate who will reply here shortly."
    assert fake_front.spec_problems == []


def test_a_reassignment_by_a_front_rule_after_a_handoff_shows_on_the_timeline(
    deliver, fake_front, process, agent_decides
):
    """Not read back after unassigning (that would be a fifth call): Front's event says it."""
    agent_decides(Handoff("missing knowledge", "Asked about invoices.", "neutral"))
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.reassign_on_unassign["cnv_1"] = HUMAN
    message = fake_front.add_message("cnv_1", "Invoice question")
    deliver(fake_front.event(message))
    process()
    base = fake_front.event(message)["payload"]
    deliver(
        {
            **base,
            "id": "evt_rule",
            "type": "assign",
            "target": {"_meta": {"type": "teammate"}, "data": fake_front.teammates[HUMAN]},
        }
    )
    process()
    session = _session()
    assert [e.kind for e in session.events][-2:] == [EventKind.HANDOFF, EventKind.ASSIGNMENT]
    assert session.events[-1].payload["message"] == "Assigned to Bob Builder."
    assert session.status == SessionStatus.HANDED_OFF


def test_resolve_archives_a_conversation_the_ai_still_owns(deliver, fake_front, process, agent_decides):
    agent_decides(Resolve())
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "That solved it, thanks")))
    process()
    assert fake_front.conversations["cnv_1"]["status"] == "archived"
    assert fake_front.calls_to("PATCH", "/conversations/cnv_1$")[0].body == {"status": "archived"}
    session = _session()
    assert session.status == SessionStatus.RESOLVED and EventKind.ARCHIVE in [e.kind for e in session.events]


def test_archive_is_skipped_when_a_human_took_the_conversation(deliver, fake_front, process, agent_decides):
    agent_decides(Resolve())
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.taken_by("cnv_1", HUMAN, after_reads=1)  # between the decision and the archive
    deliver(fake_front.event(fake_front.add_message("cnv_1", "That solved it, thanks")))
    process()
    assert fake_front.conversations["cnv_1"]["status"] != "archived"
    assert fake_front.calls_to("PATCH", "/conversations/") == []
    skipped = next(e for e in _session().events if e.kind == EventKind.ARCHIVE_SKIPPED)
    assert skipped.payload["reason"] == "Archive skipped: a teammate, Bob Builder, took the conversation."
    assert skipped.payload["teammate"] == "Bob Builder"


def test_a_merged_conversation_is_followed_to_the_surviving_one(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_new", assignee=AI)
    fake_front.add_conversation("cnv_old", assignee=AI)
    message = fake_front.add_message("cnv_new", "Where is my order?")
    event = fake_front.event(message)
    event["payload"]["conversation"]["id"] = "cnv_old"
    fake_front.merge("cnv_old", into="cnv_new")
    deliver(event)
    process()
    assert len(fake_front.replies("cnv_new")) == 1
    assert _session("cnv_new") is not None


def test_429_with_retry_after_is_waited_out_and_the_reply_goes_out(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.fail("GET", "^/conversations/cnv_1$", 429, times=1, headers={"Retry-After": "1"})
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    fetches = fake_front.calls_to("GET", "^/conversations/cnv_1$")
    assert fetches[1].at - fetches[0].at >= 0.9  # waited the second Front asked for
    assert len(fake_front.replies("cnv_1")) == 1


def test_5xx_is_retried_then_recorded_as_failed_on_the_session(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.fail("POST", "/conversations/cnv_1/messages", 503, times=100)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    assert fake_front.replies("cnv_1") == []
    attempts = len(fake_front.calls_to("POST", "/conversations/cnv_1/messages"))
    assert attempts == 4 * 4  # each of 4 job attempts tries the call 1 + 3 times
    entry = db.session.scalar(select(JournalEntry))
    assert entry.status == JournalStatus.FAILED and "503" in entry.last_error
    session = _session()
    error = next(e for e in session.events if e.kind == EventKind.ERROR)
    assert "gave up" in error.payload["message"] and "503" in error.payload["detail"]
    # The customer is not left waiting on an AI that cannot answer: a human is told.
    assert session.status == SessionStatus.HANDED_OFF
    assert "could not answer" in fake_front.comments["cnv_1"][-1]["body"]
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None


def test_redis_down_at_ingest_loses_nothing_once_it_returns(app, deliver, fake_front, process, reply):
    from tests.conftest import unreachable_redis
    from webapp import journal

    fake_front.add_conversation("cnv_1", assignee=AI)
    working = app.extensions["redis"]
    app.extensions["redis"] = unreachable_redis()
    assert deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))).status_code == 200
    app.extensions["redis"] = working

    assert len(journal.sweep(pending_after=timedelta(0))) == 1  # what the periodic sweeper does
    process()
    assert len(fake_front.replies("cnv_1")) == 1


def test_a_reply_whose_outcome_is_unknown_is_looked_for_not_resent(deliver, fake_front, process, reply, monkeypatch):
    """Front took the reply but the answer was lost (a 500 after sending)."""
    fake_front.add_conversation("cnv_1", assignee=AI)
    original = fake_front._conversation_route

    def accept_then_fail(request, conversation, rest, body):
        response = original(request, conversation, rest, body)
        if request.method == "POST" and rest == "/messages" and not getattr(fake_front, "failed_once", False):
            fake_front.failed_once = True
            from werkzeug.wrappers import Response

            return Response("upstream error", status=500)
        return response

    monkeypatch.setattr(fake_front, "_conversation_route", accept_then_fail)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    assert len(fake_front.replies("cnv_1")) == 1
    assert len(fake_front.calls_to("POST", "/conversations/cnv_1/messages")) == 1
    assert fake_front.calls_to("GET", "/conversations/cnv_1/messages")  # it looked
    assert EventKind.AI_REPLY in [e.kind for e in _session().events]


def test_archived_and_assignment_and_tag_events_land_on_the_timeline(deliver, fake_front, process, reply):
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Where is my order?")
    deliver(fake_front.event(message))
    process()
    base = fake_front.event(message)["payload"]
    assign = {
        **base,
        "id": "evt_a",
        "type": "assign",
        "target": {"_meta": {"type": "teammate"}, "data": fake_front.teammates[HUMAN]},
    }
    tag = {
        **base,
        "id": "evt_t",
        "type": "tag",
        "target": {"_meta": {"type": "tag"}, "data": {"id": "tag_1", "name": "VIP"}},
    }
    archive = {**base, "id": "evt_z", "type": "archive", "target": None}
    for event in (assign, tag, archive):
        deliver(event)
    process()
    session = _session()
    texts = [e.payload.get("message") for e in session.events]
    assert "Assigned to Bob Builder." in texts and "Tag added: VIP." in texts
    assert session.status == SessionStatus.RESOLVED


def test_the_inbox_shows_message_decision_reasoning_reply_and_handoff(
    client, auth, deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Order 42")
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    agent_decides(Handoff("customer asked for a human", "Wants to talk to someone about order 42.", "frustrated"))
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Let me talk to a person")))
    process()

    auth.login("owner@example.com")
    session = _session()
    page = client.get(f"/inbox/{session.id}").get_data(as_text=True)
    for expected in (
        "Where is my order?",
        "Scripted decision for: Where is my order?",
        "Decision: <strong>reply</strong>",
        "Your order ships tomorrow.",
        "customer asked for a human",
        "Wants to talk to someone about order 42.",
        "frustrated",
    ):
        assert expected in page, expected
    listing = client.get("/inbox").get_data(as_text=True)
    assert "Order 42" in listing and "Handed off" in listing


def test_events_arriving_after_a_disconnect_are_closed_quietly(deliver, fake_front, process, reply, integration):
    fake_front.add_conversation("cnv_1", assignee=AI)
    event = fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))
    assert deliver(event).status_code == 200
    integration.credentials = {"app_secret": integration.credentials["app_secret"]}
    integration.enabled = False
    db.session.commit()
    process()
    assert fake_front.calls == [] and db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE
