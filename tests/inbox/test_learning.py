"""Learning from the team: a teammate's answer offers the customer's question as an example for
the article it used, and the questions nobody could answer are grouped per week."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, run_worker
from tests.front.conftest import agent_decides  # noqa: F401
from tests.inbox.conftest import HUMAN
from webapp.agent import Handoff
from webapp.db import db
from webapp.inbox import learning
from webapp.knowledge import examples, sources
from webapp.models import ArticleExample, EventKind, Organization, Role, SessionStatus, SupportSession

SHIPPING_URL = "https://help.acme.test/en/articles/shipping-abroad"
QUOTED = "Customs fees for parcels outside the European Union are paid by the recipient on delivery."


@pytest.fixture
def shipping(owner):
    return sources.add_manual_article(
        owner.organization_id,
        title="Shipping abroad",
        body=f"We ship to Canada, Mexico and most of Europe.\n\n{QUOTED}",
        url=SHIPPING_URL,
        locale="en",
        internal=False,
    )


@pytest.fixture
def handed_off(connect_front, fake_front, deliver, agent_decides):  # noqa: F811
    """``handed_off(question)``: a customer's question the AI handed off for missing knowledge
    through the fake Front; returns (integration, session)."""

    def run(question: str, conversation: str = "cnv_1"):
        integration = connect_front()
        agent_decides(Handoff("missing knowledge", "Nothing covers it.", "neutral"))
        fake_front.add_conversation(conversation, assignee="tea_ai")
        deliver(integration, fake_front.event(fake_front.add_message(conversation, question)))
        run_worker()
        support_session = db.session.scalar(
            select(SupportSession).where(SupportSession.front_conversation_id == conversation)
        )
        assert support_session.status == SessionStatus.HANDED_OFF
        return integration, support_session

    return run


def _teammate_replies(fake_front, deliver, integration, text: str, body: str | None = None, conversation="cnv_1"):
    message = fake_front.add_message(conversation, text, inbound=False, author=HUMAN)
    if body is not None:
        message["body"] = body
    deliver(integration, fake_front.event(message, event_type="outbound"))
    run_worker()


def _suggestions(support_session) -> list:
    db.session.expire_all()
    return [
        e for e in db.session.get(SupportSession, support_session.id).events if e.kind == EventKind.EXAMPLE_SUGGESTION
    ]


def _click(client, support_session, event_id: int, choice: str):
    token = csrf_token(client, f"/inbox/{support_session.id}")
    return client.post(f"/inbox/{support_session.id}/suggestions/{event_id}/{choice}", data={"csrf_token": token})


def test_a_teammate_linking_an_article_offers_the_question_once(
    client, logged_in_owner, shipping, handed_off, fake_front, deliver
):
    integration, support_session = handed_off("Do you deliver to Toronto?")
    _teammate_replies(
        fake_front,
        deliver,
        integration,
        "Yes we do, see our shipping page.",
        body=f'<p>Yes we do, see <a href="{SHIPPING_URL}/?utm=x#fees">our shipping page</a>.</p>',
    )
    [suggestion] = _suggestions(support_session)
    assert suggestion.payload["article_id"] == shipping.id and suggestion.payload["state"] == "open"
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "Add “Do you deliver to Toronto?” as an example for Shipping abroad" in page

    assert _click(client, support_session, suggestion.id, "accept").status_code == 302
    [example] = examples.examples_of(shipping)
    assert example.question == "Do you deliver to Toronto?" and example.session_id == support_session.id
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "as an example for Shipping abroad" not in page
    assert "added by Ada" in page

    # Once: a second click changes nothing, and the same link again offers nothing new.
    response = _click(client, support_session, suggestion.id, "accept")
    assert response.status_code == 302
    assert "already accepted or dismissed" in client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    _teammate_replies(fake_front, deliver, integration, f"Again: {SHIPPING_URL}")
    assert len(_suggestions(support_session)) == 1
    assert len(examples.examples_of(shipping)) == 1


def test_a_teammate_quoting_a_sentence_offers_the_question(
    client, logged_in_owner, shipping, handed_off, fake_front, deliver
):
    integration, support_session = handed_off("Will I have to pay import tax?")
    _teammate_replies(fake_front, deliver, integration, f"Hi Grace! {QUOTED.lower()} Best, Bob")
    [suggestion] = _suggestions(support_session)
    assert suggestion.payload["article_id"] == shipping.id
    assert _click(client, support_session, suggestion.id, "dismiss").status_code == 302
    assert examples.examples_of(shipping) == []
    assert _suggestions(support_session)[0].payload["state"] == "dismissed"
    assert "as an example for Shipping abroad" not in client.get(f"/inbox/{support_session.id}").get_data(as_text=True)


def test_an_answer_without_an_article_offers_nothing(
    client, logged_in_owner, shipping, handed_off, fake_front, deliver
):
    integration, support_session = handed_off("Do you deliver to Toronto?")
    _teammate_replies(fake_front, deliver, integration, "Yes, we ship there. https://example.com/other-page")
    assert _suggestions(support_session) == []


def test_a_conversation_the_ai_never_handed_off_offers_nothing(
    world, owner, shipping, connect_front, fake_front, deliver
):
    integration = connect_front()
    support_session = world.session(db.session.get(Organization, owner.organization_id), front_conversation_id="cnv_9")
    support_session.record(EventKind.CUSTOMER_MESSAGE, text="Do you deliver to Toronto?", message_id="msg_x")
    db.session.commit()
    fake_front.add_conversation("cnv_9")
    _teammate_replies(fake_front, deliver, integration, f"See {SHIPPING_URL}", conversation="cnv_9")
    db.session.expire_all()
    kinds = [e.kind for e in db.session.get(SupportSession, support_session.id).events]
    assert EventKind.HUMAN_REPLY in kinds and EventKind.EXAMPLE_SUGGESTION not in kinds


def test_a_huge_html_question_is_cut_to_fit_and_shown_as_text(
    client, logged_in_owner, shipping, handed_off, fake_front, deliver
):
    question = "<script>alert(1)</script> Do you deliver to Toronto? " + "x" * 10_000
    integration, support_session = handed_off(question)
    _teammate_replies(fake_front, deliver, integration, f"See {SHIPPING_URL}")
    [suggestion] = _suggestions(support_session)
    assert len(suggestion.payload["question"]) == examples.MAX_LENGTH
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _click(client, support_session, suggestion.id, "accept").status_code == 302
    [example] = examples.examples_of(shipping)
    assert example.question.startswith("<script>alert(1)</script> Do you deliver") and len(example.question) == 1000


def test_members_see_no_offer_and_cannot_accept(client, world, auth, owner, shipping, handed_off, fake_front, deliver):
    integration, support_session = handed_off("Do you deliver to Toronto?")
    _teammate_replies(fake_front, deliver, integration, f"See {SHIPPING_URL}")
    [suggestion] = _suggestions(support_session)
    member = world.user(db.session.get(Organization, owner.organization_id), Role.MEMBER)
    auth.login(member.email)
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert "as an example for Shipping abroad" not in page
    assert _click(client, support_session, suggestion.id, "accept").status_code == 403
    assert examples.examples_of(shipping) == []


def test_another_organizations_session_or_offer_is_not_found(
    client, world, logged_in_owner, shipping, handed_off, fake_front, deliver
):
    integration, support_session = handed_off("Do you deliver to Toronto?")
    _teammate_replies(fake_front, deliver, integration, f"See {SHIPPING_URL}")
    [suggestion] = _suggestions(support_session)
    other = world.organization("Globex")
    theirs = world.session(other)
    token = csrf_token(client, f"/inbox/{support_session.id}")
    assert (
        client.post(f"/inbox/{theirs.id}/suggestions/{suggestion.id}/accept", data={"csrf_token": token}).status_code
        == 404
    )
    mine_other = world.session(db.session.get(Organization, logged_in_owner.organization_id))
    assert (
        client.post(
            f"/inbox/{mine_other.id}/suggestions/{suggestion.id}/accept", data={"csrf_token": token}
        ).status_code
        == 404
    )
    assert client.post(f"/inbox/{support_session.id}/suggestions/{suggestion.id}/accept").status_code == 400  # no CSRF
    assert db.session.scalar(select(ArticleExample)) is None


def test_a_deleted_article_closes_its_offer(client, logged_in_owner, shipping, handed_off, fake_front, deliver):
    integration, support_session = handed_off("Do you deliver to Toronto?")
    _teammate_replies(fake_front, deliver, integration, f"See {SHIPPING_URL}")
    [suggestion] = _suggestions(support_session)
    sources.delete_manual_article(shipping)
    assert "as an example for" not in client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    assert _click(client, support_session, suggestion.id, "accept").status_code == 302
    assert _suggestions(support_session)[0].payload["state"] == "dismissed"


# -- missing knowledge ----------------------------------------------------------------------------


def _handed_off_for(world, organization, question: str, at: datetime, reason: str = "missing knowledge"):
    support_session = world.session(organization, status=SessionStatus.HANDED_OFF)
    asked = support_session.record(EventKind.CUSTOMER_MESSAGE, text=question, message_id=f"msg_{support_session.id}")
    handoff = support_session.record(
        EventKind.HANDOFF, reason=reason, summary="…", message_id=f"msg_{support_session.id}"
    )
    asked.created_at, handoff.created_at = at, at + timedelta(seconds=1)
    db.session.commit()
    return support_session


def test_missing_knowledge_groups_the_weeks_questions_by_meaning(client, world, auth, owner):
    organization = db.session.get(Organization, owner.organization_id)
    now = datetime.now(UTC)
    canada = [
        _handed_off_for(world, organization, q, now - timedelta(minutes=i))
        for i, q in enumerate(
            ["Do you ship to Canada?", "Can you deliver to Canada?", "Is shipping to Toronto possible?"]
        )
    ]
    gift = _handed_off_for(world, organization, "Do you offer <b>gift cards</b>?", now)
    _handed_off_for(world, organization, "I want a human", now, reason="customer asked for a human")
    old = _handed_off_for(world, organization, "Can I pay with bitcoin?", now - timedelta(weeks=2))
    other = world.organization("Globex")
    _handed_off_for(world, other, "Their secret question about Canada shipping", now)

    weeks = learning.missing_knowledge(organization.id, now=now)
    assert [w.count for w in weeks] == [4, 1]
    [first, second] = weeks[0].groups
    assert first.count == 3 and {sid for sid, _ in first.sessions} == {s.id for s in canada}
    assert second.sessions == [(gift.id, gift.ticket_number)]
    assert weeks[1].groups[0].sessions == [(old.id, old.ticket_number)]

    member = world.user(organization, Role.MEMBER)
    auth.login(member.email)  # customer text is already visible to members in the Inbox
    page = client.get("/inbox/missing-knowledge").get_data(as_text=True)
    assert "3×" in page and f'href="/inbox/{canada[0].id}"' in page
    assert "&lt;b&gt;gift cards&lt;/b&gt;" in page and "<b>gift cards</b>" not in page
    assert "I want a human" not in page and "Their secret question" not in page
    assert 'href="/inbox/missing-knowledge"' in client.get("/inbox").get_data(as_text=True)


def test_missing_knowledge_with_none_says_so_and_handles_a_huge_question(client, world, logged_in_owner):
    assert "No question was handed off for missing knowledge" in client.get("/inbox/missing-knowledge").get_data(
        as_text=True
    )
    organization = db.session.get(Organization, logged_in_owner.organization_id)
    _handed_off_for(world, organization, "why " * 2500, datetime.now(UTC))
    response = client.get("/inbox/missing-knowledge")
    assert response.status_code == 200 and "1×" in response.get_data(as_text=True)


def test_clustering_keeps_different_questions_apart():
    asked = [
        learning._Asked(i, i, q, datetime.now(UTC))
        for i, q in enumerate(["Can I pay with bitcoin?", "How do I change my password?", "Do you ship to Canada?"])
    ]
    assert [g.count for g in learning.group_by_meaning(asked)] == [1, 1, 1]


def test_urls_are_found_in_text_and_links_and_normalised():
    found = learning.urls_in('See https://Help.Acme.test/a/b/. Or <a href="https://help.acme.test/c?x=1&amp;y=2">c</a>')
    assert found == ["https://help.acme.test/c", "https://help.acme.test/a/b"]
    assert learning.urls_in("javascript:alert(1) ftp://x/y") == []
