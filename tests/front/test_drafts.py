"""The built-in agent's three outcomes end to end, through the fake Front: a sure answer is sent;
an unsure one is drafted in the conversation for the teammate and the conversation handed off
(the customer never gets it); a question no article answers is handed off with no draft."""

import pytest
from sqlalchemy import select

from tests.front.conftest import AI, Reply
from webapp.agent import Draft, Handoff
from webapp.db import db
from webapp.front import actions
from webapp.models import AgentSettings, EventKind, SessionStatus, SupportSession
from webapp.sandbox.front import CHANNEL_ADDRESS

SHIPPING = "Orders ship within two business days from our warehouse."


@pytest.fixture
def help_center(organization, world):
    world.article(
        organization,
        "Shipping times",
        f"{SHIPPING} Standard delivery takes 3 to 5 business days after shipping.",
        url="https://help.acme.test/shipping",
    )
    world.article(
        organization,
        "Refund policy",
        "Refunds are issued to the original payment method within 14 days after we receive your return.",
        url="https://help.acme.test/refunds",
    )
    return organization


def _answer_policy(organization, **policy):
    db.session.add(AgentSettings(organization_id=organization.id, advanced={}, destinations={}, answer_policy=policy))
    db.session.commit()


def _session() -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession))


def _ask(fake_front, deliver, process, text, message_type="email"):
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", text, message_type=message_type)
    assert deliver(fake_front.event(message)).status_code == 200
    process()


def test_a_sure_answer_is_sent(help_center, fake_front, deliver, process):
    _ask(fake_front, deliver, process, "How long does shipping take?")

    [sent] = fake_front.replies("cnv_1")
    assert SHIPPING in sent["text"] and "https://help.acme.test/shipping" in sent["text"]
    assert fake_front.drafts.get("cnv_1", []) == [] and fake_front.comments_on("cnv_1") == []
    session = _session()
    assert session.status == SessionStatus.AI
    reasoning = next(e for e in session.events if e.kind == EventKind.AI_REASONING)
    assert reasoning.payload["decision"] == "reply" and "confidence" in reasoning.payload["text"]
    assert fake_front.spec_problems == []


def test_an_unsure_answer_is_drafted_for_the_teammate_and_handed_off(help_center, fake_front, deliver, process):
    _answer_policy(help_center, reply_at=0.99, draft_at=0.05, drafts=True)

    _ask(fake_front, deliver, process, "When will my order be sent?")  # about 0.5: between the two

    [draft] = fake_front.drafts["cnv_1"]
    assert SHIPPING in draft["body"] and draft["author"]["id"] == AI
    assert draft["draft_mode"] == "shared" and draft["channel_id"] == f"alt:address:{CHANNEL_ADDRESS}"
    assert all(SHIPPING not in reply["text"] for reply in fake_front.replies("cnv_1"))  # only the handoff notice
    [note] = fake_front.comments_on("cnv_1")
    assert "unsure answer" in note["body"]
    assert "A possible answer from “Shipping times” is drafted in this conversation" in note["body"]
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    reasoning = next(e for e in session.events if e.kind == EventKind.AI_REASONING)
    assert reasoning.payload["decision"] == "draft"
    assert "reply at 0.99" in reasoning.payload["text"] and "draft at 0.05" in reasoning.payload["text"]
    drafted = next(e for e in session.events if e.kind == EventKind.TOOL_CALL and e.payload["name"] == "create_draft")
    assert drafted.payload["output"]["draft_id"] == draft["id"]
    handoff = next(e for e in session.events if e.kind == EventKind.HANDOFF)
    assert handoff.payload["reason"] == "unsure answer"
    assert fake_front.spec_problems == []


def test_a_question_no_article_answers_is_handed_off_without_a_draft(help_center, fake_front, deliver, process):
    _ask(fake_front, deliver, process, "What is the capital of Australia?")

    assert fake_front.drafts.get("cnv_1", []) == []
    [note] = fake_front.comments_on("cnv_1")
    assert "missing knowledge" in note["body"] and "drafted" not in note["body"]
    assert _session().status == SessionStatus.HANDED_OFF
    assert fake_front.spec_problems == []


DRAFT = Draft(
    Reply(SHIPPING, [{"title": "Shipping times", "url": None}]),
    Handoff("unsure answer", "Grace asked: how long?"),
)


def test_a_call_gets_the_handoff_without_a_draft(fake_front, deliver, process, agent_decides):
    agent_decides(DRAFT)

    _ask(fake_front, deliver, process, "How long does shipping take?", message_type="call")

    assert fake_front.drafts.get("cnv_1", []) == []
    [note] = fake_front.comments_on("cnv_1")
    assert "drafted" not in note["body"]
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    [error] = [e for e in session.events if e.kind == EventKind.ERROR]
    assert "a phone conversation has no draft" in error.payload["message"]


def test_an_sms_gets_its_draft(fake_front, deliver, process, agent_decides):
    agent_decides(DRAFT)

    _ask(fake_front, deliver, process, "How long does shipping take?", message_type="sms")

    assert len(fake_front.drafts["cnv_1"]) == 1 and _session().status == SessionStatus.HANDED_OFF


def test_front_refusing_the_draft_still_hands_off(fake_front, deliver, process, agent_decides):
    agent_decides(DRAFT)
    fake_front.fail("POST", r"/drafts$", 403, times=5, body={"_error": {"message": "drafts:write scope missing"}})

    _ask(fake_front, deliver, process, "How long does shipping take?")

    assert fake_front.drafts.get("cnv_1", []) == []
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    session = _session()
    assert session.status == SessionStatus.HANDED_OFF
    [error] = [e for e in session.events if e.kind == EventKind.ERROR]
    assert "not drafted in Front" in error.payload["message"]


def test_a_retried_handoff_does_not_draft_twice(fake_front, deliver, process, agent_decides):
    """The unassign fails once: the job runs again, finds its draft and its note, and makes neither twice."""
    agent_decides(DRAFT)
    fake_front.fail("PUT", r"/assignee$", 500, times=1)

    _ask(fake_front, deliver, process, "How long does shipping take?")

    assert len(fake_front.drafts["cnv_1"]) == 1 and len(fake_front.comments_on("cnv_1")) == 1
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    assert _session().status == SessionStatus.HANDED_OFF


def test_the_channel_comes_from_the_address_the_customer_wrote_to():
    message = {"recipients": [{"role": "from", "handle": "grace@example.com"}, {"role": "to", "handle": "help@x.io"}]}
    assert actions.channel_alias(message) == "alt:address:help@x.io"
    assert actions.channel_alias({"recipients": [{"role": "from", "handle": "grace@example.com"}]}) is None
