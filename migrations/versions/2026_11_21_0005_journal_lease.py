"""A lease on journal rows being processed, so a killed worker's row is taken back in seconds.

Revision ID: 0005_journal_lease
Revises: 0004_agent_settings
Create Date: 2026-11-21 06:30:00
"""

import sqlalchemy as sa
from alembic import op

import webapp.models.types

revision = "0005_journal_lease"
down_revision = "0004_agent_settings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("webhook_journal") as batch:
        batch.add_column(sa.Column("lease_expires_at", webapp.models.types.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("webhook_journal") as batch:
        batch.drop_column("lease_expires_at")
