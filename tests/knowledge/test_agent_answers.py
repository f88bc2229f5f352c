"""The built-in agent answering a Front customer from a synced Help Center article."""

from sqlalchemy import select

from tests.front.conftest import AI
from webapp.db import db
from webapp.knowledge import sync
from webapp.models import EventKind, KnowledgeSource, SessionStatus, SupportSession


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


def test_the_same_help_center_synced_by_two_sources_is_answered_as_from_one(
    source, help_centers, deliver, process, organization
):
    """Two sources of one Help Center hold every article twice: the twin is the same answer,
    not a second article the agent must choose between, so the agent is exactly as sure as
    with one source (the twin once cost the margin over the next article, and the sandbox's
    return question was handed off as unsure)."""

    def ask(conversation_id: str) -> tuple[dict, dict]:
        help_centers.add_conversation(conversation_id, assignee=AI)
        deliver(help_centers.event(help_centers.add_message(conversation_id, "How long does shipping take?")))
        process()
        db.session.expire_all()
        session = db.session.scalars(select(SupportSession).order_by(SupportSession.id.desc())).first()
        tool, reasoning = (event.payload for event in session.events[1:3])
        return tool, reasoning

    sync.run(source.id)
    _, alone = ask("cnv_1")
    twin = KnowledgeSource(
        organization_id=organization.id,
        kind=source.kind,
        name="The same Help Center again",
        credentials=dict(source.credentials),
        schedule=source.schedule,
        settings=dict(source.settings),
    )
    db.session.add(twin)
    db.session.commit()
    sync.run(twin.id)
    tool, twice = ask("cnv_2")

    assert [found["title"] for found in tool["output"]].count("Shipping times") == 1
    assert twice["decision"] == alone["decision"] == "reply"
    assert twice["text"] == alone["text"] and "margin over the next article 0.00" not in twice["text"]
    assert "2 business days" in help_centers.replies("cnv_2")[0]["text"]
