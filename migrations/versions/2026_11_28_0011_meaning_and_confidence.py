"""The built-in agent's meaning and confidence: article passages with their embeddings, example
questions per article, and the answer policy (reply / draft / handoff thresholds).

Revision ID: 0011_meaning_and_confidence
Revises: 0010_diagnostic_results
Create Date: 2026-11-28 14:10:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_meaning_and_confidence"
down_revision = "0010_diagnostic_results"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "knowledge_passages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("knowledge_articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.Column("model", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_knowledge_passages_org", "knowledge_passages", ["organization_id"])
    op.create_index("ix_knowledge_passages_article_id", "knowledge_passages", ["article_id"])
    op.create_table(
        "article_examples",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "article_id", sa.Integer(), sa.ForeignKey("knowledge_articles.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("question", sa.String(length=1000), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=True),
        sa.Column("model", sa.String(length=64), nullable=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("support_sessions.id", ondelete="SET NULL"), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_article_examples_organization_id", "article_examples", ["organization_id"])
    op.create_index("ix_article_examples_article_id", "article_examples", ["article_id"])
    with op.batch_alter_table("agent_settings") as batch:
        batch.add_column(sa.Column("answer_policy", JSON, nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("agent_settings") as batch:
        batch.drop_column("answer_policy")
    op.drop_index("ix_article_examples_article_id", table_name="article_examples")
    op.drop_index("ix_article_examples_organization_id", table_name="article_examples")
    op.drop_table("article_examples")
    op.drop_index("ix_knowledge_passages_article_id", table_name="knowledge_passages")
    op.drop_index("ix_knowledge_passages_org", table_name="knowledge_passages")
    op.drop_table("knowledge_passages")
