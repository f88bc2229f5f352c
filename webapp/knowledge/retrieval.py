"""Finding the articles that answer a question by meaning as well as by shared words.

Two rankings are fused by reciprocal rank (RRF): the database's full-text search
(:mod:`webapp.knowledge.search`, which knows stems and rare words) and the cosine similarity of
the question's embedding with every passage and example question of the organization (which
knows that "where is my package" is about shipping though they share no word). RRF needs no calibration between
BM25 and cosine scores, and an article found by both climbs above one found by either.

The passages' embeddings are kept in each worker as one numpy matrix per organization, rows
sorted by article, so a question costs one matrix product. A small query per call reads a
version of the organization's passages and examples (count, highest id, latest creation): any
insert or delete changes it, and the matrix is reloaded only then.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, func, insert, select, text

from webapp.db import db
from webapp.knowledge import embeddings, passages, phrasing, search, spelling
from webapp.knowledge.per_version import PerVersion
from webapp.language import snowball_algorithm, stemmer
from webapp.models import ArticleExample, KnowledgeArticle, KnowledgePassage, utcnow

log = logging.getLogger(__name__)

# Fusion: score = 1/(k + full-text rank) + w/(k + semantic rank). Measured on the labelled
# messages and paraphrases of bench/agent_cases.py: Cormack's k = 60 with equal weights let an
# article sharing one incidental word with the question ("send" in "is it possible to send it
# back?") outrank the one that means the same; with k = 2 and w = 3 shared words can lift the
# semantic runner-up above the leader, never the third. Same 30/30 on the labelled set,
# paraphrases found 4/6 instead of 2/6.
RRF_K = 2
SEMANTIC_WEIGHT = 3.0
SEMANTIC_DEPTH = 20  # how many articles semantic ranking hands to the fusion (rank 20 adds 3/22)
SEARCH_DEPTH = 10  # how many full-text hits the fusion sees
LOAD_CHUNK = 2000  # rows read at a time when a worker loads an organization's vectors
COVERAGE_WEIGHT = 0.15  # a passage holding the question's own words is preferred for quoting


@dataclass(frozen=True)
class Candidate:
    article_id: int
    title: str
    url: str | None
    locale: str
    visibility: str
    passage: str  # the article's best passage for the question
    fts_rank: int | None  # 1-based rank among full-text hits, None if not found by words
    similarity: float  # cosine of the question with the article's best passage, 0..1
    example_similarity: float  # best cosine with the article's example questions, 0 if none
    fused: float  # reciprocal-rank-fusion score, higher is better


# --- Indexing ------------------------------------------------------------------------------


def embedding_text(title: str, passage: str, position: int) -> str:
    """What is embedded for a passage: the title gives a paragraph its subject ("It takes two
    days" says nothing of what takes two days)."""
    return passage if position == 0 else f"{title}. {passage}"


def index_article(article: KnowledgeArticle) -> bool:
    """(Re)build the article's passages when its title or body, or the embedding model, changed
    since they were built. True when it did. The caller commits."""
    if article.id is None:
        db.session.flush()
    digest = passages.content_hash(article.title, article.body)
    stored = db.session.execute(
        select(KnowledgePassage.content_hash, KnowledgePassage.model)
        .where(KnowledgePassage.article_id == article.id)
        .limit(1)
    ).first()
    if stored is not None and tuple(stored) == (digest, embeddings.MODEL):
        return False
    _rebuild([(article.id, article.organization_id, article.title, article.body, digest)])
    forget(article.organization_id)
    return True


def reindex(organization_id: int, *, batch: int = 500) -> int:
    """Bring the passages and example questions of every article of the organization up to
    date, committing every ``batch`` articles. An unchanged article costs a hash; changed ones
    are embedded together. Returns how many articles were (re)embedded."""
    built = dict(
        db.session.execute(
            select(KnowledgePassage.article_id, func.max(KnowledgePassage.content_hash + KnowledgePassage.model))
            .where(KnowledgePassage.organization_id == organization_id)
            .group_by(KnowledgePassage.article_id)
        ).all()
    )
    articles = db.session.execute(
        select(KnowledgeArticle.id, KnowledgeArticle.title, KnowledgeArticle.body).where(
            KnowledgeArticle.organization_id == organization_id
        )
    ).all()
    stale = []
    for article_id, title, body in articles:
        digest = passages.content_hash(title, body)
        if built.get(article_id) != digest + embeddings.MODEL:
            stale.append((article_id, organization_id, title, body, digest))
    for start in range(0, len(stale), batch):
        _rebuild(stale[start : start + batch])
        db.session.commit()
    changed_examples = embed_examples(organization_id)
    db.session.commit()
    if stale or changed_examples:
        forget(organization_id)
    return len(stale)


def _rebuild(articles: list[tuple[int, int, str, str, str]]) -> None:
    """Replace the passages of these (id, organization id, title, body, content hash) articles,
    embedding them in one call."""
    ids = [article[0] for article in articles]
    db.session.execute(delete(KnowledgePassage).where(KnowledgePassage.article_id.in_(ids)))
    rows, texts = [], []
    now = utcnow()
    for article_id, organization_id, title, body, digest in articles:
        for position, piece in enumerate(passages.split(title, body)):
            rows.append(
                {
                    "organization_id": organization_id,
                    "article_id": article_id,
                    "position": position,
                    "text": piece,
                    "model": embeddings.MODEL,
                    "content_hash": digest,
                    "created_at": now,
                }
            )
            texts.append(embedding_text(title, piece, position))
    for row, vector in zip(rows, embeddings.embed(texts), strict=True):
        row["embedding"] = embeddings.to_bytes(vector)
    if rows:
        db.session.execute(insert(KnowledgePassage), rows)


def embed_examples(organization_id: int) -> int:
    """Embed the organization's example questions that have no embedding, or another model's."""
    examples = db.session.scalars(
        select(ArticleExample).where(
            ArticleExample.organization_id == organization_id,
            (ArticleExample.model.is_(None)) | (ArticleExample.model != embeddings.MODEL),
        )
    ).all()
    if not examples:
        return 0
    for example, vector in zip(examples, embeddings.embed([e.question for e in examples]), strict=True):
        example.embedding = embeddings.to_bytes(vector)
        example.model = embeddings.MODEL
    return len(examples)


# --- The in-process index ------------------------------------------------------------------


@dataclass(frozen=True)
class _Index:
    version: tuple
    matrix: np.ndarray  # (rows, DIMENSIONS) float32, rows grouped by article
    article_ids: np.ndarray  # (articles,) the article of each group, ascending
    starts: np.ndarray  # (articles,) the first row of each group
    is_example: np.ndarray  # (rows,) bool: an example question rather than a passage
    row_ids: np.ndarray  # (rows,) the passage's id (or the example's), to fetch its text

    def rows_of(self, group: int) -> slice:
        end = self.starts[group + 1] if group + 1 < len(self.starts) else len(self.matrix)
        return slice(int(self.starts[group]), int(end))


_indexes: PerVersion[_Index] = PerVersion()


def forget(organization_id: int) -> None:
    """Drop this worker's copy at once (other workers see the version change)."""
    _indexes.forget(organization_id)
    _languages.forget(organization_id)
    spelling.forget(organization_id)


def _version(organization_id: int) -> tuple:
    """Changes whenever passages are added: a new row takes the highest id, and even when
    SQLite hands it the id of a row just deleted (the newest article, edited), its creation
    time differs. Passages deleted alone leave it as it was, which is harmless: they belong to
    deleted articles, and the visibility check drops those. Example questions are few; their
    count tells when one was embedded or removed. Two index look-ups and a count."""
    row = db.session.execute(
        text(
            """
            SELECT (SELECT id FROM knowledge_passages WHERE organization_id = :o ORDER BY id DESC LIMIT 1),
                   (SELECT created_at FROM knowledge_passages WHERE organization_id = :o ORDER BY id DESC LIMIT 1),
                   (SELECT count(*) FROM article_examples WHERE organization_id = :o AND model = :model),
                   (SELECT max(id) FROM article_examples WHERE organization_id = :o AND model = :model)
            """
        ),
        {"o": organization_id, "model": embeddings.MODEL},
    ).one()
    return tuple(row)


def knowledge_version(organization_id: int) -> tuple:
    """The version of the organization's passages and examples (see ``_version``). A caller
    that asks several things of one version reads it once and passes it on."""
    return _version(organization_id)


def index_of(organization_id: int, version: tuple | None = None) -> _Index:
    """The organization's passage matrix, reloaded only when its version changed."""
    version = _version(organization_id) if version is None else version
    return _indexes.get(organization_id, version, lambda: _load(organization_id, version))


def _load(organization_id: int, version: tuple) -> _Index:
    """Read the organization's vectors in chunks straight into one matrix, in article order:
    a list of every row would hold each embedding twice (as bytes and as floats) at the peak,
    and the worker would keep that memory."""
    where = (KnowledgePassage.organization_id == organization_id, KnowledgePassage.model == embeddings.MODEL)
    count = db.session.scalar(select(func.count()).select_from(KnowledgePassage).where(*where))
    matrix = np.empty((count, embeddings.DIMENSIONS), dtype=np.float32)
    owner = np.empty(count, dtype=np.int64)
    row_ids = np.empty(count, dtype=np.int64)
    filled = 0
    query = (
        select(KnowledgePassage.article_id, KnowledgePassage.id, KnowledgePassage.embedding)
        .where(*where)
        .order_by(KnowledgePassage.article_id, KnowledgePassage.id)
        .execution_options(yield_per=LOAD_CHUNK)
    )
    for chunk in db.session.execute(query).partitions():
        end = min(filled + len(chunk), count)  # rows added since the count wait for the next version
        chunk = chunk[: end - filled]
        owner[filled:end] = [row[0] for row in chunk]
        row_ids[filled:end] = [row[1] for row in chunk]
        matrix[filled:end] = np.frombuffer(b"".join(row[2] for row in chunk), dtype="<f4").reshape(-1, matrix.shape[1])
        filled = end
    matrix, owner, row_ids = matrix[:filled], owner[:filled], row_ids[:filled]
    is_example = np.zeros(filled, dtype=bool)
    examples = db.session.execute(
        select(ArticleExample.article_id, ArticleExample.id, ArticleExample.embedding).where(
            ArticleExample.organization_id == organization_id,
            ArticleExample.model == embeddings.MODEL,
            ArticleExample.embedding.is_not(None),
        )
    ).all()
    if examples:  # few: merged in at their articles' places
        owner = np.r_[owner, [row[0] for row in examples]]
        row_ids = np.r_[row_ids, [row[1] for row in examples]]
        is_example = np.r_[is_example, np.ones(len(examples), dtype=bool)]
        vectors = np.frombuffer(b"".join(row[2] for row in examples), dtype="<f4").reshape(len(examples), -1)
        order = np.lexsort((row_ids, is_example, owner))
        matrix = np.concatenate([matrix, vectors])[order]
        owner, row_ids, is_example = owner[order], row_ids[order], is_example[order]
    firsts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(owner) else np.zeros(0, dtype=np.int64)
    return _Index(
        version=version,
        matrix=matrix,
        article_ids=owner[firsts],
        starts=firsts,
        is_example=is_example,
        row_ids=row_ids,
    )


# --- Retrieval -----------------------------------------------------------------------------


_languages: PerVersion[frozenset[str]] = PerVersion()


def languages(organization_id: int, version: tuple | None = None) -> frozenset[str]:
    """The languages the organization's knowledge is written in (``search.languages``), read
    again only when its passages changed: at 10,000 articles the read costs more than a search."""
    version = _version(organization_id) if version is None else version
    return _languages.get(organization_id, version, lambda: frozenset(search.languages(organization_id)))


def correct_spelling(organization_id: int, question: str, version: tuple | None = None) -> tuple[str, dict[str, str]]:
    """(the question with its misspelt words put right against the organization's knowledge,
    each change); see :mod:`webapp.knowledge.spelling`."""
    return spelling.correct(question, vocabulary(organization_id, version))


def vocabulary(organization_id: int, version: tuple | None = None) -> spelling.Vocabulary:
    """The words of the organization's knowledge (see :mod:`webapp.knowledge.spelling`)."""
    version = _version(organization_id) if version is None else version
    return spelling.vocabulary(organization_id, version)


def rephrase(
    organization_id: int, question: str, lang: str | None, version: tuple | None = None
) -> tuple[str, dict[str, str]]:
    """(the question with customers' everyday phrasings put in the knowledge's words, each
    change); see :mod:`webapp.knowledge.phrasing`."""
    return phrasing.rephrase(question, vocabulary(organization_id, version), lang)


def retrieve(
    organization_id: int,
    question: str,
    *,
    locale: str | None = None,
    limit: int = 5,
    include_internal: bool = True,
    version: tuple | None = None,
) -> list[Candidate]:
    """The articles that best answer the question, best first, each answer once, with the
    passage to quote. Hidden articles never, internal ones only when asked for and their
    source allows it (exactly the rules of :func:`webapp.knowledge.search.search`).
    ``version``: the knowledge version when the caller has read it already."""
    if not question.strip():
        return []
    unreadable = spelling.unreadable(question)
    hits = search.search(
        organization_id,
        question,
        locale=locale,
        limit=SEARCH_DEPTH,
        include_internal=include_internal,
        unreadable=unreadable,
    )
    # The full-text search matches any one word; a hit counts here only when it shares as many
    # of the question's key words as the agent's on-topic check asks for. Everyday words ("week",
    # "actually", "sunday") count neither for nor against: "I bought a speaker on Sunday, when
    # will it actually ship?" is found by "ship", and "my parcel hasn't arrived after a week"
    # is not found by the one article that says "week". Nor do short words no one can read
    # ("whn will i get my refund for the order i sent bak").
    words = search.terms(question)
    subject = search.subject_of(words, unreadable)
    found = [hit for hit in hits if _covered(subject, f"{hit.title} {hit.passage}", hit.locale) >= _needed(subject)]
    fts_rank = {hit.article_id: rank for rank, hit in enumerate(found, start=1)}
    index = index_of(organization_id, version)
    query = embeddings.embed([question])[0]
    sims = index.matrix @ query if len(index.matrix) else np.zeros(0, dtype=np.float32)
    best = np.maximum.reduceat(sims, index.starts) if len(sims) else np.zeros(0, dtype=np.float32)
    # Fusion: each ranking contributes 1/(k + rank); semantic ranks are counted among the
    # articles the caller may see, so a hidden neighbour does not push a visible one down.
    semantic_groups = {int(index.article_ids[g]): int(g) for g in _top(best, SEMANTIC_DEPTH + 2 * limit)}
    visible = search.visible_articles(organization_id, set(semantic_groups) | set(fts_rank), include_internal)
    semantic_rank: dict[int, int] = {}
    for article_id in semantic_groups:
        if article_id in visible and len(semantic_rank) < SEMANTIC_DEPTH:
            semantic_rank[article_id] = len(semantic_rank) + 1
    fused = {
        article_id: (1 / (RRF_K + fts_rank[article_id]) if article_id in fts_rank else 0.0)
        + (SEMANTIC_WEIGHT / (RRF_K + semantic_rank[article_id]) if article_id in semantic_rank else 0.0)
        for article_id in set(fts_rank) | set(semantic_rank)
        if article_id in visible
    }
    group_of = _groups(index, list(fused))
    ranked = sorted(fused, key=lambda a: (-fused[a], -_best_of(best, group_of.get(a)), a))
    candidates: list[Candidate] = []
    quoted: set[tuple] = set()
    taken = 0
    # The same article twice (one Help Center synced by two sources, or a copy added by hand)
    # is one answer, not two for the agent to choose between: the first one stands, and the
    # next articles in line fill its place (read only when a twin was left out).
    while len(candidates) < limit and taken < len(ranked):
        batch = ranked[taken : taken + limit - len(candidates)]
        taken += len(batch)
        texts = _passage_texts(index, [group_of[a] for a in batch if a in group_of])
        for article_id in batch:
            _source_id, title, url, article_locale, visibility = visible[article_id]
            passage, similarity, example_similarity = _best_passage(
                index, sims, group_of.get(article_id), texts, words, article_locale
            )
            if passage is None:  # not embedded yet: the full-text snippet
                passage = next((hit.passage for hit in hits if hit.article_id == article_id), title)
            twin = (title.strip().casefold(), article_locale, passage.strip())
            if twin in quoted:
                continue
            quoted.add(twin)
            candidates.append(
                Candidate(
                    article_id=article_id,
                    title=title,
                    url=url,
                    locale=article_locale,
                    visibility=str(visibility),
                    passage=passage,
                    fts_rank=fts_rank.get(article_id),
                    similarity=similarity,
                    example_similarity=example_similarity,
                    fused=fused[article_id],
                )
            )
    return candidates


def _needed(words: list[str]) -> int:
    return search.required_terms(len(words)) if words else 1


def _covered(words: list[str], text: str, locale: str | None) -> int:
    """How many of the question's key words the text holds, stem for stem ('shipping' meets
    'ships'), in the text's language. Only the text's words that start like a question word
    are stemmed: a stem never differs from its word in the first letters that matter here."""
    algorithm = snowball_algorithm(locale) or "english"
    wanted = {_stem(algorithm, word) for word in words}
    starts = {stem[:3] for stem in wanted}
    present = {_stem(algorithm, word) for word in set(_WORD.findall(text.lower())) if word[:3] in starts}
    return len(wanted & present)


_WORD = re.compile(r"\w+")


@functools.lru_cache(maxsize=200_000)
def _stem(algorithm: str, word: str) -> str:
    """Snowball is pure Python here; a support vocabulary is small, so each word is stemmed once."""
    return stemmer(algorithm).stemWord(word)


def _top(scores: np.ndarray, count: int) -> np.ndarray:
    """The indexes of the ``count`` highest scores, highest first (a partial sort)."""
    if len(scores) > count:
        part = np.argpartition(-scores, count)[:count]
        return part[np.argsort(-scores[part], kind="stable")]
    return np.argsort(-scores, kind="stable")


def _groups(index: _Index, article_ids: list[int]) -> dict[int, int]:
    """Article id → its group of rows in the index, for the articles that have one."""
    if not article_ids or not len(index.article_ids):
        return {}
    wanted = np.asarray(article_ids, dtype=np.int64)
    places = np.minimum(np.searchsorted(index.article_ids, wanted), len(index.article_ids) - 1)
    return {int(a): int(g) for a, g in zip(wanted, places, strict=True) if index.article_ids[g] == a}


def _best_of(best: np.ndarray, group: int | None) -> float:
    return float(best[group]) if group is not None else 0.0


def _passage_texts(index: _Index, groups: list[int]) -> dict[int, tuple[int, str]]:
    """Passage id → (position, text) for the passages of these article groups."""
    wanted = [int(index.row_ids[r]) for g in groups for r in _range(index.rows_of(g)) if not index.is_example[r]]
    if not wanted:
        return {}
    rows = db.session.execute(
        select(KnowledgePassage.id, KnowledgePassage.position, KnowledgePassage.text).where(
            KnowledgePassage.id.in_(wanted)
        )
    ).all()
    return {row[0]: (row[1], row[2]) for row in rows}


def _range(rows: slice) -> range:
    return range(rows.start, rows.stop)


def _best_passage(
    index: _Index,
    sims: np.ndarray,
    group: int | None,
    texts: dict[int, tuple[int, str]],
    words: list[str],
    locale: str | None,
) -> tuple[str | None, float, float]:
    """The article's passage to quote, its similarity, and the best example's similarity.

    The body passage most similar to the question, nudged towards one holding the question's
    own words (the one the full-text snippet came from); the title alone is never quoted."""
    if group is None:
        return None, 0.0, 0.0
    rows = index.rows_of(group)
    similarity = example_similarity = 0.0
    best_text, best_score = None, -np.inf
    for r in _range(rows):
        value = max(0.0, float(sims[r]))
        if index.is_example[r]:
            example_similarity = max(example_similarity, value)
            continue
        similarity = max(similarity, value)
        position, passage = texts.get(int(index.row_ids[r]), (0, ""))
        if position == 0:
            continue
        coverage = _covered(words, passage, locale) / len(words) if words else 0.0
        score = value + COVERAGE_WEIGHT * coverage
        if score > best_score:
            best_text, best_score = passage, score
    if best_text is None:  # an article with a title and no body
        best_text = next((t for pid, (pos, t) in texts.items() if pos == 0 and pid in index.row_ids[rows]), None)
    return best_text, min(similarity, 1.0), min(example_similarity, 1.0)
