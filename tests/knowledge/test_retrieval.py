"""Retrieval by meaning and words: passages embedded when articles change (and only then),
fusion with the full-text rank, the visibility rules, example questions, the per-worker cache."""

import pytest
from sqlalchemy import func, insert, select, update

from webapp.db import db
from webapp.knowledge import embeddings, retrieval, sources, sync
from webapp.models import ArticleExample, KnowledgeArticle, KnowledgePassage

SHIPPING = (
    "Orders leave our warehouse within two business days. Standard delivery takes 3 to 5 business days; "
    "express delivery takes one day."
)
PRICING = "The Pro plan costs 20 euros a month. You can try any plan free for a week, and change plans at any time."


@pytest.fixture
def library(world):
    organization = world.organization()

    def add(title, body, **fields):
        return world.article(organization, title, body, **fields)

    add("Shipping and delivery times", SHIPPING, url="https://help.acme.test/shipping")
    add("Pricing plans", PRICING)
    add("Resetting your password", "Click Forgot password on the login page and follow the link we email you.")
    add("Gift cards", "Gift cards never expire and can be used for any order.")
    return organization, add


def _passages(article_id):
    return db.session.execute(
        select(KnowledgePassage.id, KnowledgePassage.position, KnowledgePassage.text, KnowledgePassage.model)
        .where(KnowledgePassage.article_id == article_id)
        .order_by(KnowledgePassage.position)
    ).all()


def _titles(organization_id, question, **kwargs):
    return [c.title for c in retrieval.retrieve(organization_id, question, **kwargs)]


def test_adding_an_article_stores_its_passages_with_their_embeddings(library):
    organization, add = library
    article = add("Warranty", "Every device has a two year warranty.\n\nDrops and water damage are not covered by it.")
    rows = _passages(article.id)
    assert [(r.position, r.text) for r in rows] == [
        (0, "Warranty"),
        (1, "Every device has a two year warranty."),
        (2, "Drops and water damage are not covered by it."),
    ]
    assert {r.model for r in rows} == {embeddings.MODEL}
    vector = embeddings.from_bytes(db.session.get(KnowledgePassage, rows[1].id).embedding)
    assert vector.shape == (embeddings.DIMENSIONS,) and abs(float(vector @ vector) - 1) < 1e-4


def test_passages_are_rebuilt_only_when_the_text_or_the_model_changed(library):
    organization, add = library
    article = add("Warranty", "Every device has a two year warranty.")
    first = _passages(article.id)
    fields = {"title": "Warranty", "body": "Every device has a two year warranty.", "url": "https://x.test/w"}
    sources.update_manual_article(article, **fields, locale="en", internal=True)  # link and visibility only
    assert _passages(article.id) == first
    assert retrieval.index_article(article) is False

    sources.update_manual_article(
        article, **{**fields, "body": "Every device has a three year warranty."}, locale="en", internal=False
    )
    rebuilt = _passages(article.id)
    assert rebuilt[1].text == "Every device has a three year warranty." and rebuilt != first

    db.session.execute(update(KnowledgePassage).where(KnowledgePassage.article_id == article.id).values(model="older"))
    assert retrieval.index_article(article) is True
    assert {r.model for r in _passages(article.id)} == {embeddings.MODEL}


def test_reindex_embeds_what_is_missing_or_stale_and_skips_the_rest(library):
    organization, _ = library
    source = sources.manual_source(organization.id)
    db.session.execute(
        insert(KnowledgeArticle),
        [
            {
                "organization_id": organization.id,
                "source_id": source.id,
                "external_id": f"bulk-{n}",
                "locale": "en",
                "title": f"Bulk article {n}",
                "body": "Loaded without passages.",
                "visibility": "public",
                "hidden": False,
            }
            for n in range(3)
        ],
    )
    db.session.commit()
    assert retrieval.reindex(organization.id) == 3
    assert retrieval.reindex(organization.id) == 0
    count = db.session.scalar(
        select(func.count(func.distinct(KnowledgePassage.article_id))).where(
            KnowledgePassage.organization_id == organization.id
        )
    )
    assert count == 7


