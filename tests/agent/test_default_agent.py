"""The built-in agent's decisions, table by table: presets, advanced switches, forbidden
topics, requests for a person and frustration in several languages, unproductive
conversations, confirmations, and answers from knowledge."""

from dataclasses import replace

import pytest

from webapp.agent import AgentContext, Draft, Handoff, Reply, Resolve, default
from webapp.agent.confidence import AnswerPolicy
from webapp.agent.default import DefaultAgent
from webapp.agent.policy import PRESETS, HandoffPolicy, policy_for
from webapp.knowledge.retrieval import Candidate
from webapp.models import AgentSettings, Channel, HandoffMode


@pytest.fixture
def org(world):
    organization = world.organization()
    world.article(
        organization,
        "Shipping times",
        "Orders ship within two business days. Tracking numbers arrive by email.",
        url="https://help.acme.test/ship",
    )
    world.article(
        organization,
        "Délais de livraison",
        "Les commandes sont expédiées sous deux jours ouvrés. Le suivi de livraison arrive par email.",
        url="https://help.acme.test/fr/livraison",
        locale="fr",
    )
    world.article(
        organization,
        "Password reset",
        "Use the Forgot password link on the login page to reset your password.",
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
        ("Is it legal for me to stop paying without cancelling? Could you take me to court?", "legal advice"),
    ],
)
def test_forbidden_topics_are_handed_off_with_the_topic_even_at_ai_only(org, message, topic):
    result = decide(org, message, policy=PRESETS[0], topics=("legal advice", "pricing negotiation"))
    assert kind(result) == "handoff" and result.decision.reason == f"forbidden topic: {topic}"


def test_a_message_merely_near_a_topic_is_answered(org):
    assert kind(decide(org, "How long does shipping take?", topics=("legal advice",))) == "reply"
    # "advice" only names the kind of request; a topic of nothing but such words needs them all.
    assert kind(decide(org, "Any advice on how long shipping takes?", topics=("legal advice",))) == "reply"
    assert kind(decide(org, "Any advice on how long shipping takes?", topics=("advice",))) == "handoff"


@pytest.mark.parametrize(
    "message",
    [
        "That solved it, thanks!",
        "It works now",
        "Problem solved",
        "Ça marche, merci",
        "Es funktioniert",
        "Ya funciona",
        "No further questions, all clear",
        "Pas d'autres questions, vous pouvez fermer",
        "Keine weiteren Fragen, danke",
    ],
)
def test_resolves_when_the_customer_confirms(org, message):
    assert isinstance(decide(org, message).decision, Resolve)


def test_misspelt_words_are_put_right_before_the_knowledge_is_searched(org):
    result = decide(org, "how many busines days before my ordres ship")
    assert kind(result) == "reply" and "two business days" in result.decision.text
    assert result.tool_calls[0].input["corrected"] == {"busines": "business", "ordres": "orders"}
    assert "corrected" not in decide(org, "How long does shipping take?").tool_calls[0].input


def test_everyday_words_are_put_in_the_knowledges_words_before_the_knowledge_is_searched(org):
    """ "leave your warehouse" shares no word with the article; put as "ship", it is answered."""
    result = decide(org, "My order was placed on Monday. When will it leave your warehouse?")
    assert kind(result) == "reply" and "two business days" in result.decision.text
    assert result.tool_calls[0].input["rephrased"] == {"leave your warehouse": "ship"}
    assert "rephrased" not in decide(org, "How long does shipping take?").tool_calls[0].input


def test_what_a_customer_asks_instead_of_something_is_not_answered_by_the_article_about_it(org):
    """ "Can I pick it up instead of having it shipped" is not answered by the shipping times."""
    assert kind(decide(org, "How long does shipping take?")) == "reply"
    result = decide(org, "Can I collect the order from your shop instead of shipping it?")
    assert kind(result) != "reply"
    assert "shipping" not in result.tool_calls[0].input["query"]


def test_a_message_asking_two_things_gets_both_answers_when_each_is_sure(org):
    result = decide(org, "How many business days until my order ships? And how do I reset my password?")
    assert kind(result) == "reply"
    assert [s["title"] for s in result.decision.sources] == ["Shipping times", "Password reset"]
    assert "two business days" in result.decision.text and "Forgot password" in result.decision.text
    assert "https://help.acme.test/ship" in result.decision.text  # the public one keeps its link
    assert [c.input["query"] for c in result.tool_calls] == [
        "How many business days until my order ships?",
        "how do I reset my password?",
    ]
    assert result.reasoning.startswith("The message asks 2 things, each answered on its own")
    two = "How many business days until my order ships? And how do I reset my password?"
    sms = decide(org, two, channel=Channel.SMS)
    assert "http" not in sms.decision.text and len(sms.decision.text) <= default.SMS_LIMIT


