"""Sessions handed off as Salesforce Cases keep the Case's number beside its id, and are found
by Case id when a rep's reply arrives.

Revision ID: 0008_salesforce_cases
Revises: 0007_retention
Create Date: 2026-11-28 10:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_salesforce_cases"
down_revision = "0007_retention"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("support_sessions") as batch:
        batch.add_column(sa.Column("salesforce_case_number", sa.String(length=32), nullable=True))
    op.create_index("ix_support_sessions_org_case", "support_sessions", ["organization_id", "salesforce_case_id"])


def downgrade() -> None:
    op.drop_index("ix_support_sessions_org_case", table_name="support_sessions")
    with op.batch_alter_table("support_sessions") as batch:
        batch.drop_column("salesforce_case_number")
