"""Customers' everyday phrasings put in the words of the organization's own knowledge."""

import pytest

from webapp.knowledge import phrasing, retrieval, spelling

VOCABULARY = spelling.build(
    [
        "Orders ship within two business days. Standard delivery takes 3 to 5 days; express takes one.",
        "Refunds go to the original payment method. Shipping costs are not refunded.",
        "Return any unused item within 30 days: print the return label and drop the parcel off.",
        "Invoices are in Billing. Open Subscription and choose Cancel subscription.",
        "Click Forgot password on the login page. The link expires after one hour.",
        ("Les remboursements sont effectués sous 14 jours après réception du retour.", "fr"),
        ("Le remboursement se fait sur le moyen de paiement d'origine.", "fr"),
        ("Les commandes sont expédiées sous deux jours ouvrés.", "fr"),
        ("Délais de livraison : la livraison standard prend de 3 à 5 jours ouvrés.", "fr"),
    ]
)


@pytest.mark.parametrize(
    ("said", "lang", "meant"),
    [
        ("When will it leave your warehouse?", "en", "When will it ship?"),
        ("Where are my bills?", "en", "Where are my invoices?"),
        ("Can I send the jacket back?", "en", "Can I return?"),
        ("When do I get my money back?", "en", "When do I refund?"),
        ("Do you refund the postage?", "en", "Do you refund the shipping costs?"),
        ("Where is the sticker for the box?", "en", "Where is the label for the box?"),
        ("My login details don't work", "en", "My password don't work"),
        ("I want to stop my plan", "en", "I want to cancel subscription"),
        ("Is there a quicker option?", "en", "Is there a express option?"),
        ("When will I be paid back?", "en", "When will I be refund?"),
        ("I need a proof of purchase", "en", "I need a invoices"),
        ("Quand est-ce que je récupère mon argent ?", "fr", "Quand est-ce que je remboursement ?"),
        ("Ma commande part-elle de chez vous demain ?", "fr", "Ma commande expédiée demain ?"),
        ("Est-ce remboursé sur ma carte bancaire ?", "fr", "Est-ce remboursement moyen de paiement ?"),
        ("Mon colis va partir de votre entrepôt ?", "fr", "Mon commande va expédiée ?"),
        ("Quand mon colis quittera-t-il l'entrepôt ?", "fr", "Quand mon commande expédiée ?"),
        ("Je vais recevoir ma commande dans combien de jours ?", "fr", "Je vais livraison délai ?"),
        ("Sur quelle carte est-ce remboursé ?", "fr", "moyen de paiement est-ce remboursement ?"),
        ("Does the refund go back to my card?", "en", "Does the refund go original payment method?"),
        ("Can I send back a coat I never wore?", "en", "Can I return a coat I unused?"),
        ("Do I get the postage back?", "en", "Do I refund shipping costs?"),
        ("When does my stuff get posted?", "en", "When does my stuff ship?"),
        ("I posted it back on Monday", "en", "I return on Monday"),
        ("Vous l'envoyez quand ?", "fr", "expédiée quand ?"),
        ("Quand est-ce que ma commande va partir ?", "fr", "Quand est-ce que ma commande expédiée ?"),
        ("Ma commande arrive quand ?", "fr", "Ma commande livraison ?"),
        ("Quand vais-je avoir mon argent ?", "fr", "Quand vais-je remboursement ?"),
        ("Quand est-ce que vous me rendez l'argent ?", "fr", "Quand est-ce que vous remboursement ?"),
        ("Is there something quicker?", "en", "Is there express?"),
        ("How long does the regular delivery take?", "en", "How long does the standard delivery take?"),
        ("Where can I get copies of my orders?", "en", "Where can I get invoices?"),
    ],
)
def test_an_everyday_phrasing_becomes_the_knowledges_word(said, lang, meant):
    text, changes = phrasing.rephrase(said, VOCABULARY, lang)
    assert text == meant
    assert changes and all(word in meant for word in changes.values())


def test_repairs_for_free_are_the_warranty_and_a_sink_is_water():
    vocab = spelling.build(["Every device has a two year warranty. Damage from drops or water is not covered."])
    assert phrasing.rephrase("Will you fix it for free?", vocab, "en")[0] == "Will you warranty?"
    assert phrasing.rephrase("Would you replace them free of charge?", vocab, "en")[0] == "Would you warranty?"
    said = "My phone fell into the sink, is it covered?"
    assert phrasing.rephrase(said, vocab, "en")[0] == "My phone water, is it covered?"
    assert phrasing.rephrase("I spilled coffee on it", vocab, "en")[0] == "I water coffee on it"


def test_where_a_delivery_is_is_tracking_it():
    vocab = spelling.build(["Use the tracking number on the carrier's website to track the parcel."])
    assert phrasing.rephrase("How do I see where my delivery is?", vocab, "en")[0] == "How do I see track?"


