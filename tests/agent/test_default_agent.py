"""The built-in agent's decisions, table by table: presets, advanced switches, forbidden
topics, requests for a person and frustration in several languages, unproductive
conversations, confirmations, and answers from knowledge."""

import pytest

from webapp.agent import AgentContext, Handoff, Reply, Resolve
from webapp.agent.default import DefaultAgent
from webapp.agent.policy import PRESETS, HandoffPolicy, policy_for
from webapp.knowledge import sources
from webapp.models import AgentSettings, Channel, HandoffMode


@pytest.fixture
def org(world):
    organization = world.organization()
    sources.add_manual_article(
        organization.id,
        title="Shipping times",
        body="Orders ship within two business days. Tracking numbers arrive by email.",
        url="https://help.acme.test/ship",
        locale="en",
        internal=False,
    )
    sources.add_manual_article(
        organization.id,
        title="Délais de livraison",
        body="Les commandes sont expédiées sous deux jours ouvrés. Le suivi de livraison arrive par email.",
        url="https://help.acme.test/fr/livraison",
        locale="fr",
        internal=False,
    )
    sources.add_manual_article(
        organization.id,
        title="Password reset",
        body="Use the Forgot password link on the login page to reset your password.",
        url=None,
        locale="en",
        internal=True,
    )
    return organization


def decide(org, message, *, policy=PRESETS[1], earlier=(), ai_replies=0, channel=Channel.EMAIL, topics=()):
    transcript = []
    for text in earlier:
        transcript.append(("customer", text))
    transcript += [("ai", "An earlier answer.")] * ai_replies
    transcript.append(("customer", message))
    context = AgentContext(org.id, channel, "Grace <grace@example.com>", message, transcript, policy, tuple(topics))
    return DefaultAgent().decide(context)


def kind(result):
    return result.decision.kind


HUMAN_REQUESTS = [
    "I want to talk to a human",
    "Can I speak to someone please?",
    "Get me a real person",
    "representative",
    "Je veux parler à quelqu'un",
    "Je voudrais un conseiller",
    "Ich möchte mit einem Mitarbeiter sprechen",
    "Quiero hablar con alguien",
]


@pytest.mark.parametrize("message", HUMAN_REQUESTS)
def test_quick_handoff_hands_off_on_any_request_for_a_person(org, message):
    result = decide(org, message)
    assert kind(result) == "handoff" and result.decision.reason == "customer asked for a human"


@pytest.mark.parametrize("message", HUMAN_REQUESTS[:4])
def test_ai_only_declines_requests_politely_and_keeps_helping(org, message):
    result = decide(org, message, policy=PRESETS[0])
    assert kind(result) == "reply" and "keep helping" in result.decision.text


def test_balanced_asks_for_the_problem_before_handing_off(org):
    assert kind(decide(org, "human please", policy=PRESETS[2])) == "reply"
    result = decide(
        org, "human please", policy=PRESETS[2], earlier=["My parcel arrived damaged and the box was open when it came"]
    )
    assert kind(result) == "handoff"


def test_ai_first_tries_several_answers_before_escalating_a_request(org):
    detailed = ["How long does shipping take for an order to arrive?"]
    request = "I want a human to tell me how long shipping takes"
    assert kind(decide(org, request, policy=PRESETS[3], earlier=detailed, ai_replies=1)) == "reply"
    assert kind(decide(org, request, policy=PRESETS[3], earlier=detailed, ai_replies=2)) == "handoff"


FRUSTRATED = [
    "This is ridiculous, nothing works!!",
    "Your service is USELESS and TERRIBLE",
    "C'est inacceptable",
    "Das ist eine Frechheit",
    "Estoy harto de esperar",
]


@pytest.mark.parametrize("message", FRUSTRATED)
def test_quick_handoff_hands_off_on_frustration_with_the_sentiment(org, message):
    result = decide(org, message)
    assert kind(result) == "handoff" and result.decision.sentiment == "frustrated"


def test_ai_first_needs_frustration_twice(org):
    result = decide(org, "Still ridiculous!!", policy=PRESETS[3], earlier=["This is ridiculous!!"])
    assert kind(result) == "handoff" and result.decision.reason == "customer is frustrated"
    first = decide(org, "This is ridiculous!!", policy=PRESETS[3])
    assert not (kind(first) == "handoff" and first.decision.reason == "customer is frustrated")


def test_a_repeated_question_is_unproductive(org):
    result = decide(
        org, "Where is the tracking number for my order?", earlier=["Where is the tracking number for my order?"]
    )
    assert kind(result) == "handoff" and result.decision.reason == "unproductive conversation"


