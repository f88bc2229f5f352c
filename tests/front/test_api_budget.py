"""How many calls to Front each decision costs: the budget users pay out of their plan's limit.

An AI reply costs at most three calls, a handoff at most four; a webhook with full event data
carries the message and saves the fetch.
"""

import pytest

from tests.front.conftest import AI, Handoff, Reply, Resolve
from webapp.db import db
from webapp.models import AgentSettings


def _full_event(fake_front, message, event_id="evt_full"):
    """A rule webhook sent with full event data: the target is the message itself."""
    event = fake_front.event(message, envelope=False, event_id=event_id)
    event["target"]["data"] = fake_front._message_json(message)
    return event


def _calls(fake_front):
    return [(c.method, c.path) for c in fake_front.calls]


def _no_customer_notice(organization_id):
    db.session.add(AgentSettings(organization_id=organization_id, message_open=""))
    db.session.commit()


def test_an_ai_reply_costs_three_calls(deliver, fake_front, process, agent_decides):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "Where is my order?")
    deliver(fake_front.event(message))
    process()
    assert _calls(fake_front) == [
        ("GET", "/conversations/cnv_1"),  # who has it now, not when the event was sent
        ("GET", f"/messages/{message['id']}"),  # the webhook carries only a preview
        ("POST", "/conversations/cnv_1/messages"),
    ]


def test_full_event_data_saves_the_message_fetch(deliver, fake_front, process, agent_decides):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(_full_event(fake_front, fake_front.add_message("cnv_1", "Where is my order?")))
    process()
    assert _calls(fake_front) == [("GET", "/conversations/cnv_1"), ("POST", "/conversations/cnv_1/messages")]
    assert fake_front.replies("cnv_1")[0]["text"] == "Your order ships tomorrow."


@pytest.mark.parametrize("notice, full, budget", [(False, False, 4), (True, True, 4), (True, False, 5)])
def test_a_handoff_costs_four_calls(deliver, fake_front, process, agent_decides, organization, notice, full, budget):
    """Four: read, [fetch the message | tell the customer], note, unassign. With a customer
    notice and a preview webhook it is five: the notice is a message of its own."""
    agent_decides(Handoff("customer asked for a human", "Wants a person.", "neutral"))
    if not notice:
        _no_customer_notice(organization.id)
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "A human please")
    deliver(_full_event(fake_front, message) if full else fake_front.event(message))
    process()
    assert len(fake_front.calls) == budget
    assert _calls(fake_front)[-2:] == [("POST", "/conversations/cnv_1/comments"), ("PUT", "/conversations/cnv_1/assignee")]


def test_resolving_costs_four_calls(deliver, fake_front, process, agent_decides):
    """Read, fetch, re-read right before archiving (a human may have taken it), archive."""
    agent_decides(Resolve())
    fake_front.add_conversation("cnv_1", assignee=AI)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Thanks, that solved it")))
    process()
    assert len(fake_front.calls) == 4
    assert fake_front.conversations["cnv_1"]["status"] == "archived"
