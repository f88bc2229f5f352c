"""Misspelt words put right against the organization's own knowledge before it is searched."""

import pytest

from webapp.knowledge import retrieval, spelling

VOCABULARY = spelling.build(
    [
        "Shipping times. Standard delivery takes 3 days.",
        "Orders ship within two business days. Download your invoices from Billing.",
        "Open Account settings, then Subscription, and choose Cancel subscription.",
        "Change your email address in Account settings. Return any unused item within 30 days.",
        ("Les commandes sont expédiées sous deux jours.", "fr"),
    ]
)


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("shiping", "shipping"),  # a letter dropped
        ("subscripton", "subscription"),
        ("downlod", "download"),
        ("invoces", "invoices"),
        ("cancle", "cancel"),  # two letters swapped
        ("chnage", "change"),
        ("emial", "email"),
        ("adress", "address"),
        ("itme", "item"),  # four letters: only a swap or a single change reaches a word
        ("shippping", "shipping"),  # a letter added
    ],
)
def test_a_typo_one_edit_from_a_knowledge_word_is_put_right(typed, meant):
    assert spelling.suggestion(typed, VOCABULARY) == meant


@pytest.mark.parametrize(
    "word",
    [
        "charge",  # a word the model knows whole is spelt as meant, though "change" is one edit away
        "taxes",  # so is another form of one ("tax"), though "takes" is one edit away
        "commande",  # another form of the knowledge's "commandes": the same stem
        "ship",  # in the knowledge already
        "ordr",  # "orders" is two edits away
        "cat",  # too short to guess
        "zzzzzz",  # nothing near
    ],
)
def test_words_spelt_as_meant_or_too_far_stay_as_written(word):
    assert spelling.suggestion(word, VOCABULARY) is None


def test_two_equally_likely_corrections_leave_the_word_as_written():
    vocabulary = spelling.build(["the cart and the card"])
    assert spelling.suggestion("carx", vocabulary) is None
    assert spelling.suggestion("caxd", vocabulary) == "card"


def test_the_most_used_of_several_near_words_wins():
    vocabulary = spelling.build(["refund refund refund", "refunds"])
    assert spelling.suggestion("refnds", vocabulary) == "refunds"  # only one is one edit away
    vocabulary = spelling.build(["parcel parcel parcel", "parcels"])
    assert spelling.suggestion("parcl", vocabulary) == "parcel"


def test_correct_keeps_the_rest_of_the_text_and_reports_each_change():
    text, changes = spelling.correct("How do I cancle my subscripton, please?", VOCABULARY)
    assert text == "How do I cancel my subscription, please?"
    assert changes == {"cancle": "cancel", "subscripton": "subscription"}
    assert spelling.correct("How long does shipping take?", VOCABULARY) == ("How long does shipping take?", {})


def test_the_vocabulary_is_the_organizations_and_follows_its_articles(world):
    organization, other = world.organization(), world.organization("Other")
    world.article(organization, "Warranty", "Every device has a warranty.")
    assert retrieval.correct_spelling(organization.id, "waranty")[0] == "warranty"
    assert retrieval.correct_spelling(other.id, "waranty") == ("waranty", {})  # another organization's words

    world.article(other, "Gift cards", "Gift cards never expire.")
    assert retrieval.correct_spelling(other.id, "expirre")[0] == "expire"  # rebuilt with the new article


@pytest.mark.parametrize(
    ("word", "mentioned"),
    [
        ("shipped", True),  # the stem of "ship"
        ("orders", True),
        ("day", True),  # short words count too
        ("subscriptions", True),
        ("sub", True),  # the beginning of a knowledge word's stem
        ("expédiée", True),  # in the French article, by the French stemmer
        ("pause", False),
        ("battery", False),
        ("st", False),  # too short to stand for the words it begins
    ],
)
def test_what_the_knowledge_mentions_in_any_form(word, mentioned):
    assert spelling.mentions(VOCABULARY, word) is mentioned


def test_the_strings_one_edit_away_and_the_words_the_model_holds_whole():
    from webapp.knowledge import embeddings

    near = spelling.one_edit_away("chnage")
    assert {"change", "chnge", "chnages", "cchnage"} <= near and "chnage" not in near
    assert "café" in spelling.one_edit_away("cafe")  # the letters of the supported languages
    whole = embeddings.whole_words()
    assert {"change", "email", "address"} <= whole and not {"chnage", "declined", "spam"} & whole