def test_a_paraphrase_sharing_no_word_with_the_article_finds_it(library):
    organization, _ = library
    candidates = retrieval.retrieve(organization.id, "where is my package")
    best = candidates[0]
    assert best.title == "Shipping and delivery times"
    assert best.fts_rank is None and best.similarity > 0.15
    assert best.passage == SHIPPING and best.url == "https://help.acme.test/shipping"


def test_everyday_words_neither_help_nor_hinder_a_match_by_words(library):
    organization, _ = library
    # a third of "bought lamp sunday actually ship" would need two; "sunday" and "actually" say nothing
    candidates = retrieval.retrieve(organization.id, "I bought a lamp on Sunday, when will it actually ship?")
    assert candidates[0].title == "Shipping and delivery times" and candidates[0].fts_rank == 1
    # the pricing article's "week" is no match for a parcel
    candidates = retrieval.retrieve(organization.id, "My parcel still hasn't arrived after a week")
    assert all(c.fts_rank is None for c in candidates if c.title == "Pricing plans")


def test_short_words_no_one_can_read_neither_help_nor_hinder_a_match_by_words(library):
    organization, _ = library
    # a third of "whn ship bak hme" would need two: "whn", "bak" and "hme" cannot be read
    candidates = retrieval.retrieve(organization.id, "whn will it ship bak hme")
    assert candidates[0].title == "Shipping and delivery times" and candidates[0].fts_rank == 1


def test_an_incidental_shared_word_does_not_win_over_meaning(library):
    organization, _ = library
    # "week" appears only in the pricing article
    candidates = retrieval.retrieve(organization.id, "my parcel hasn't arrived after a week")
    assert candidates[0].title == "Shipping and delivery times"
    pricing = next((c for c in candidates if c.title == "Pricing plans"), None)
    assert pricing is None or pricing.fused < candidates[0].fused


def test_a_direct_question_is_found_by_words_and_meaning(library):
    organization, _ = library
    best = retrieval.retrieve(organization.id, "I forgot my password")[0]
    assert best.title == "Resetting your password" and best.fts_rank == 1 and best.similarity > 0.3
    assert best.fused > max(c.fused for c in retrieval.retrieve(organization.id, "I forgot my password")[1:])


def test_the_best_passage_of_a_long_article_is_quoted(library):
    organization, add = library
    add(
        "Account help",
        "To change the email on your account, open Account settings and choose Email.\n\n"
        "To close your account for good, write to us from the address on the account.\n\n"
        "Two-factor authentication adds a code sent to your phone each time you log in.",
    )
    best = retrieval.retrieve(organization.id, "how do I turn on two-factor authentication codes")[0]
    assert best.title == "Account help" and best.passage.startswith("Two-factor authentication")


def test_hidden_articles_are_never_found_and_internal_ones_follow_the_rules(library):
    organization, add = library
    add("Secret sale", "A hidden discount on delivery for loyal customers.", hidden=True)
    internal = add("Chargebacks", "Escalate chargebacks and disputed card payments to finance.", internal=True)
    assert "Secret sale" not in _titles(organization.id, "hidden discount on delivery")
    assert _titles(organization.id, "a customer disputes a card payment")[0] == "Chargebacks"
    assert "Chargebacks" not in _titles(organization.id, "a customer disputes a card payment", include_internal=False)
    internal.source.allow_internal = False
    db.session.commit()
    assert "Chargebacks" not in _titles(organization.id, "a customer disputes a card payment")


def test_another_organizations_articles_are_never_found(library, world):
    assert retrieval.retrieve(world.organization("Other").id, "where is my package") == []


def test_example_questions_count_as_passages_of_their_article(library):
    organization, _ = library
    gift = db.session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.title == "Gift cards"))
    question = "can I give a present voucher to my sister"
    before = next(c for c in retrieval.retrieve(organization.id, question, limit=10) if c.article_id == gift.id)
    db.session.add(
        ArticleExample(
            organization_id=organization.id, article_id=gift.id, question="can I offer a voucher as a present"
        )
    )
    db.session.commit()
    retrieval.reindex(organization.id)  # embeds the example
    best = retrieval.retrieve(organization.id, question)[0]
    assert best.article_id == gift.id and best.example_similarity > before.example_similarity == 0.0
    assert best.passage.startswith("Gift cards never expire")


