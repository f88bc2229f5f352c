from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String, false, true, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.db import Base
from webapp.models.types import MutableJSON, UTCDateTime, enum_column, utcnow


class Organization(Base):
    """A support team: everything else (users, integrations, sessions) belongs to one."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The last ticket number handed out; see allocate_ticket_number.
    ticket_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How long what customers sent is kept: see webapp.retention.RetentionSettings.
    retention: Mapped[dict] = mapped_column(MutableJSON, default=dict, server_default="{}")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organization", order_by="User.id")

    def allocate_ticket_number(self, db: Session) -> int:
        """The next per-organization ticket number, safe against concurrent allocators.

        A single UPDATE ... RETURNING increments and reads in one statement, so two workers
        creating sessions at once never get the same number on SQLite or PostgreSQL.
        """
        return db.execute(
            update(Organization)
            .where(Organization.id == self.id)
            .values(ticket_counter=Organization.ticket_counter + 1)
            .returning(Organization.ticket_counter)
        ).scalar_one()


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"


class Installation(Base):
    """The first-run claim: a single row, written in the transaction that creates the first
    organization. Its fixed primary key lets exactly one concurrent set-up commit (the others
    fail on the key, on SQLite and PostgreSQL alike); it goes with that organization."""

    __tablename__ = "installation"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False, default=1)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    organization: Mapped[Organization] = relationship()


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, Base):
    __tablename__ = "users"
    # AUTOINCREMENT: on SQLite a removed user's id is never handed to the next new user.
    # (PostgreSQL's sequences never reuse an id anyway.)
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # What the session and the "keep me logged in" cookie carry instead of the id (see get_id):
    # replacing it ends every login of this user at once.
    session_token: Mapped[str] = mapped_column(String(64), unique=True, default=new_session_token)
    # Set when an admin resets the password: the next login must choose a new one first.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    organization: Mapped[Organization] = relationship(back_populates="users")

    def get_id(self) -> str:
        """Flask-Login's alternative id: a random token rather than the row id, so a session or
        remember cookie stops working once the token is rotated (logout, "Log out everywhere", a
        password or role change) or the user is removed, and never names another user."""
        return self.session_token

    def rotate_session_token(self) -> None:
        """End every session and remember cookie of this user (committed by the caller)."""
        self.session_token = new_session_token()

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def can_manage_settings(self) -> bool:
        """Owners and admins change integrations and members; members only look."""
        return self.role in (Role.OWNER, Role.ADMIN)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def change_password(self, password: str, *, must_change: bool = False) -> None:
        """A new password logs out every device (the caller logs the current one in again)."""
        self.set_password(password)
        self.must_change_password = must_change
        self.rotate_session_token()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
