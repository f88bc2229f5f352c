"""The last outcome of each setup check, per organization (Troubleshooting pages, /healthz).

Revision ID: 0010_diagnostic_results
Revises: 0009_messaging_conversations
Create Date: 2026-11-28 14:00:00
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0010_diagnostic_results"
down_revision = "0009_messaging_conversations"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "diagnostic_results",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("integration", sa.String(length=32), nullable=False),
        sa.Column("check_key", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("found", sa.Text(), nullable=False),
        sa.Column("fix", sa.Text(), nullable=True),
        sa.Column("fix_link", JSON, nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.Column("ran_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("organization_id", "integration", "check_key"),
    )


def downgrade() -> None:
    op.drop_table("diagnostic_results")
