"""Knowledge sources: creating them, their Front client, and asking for a sync."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import func, or_, select

from webapp.db import db
from webapp.front import integration as front
from webapp.front.client import FrontClient
from webapp.front.errors import FrontAuthError, FrontError, FrontForbidden
from webapp.knowledge import retrieval
from webapp.models import KnowledgeArticle, KnowledgeSource, SourceKind, SyncSchedule, SyncStatus, Visibility, utcnow
from webapp.queue import SYNC_KNOWLEDGE_SOURCE, job_is_live
from webapp.ratelimit import Priority

log = logging.getLogger(__name__)


API_KEY = "api_token"  # the credential's name on a source with a key of its own


class SourceError(ValueError):
    """Shown to the admin as it is."""


def default_start_date() -> date:
    return (utcnow() - timedelta(days=365)).date()


def start_timestamp(source: KnowledgeSource) -> float:
    start = source.options.start
    if start is None:
        return 0.0
    return datetime.combine(start, datetime.min.time(), tzinfo=UTC).timestamp()


def ticketing_token(organization_id: int) -> str:
    integration = front.front_integration(organization_id)
    token = integration.credential(front.API_TOKEN) if integration else None
    if not token:
        raise SourceError("Front ticketing is not connected, so there is no token to reuse.")
    return token


def token_for(source: KnowledgeSource) -> str:
    if source.use_ticketing_token:
        return ticketing_token(source.organization_id)
    token = source.credential(API_KEY)
    if not token:
        raise SourceError("This source has no API key.")
    return token


def client_for(organization_id: int, token: str) -> FrontClient:
    """A Front client that draws on the organization's one budget, at background priority,
    so a sync never starves customer replies."""
    integration = front.front_integration(organization_id)
    per_minute = front.settings_of(integration).rate_limit_per_minute
    return front.client_with_token(token, organization_id, per_minute, priority=Priority.BACKGROUND)


def list_help_centers(client: FrontClient) -> list[dict]:
    """Every knowledge base the key can read, with its name, type and locales."""
    try:
        centers = []
        for slim in client.knowledge_bases():
            detail = client.knowledge_base(slim["id"])
            centers.append(
                {
                    "id": slim["id"],
                    "name": detail.get("name") or slim["id"],
                    "type": slim.get("type") or detail.get("type") or "external",
                    "locales": list(slim.get("locales") or [detail.get("locale") or "en"]),
                }
            )
        return centers
    except FrontAuthError as exc:
        raise SourceError("Failed to load Help Centers: Front rejected the API key.") from exc
    except FrontForbidden as exc:
        raise SourceError(
            "Failed to load Help Centers: the key cannot read knowledge bases. Give it Knowledge Base "
            "read access in Front → Settings → Developers → API tokens."
        ) from exc
    except FrontError as exc:
        raise SourceError(f"Failed to load Help Centers: {exc}") from exc


def article_count(source_id: int) -> int:
    return db.session.scalar(select(func.count()).where(KnowledgeArticle.source_id == source_id))


def counts_by_knowledge_base(source_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(KnowledgeArticle.knowledge_base_id, func.count())
        .where(KnowledgeArticle.source_id == source_id)
        .group_by(KnowledgeArticle.knowledge_base_id)
    ).all()
    return {kb: count for kb, count in rows}


def remove_deselected(source: KnowledgeSource) -> int:
    """Drop the articles of knowledge bases no longer selected, right away."""
    selected = set(source.selected_ids)
    doomed = [a for a in source.articles if a.knowledge_base_id not in selected]
    for article in doomed:
        db.session.delete(article)
    return len(doomed)


def sync_job_id(source_id: int) -> str:
    return f"knowledge-sync-{source_id}"


def request_sync(source: KnowledgeSource) -> bool:
    """Queue a sync (once); False when the queue cannot be reached (the schedule retries later)."""
    try:
        if not job_is_live(sync_job_id(source.id)):
            SYNC_KNOWLEDGE_SOURCE.enqueue(source.id, job_id=sync_job_id(source.id))
    except RedisError as exc:
        log.warning("could not queue a sync of source %s: %s", source.id, exc)
        return False
    if source.status != SyncStatus.SYNCING:
        source.status = SyncStatus.QUEUED
    db.session.commit()
    return True


# A source still "syncing" after its job's time limit belonged to a worker that died.
STALE_SYNC = timedelta(seconds=SYNC_KNOWLEDGE_SOURCE.timeout)


def is_due(source: KnowledgeSource, now: datetime) -> bool:
    """A scheduled source whose interval has passed since its last sync started, and that is
    not syncing (or whose sync outlived its time limit: its worker died)."""
    if source.kind != SourceKind.FRONT or source.schedule == SyncSchedule.MANUAL:
        return False
    started = source.last_started_at
    if source.status == SyncStatus.SYNCING and started is not None and started >= now - STALE_SYNC:
        return False
    return started is None or started <= now - timedelta(seconds=source.schedule.seconds)


def request_due_syncs(now: datetime | None = None) -> list[int]:
    """Queue a sync of every source that :func:`is_due`. Returns their ids."""
    now = now or utcnow()
    candidates = db.session.scalars(
        select(KnowledgeSource).where(
            KnowledgeSource.kind == SourceKind.FRONT,
            KnowledgeSource.schedule != SyncSchedule.MANUAL,
            or_(KnowledgeSource.status != SyncStatus.SYNCING, KnowledgeSource.last_started_at < now - STALE_SYNC),
        )
    ).all()
    due = []
    for source in candidates:
        if not is_due(source, now) or job_is_live(sync_job_id(source.id)):
            continue  # not yet, or queued already (a QUEUED source whose job was lost is queued again)
        if request_sync(source):
            due.append(source.id)
    return due


def manual_source(organization_id: int) -> KnowledgeSource:
    source = db.session.scalar(
        select(KnowledgeSource).where(
            KnowledgeSource.organization_id == organization_id, KnowledgeSource.kind == SourceKind.MANUAL
        )
    )
    if source is None:
        source = KnowledgeSource(
            organization_id=organization_id,
            kind=SourceKind.MANUAL,
            name="Added by hand",
            settings={},
            status=SyncStatus.OK,
        )
        db.session.add(source)
        db.session.flush()
    return source


def add_manual_article(
    organization_id: int, *, title: str, body: str, url: str | None, locale: str, internal: bool
) -> KnowledgeArticle:
    source = manual_source(organization_id)
    article = KnowledgeArticle(
        organization_id=organization_id,
        source_id=source.id,
        external_id=f"manual-{uuid.uuid4().hex[:12]}",
        locale=locale,
        title=title.strip(),
        body=body.strip(),
        url=url or None,
        visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
    )
    db.session.add(article)
    db.session.flush()
    retrieval.index_article(article)
    db.session.commit()
    return article


def update_manual_article(
    article: KnowledgeArticle, *, title: str, body: str, url: str | None, locale: str, internal: bool
) -> KnowledgeArticle:
    """Change a hand-added article; the full-text index follows by itself (the database's
    triggers re-index the title, body and locale, see migration 0003), its passages are
    re-embedded here when the title or body changed."""
    if not article.hand_added:
        raise SourceError(f"“{article.title}” comes from {article.source.name}: change it there.")
    article.title = title.strip()
    article.body = body.strip()
    article.url = url or None
    article.locale = locale
    article.visibility = Visibility.INTERNAL if internal else Visibility.PUBLIC
    retrieval.index_article(article)
    db.session.commit()
    return article


def delete_manual_article(article: KnowledgeArticle) -> None:
    """Delete a hand-added article, and with it (by trigger) its entry in the search index and
    (by cascade) its passages and example questions."""
    if not article.hand_added:
        raise SourceError(f"“{article.title}” comes from {article.source.name}: delete it there, or hide it here.")
    db.session.delete(article)
    db.session.commit()
