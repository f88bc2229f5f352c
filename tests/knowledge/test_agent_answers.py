"""The built-in agent answering a Front customer from a synced Help Center article."""

from sqlalchemy import select

from tests.front.conftest import AI
from webapp.db import db
from webapp.knowledge import sync
from webapp.models import EventKind, SessionStatus, SupportSession


def _session():
    db.session.expire_all()
    return db.session.scalar(select(SupportSession))


def test_the_agent_answers_from_a_synced_article_with_its_link(source, help_centers, deliver, process, client, auth):
    sync.run(source.id)
    help_centers.add_conversation("cnv_1", assignee=AI)
    deliver(help_centers.event(help_centers.add_message("cnv_1", "How long does shipping take for my order?")))
    process()

    [reply] = help_centers.replies("cnv_1")
    assert "2 business days" in reply["text"]
    assert "https://help.acme.test/en/articles/kba_ship" in reply["text"]
    session = _session()
    kinds = [e.kind for e in session.events]
    assert kinds == [EventKind.CUSTOMER_MESSAGE, EventKind.TOOL_CALL, EventKind.AI_REASONING, EventKind.AI_REPLY]
    tool = session.events[1].payload
    assert tool["name"] == "search_knowledge" and tool["output"][0]["title"] == "Shipping times"
    assert session.events[3].payload["sources"] == [
        {"title": "Shipping times", "url": "https://help.acme.test/en/articles/kba_ship"}
    ]

    auth.login("owner@example.com")  # the Inbox shows this real run's reasoning and tool call
    page = client.get(f"/inbox/{session.id}").get_data(as_text=True)
    assert (
        "search_knowledge" in page
        and "“Shipping times” answers the question" in page
        and "Decision: <strong>reply</strong>" in page
    )


def test_an_internal_article_informs_the_answer_but_is_never_linked(source, help_centers, deliver, process):
    sync.run(source.id)
    help_centers.add_conversation("cnv_1", assignee=AI)
    deliver(help_centers.event(help_centers.add_message("cnv_1", "Who handles chargebacks escalation?")))
    process()
    [reply] = help_centers.replies("cnv_1")
    assert "finance" in reply["text"] and "http" not in reply["text"]


def test_no_matching_article_means_a_handoff_for_missing_knowledge(source, help_centers, deliver, process):
    sync.run(source.id)
    help_centers.add_conversation("cnv_1", assignee=AI)
    deliver(help_centers.event(help_centers.add_message("cnv_1", "Can I bring my llama to the office?")))
    process()
    assert [r["text"] for r in help_centers.replies("cnv_1")] == [
        "I'm passing you to a teammate who will reply here shortly."
    ]
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    handoff = next(e for e in session.events if e.kind == EventKind.HANDOFF)
    assert handoff.payload["reason"] == "missing knowledge"
