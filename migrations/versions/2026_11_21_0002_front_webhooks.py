"""Add the Front webhook token to integrations, and the message fingerprints used for content dedup.

Revision ID: 0002_front_webhooks
Revises: 0001_create_core_tables
Create Date: 2026-11-21 03:36:01.356645
"""

import sqlalchemy as sa
from alembic import op

import webapp.crypto
import webapp.models.types

revision = "0002_front_webhooks"
down_revision = "0001_create_core_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=64), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_message_fingerprints_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_fingerprints")),
    )
    op.create_index(
        "ix_message_fingerprints_lookup",
        "message_fingerprints",
        ["organization_id", "conversation_id", "content_hash", "created_at"],
    )

    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_token", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_integrations_webhook_token"), ["webhook_token"])


def downgrade() -> None:
    with op.batch_alter_table("integrations", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_integrations_webhook_token"), type_="unique")
        batch_op.drop_column("webhook_token")

    op.drop_index("ix_message_fingerprints_lookup", table_name="message_fingerprints")

    op.drop_table("message_fingerprints")
