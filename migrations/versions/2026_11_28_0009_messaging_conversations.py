"""Sessions handed to a live rep through Salesforce Messaging for In-App and Web: the MIAW
conversation, its end user's token and the event stream's lease and place.

Revision ID: 0009_messaging_conversations
Revises: 0008_salesforce_cases
Create Date: 2026-11-28 11:00:00
"""

import sqlalchemy as sa
from alembic import op

import webapp.crypto

revision = "0009_messaging_conversations"
down_revision = "0008_salesforce_cases"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messaging_conversations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "organization_id", sa.Integer(), sa.ForeignKey("organizations.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column(
            "session_id",
            sa.Integer(),
            sa.ForeignKey("support_sessions.id", ondelete="CASCADE"),
            nullable=False,
            unique=True,
        ),
        sa.Column("conversation_id", sa.String(length=36), nullable=False, unique=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("authenticated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("end_user_subject", sa.String(length=255), nullable=True),
        sa.Column("credentials", webapp.crypto.EncryptedJSON(), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_event_id", sa.String(length=255), nullable=True),
        sa.Column("rep_name", sa.String(length=200), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("routing_deadline_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index(
        "ix_messaging_conversations_status_lease", "messaging_conversations", ["status", "lease_expires_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_messaging_conversations_status_lease", table_name="messaging_conversations")
    op.drop_table("messaging_conversations")
