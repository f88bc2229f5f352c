"""Logins that can be revoked: a session token per user, a forced password change, user ids
never reused on SQLite, and the single-row first-run claim.

Revision ID: 0006_user_sessions
Revises: 0005_journal_lease
Create Date: 2026-11-28 09:00:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

import webapp.models.types

revision = "0006_user_sessions"
down_revision = "0005_journal_lease"
branch_labels = None
depends_on = None


def _users_batch(autoincrement: bool):
    """On SQLite the users table is rebuilt, with or without AUTOINCREMENT (which SQLite only
    takes at CREATE TABLE); on PostgreSQL, plain ALTERs (its sequences never reuse an id)."""
    if op.get_bind().dialect.name == "sqlite":
        return op.batch_alter_table("users", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement})
    return op.batch_alter_table("users")


def upgrade() -> None:
    connection = op.get_bind()
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), server_default=sa.false(), nullable=False))

    # Every existing user gets a token of their own; the cookies they hold (which carried the
    # row id) stop working, which is the point.
    users = sa.table("users", sa.column("id", sa.Integer()), sa.column("session_token", sa.String()))
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(users.update().where(users.c.id == user_id).values(session_token=secrets.token_urlsafe(32)))

    with _users_batch(autoincrement=True) as batch:
        batch.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch.create_unique_constraint(batch.f("uq_users_session_token"), ["session_token"])

    op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("claimed_at", webapp.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_installation_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    # An installation that is already set up is claimed by its first organization.
    organizations = sa.table("organizations", sa.column("id", sa.Integer()))
    first = connection.execute(sa.select(sa.func.min(organizations.c.id))).scalar()
    if first is not None:
        installation = sa.table(
            "installation",
            sa.column("id", sa.Integer()),
            sa.column("organization_id", sa.Integer()),
            sa.column("claimed_at", webapp.models.types.UTCDateTime(timezone=True)),
        )
        connection.execute(
            installation.insert().values(id=1, organization_id=first, claimed_at=webapp.models.types.utcnow())
        )


def downgrade() -> None:
    op.drop_table("installation")
    with _users_batch(autoincrement=False) as batch:
        batch.drop_constraint(batch.f("uq_users_session_token"), type_="unique")
        batch.drop_column("session_token")
        batch.drop_column("must_change_password")
