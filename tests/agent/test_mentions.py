"""Questions about something no article mentions, or a price none names, are missing knowledge."""

import pytest

from webapp.agent.mentions import asks_price, names_price, unmentioned
from webapp.knowledge import spelling

VOCABULARY = spelling.build(
    [
        "Cancelling a subscription",
        "Open Account settings, then Subscription, and choose Cancel subscription. You keep access until "
        "the end of the billing period.",
        "Warranty coverage",
        "Every device has a two year warranty covering manufacturing defects. Damage from drops or water "
        "is not covered.",
        "Refund policy",
        "Refunds are issued to the original payment method within 14 days after we receive your return.",
        "Returning an item",
        "You can return any unused item within 30 days. Print the return label from your account.",
        ("Les commandes sont expédiées sous deux jours ouvrés.", "fr"),
    ]
)


@pytest.mark.parametrize(
    ("question", "words"),
    [
        ("Can I pause my subscription for two months?", ("pause",)),
        ("Does the warranty cover the battery?", ("battery",)),
        ("Can I return an item I bought in one of your physical stores?", ("physical", "stores")),
        ("Hi, quick question. Is my data deleted when I cancel my subscription?", ("data", "deleted")),
        # mentioned in some form, everyday words, or no yes-or-no question at all
        ("Can I cancel my subscription?", ()),
        ("If I drop my device, is it covered?", ()),
        ("Will you refund the months I already paid for?", ()),  # "paid" is in "payment"
        ("Do I get something back when I return it?", ()),
        ("Is it possible to return it right now?", ()),
        ("Why is my battery empty after a day?", ("battery", "empty")),
        ("What happens to my data when I cancel my subscription?", ("data",)),
        ("How do I pause my subscription?", ("pause",)),  # the steps are for another verb
        # a "how" question is asked of its verb, whatever else it says
        ("How do I return an item I bought in a physical store?", ()),
        ("How do I get a refund for a broken battery?", ()),  # "get" says nothing: the next word does
        ("how do i cnacel my subscriptoin", ()),  # a word the model cuts in pieces may be a typo
        ("I want to pause my subscription", ()),  # asks nothing yes or no
        # two questions: each part is answered, or not, on its own
        ("How do I cancel my subscription? Also, do you have a shop in Berlin?", ()),
        ("Can I retrun an item?", ()),  # a typo the model cuts in pieces is not counted
        ("were can i get a refund for my battery", ()),  # "were" as a typo of "where"
        # a word cut in pieces and one edit from a common word the model knows is a typo of it
        ("how do i chnage my subscription", ()),
        ("why was my refund not isued", ()),
        # one that is not is asked about as written, in any kind of question
        ("Why was my card declined?", ("card", "declined")),
        ("How do I reactivate my subscription?", ("reactivate",)),
        ("Why did my refund email go to spam?", ("email", "spam")),
        ("Can my subscription be gifted to someone else?", ("gifted",)),  # a form of a common word
        # why or what happens, asked anywhere in the question
        ("I got a refund yesterday but only half of it, why?", ("half",)),
        ("My subscription was cancelled, what happens now to my data?", ("data",)),
    ],
)
def test_the_words_a_question_asks_about_that_no_article_mentions(question, words):
    assert unmentioned(question, VOCABULARY, "en") == words


def test_other_languages_ask_yes_or_no_in_their_own_words():
    assert unmentioned("Est-ce que vous livrez en Suisse ?", VOCABULARY, "fr") == ("livrez", "suisse")
    assert unmentioned("Est-ce que les commandes sont expédiées ?", VOCABULARY, "fr") == ()
    assert unmentioned("Wann kommt meine Bestellung?", VOCABULARY, "de") == ()  # not a yes-or-no question
    # Outside English most words are cut in pieces, many one edit from an English word ("frais"):
    # a yes-or-no question counts them, other questions leave them out.
    assert unmentioned("Est-ce que les frais sont remboursés ?", VOCABULARY, "fr") == ("frais", "remboursés")
    assert unmentioned("Pourquoi les frais sont-ils remboursés ?", VOCABULARY, "fr") == ()


@pytest.mark.parametrize(
    "question",
    [
        "How much does express delivery cost?",
        "how much is shipping to the UK",
        "What's the price of express delivery?",
        "What does express shipping cost?",
        "Combien coûte la livraison en Belgique ?",
        "La livraison express coûte combien ?",
        "Was kostet der Versand?",
        "¿Cuánto cuesta el envío?",
    ],
)
def test_questions_about_a_price(question):
    assert asks_price(question)


@pytest.mark.parametrize(
    "question",
    [
        "How much time does delivery take?",
        "How much protection comes with what I bought?",
        "How much of my refund will I get back?",
        "My headphones broke on their own, will you fix them for free?",  # the warranty answers it
        "Are shipping costs refunded?",
    ],
)
def test_questions_that_do_not_ask_a_price(question):
    assert not asks_price(question)


def test_a_price_is_an_amount_of_money_or_free():
    assert names_price("Express delivery costs €9.90.") and names_price("Returns cost 5 USD")
    assert names_price("Shipping is free over 50 euros") and names_price("La livraison est gratuite")
    assert not names_price("Shipping costs are not refunded.")
    assert not names_price("Standard delivery takes 3 to 5 business days")