@pytest.mark.parametrize(
    ("message", "parts"),
    [
        ("How long does shipping take?", ["How long does shipping take?"]),
        (
            "Two things: how do I update my card, and where do I download my invoice?",
            ["Two things: how do I update my card", "where do I download my invoice?"],
        ),
        ("Can I cancel my subscription and get a refund?", ["Can I cancel my subscription and get a refund?"]),
        ("Comment changer ma carte ? Et où est ma facture ?", ["Comment changer ma carte ?", "où est ma facture ?"]),
        ("Thanks. Where is my parcel?", ["Where is my parcel?"]),  # too short to search alone
        # a part that names nothing of its own asks about what came before it
        (
            "I want to send back a jacket I never wore. How do I do that, and how long until I see my money again?",
            ["I want to send back a jacket I never wore. How do I do that", "how long until I see my money again?"],
        ),
        # after a comma, "and" before a subject of its own starts the next request
        (
            "I'd like to move my account to a new email, and my card has expired so how do I add another?",
            ["I'd like to move my account to a new email", "my card has expired so how do I add another?"],
        ),
        ("How do I change my email, and my password?", ["How do I change my email, and my password?"]),
        # a dash sets the next one apart
        (
            "I need to update the email on my account — and while I'm at it, how do I set a new password?",
            ["I need to update the email on my account", "and while I'm at it, how do I set a new password?"],
        ),
    ],
)
def test_the_questions_of_a_message(message, parts):
    from webapp.agent import signals

    assert signals.questions(message) == parts


def test_french_function_words_do_not_count_as_key_words_of_a_question(org):
    result = decide(org, "Sous combien de jours ma commande est-elle expédiée ?")
    assert kind(result) == "reply" and result.decision.sources[0]["title"] == "Délais de livraison"
    assert "de" not in default.search.terms("Sous combien de jours ma commande est-elle expédiée ?")


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


# -- right or silent: reply, draft or handoff by confidence -----------------------------------


def _candidate(title, passage, *, similarity, fts_rank=1, fused=0.03, url="https://help.acme.test/x"):
    return Candidate(
        article_id=1,
        title=title,
        url=url,
        locale="en",
        visibility="public",
        passage=passage,
        fts_rank=fts_rank,
        similarity=similarity,
        example_similarity=0.0,
        fused=fused,
    )


@pytest.fixture
def candidates(monkeypatch):
    """``candidates([...])`` makes retrieval return those, best first."""
    found = []
    from webapp.knowledge import retrieval

    monkeypatch.setattr(retrieval, "retrieve", lambda organization_id, question, **options: list(found))
    return lambda items: found.extend(items)


def decide_with(org, message, answer_policy=None, policy=PRESETS[1], channel=Channel.EMAIL):
    context = AgentContext(
        org.id,
        channel,
        "Grace",
        message,
        [("customer", message)],
        policy,
        (),
        answer_policy or AnswerPolicy(),
    )
    return DefaultAgent().decide(context)


REFUNDS = "Refunds are issued to the original payment method within 14 days after we receive your return."


def test_a_sure_answer_is_sent_from_the_best_passage_with_the_scores(org, candidates):
    candidates(
        [
            _candidate("Refund policy", REFUNDS, similarity=0.72),
            _candidate("Returning an item", "You can return any unused item within 30 days.", similarity=0.4),
        ]
    )
    result = decide_with(org, "When will my refund be issued?")
    assert isinstance(result.decision, Reply)
    assert result.decision.text.startswith(REFUNDS) and result.decision.sources[0]["title"] == "Refund policy"
    for words in ("confidence", "reply at 0.55", "key words covered", "similarity 0.72", "margin over the next"):
        assert words in result.reasoning
    [call] = result.tool_calls
    assert call.output[0]["similarity"] == 0.72 and call.output[0]["fts_rank"] == 1