def test_swapping_a_card_is_updating_it():
    vocab = spelling.build(["Updating a payment card", "In Billing, add the new card and set it as default."])
    assert phrasing.rephrase("I need to swap the card on my account", vocab, "en")[0] == (
        "I need to update card on my account"
    )
    assert phrasing.rephrase("How do I change my Visa?", vocab, "en")[0] == "How do I change my card?"


def test_a_phrasing_is_left_alone_when_the_knowledge_never_uses_the_word_it_stands_for():
    # No article says "warranty" or "carrier": "guarantee" and "courier" keep the customer's words.
    assert phrasing.rephrase("Does the guarantee cover it?", VOCABULARY, "en") == ("Does the guarantee cover it?", {})
    assert phrasing.rephrase("The courier lost it", VOCABULARY, "en") == ("The courier lost it", {})


def test_the_customers_own_word_stays_when_the_knowledge_uses_it_too():
    vocabulary = spelling.build(["Our courier is the carrier for every parcel and every package."])
    assert phrasing.rephrase("Which courier do you use?", vocabulary, "en")[1] == {}
    assert phrasing.rephrase("Where is my package?", vocabulary, "en")[1] == {}


def test_words_that_only_look_like_a_phrasing_are_kept():
    # "billing" is not "bills", "followed the link" is not following a parcel.
    for text in ("Where is Billing?", "I followed the link you sent"):
        assert phrasing.rephrase(text, VOCABULARY, "en") == (text, {})


def test_an_unknown_language_is_read_as_english_and_a_language_without_entries_changes_nothing():
    assert phrasing.rephrase("Where are my bills?", VOCABULARY, None)[0] == "Where are my invoices?"
    assert phrasing.rephrase("Where are my bills?", VOCABULARY, "nl") == (
        "Where are my invoices?",
        {"bills": "invoices"},
    )


def test_the_organizations_knowledge_decides_and_a_new_article_is_seen(world):
    organization = world.organization()
    world.article(organization, "Shipping", "Orders ship in two days.")
    assert retrieval.rephrase(organization.id, "Where are my bills?", "en") == ("Where are my bills?", {})
    world.article(organization, "Invoices", "Download invoices from Billing.")
    assert retrieval.rephrase(organization.id, "Where are my bills?", "en")[0] == "Where are my invoices?"


@pytest.mark.parametrize(
    ("said", "meant"),
    [
        ("Where do I enter my promo code?", "Where do I enter my discount code?"),
        ("How do I close my account?", "How do I delete account?"),
        ("Can I swap it for a different size?", "Can I exchange a exchange?"),
        ("Do you ship abroad?", "Do you ship international?"),
        ("Can I turn on 2FA?", "Can I turn on two-factor authentication?"),
    ],
)
def test_a_help_center_about_other_things_gets_its_own_words(said, meant):
    vocabulary = spelling.build(
        [
            "Enter a discount code at checkout. International orders ship from our warehouse.",
            "To delete your account, open Settings. Exchanges are free within 30 days.",
            "Turn on two-factor authentication under Security.",
        ]
    )
    assert phrasing.rephrase(said, vocabulary, "en")[0] == meant


def test_a_size_question_is_not_an_exchange():
    vocabulary = spelling.build(["Exchanges are free within 30 days."])
    assert phrasing.rephrase("What is a size M in inches?", vocabulary, "en")[1] == {}


@pytest.mark.parametrize(
    "text",
    [
        "What's the fastest way to reset my password?",  # fast, but not a delivery option
        "The power went out while I was paying",  # went out, but not an order
        "My father died and I need to close his subscription",  # died, but not a device
        "I can't remember my order number",  # can't remember, but not a password
    ],
)
def test_everyday_words_in_other_senses_are_kept(text):
    vocabulary = spelling.build(
        ["Orders ship in two days; express takes one. Manufacturing defects are covered. Forgot password?"]
    )
    assert phrasing.rephrase(text, vocabulary, "en") == (text, {})


def test_every_phrasing_matches_the_sentence_it_is_written_for():
    """An entry that carries an example sentence (a trailing comment) matches it, compiled as the
    thesaurus compiles it, so a pattern edited later cannot silently stop meaning what it says."""
    import ast
    import inspect
    import re

    source = inspect.getsource(phrasing)
    lines = source.splitlines()
    table = next(
        node.value
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", "") == "_ENTRIES"
    )
    checked = 0
    for language, entries in zip(table.keys, table.values, strict=True):
        for entry in entries.elts:
            comment = lines[entry.end_lineno - 1].partition("#")[2]
            pattern, word = ast.literal_eval(entry)
            compiled = re.compile(rf"(?<![\w'])(?:{pattern})(?![\w'])", re.IGNORECASE)
            for example in re.findall(r'"([^"]+)"', comment):
                assert compiled.search(example), (language.value, pattern, example)
                checked += 1
    assert checked >= 100
