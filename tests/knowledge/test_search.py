"""Retrieval with the database's own full-text engine (FTS5 on SQLite, tsvector on PostgreSQL)."""

import pytest
from sqlalchemy import select

from webapp.db import db
from webapp.knowledge import search
from webapp.models import KnowledgeArticle, Visibility


@pytest.fixture
def library(world):
    organization = world.organization()

    def add(title, body, **fields):
        return world.article(organization, title, body, **fields)

    add("Refund policy", "Refunds are issued within 14 days of receiving a return. Keep your receipt.")
    add(
        "Shipping times",
        "Orders ship within two business days. Tracking numbers arrive by email.",
        url="https://help.acme.test/ship",
    )
    add("Password reset", "Use the Forgot password link on the login page to reset your password.")
    add("Gift cards", "Gift cards never expire and can be used for any order.")
    return organization, add


def test_the_relevant_article_ranks_first_with_the_passage_that_matched(library):
    organization, _ = library
    hits = search.search(organization.id, "How long until my order is shipped?")
    assert hits[0].title == "Shipping times"
    assert "ship" in hits[0].passage.lower() and "business days" in hits[0].passage
    assert hits[0].url == "https://help.acme.test/ship"
    hits = search.search(organization.id, "I forgot my password")
    assert hits[0].title == "Password reset"


def test_everyday_words_find_nothing_beside_a_word_of_the_subject(library):
    """ "days" is in two articles; the question is about the receipt. An article found by an
    everyday word alone would fail the agent's on-topic bar anyway, and with thousands of
    articles ranking every one that says "days" is most of a search's time."""
    organization, _ = library
    assert [hit.title for hit in search.search(organization.id, "receipt days")] == ["Refund policy"]
    assert {hit.title for hit in search.search(organization.id, "days")} == {"Refund policy", "Shipping times"}


def test_words_match_across_inflections(library):
    organization, _ = library
    assert search.search(organization.id, "refunded")[0].title == "Refund policy"


def test_hidden_articles_are_not_found(library):
    organization, add = library
    add("Secret sale", "A hidden discount for shipping.", hidden=True)
    assert "Secret sale" not in [h.title for h in search.search(organization.id, "discount shipping")]


def test_internal_articles_follow_the_sources_setting(library):
    organization, add = library
    article = add("Chargebacks", "Escalate chargebacks to finance.", internal=True)
    assert search.search(organization.id, "chargebacks")[0].visibility == Visibility.INTERNAL
    assert search.search(organization.id, "chargebacks", include_internal=False) == []
    article.source.allow_internal = False
    db.session.commit()
    assert search.search(organization.id, "chargebacks") == []


def test_another_organizations_articles_are_never_found(library, world):
    organization, _ = library
    assert search.search(world.organization("Other").id, "refund") == []


def test_an_organizations_hits_are_found_below_many_better_ones_it_may_not_use(library, world):
    """The index ranks every organization's articles together: the hits of this one are found
    however many of another's, or of its own hidden ones, rank above them."""
    organization, add = library
    other = world.organization("Other")
    for n in range(60):
        world.article(other, f"Refund rules {n}", "Refund refund refund: refunds within 14 days.")
    for n in range(5):
        add(f"Old refund policy {n}", "Refund refund refund: refunds within 30 days.", hidden=True)
    hits = search.search(organization.id, "refund", limit=3)
    assert [h.title for h in hits] == ["Refund policy"]
    assert "Refunds are issued" in hits[0].passage


def _all_articles():
    return db.session.execute(
        select(
            KnowledgeArticle.id, KnowledgeArticle.organization_id, KnowledgeArticle.title, KnowledgeArticle.body
        ).order_by(KnowledgeArticle.id)
    ).all()


# Each odd query, and the article a customer would expect first: the one about the real word in
# it, or none when the query holds no word any article contains.
ODD_QUERIES = [
    ("", None),
    ("   ", None),
    ("the and of", None),
    ('"', None),
    ("NEAR(refund", "Refund policy"),
    ("refund*", "Refund policy"),
    ("-refund OR", "Refund policy"),
    ("'; DROP TABLE x; --", None),
    ("()^:", None),
]


@pytest.mark.parametrize(("query", "expected_first"), ODD_QUERIES)
def test_odd_queries_never_error(library, world, query, expected_first):
    organization, _ = library
    other = world.organization("Other")
    world.article(other, "Refund policy", "Refunds within 30 days.")
    own_ids = set(
        db.session.scalars(select(KnowledgeArticle.id).where(KnowledgeArticle.organization_id == organization.id))
    )
    before = _all_articles()

    hits = search.search(organization.id, query)

    assert isinstance(hits, list) and all(isinstance(hit, search.Hit) for hit in hits)
    assert {hit.article_id for hit in hits} <= own_ids  # never another organization's article
    if expected_first is None:
        assert hits == []
    else:
        assert hits and hits[0].title == expected_first
    assert _all_articles() == before  # the query was only ever a query
    assert search.search(organization.id, "refund")[0].title == "Refund policy"  # and the index still answers


def test_an_edited_article_is_found_by_its_new_words_only(library):
    organization, add = library
    article = add("Returns", "Send the parcel back with the label.")
    article.body = "Drop the box at any post office."
    db.session.commit()
    assert "Returns" not in [h.title for h in search.search(organization.id, "parcel label")]
    assert search.search(organization.id, "post office")[0].title == "Returns"
    db.session.delete(db.session.get(KnowledgeArticle, article.id))
    db.session.commit()
    assert [h for h in search.search(organization.id, "post office") if h.title == "Returns"] == []


def test_deleting_a_source_takes_its_articles_out_of_the_index(library):
    """Cascaded deletes must reach the full-text index, or a reused row id would inherit old words."""
    from sqlalchemy import text

    from webapp.models import KnowledgeSource

    organization, add = library
    source = db.session.get(KnowledgeArticle, add("Temporary", "zebra crossing rules").id).source
    db.session.delete(db.session.get(KnowledgeSource, source.id))
    db.session.commit()
    if db.engine.dialect.name == "sqlite":
        indexed = db.session.execute(
            text("SELECT count(*) FROM knowledge_articles_fts WHERE knowledge_articles_fts MATCH 'zebra'")
        ).scalar()
        assert indexed == 0
    add("Fresh", "Nothing about animals here.")
    assert search.search(organization.id, "zebra crossing") == []


def test_the_articles_a_search_found_are_looked_up_by_id_not_by_organization(library):
    """With every article in one organization, SQLite (without statistics) would read that
    organization's whole index to check a few dozen ids."""
    from sqlalchemy import event

    organization, _ = library
    engine = db.session.get_bind()
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query planner")
    ids = list(db.session.scalars(select(KnowledgeArticle.id)))
    seen = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "FROM knowledge_articles a" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        assert set(search.visible_articles(organization.id, set(ids), True)) == set(ids)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    ((statement, parameters),) = seen
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    steps = " ".join(row[-1] for row in plan)
    assert "SEARCH a USING INTEGER PRIMARY KEY" in steps and "ix_knowledge_articles_org" not in steps
