"""Retrieval over an organization's articles, with the database's own full-text engine.

SQLite (the embedded default) uses FTS5 with BM25 ranking and ``snippet()`` for the passage;
PostgreSQL uses a tsvector per article, built with the text search configuration of the
article's locale, ranked by ``ts_rank_cd`` with ``ts_headline`` for the passage. Both indexes
are created by migration 0003 and kept current by triggers, so writers need not know about them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select, text

from webapp.db import db
from webapp.language import STOPWORDS, base_language, snowball_algorithm, topical
from webapp.models import KnowledgeArticle

# Schema objects the migrations create that the models do not describe (see env.py).
FTS_TABLE_PREFIX = "knowledge_articles_fts"
UNMODELLED_COLUMNS = {("knowledge_articles", "search_vector")}
UNMODELLED_INDEXES = {"ix_knowledge_articles_search"}

MAX_TERMS = 24
MAX_PAIR_TERMS = 8  # 28 pairs at most in PostgreSQL's "two of the words" query


@dataclass(frozen=True)
class Hit:
    article_id: int
    source_id: int
    title: str
    url: str | None
    locale: str
    visibility: str
    passage: str
    score: float  # higher is better, comparable only within one search


def required_terms(count: int) -> int:
    """How many of a question's key words an article must share to answer it: a third, at
    least one. The agent's on-topic check and PostgreSQL's fallback query both use it."""
    return max(1, -(-count // 3))


def terms(query: str) -> list[str]:
    words = [w for w in re.findall(r"\w+", query.lower()) if w not in STOPWORDS and len(w) > 1]
    return list(dict.fromkeys(words))[:MAX_TERMS]


def postgres_config(locale: str | None) -> str:
    """PostgreSQL's text search configuration for a locale: its Snowball stemmer's, else none."""
    return snowball_algorithm(locale) or "simple"


def _visible_clause(organization: str) -> str:
    return f"""
    {organization} = :organization_id AND NOT a.hidden
    AND (a.visibility = 'public' OR (:include_internal AND s.allow_internal))
"""


_VISIBLE = _visible_clause("a.organization_id")
# The same rules for a query naming its articles by id. The unary plus keeps SQLite from
# walking the organization's index (every article, when one organization has them all)
# instead of looking up the ids: without statistics it guesses the equality more selective.
VISIBLE_AMONG_IDS = _visible_clause("+a.organization_id")


def languages(organization_id: int) -> set[str]:
    """The languages the organization's knowledge is written in ('en' for 'en-US')."""
    locales = db.session.scalars(
        select(KnowledgeArticle.locale).where(KnowledgeArticle.organization_id == organization_id).distinct()
    )
    return {base_language(locale) for locale in locales}


def search(
    organization_id: int,
    query: str,
    *,
    locale: str | None = None,
    limit: int = 5,
    include_internal: bool = True,
    unreadable: frozenset[str] = frozenset(),
) -> list[Hit]:
    """``unreadable``: words of the query that stand for nothing anyone can tell ("whn", "bak"),
    which count neither for nor against an article, as everyday words do."""
    words = terms(query)
    if not words:
        return []
    params = {"organization_id": organization_id, "include_internal": include_internal, "limit": limit}
    subject = subject_of(words, unreadable)
    if db.session.get_bind().dialect.name == "postgresql":
        rows = _search_postgres(words, subject, postgres_config(locale), params)
    else:
        rows = _search_sqlite(subject, params)
    return [Hit(*row) for row in rows]


def subject_of(words: list[str], unreadable: frozenset[str] = frozenset()) -> list[str]:
    """The words that say what a question is about: neither everyday nor unreadable, or the
    everyday ones when nothing else is left."""
    return [word for word in topical(words) if word not in unreadable] or topical(words)


# SQLite ranks this many times the hits asked for from the full-text index alone, then keeps
# those the question may use; deeper (eight times as deep each time) only when too few were.
SQLITE_DEPTH_FACTOR = 4

_RANKED_SQLITE = text(
    """
    SELECT rowid, -bm25(knowledge_articles_fts, 4.0, 1.0) FROM knowledge_articles_fts
    WHERE knowledge_articles_fts MATCH :match ORDER BY bm25(knowledge_articles_fts, 4.0, 1.0) LIMIT :depth
    """
)