def test_an_unsure_answer_is_drafted_with_a_handoff(org, candidates):
    candidates(
        [
            _candidate("Refund policy", REFUNDS, similarity=0.45, fts_rank=None),
            _candidate("Returning an item", "You can return any unused item within 30 days.", similarity=0.4),
        ]
    )
    result = decide_with(org, "when do i get my money back", AnswerPolicy(reply_at=0.6, draft_at=0.1))
    assert isinstance(result.decision, Draft)
    assert result.decision.reply.text.startswith(REFUNDS)
    assert result.decision.handoff.reason == "unsure answer" and "Grace asked" in result.decision.handoff.summary
    assert "drafted for a teammate" in result.reasoning and "draft at 0.10" in result.reasoning


def test_without_drafts_an_unsure_answer_is_handed_off_as_missing_knowledge(org, candidates):
    candidates([_candidate("Refund policy", REFUNDS, similarity=0.45, fts_rank=None)])
    result = decide_with(org, "how do i get my money back", AnswerPolicy(reply_at=0.9, draft_at=0.1, drafts=False))
    assert isinstance(result.decision, Handoff) and result.decision.reason == "missing knowledge"
    assert "surely enough" in result.reasoning and "drafts off" in result.reasoning


def test_with_handoff_off_an_unsure_answer_is_neither_sent_nor_drafted(org, candidates):
    candidates([_candidate("Refund policy", REFUNDS, similarity=0.45, fts_rank=None)])
    result = decide_with(org, "how do i get my money back", AnswerPolicy(reply_at=0.9, draft_at=0.1), PRESETS[0])
    assert isinstance(result.decision, Reply) and "don't have information" in result.decision.text


def test_a_sure_answer_is_only_drafted_when_the_customer_says_the_last_one_did_not_help(org, candidates):
    candidates([_candidate("Refund policy", REFUNDS, similarity=0.72)])
    first = "When will my refund be issued?"
    assert isinstance(decide_with(org, first).decision, Reply)

    followup = "Thanks, but it has been three weeks and there is still no refund on my card."
    context = AgentContext(
        org.id,
        Channel.EMAIL,
        "Grace",
        followup,
        [("customer", first), ("ai", REFUNDS), ("customer", followup)],
        PRESETS[1],
    )
    result = DefaultAgent().decide(context)
    assert isinstance(result.decision, Draft) and result.decision.reply.text.startswith(REFUNDS)
    assert result.decision.handoff.reason == "unproductive conversation"
    assert "did not solve it" in result.reasoning and "drafted for a teammate" in result.reasoning
    assert "not surely enough" not in result.reasoning

    without_drafts = AgentContext(
        org.id, Channel.EMAIL, "Grace", followup, context.transcript, PRESETS[1], (), AnswerPolicy(drafts=False)
    )
    result = DefaultAgent().decide(without_drafts)
    assert isinstance(result.decision, Handoff) and result.decision.reason == "unproductive conversation"
    assert "did not solve it" in result.reasoning


@pytest.mark.parametrize("level", [PRESETS[0], replace(PRESETS[1], on_unproductive=False)])
def test_where_the_level_does_not_hand_off_unproductive_conversations_the_ai_answers(org, candidates, level):
    candidates([_candidate("Refund policy", REFUNDS, similarity=0.72)])
    first, followup = "When will my refund be issued?", "Thanks, but there is still no refund on my card."
    transcript = [("customer", first), ("ai", REFUNDS), ("customer", followup)]
    result = DefaultAgent().decide(AgentContext(org.id, Channel.EMAIL, "Grace", followup, transcript, level))
    assert isinstance(result.decision, Reply)


def test_the_same_words_opening_a_conversation_are_answered(org, candidates):
    candidates([_candidate("Refund policy", REFUNDS, similarity=0.72)])
    message = "Thanks, but it has been three weeks and there is still no refund on my card."
    assert isinstance(decide_with(org, message).decision, Reply)  # nothing was suggested yet


def test_nothing_found_is_missing_knowledge(org, candidates):
    result = decide_with(org, "Can I bring my llama?")
    assert isinstance(result.decision, Handoff) and "No article in the knowledge covers" in result.reasoning


def test_the_real_retrieval_answers_and_holds_back(org):
    assert kind(decide_with(org, "How long does shipping take?")) == "reply"
    assert kind(decide_with(org, "What is the capital of Australia?")) == "handoff"


