"""Handoff settings per organization, and office hours schedules.

Revision ID: 0004_agent_settings
Revises: 0003_knowledge
Create Date: 2026-11-21 04:35:34.273656
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.crypto
import webapp.models.types

revision = "0004_agent_settings"
down_revision = "0003_knowledge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "office_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column(
            "shifts", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_office_hours_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_hours")),
    )
    op.create_index("ix_office_hours_organization_id", "office_hours", ["organization_id"])

    op.create_table(
        "agent_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "handoff_mode",
            sa.Enum("preset", "advanced", name="handoffmode", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("handoff_level", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "advanced", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("forbidden_topics", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "destinations",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("message_open", sa.Text(), nullable=False),
        sa.Column("message_closed", sa.Text(), nullable=False),
        sa.Column("office_hours_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["office_hours_id"],
            ["office_hours.id"],
            name=op.f("fk_agent_settings_office_hours_id_office_hours"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_agent_settings_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_settings")),
        sa.UniqueConstraint("organization_id", name=op.f("uq_agent_settings_organization_id")),
    )


def downgrade() -> None:
    op.drop_table("agent_settings")
    op.drop_index("ix_office_hours_organization_id", table_name="office_hours")

    op.drop_table("office_hours")
