"""Example questions on an article, as an admin manages them."""

import numpy as np
import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token
from webapp.db import db
from webapp.knowledge import embeddings, examples, retrieval, sources
from webapp.models import ArticleExample, KnowledgeArticle, Organization, Role, Visibility


@pytest.fixture
def article(owner) -> KnowledgeArticle:
    return sources.add_manual_article(
        owner.organization_id,
        title="Shipping abroad",
        body="We ship to Canada, Mexico and most of Europe. Customs fees are paid on delivery.",
        url="https://help.acme.test/en/shipping-abroad",
        locale="en",
        internal=False,
    )


@pytest.fixture
def synced_article(owner, world) -> KnowledgeArticle:
    source = world.front_source(db.session.get(Organization, owner.organization_id))
    article = KnowledgeArticle(
        organization_id=owner.organization_id,
        source_id=source.id,
        external_id="kba_pay",
        locale="en",
        title="Payment methods",
        body="We accept Visa, Mastercard and PayPal.",
        visibility=Visibility.PUBLIC,
    )
    db.session.add(article)
    db.session.commit()
    return article


def _page(article) -> str:
    return f"/knowledge/{article.id}/examples"


def _add(client, article, question: str, token: str | None = None):
    data = {"question": question, "csrf_token": token or csrf_token(client, _page(article))}
    return client.post(_page(article), data=data)


def _questions(article) -> list[str]:
    return [e.question for e in examples.examples_of(article)]


def test_an_admin_adds_an_example_embedded_with_the_model(client, logged_in_owner, article):
    response = _add(client, article, "  Can you deliver to\n Toronto?  ")
    assert response.status_code == 302
    [example] = examples.examples_of(article)
    assert example.question == "Can you deliver to Toronto?"
    assert example.model == embeddings.MODEL and example.organization_id == article.organization_id
    vector = embeddings.from_bytes(example.embedding)
    assert vector.shape == (embeddings.DIMENSIONS,)
    assert np.allclose(vector, embeddings.embed(["Can you deliver to Toronto?"])[0], atol=1e-5)
    page = client.get(_page(article)).get_data(as_text=True)
    assert "Can you deliver to Toronto?" in page
    assert "Examples (1)" in client.get("/knowledge").get_data(as_text=True)


def test_retrieval_finds_the_article_by_its_example(client, logged_in_owner, article):
    _add(client, article, "Is there an import tax on my parcel?")
    [best, *_] = retrieval.retrieve(article.organization_id, "is there an import tax on my parcel")
    assert best.article_id == article.id and best.example_similarity > 0.9


def test_synced_articles_take_examples_too(client, logged_in_owner, synced_article):
    assert _add(client, synced_article, "Can I pay with PayPal?").status_code == 302
    assert _questions(synced_article) == ["Can I pay with PayPal?"]
    assert "Examples (1)" in client.get("/knowledge").get_data(as_text=True)


def test_an_example_is_removed(client, logged_in_owner, article):
    _add(client, article, "Do you ship to Mexico?")
    [example] = examples.examples_of(article)
    token = csrf_token(client, _page(article))
    response = client.post(f"{_page(article)}/{example.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert _questions(article) == []


def test_an_empty_question_is_refused_with_a_form_error(client, logged_in_owner, article):
    response = _add(client, article, "   ")
    assert response.status_code == 400
    assert "Enter the question as a customer would ask it." in response.get_data(as_text=True)
    assert _questions(article) == []


def test_a_ten_thousand_character_question_is_refused_and_nothing_is_saved(client, logged_in_owner, article):
    response = _add(client, article, "why " * 2500)
    assert response.status_code == 400
    assert "1000 characters" in response.get_data(as_text=True)
    assert _questions(article) == []


def test_the_same_question_twice_is_refused(client, logged_in_owner, article):
    _add(client, article, "Do you ship to Mexico?")
    response = _add(client, article, "do you ship  to mexico?")
    assert response.status_code == 400
    assert "already an example" in response.get_data(as_text=True)
    assert _questions(article) == ["Do you ship to Mexico?"]


def test_html_in_a_question_is_shown_as_text(client, logged_in_owner, article):
    _add(client, article, "<script>alert(1)</script><b>bold</b>?")
    page = client.get(_page(article)).get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page and "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_control_character_is_refused(client, logged_in_owner, article):
    assert _add(client, article, "Where\x00 is it?").status_code == 400
    assert _questions(article) == []


def test_without_the_csrf_token_nothing_is_added(client, logged_in_owner, article):
    response = client.post(_page(article), data={"question": "Do you ship to Mexico?"})
    assert response.status_code == 400
    assert _questions(article) == []


def test_another_organizations_article_is_not_found(client, world, logged_in_owner, article):
    other = world.organization("Globex")
    theirs = sources.add_manual_article(
        other.id, title="Their article", body="Secret body.", url=None, locale="en", internal=False
    )
    their_example = examples.add_example(theirs, "Their question?")
    db.session.commit()
    token = csrf_token(client, _page(article))
    assert client.get(_page(theirs)).status_code == 404
    assert client.post(_page(theirs), data={"question": "Mine?", "csrf_token": token}).status_code == 404
    delete = f"{_page(theirs)}/{their_example.id}/delete"
    assert client.post(delete, data={"csrf_token": token}).status_code == 404
    # Their example id under my article is not found either.
    assert client.post(f"{_page(article)}/{their_example.id}/delete", data={"csrf_token": token}).status_code == 404
    assert _questions(theirs) == ["Their question?"]


def test_members_cannot_manage_examples(client, world, auth, owner, article):
    member = world.user(db.session.get(Organization, owner.organization_id), Role.MEMBER)
    auth.login(member.email)
    assert client.get(_page(article)).status_code == 403
    token = csrf_token(client, "/inbox")
    assert client.post(_page(article), data={"question": "Hi?", "csrf_token": token}).status_code == 403
    assert _questions(article) == []


def test_an_example_is_kept_when_the_model_cannot_load(client, logged_in_owner, article, monkeypatch):
    def broken(texts):
        raise OSError("model files missing")

    monkeypatch.setattr(embeddings, "embed", broken)
    assert _add(client, article, "Do you ship to Peru?").status_code == 302
    [example] = examples.examples_of(article)
    assert example.embedding is None and example.model is None
    monkeypatch.undo()
    assert retrieval.embed_examples(article.organization_id) == 1
    assert example.model == embeddings.MODEL


def test_deleting_the_article_deletes_its_examples(client, logged_in_owner, article):
    _add(client, article, "Do you ship to Mexico?")
    sources.delete_manual_article(article)
    assert db.session.scalar(select(func.count()).select_from(ArticleExample)) == 0