def _search_sqlite(subject: list[str], params: dict):
    """The best hits of the FTS5 index, ranked there, checked against the rules of what the
    question may use, and only then given their passage. Ranking every match joined to its
    article, snippet and all, cost several times more: a common word matches thousands of
    articles in a large Help Center, and a snippet reads its article's whole body."""
    match = " OR ".join('"' + word.replace('"', '""') + '"' for word in subject)
    limit = params["limit"]
    depth = limit * SQLITE_DEPTH_FACTOR
    while True:
        ranked = db.session.execute(_RANKED_SQLITE, {"match": match, "depth": depth}).all()
        articles = visible_articles(params["organization_id"], {row[0] for row in ranked}, params["include_internal"])
        best = [(id_, score) for id_, score in ranked if id_ in articles][:limit]
        if len(best) == limit or len(ranked) < depth:
            break
        depth *= 8
    passages = _snippets(match, [id_ for id_, _ in best])
    return [(id_, *articles[id_], passages.get(id_, ""), score) for id_, score in best]


def _snippets(match: str, article_ids: list[int]) -> dict[int, str]:
    """The passage of each article around the words the query matched."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        text(
            f"""
            SELECT rowid, snippet(knowledge_articles_fts, 1, '', '', '…', 48) FROM knowledge_articles_fts
            WHERE knowledge_articles_fts MATCH :match AND rowid IN ({", ".join(str(int(a)) for a in article_ids)})
            """
        ),
        {"match": match},
    ).all()
    return dict(rows)


def visible_articles(organization_id: int, article_ids: set[int], include_internal: bool) -> dict[int, tuple]:
    """Of these articles, those a question may use: id → (source id, title, url, locale, visibility)."""
    if not article_ids:
        return {}
    rows = db.session.execute(
        text(
            f"""
            SELECT a.id, a.source_id, a.title, a.url, a.locale, a.visibility
            FROM knowledge_articles a JOIN knowledge_sources s ON s.id = a.source_id
            WHERE a.id IN ({", ".join(str(int(a)) for a in article_ids)}) AND {VISIBLE_AMONG_IDS}
            """
        ),
        {"organization_id": organization_id, "include_internal": include_internal},
    ).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def _search_postgres(words: list[str], subject: list[str], config: str, params: dict):
    """Articles with every word first; when they are fewer than asked for, articles with at
    least a third of the words (any word for a short question, two of them for a longer one:
    the bar the agent's on-topic check sets). Both sets come from the GIN index and stay
    small, so ranking them is cheap. ts_rank rather than ts_rank_cd: it needs no positions."""
    quoted = [f"'{word}'" for word in words[:MAX_PAIR_TERMS]]
    rows = _ranked_postgres(" & ".join(quoted), config, params)
    if len(rows) < params["limit"] and len(quoted) > 1:
        # everyday words ("sunday", "actually") count neither for nor against, as in the agent's check
        quoted = [f"'{word}'" for word in subject][:MAX_PAIR_TERMS]
        if required_terms(len(quoted)) == 1:
            wider = " | ".join(quoted)
        else:
            wider = " | ".join(f"({a} & {b})" for i, a in enumerate(quoted) for b in quoted[i + 1 :])
        seen = {row[0] for row in rows}
        rows += [row for row in _ranked_postgres(wider, config, params) if row[0] not in seen]
    return rows[: params["limit"]]


def _ranked_postgres(tsquery: str, config: str, params: dict):
    sql = text(
        f"""
        WITH q AS (SELECT to_tsquery(CAST(:config AS regconfig), :tsquery) AS query),
        ranked AS (
            SELECT a.id, a.source_id, a.title, a.url, a.locale, a.visibility, a.body,
                   ts_rank(a.search_vector, q.query) AS score
            FROM knowledge_articles a JOIN knowledge_sources s ON s.id = a.source_id, q
            WHERE a.search_vector @@ q.query AND {_VISIBLE}
            ORDER BY score DESC
            LIMIT :limit
        )
        SELECT r.id, r.source_id, r.title, r.url, r.locale, r.visibility,
               ts_headline(CAST(:config AS regconfig), r.body, q.query,
                           'StartSel="", StopSel="", MaxWords=60, MinWords=20, MaxFragments=1'),
               r.score
        FROM ranked r, q
        ORDER BY r.score DESC
        """
    )
    return db.session.execute(sql, {**params, "config": config, "tsquery": tsquery}).all()


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """For Alembic's comparisons: skip the full-text objects that only migrations know."""
    if type_ == "table" and name and name.startswith(FTS_TABLE_PREFIX):
        return False
    if type_ == "column" and (getattr(obj, "table", None) is not None) and (obj.table.name, name) in UNMODELLED_COLUMNS:
        return False
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return True