@pytest.mark.parametrize(
    ("level", "replies", "expected"),
    [(1, 1, "reply"), (1, 2, "handoff"), (2, 2, "reply"), (2, 3, "handoff"), (3, 4, "handoff"), (0, 9, "reply")],
)
def test_n_ai_replies_without_progress_per_level(org, level, replies, expected):
    result = decide(org, "How long does shipping take?", policy=PRESETS[level], ai_replies=replies)
    assert kind(result) == expected


@pytest.mark.parametrize(
    ("advanced", "message", "expected"),
    [
        ({"enabled": False}, "I want a human", "reply"),
        ({"enabled": True, "on_request": False}, "I want a human", "reply"),
        (
            {"enabled": True, "on_frustration": False},
            "This is ridiculous!! How long does shipping take for my order?",
            "reply",
        ),
        (
            {"enabled": True, "on_frustration": True},
            "This is ridiculous!! How long does shipping take for my order?",
            "handoff",
        ),
        ({"enabled": True}, "I want a human", "handoff"),
    ],
)
def test_advanced_switches(org, advanced, message, expected):
    settings = AgentSettings(handoff_mode=HandoffMode.ADVANCED, advanced=advanced)
    assert kind(decide(org, message, policy=policy_for(settings))) == expected


def test_advanced_unproductive_after_n(org):
    settings = AgentSettings(
        handoff_mode=HandoffMode.ADVANCED, advanced={"enabled": True, "on_unproductive": True, "unproductive_after": 5}
    )
    policy = policy_for(settings)
    assert kind(decide(org, "How long does shipping take?", policy=policy, ai_replies=4)) == "reply"
    assert kind(decide(org, "How long does shipping take?", policy=policy, ai_replies=5)) == "handoff"


@pytest.mark.parametrize(
    ("message", "topic"),
    [
        ("Can you give me legal advice about my contract?", "legal advice"),
        ("I'd like to negotiate the price", "pricing negotiation"),
        ("Quick question on legal stuff: is this advice binding?", "legal advice"),
    ],
)
def test_forbidden_topics_are_handed_off_with_the_topic_even_at_ai_only(org, message, topic):
    result = decide(org, message, policy=PRESETS[0], topics=("legal advice", "pricing negotiation"))
    assert kind(result) == "handoff" and result.decision.reason == f"forbidden topic: {topic}"


def test_a_message_merely_near_a_topic_is_answered(org):
    assert kind(decide(org, "How long does shipping take?", topics=("legal advice",))) == "reply"


@pytest.mark.parametrize(
    "message",
    ["That solved it, thanks!", "It works now", "Problem solved", "Ça marche, merci", "Es funktioniert", "Ya funciona"],
)
def test_resolves_when_the_customer_confirms(org, message):
    assert isinstance(decide(org, message).decision, Resolve)


def test_answers_from_knowledge_written_for_each_channel(org):
    email = decide(org, "How long does shipping take for my order?")
    assert isinstance(email.decision, Reply)
    assert "two business days" in email.decision.text and "https://help.acme.test/ship" in email.decision.text
    assert email.tool_calls[0].name == "search_knowledge"
    phone = decide(org, "How long does shipping take for my order?", channel=Channel.PHONE)
    assert "http" not in phone.decision.text
    sms = decide(org, "How long does shipping take for my order?", channel=Channel.SMS)
    assert len(sms.decision.text) <= 300 and "http" not in sms.decision.text


def test_answers_in_the_customers_language_where_the_knowledge_has_it(org):
    result = decide(org, "Combien de jours pour la livraison de ma commande ?")
    assert isinstance(result.decision, Reply)
    assert "jours ouvrés" in result.decision.text and result.decision.sources[0]["title"] == "Délais de livraison"


def test_internal_articles_answer_without_a_link(org):
    result = decide(org, "How do I reset my password on the login page?")
    assert isinstance(result.decision, Reply) and "Forgot password" in result.decision.text
    assert result.decision.sources == [{"title": "Password reset", "url": None}]


def test_missing_knowledge_hands_off_except_at_ai_only(org):
    assert decide(org, "Can I bring my llama to the office party?").decision.reason == "missing knowledge"
    assert kind(decide(org, "Can I bring my llama to the office party?", policy=PRESETS[0])) == "reply"


def test_every_handoff_has_a_summary_and_a_sentiment(org):
    result = decide(org, "I want a human, thanks", earlier=["My order 42 never arrived"], ai_replies=1)
    handoff = result.decision
    assert isinstance(handoff, Handoff)
    assert "My order 42 never arrived" in handoff.summary and "The AI replied 1 time(s)" in handoff.summary
    assert handoff.sentiment == "positive"


def test_the_default_policy_is_quick_handoff():
    assert policy_for(None) == PRESETS[1] == HandoffPolicy()
