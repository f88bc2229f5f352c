"""The internal note teammates read in Front at a handoff: each fact once, in words."""

import pytest

from webapp.agent import AgentContext, Handoff
from webapp.agent.default import DefaultAgent
from webapp.front.actions import handoff_note
from webapp.models import Channel


def test_a_frustrated_customer_is_said_once_in_words():
    note = handoff_note(Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated"))
    assert note == (
        "**Handed off by the AI**\n\n"
        "**Reason:** customer asked for a human\n\n"
        "Customer seems frustrated.\n\n"
        "**Summary:** Grace wants a refund for order 42."
    )


def test_a_neutral_customer_goes_unsaid():
    note = handoff_note(Handoff("missing knowledge", "Asked about invoices.", "neutral"))
    assert "neutral" not in note.lower() and "sentiment" not in note.lower()
    assert "**Reason:** missing knowledge" in note


def test_a_reason_that_names_the_mood_is_not_followed_by_it_again():
    note = handoff_note(Handoff("customer is frustrated", "Third message about the same parcel.", "frustrated"))
    assert note.lower().count("frustrated") == 1


@pytest.mark.parametrize("sentiment", ["neutral", "frustrated", "positive", "", "grumpy"])
def test_a_failed_ai_says_so_in_words_and_never_error_next_to_the_sentiment(sentiment):
    note = handoff_note(Handoff("error", "Asked about invoices.", sentiment))
    assert "**Reason:** the AI could not answer this message" in note
    assert "error" not in note.lower() and "neutral" not in note.lower() and "grumpy" not in note


def test_a_happy_customer_is_said_in_words():
    assert "Customer seems happy." in handoff_note(Handoff("customer asked for a human", "Thanks a lot.", "positive"))


def test_the_summary_does_not_repeat_the_sentiment():
    context = AgentContext(
        organization_id=1,
        channel=Channel.EMAIL,
        contact="Grace",
        message="This is useless!!",
        transcript=[("customer", "Where is my order?"), ("ai", "It ships today."), ("customer", "This is useless!!")],
    )
    summary = DefaultAgent.summary(context)
    assert "Grace asked: Where is my order? / This is useless!!" in summary
    assert "sentiment" not in summary.lower()
    note = handoff_note(Handoff("customer is frustrated", summary, "frustrated"))
    assert note.lower().count("frustrated") == 1