def test_the_cache_is_reused_and_follows_edits_and_deletes_from_any_worker(library):
    organization, add = library
    article = add("Loyalty points", "Every order earns loyalty points you can spend on the next one.")
    assert _titles(organization.id, "how do I earn points")[0] == "Loyalty points"
    cached = retrieval.index_of(organization.id)
    assert retrieval.index_of(organization.id) is cached  # nothing changed: no reload

    # Another worker rewrites the article: this one sees the version change, not a notice.
    other_body = "Bring a friend and both of you get a discount code."
    db.session.execute(update(KnowledgeArticle).where(KnowledgeArticle.id == article.id).values(body=other_body))
    db.session.commit()
    retrieval.reindex(organization.id)
    retrieval._indexes.put(organization.id, cached.version, cached)  # as if this worker had not been told
    assert retrieval.index_of(organization.id) is not cached
    assert retrieval.retrieve(organization.id, "bring a friend discount")[0].passage == other_body

    cached = retrieval.index_of(organization.id)
    db.session.delete(db.session.get(KnowledgeArticle, article.id))
    db.session.commit()
    retrieval._indexes.put(organization.id, cached.version, cached)
    assert article.id not in [c.article_id for c in retrieval.retrieve(organization.id, "bring a friend discount")]
    assert not _passages(article.id)


def test_deleting_a_hand_added_article_deletes_its_passages(library):
    organization, add = library
    article = add("Loyalty points", "Every order earns loyalty points you can spend on the next one.")
    sources.delete_manual_article(article)
    assert not _passages(article.id)
    assert "Loyalty points" not in _titles(organization.id, "how do I earn loyalty points")


def test_an_article_not_embedded_yet_is_still_found_by_words(library):
    organization, add = library
    article = add("Loyalty points", "Every order earns loyalty points you can spend on the next one.")
    db.session.execute(KnowledgePassage.__table__.delete().where(KnowledgePassage.article_id == article.id))
    db.session.commit()
    found = {c.title: c for c in retrieval.retrieve(organization.id, "loyalty points")}
    loyalty = found["Loyalty points"]
    assert loyalty.fts_rank == 1 and loyalty.similarity == 0.0 and "loyalty points" in loyalty.passage


def test_blank_questions_find_nothing(library):
    organization, _ = library
    assert retrieval.retrieve(organization.id, "   ") == []


def test_a_sync_embeds_synced_articles_and_drops_the_passages_of_removed_ones(source, help_centers):
    sync.run(source.id)
    ship = db.session.scalar(
        select(KnowledgeArticle).where(KnowledgeArticle.external_id == "kba_ship", KnowledgeArticle.locale == "en")
    )
    assert [r.position for r in _passages(ship.id)] == [0, 1]
    assert _titles(source.organization_id, "when will my package get here")[0] == "Shipping times"
    del help_centers.kb_articles["kba_ship"]
    sync.run(source.id)
    assert not _passages(ship.id)


def test_the_reindex_command_embeds_what_is_missing(library, runner):
    organization, _ = library
    db.session.execute(KnowledgePassage.__table__.delete())
    db.session.commit()
    result = runner.invoke(args=["knowledge", "reindex", "--organization", str(organization.id)])
    assert result.exit_code == 0 and f"organization {organization.id}: 4 articles embedded" in result.output
    result = runner.invoke(args=["knowledge", "reindex"])
    assert result.exit_code == 0 and f"organization {organization.id}: 0 articles embedded" in result.output
    result = runner.invoke(args=["knowledge", "reindex", "--organization", "999999"])
    assert result.exit_code != 0 and "No organization has the id 999999" in result.output


def test_the_knowledge_languages_are_read_once_and_follow_new_articles(library):
    organization, add = library
    assert retrieval.languages(organization.id) == {"en"}
    add("Délais de livraison", "Les commandes sont expédiées sous deux jours.", locale="fr-FR")
    assert retrieval.languages(organization.id) == {"en", "fr"}


def test_the_same_article_twice_is_one_candidate_and_the_next_one_fills_its_place(library):
    organization, add = library
    before = _titles(organization.id, "How long does delivery take?", limit=3)
    add("Shipping and delivery times", SHIPPING)  # a copy added by hand
    after = _titles(organization.id, "How long does delivery take?", limit=3)
    assert after.count("Shipping and delivery times") == 1
    assert after == before and len(after) == 3
