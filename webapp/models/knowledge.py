from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from webapp.crypto import EncryptedJSON
from webapp.db import Base
from webapp.models.types import JSONDocument, UTCDateTime, enum_column, utcnow


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


class KnowledgeSource(Base):
    """Where an organization's knowledge comes from, and how its last sync went."""

    __tablename__ = "knowledge_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SourceKind] = mapped_column(enum_column(SourceKind))
    name: Mapped[str] = mapped_column(String(200))
    # {"api_token": ...}; empty when the source reuses the Front ticketing token.
    credentials: Mapped[dict | None] = mapped_column(EncryptedJSON())
    use_ticketing_token: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # knowledge_bases: what Front listed ([{id, name, type, locales}]); selected: their ids;
    # start_date (ISO); help_center_url.
    settings: Mapped[dict] = mapped_column(JSONDocument, default=dict)
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
    def selected_ids(self) -> list[str]:
        return list((self.settings or {}).get("selected", []))

    @property
    def knowledge_bases(self) -> list[dict]:
        return list((self.settings or {}).get("knowledge_bases", []))


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
    locale: Mapped[str] = mapped_column(String(16), default="en")
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)  # plain text (converted from HTML, or Markdown as typed)
    url: Mapped[str | None] = mapped_column(String(1000))
    visibility: Mapped[Visibility] = mapped_column(enum_column(Visibility), default=Visibility.PUBLIC)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    upstream_updated_at: Mapped[float | None] = mapped_column(Float)  # Front's updated_at, for incremental sync
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    source: Mapped[KnowledgeSource] = relationship(back_populates="articles")
