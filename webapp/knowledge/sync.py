"""Syncing a Front Help Center source: incremental, resumable, one at a time per source.

Listing pages are always read (that is how changes and deletions are seen); an article's
content is fetched only when its ``updated_at`` differs from what is stored. Each fetched
article is committed as it arrives, so a crashed sync resumes where it stopped, and running
it again is harmless. Articles not seen in the listing (deleted upstream, in a deselected
Help Center, or older than the start date) are removed at the end of a complete listing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select

from webapp.db import db
from webapp.front.client import FrontClient
from webapp.front.errors import FrontAuthError, FrontForbidden
from webapp.knowledge import retrieval, sources
from webapp.leases import redis_lock
from webapp.models import KnowledgeArticle, KnowledgeSource, SyncStatus, Visibility, utcnow
from webapp.text import html_to_text

log = logging.getLogger(__name__)

URL_LENGTH = KnowledgeArticle.__table__.c.url.type.length


@dataclass
class SyncReport:
    listed: int = 0
    fetched: int = 0
    unchanged: int = 0
    removed: int = 0
    api_calls: int = 0


def visibility_for(knowledge_base_type: str, article_status: str | None) -> Visibility:
    """Internal Help Centers are internal; in external ones only published articles are public."""
    if knowledge_base_type == "internal":
        return Visibility.INTERNAL
    return Visibility.PUBLIC if (article_status or "published") == "published" else Visibility.INTERNAL


def article_url(source: KnowledgeSource, locale: str, slug: str | None) -> str | None:
    base = (source.options.help_center_url or "").rstrip("/")
    if not base or not slug:
        return None
    url = f"{base}/{locale}/{slug.lstrip('/')}"
    return url if len(url) <= URL_LENGTH else None  # a cut link would send customers nowhere


def run(source_id: int, client: FrontClient | None = None) -> SyncReport | None:
    """Sync one source. None when another sync of it is already running."""
    with redis_lock(f"switchboard:knowledge:sync:{source_id}", wait=0) as taken:
        if not taken:
            log.info("source %s is already syncing", source_id)
            return None
        source = db.session.get(KnowledgeSource, source_id)
        if source is None:
            return None
        return _run_locked(source, client)


def _run_locked(source: KnowledgeSource, client: FrontClient | None) -> SyncReport:
    source.status = SyncStatus.SYNCING
    source.last_started_at = utcnow()
    source.last_error = None
    source.progress_done = source.progress_total = 0
    db.session.commit()
    try:
        client = client or sources.client_for(source.organization_id, sources.token_for(source))
        report = _sync(source, client)
    except (FrontAuthError, FrontForbidden, sources.SourceError) as exc:
        _fail(source, str(exc))  # retrying will not fix a key; the admin must
        return SyncReport()
    except Exception as exc:
        _fail(source, f"{type(exc).__name__}: {exc}")
        raise  # transient: the job's retry policy tries again, resuming where this stopped
    source.status = SyncStatus.OK
    source.last_synced_at = utcnow()
    source.last_api_calls = report.api_calls
    db.session.commit()
    return report


def _fail(source: KnowledgeSource, message: str) -> None:
    db.session.rollback()
    source = db.session.get(KnowledgeSource, source.id)
    source.status = SyncStatus.FAILED
    source.last_error = message[:2000]
    db.session.commit()


def _sync(source: KnowledgeSource, client: FrontClient) -> SyncReport:
    report = SyncReport()
    calls_before = client.calls
    since = sources.start_timestamp(source)
    knowledge_bases = {kb["id"]: kb for kb in source.knowledge_bases if kb["id"] in set(source.selected_ids)}

    listing: list[tuple[dict, dict, str]] = []
    for kb_id, kb in knowledge_bases.items():
        for slim in client.knowledge_base_articles(kb_id):
            if (slim.get("updated_at") or 0) < since:
                continue
            for locale in slim.get("locales") or kb.get("locales") or ["en"]:
                listing.append((kb, slim, locale))
    report.listed = len(listing)
    source.progress_total = len(listing)
    db.session.commit()

    stored = {
        (a.external_id, a.locale): a
        for a in db.session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.source_id == source.id))
    }
    seen: set[tuple[str, str]] = set()
    for kb, slim, locale in listing:
        key = (slim["id"], locale)
        seen.add(key)
        article = stored.get(key)
        source.progress_done += 1
        if article is not None and article.upstream_updated_at == slim.get("updated_at"):
            report.unchanged += 1
            if source.progress_done % 50 == 0:
                db.session.commit()  # progress only
            continue
        content = client.article_content(slim["id"], locale)
        _store(source, kb, slim, locale, content, article)
        report.fetched += 1
        db.session.commit()  # each fetched article is kept: a crash resumes after it

    for key, article in stored.items():
        if key not in seen:
            db.session.delete(article)
            report.removed += 1
    db.session.commit()
    retrieval.reindex(source.organization_id)  # articles stored before passages existed; cheap when none
    report.api_calls = client.calls - calls_before
    return report


def _store(
    source: KnowledgeSource, kb: dict, slim: dict, locale: str, content: dict, article: KnowledgeArticle | None
) -> None:
    if article is None:
        article = KnowledgeArticle(
            organization_id=source.organization_id, source_id=source.id, external_id=slim["id"], locale=locale
        )
        db.session.add(article)
    article.knowledge_base_id = kb["id"]
    article.title = (content.get("name") or slim.get("slug") or slim["id"])[:500]
    article.body = html_to_text(content.get("content"))
    article.url = article_url(source, locale, content.get("slug") or slim.get("slug"))
    article.visibility = visibility_for(kb.get("type", "external"), content.get("status"))
    article.upstream_updated_at = slim.get("updated_at")
    retrieval.index_article(article)  # committed with the article: a crash leaves neither