def test_a_question_about_what_no_article_mentions_is_missing_knowledge(world):
    """ "Can I pause my subscription?" lands on the article about cancelling, with most of its
    words: but that article cannot say yes or no to pausing. No article holds the answer, so a
    teammate takes it with no article drafted, and it counts as a question no article answers."""
    organization = world.organization()
    world.article(
        organization,
        "Cancelling a subscription",
        "Open Account settings, then Subscription, and choose Cancel subscription. You keep access until the "
        "end of the billing period.",
    )
    assert kind(decide(organization, "Can I cancel my subscription from my account settings?")) == "reply"
    result = decide(organization, "Can I pause my subscription from my account settings?")
    assert kind(result) == "handoff" and result.decision.reason == "missing knowledge"
    assert "asks about “pause”, which no article mentions" in result.reasoning

    assert kind(decide(organization, "How do I cancel my subscription?")) == "reply"
    how_to = decide(organization, "How do I pause my subscription?")
    assert kind(how_to) == "handoff" and "“pause”" in how_to.reasoning

    # Unsure of the article to begin with (a draft at most), the question is still missing knowledge.
    unsure = decide_with(organization, "Can I pause my subscription?", AnswerPolicy(reply_at=0.99, draft_at=0.1))
    assert kind(unsure) == "handoff" and "“pause”" in unsure.reasoning


def test_a_question_about_a_price_needs_an_article_that_names_one(world):
    """The delivery-times article has every word of "How much does express delivery cost?" but
    the price; the refunds article's "shipping costs" holds the word "cost", not an amount."""
    organization = world.organization()
    world.article(
        organization,
        "Shipping times",
        "Orders ship within two business days. Standard delivery takes 3 to 5 business days after shipping; "
        "express delivery takes one day.",
    )
    world.article(organization, "Refund policy", "Refunds take 14 days. Shipping costs are not refunded.")
    assert kind(decide(organization, "How long does express delivery take?")) == "reply"
    for question in ("How much does express delivery cost?", "What's the price of express delivery?"):
        result = decide(organization, question)
        assert kind(result) == "handoff" and result.decision.reason == "missing knowledge", question
        assert "asks what something costs, and the article names no price" in result.reasoning

    world.article(organization, "Express delivery prices", "Express delivery costs €9.90 per order.")
    priced = decide(organization, "How much does express delivery cost?")
    assert kind(priced) == "reply" and "€9.90" in priced.decision.text


HELP_CENTER = [
    ("Shipping times", "Orders ship within two business days. Standard delivery takes 3 to 5 business days."),
    ("Refund policy", "Refunds are issued to the original payment method within 14 days after we receive your return."),
    ("Returning an item", "You can return any unused item within 30 days. Print the return label from your account."),
    ("Downloading invoices", "Invoices are in Billing under Invoices. Each invoice can be downloaded as a PDF."),
    ("Warranty coverage", "Every device has a two year warranty covering manufacturing defects."),
]


@pytest.fixture
def help_center(world):
    organization = world.organization()
    for title, body in HELP_CENTER:
        world.article(organization, title, body)
    return organization


def test_a_question_among_sentences_that_only_tell_its_context_is_asked_on_its_own(help_center):
    message = (
        "Where can I download my invoices? My boss needs them for my expense report, the accountant keeps "
        "nagging and the tax office wants everything by Friday."
    )
    result = decide(help_center, message)
    assert kind(result) == "reply" and result.decision.sources[0]["title"] == "Downloading invoices"
    assert "answers the question “Where can I download my invoices?”" in result.reasoning


def test_a_question_that_refers_back_keeps_its_context(help_center):
    # "it" is the gift card: asked on its own, "How do I return it?" would get the return steps
    result = decide(help_center, "I bought a gift card for my niece last week. How do I return it?")
    assert kind(result) != "reply"


@pytest.mark.parametrize(
    ("parts", "asked"),
    [
        (["Where is my bill?", "My boss needs it."], ["Where is my bill?"]),
        (["I bought a gift card.", "How do I return it?"], ["I bought a gift card.", "How do I return it?"]),
        (["How do I cancel?", "Where is my invoice?"], ["How do I cancel?", "Where is my invoice?"]),
        (["My parcel is late.", "Thanks for nothing."], ["My parcel is late.", "Thanks for nothing."]),
    ],
)
def test_the_parts_asked_on_their_own(parts, asked):
    assert default.asked_on_their_own(parts) == asked
