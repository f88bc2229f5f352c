"""Knowledge sources and articles, with the database's own full-text index over them.

SQLite: an FTS5 table kept in step by triggers (porter stemming, diacritics folded).
PostgreSQL: a tsvector column filled by a trigger with the text search configuration of the
article's locale (english, french, german, ...), and a GIN index.

Revision ID: 0003_knowledge
Revises: 0002_front_webhooks
Create Date: 2026-11-21 03:59:26.134094
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.crypto
import webapp.models.types

revision = "0003_knowledge"
down_revision = "0002_front_webhooks"
branch_labels = None
depends_on = None


SQLITE_UP = [
    """CREATE VIRTUAL TABLE knowledge_articles_fts USING fts5(
        title, body, content='knowledge_articles', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER knowledge_articles_fts_insert AFTER INSERT ON knowledge_articles BEGIN
        INSERT INTO knowledge_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
    """CREATE TRIGGER knowledge_articles_fts_delete AFTER DELETE ON knowledge_articles BEGIN
        INSERT INTO knowledge_articles_fts(knowledge_articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END""",
    """CREATE TRIGGER knowledge_articles_fts_update AFTER UPDATE OF title, body ON knowledge_articles BEGIN
        INSERT INTO knowledge_articles_fts(knowledge_articles_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO knowledge_articles_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END""",
]

POSTGRES_UP = [
    "ALTER TABLE knowledge_articles ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION knowledge_articles_search_vector() RETURNS trigger AS $$
    DECLARE
        config regconfig := CASE split_part(lower(NEW.locale), '-', 1)
            WHEN 'en' THEN 'english' WHEN 'fr' THEN 'french' WHEN 'de' THEN 'german'
            WHEN 'es' THEN 'spanish' WHEN 'it' THEN 'italian' WHEN 'pt' THEN 'portuguese'
            WHEN 'nl' THEN 'dutch' WHEN 'sv' THEN 'swedish' WHEN 'da' THEN 'danish'
            WHEN 'no' THEN 'norwegian' WHEN 'nb' THEN 'norwegian' WHEN 'fi' THEN 'finnish'
            WHEN 'ru' THEN 'russian' WHEN 'tr' THEN 'turkish' WHEN 'hu' THEN 'hungarian'
            WHEN 'ro' THEN 'romanian' ELSE 'simple' END;
    BEGIN
        NEW.search_vector := setweight(to_tsvector(config, coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector(config, coalesce(NEW.body, '')), 'B');
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER knowledge_articles_search_vector BEFORE INSERT OR UPDATE OF title, body, locale
        ON knowledge_articles FOR EACH ROW EXECUTE FUNCTION knowledge_articles_search_vector()""",
    "CREATE INDEX ix_knowledge_articles_search ON knowledge_articles USING gin (search_vector)",
]


def _create_search_index() -> None:
    dialect = op.get_bind().dialect.name
    for statement in SQLITE_UP if dialect == "sqlite" else POSTGRES_UP if dialect == "postgresql" else []:
        op.execute(statement)


def _drop_search_index() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS knowledge_articles_fts_{trigger}")
        op.execute("DROP TABLE IF EXISTS knowledge_articles_fts")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS knowledge_articles_search_vector ON knowledge_articles")
        op.execute("DROP FUNCTION IF EXISTS knowledge_articles_search_vector()")


def upgrade() -> None:
    op.create_table(
        "knowledge_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.Enum("front", "manual", name="sourcekind", native_enum=False, length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("credentials", webapp.crypto.EncryptedJSON(), nullable=True),
        sa.Column("use_ticketing_token", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("allow_internal", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column(
            "schedule",
            sa.Enum("manual", "hourly", "daily", name="syncschedule", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("never", "queued", "syncing", "ok", "failed", name="syncstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("progress_done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("progress_total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_started_at", webapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_synced_at", webapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_api_calls", sa.Integer(), nullable=True),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_sources_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_sources")),
    )
    op.create_index("ix_knowledge_sources_organization_id", "knowledge_sources", ["organization_id"])

    op.create_table(
        "knowledge_articles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("knowledge_base_id", sa.String(length=64), nullable=True),
        sa.Column("locale", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column(
            "visibility", sa.Enum("public", "internal", name="visibility", native_enum=False, length=32), nullable=False
        ),
        sa.Column("hidden", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("upstream_updated_at", sa.Float(), nullable=True),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_knowledge_articles_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["knowledge_sources.id"],
            name=op.f("fk_knowledge_articles_source_id_knowledge_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_articles")),
        sa.UniqueConstraint(
            "source_id", "external_id", "locale", name=op.f("uq_knowledge_articles_source_id_external_id_locale")
        ),
    )
    op.create_index("ix_knowledge_articles_org", "knowledge_articles", ["organization_id", "hidden"])
    _create_search_index()


def downgrade() -> None:
    _drop_search_index()
    op.drop_index("ix_knowledge_articles_org", table_name="knowledge_articles")

    op.drop_table("knowledge_articles")
    op.drop_index("ix_knowledge_sources_organization_id", table_name="knowledge_sources")

    op.drop_table("knowledge_sources")
