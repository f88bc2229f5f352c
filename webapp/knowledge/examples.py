"""Example questions on an article: the words customers use for what the article answers.

Examples are Switchboard's own, on hand-added and synced articles alike (a sync never touches
them). Each is embedded when saved, with the model's name beside the vector, so retrieval can
match a customer's paraphrase to the article even when it shares no word with its text.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import func, select

from webapp.db import db
from webapp.knowledge import embeddings
from webapp.models import ArticleExample, KnowledgeArticle

log = logging.getLogger(__name__)

# The column's length: a longer question is refused on the form, and cut when it comes from a
# customer (a suggestion), so nothing is lost silently from what an admin typed.
MAX_LENGTH = 1000
# Enough for any article's phrasings; beyond that an admin is better served by a new article.
MAX_PER_ARTICLE = 200


class ExampleError(ValueError):
    """An example that cannot be saved, with the sentence to show the admin."""


def normalized(question: str) -> str:
    """One line, single spaces, no control characters: how a question is stored and compared."""
    return re.sub(r"\s+", " ", re.sub(r"[\x00-\x1f\x7f]", " ", question or "")).strip()


def examples_of(article: KnowledgeArticle) -> list[ArticleExample]:
    return list(
        db.session.scalars(
            select(ArticleExample).where(ArticleExample.article_id == article.id).order_by(ArticleExample.id)
        )
    )


def counts(article_ids: list[int]) -> dict[int, int]:
    """How many examples each of these articles has (absent: none)."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        select(ArticleExample.article_id, func.count())
        .where(ArticleExample.article_id.in_(article_ids))
        .group_by(ArticleExample.article_id)
    )
    return dict(rows.all())


def has_example(article: KnowledgeArticle, question: str) -> bool:
    wanted = normalized(question).lower()
    return any(example.question.lower() == wanted for example in examples_of(article))


def add_example(article: KnowledgeArticle, question: str, *, session_id: int | None = None) -> ArticleExample:
    """Save and embed an example question; the caller commits. Refuses an empty, too long or
    repeated one with an :class:`ExampleError` that says so."""
    question = normalized(question)
    if not question:
        raise ExampleError("Enter the question as a customer would ask it.")
    if len(question) > MAX_LENGTH:
        raise ExampleError(f"Keep the question under {MAX_LENGTH} characters: it is {len(question)}.")
    existing = examples_of(article)
    if any(example.question.lower() == question.lower() for example in existing):
        raise ExampleError(f"“{question}” is already an example for this article.")
    if len(existing) >= MAX_PER_ARTICLE:
        raise ExampleError(f"This article has {MAX_PER_ARTICLE} examples: remove some before adding more.")
    vector, model = _embedding(question)
    example = ArticleExample(
        organization_id=article.organization_id,
        article_id=article.id,
        question=question,
        embedding=vector,
        model=model,
        session_id=session_id,
    )
    db.session.add(example)
    return example


def remove_example(example: ArticleExample) -> None:
    """The caller commits."""
    db.session.delete(example)


def _embedding(question: str) -> tuple[bytes | None, str | None]:
    """The question's vector, or none when the model cannot be loaded: the example is kept
    either way, and ``retrieval.reindex`` embeds it later."""
    try:
        return embeddings.to_bytes(embeddings.embed([question])[0]), embeddings.MODEL
    except Exception:  # a broken install must not lose what the admin typed
        log.exception("could not embed an example question")
        return None, None
