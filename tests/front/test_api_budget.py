"""How many calls to Front each decision costs: the budget users pay out of their plan's limit.

An application webhook carries the whole message, so an AI reply costs two calls (read who has
the conversation now, reply) and a handoff four (read, tell the customer, note, unassign). A
rule webhook carries a preview, which costs one more call to fetch the message.
"""

import pytest

from tests.front.conftest import AI, Handoff, Reply, Resolve
from webapp.db import db
from webapp.models import AgentSettings


def _calls(fake_front):
    return [(c.method, c.path) for c in fake_front.calls]


def _event(fake_front, message, kind):
    return fake_front.event(message) if kind == "application" else fake_front.event(message, envelope=False)


def test_an_ai_reply_costs_two_calls_from_an_application_webhook(deliver, fake_front, process, agent_decides):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    assert _calls(fake_front) == [
        ("GET", "/conversations/cnv_1"),  # who has it now, not when the event was sent
        ("POST", "/conversations/cnv_1/messages"),
    ]
    assert fake_front.replies("cnv_1")[0]["text"] == "Your order ships tomorrow."


def test_a_rule_webhook_preview_costs_one_more_call_for_the_message(deliver, fake_front, process, agent_decides):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Where is my order?")
    deliver(fake_front.event(message, envelope=False))
    process()
    assert _calls(fake_front) == [
        ("GET", "/conversations/cnv_1"),
        ("GET", f"/messages/{message['id']}"),
        ("POST", "/conversations/cnv_1/messages"),
    ]


@pytest.mark.parametrize(
    "kind, notice, budget",
    [("application", True, 4), ("application", False, 3), ("rule", True, 5), ("rule", False, 4)],
)
def test_a_handoff_costs_at_most_four_calls(
    deliver, fake_front, process, agent_decides, organization, kind, notice, budget
):
    """Read, [tell the customer], note, unassign; a rule webhook's preview adds the fetch."""
    agent_decides(Handoff("customer asked for a human", "Wants a person.", "neutral"))
    if not notice:
        db.session.add(AgentSettings(organization_id=organization.id, message_open=""))
        db.session.commit()
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(_event(fake_front, fake_front.add_message("cnv_1", "A human please"), kind))
    process()
    assert len(fake_front.calls) == budget
    assert _calls(fake_front)[-2:] == [
        ("POST", "/conversations/cnv_1/comments"),
        ("PUT", "/conversations/cnv_1/assignee"),
    ]


def test_resolving_costs_three_calls(deliver, fake_front, process, agent_decides):
    """Read, re-read right before archiving (a human may have taken it since), archive."""
    agent_decides(Resolve())
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Thanks, that solved it")))
    process()
    assert len(fake_front.calls) == 3
    assert fake_front.conversations["cnv_1"]["status"] == "archived"
