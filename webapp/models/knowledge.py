from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.ext.mutable import MutableDict
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.crypto import EncryptedJSON
from webapp.db import Base
from webapp.models.types import (
    ClippedText,
    HasCredentials,
    JSONSettings,
    MutableJSON,
    SettingsError,
    UTCDateTime,
    enum_column,
    utcnow,
)


class SourceKind(StrEnum):
    FRONT = "front"  # Front Help Centers (knowledge bases), synced
    MANUAL = "manual"  # articles added by hand in Switchboard


class SyncSchedule(StrEnum):
    MANUAL = "manual"
    HOURLY = "hourly"
    DAILY = "daily"

    @property
    def seconds(self) -> int | None:
        return {"manual": None, "hourly": 3600, "daily": 86400}[self.value]


class SyncStatus(StrEnum):
    NEVER = "never"
    QUEUED = "queued"
    SYNCING = "syncing"
    OK = "ok"
    FAILED = "failed"


class Visibility(StrEnum):
    PUBLIC = "public"  # may be quoted with its link
    INTERNAL = "internal"  # may inform an answer (if the source allows), never linked


@dataclass(frozen=True)
class SourceSettings(JSONSettings):
    """What ``KnowledgeSource.settings`` holds for a Front source."""

    # What Front listed when the source was connected: [{id, name, type, locales}].
    knowledge_bases: tuple[dict, ...] = ()
    selected: tuple[str, ...] = ()  # the ids of the knowledge bases to sync
    start_date: str | None = None  # ISO date: articles updated before it are not imported
    help_center_url: str | None = None  # public articles link to {url}/{locale}/{slug}

    def __post_init__(self) -> None:
        object.__setattr__(self, "knowledge_bases", tuple(self.knowledge_bases))
        object.__setattr__(self, "selected", tuple(self.selected))

    def validate(self) -> None:
        known = {kb.get("id") for kb in self.knowledge_bases}
        unknown = [kb_id for kb_id in self.selected if kb_id not in known]
        if unknown:
            raise SettingsError(f"not a Help Center this key can read: {', '.join(unknown)}")
        if self.start_date is not None:
            try:
                date.fromisoformat(self.start_date)
            except ValueError as exc:
                raise SettingsError(f"the start date {self.start_date!r} is not a date") from exc
        if self.help_center_url and not self.help_center_url.lower().startswith(("https://", "http://")):
            raise SettingsError("the Help Center address must start with https://")

    @property
    def start(self) -> date | None:
        return date.fromisoformat(self.start_date) if self.start_date else None


class KnowledgeSource(HasCredentials, Base):
    """Where an organization's knowledge comes from, and how its last sync went."""

    __tablename__ = "knowledge_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind))
    name: Mapped[str] = mapped_column(String(200))
    # {"api_token": ...}; empty when the source reuses the Front ticketing token.
    credentials: Mapped[dict | None] = mapped_column(MutableDict.as_mutable(EncryptedJSON()))
    use_ticketing_token: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    settings: Mapped[dict] = mapped_column(MutableJSON, default=dict)  # see SourceSettings
    allow_internal: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    schedule: Mapped[SyncSchedule] = mapped_column(enum_column(SyncSchedule), default=SyncSchedule.DAILY)
    status: Mapped[SyncStatus] = mapped_column(enum_column(SyncStatus), default=SyncStatus.NEVER)
    progress_done: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    progress_total: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    last_api_calls: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    articles: Mapped[list[KnowledgeArticle]] = relationship(
        back_populates="source", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def options(self) -> SourceSettings:
        return SourceSettings.from_json(self.settings)

    @options.setter
    def options(self, value: SourceSettings) -> None:
        self.settings = value.to_json()

    @property
    def selected_ids(self) -> list[str]:
        return list(self.options.selected)

    @property
    def knowledge_bases(self) -> list[dict]:
        return list(self.options.knowledge_bases)


class KnowledgeArticle(Base):
    """One article in one locale, as text ready for retrieval, with its title and link."""

    __tablename__ = "knowledge_articles"
    __table_args__ = (
        UniqueConstraint("source_id", "external_id", "locale"),
        Index("ix_knowledge_articles_org", "organization_id", "hidden"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("knowledge_sources.id", ondelete="CASCADE"))
    external_id: Mapped[str] = mapped_column(String(64))  # Front's kba_… id, or "manual-<n>"
    knowledge_base_id: Mapped[str | None] = mapped_column(String(64))
    locale: Mapped[str] = mapped_column(ClippedText(16), default="en")
    title: Mapped[str] = mapped_column(ClippedText(500))
    body: Mapped[str] = mapped_column(Text)  # plain text (converted from HTML, or Markdown as typed)
    url: Mapped[str | None] = mapped_column(String(1000))
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility), default=Visibility.PUBLIC)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    upstream_updated_at: Mapped[float | None] = mapped_column(Float)  # Front's updated_at, for incremental sync
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    source: Mapped[KnowledgeSource] = relationship(back_populates="articles")

    @property
    def hand_added(self) -> bool:
        """Written in Switchboard, so edited and deleted here; a synced article belongs to its
        source, and the next sync would undo any change made here (it can only be hidden)."""
        return self.source.kind == SourceKind.MANUAL


class KnowledgePassage(Base):
    """A paragraph of an article with its sentence embedding (``webapp.knowledge.embeddings``):
    what semantic retrieval searches and what an answer quotes. Rebuilt per article when its
    text changes (``content_hash``) or the embedding model does (``model``)."""

    __tablename__ = "knowledge_passages"
    __table_args__ = (Index("ix_knowledge_passages_org", "organization_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 0 for the title, then paragraphs in order
    text: Mapped[str] = mapped_column(Text)
    embedding: Mapped[bytes] = mapped_column(LargeBinary)  # float32 little-endian, L2-normalised
    model: Mapped[str] = mapped_column(String(64))
    content_hash: Mapped[str] = mapped_column(String(64))  # of the article's title and body
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArticleExample(Base):
    """A question customers ask in their own words that an article answers: added by an admin,
    or suggested when a teammate answered a handed-off question from the article and accepted
    in the Inbox. Examples count in retrieval like the article's own passages."""

    __tablename__ = "article_examples"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("knowledge_articles.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(ClippedText(1000))
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary)
    model: Mapped[str | None] = mapped_column(String(64))
    session_id: Mapped[int | None] = mapped_column(ForeignKey("support_sessions.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
