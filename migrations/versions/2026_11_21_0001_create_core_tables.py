"""Create the core tables: organizations, users, integrations, sessions, their events, the webhook journal.

Revision ID: 0001_create_core_tables
Revises:
Create Date: 2026-11-21 03:26:27.238133
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import webapp.crypto
import webapp.models.types

revision = "0001_create_core_tables"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("ticket_counter", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
    )
    op.create_table(
        "integrations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("front", "salesforce", "llm", name="integrationkind", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("enabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column(
            "settings", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("credentials", webapp.crypto.EncryptedJSON(), nullable=True),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_integrations_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integrations")),
        sa.UniqueConstraint("organization_id", "kind", name=op.f("uq_integrations_organization_id_kind")),
    )
    op.create_table(
        "support_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("ticket_number", sa.Integer(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum("email", "web", "sms", "phone", name="channel", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum("ai", "handed_off", "resolved", name="sessionstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("subject", sa.String(length=500), nullable=True),
        sa.Column("contact_name", sa.String(length=200), nullable=True),
        sa.Column("contact_email", sa.String(length=254), nullable=True),
        sa.Column("contact_phone", sa.String(length=40), nullable=True),
        sa.Column("front_conversation_id", sa.String(length=64), nullable=True),
        sa.Column("salesforce_case_id", sa.String(length=64), nullable=True),
        sa.Column("miaw_conversation_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_support_sessions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_support_sessions")),
        sa.UniqueConstraint(
            "organization_id",
            "front_conversation_id",
            name=op.f("uq_support_sessions_organization_id_front_conversation_id"),
        ),
        sa.UniqueConstraint(
            "organization_id", "ticket_number", name=op.f("uq_support_sessions_organization_id_ticket_number")
        ),
    )
    op.create_index("ix_support_sessions_org_activity", "support_sessions", ["organization_id", "last_activity_at"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column(
            "role", sa.Enum("owner", "admin", "member", name="role", native_enum=False, length=32), nullable=False
        ),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", webapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_users_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index("ix_users_organization_id", "users", ["organization_id"])

    op.create_table(
        "webhook_journal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("external_id", sa.String(length=255), nullable=False),
        sa.Column("event_type", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("pending", "processing", "done", "failed", name="journalstatus", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("received_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("processed_at", webapp.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_webhook_journal_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_journal")),
        sa.UniqueConstraint(
            "organization_id",
            "source",
            "external_id",
            name=op.f("uq_webhook_journal_organization_id_source_external_id"),
        ),
    )
    op.create_index("ix_webhook_journal_status_updated", "webhook_journal", ["status", "updated_at"])

    op.create_table(
        "session_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "customer_message",
                "ai_reasoning",
                "tool_call",
                "ai_reply",
                "skip",
                "handoff",
                "human_reply",
                "assignment",
                "tag",
                "archive",
                "archive_skipped",
                "resolved",
                "error",
                name="eventkind",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "payload", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["support_sessions.id"],
            name=op.f("fk_session_events_session_id_support_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_events")),
    )
    op.create_index("ix_session_events_session_created", "session_events", ["session_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_session_events_session_created", table_name="session_events")

    op.drop_table("session_events")
    op.drop_index("ix_webhook_journal_status_updated", table_name="webhook_journal")

    op.drop_table("webhook_journal")
    op.drop_index("ix_users_organization_id", table_name="users")

    op.drop_table("users")
    op.drop_index("ix_support_sessions_org_activity", table_name="support_sessions")

    op.drop_table("support_sessions")
    op.drop_table("integrations")
    op.drop_table("organizations")
