from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import Boolean, ForeignKey, Integer, String, true, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from webapp.db import Base
from webapp.models.types import UTCDateTime, enum_column, utcnow


class Organization(Base):
    """A support team: everything else (users, integrations, sessions) belongs to one."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # The last ticket number handed out; see allocate_ticket_number.
    ticket_counter: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
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


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role), default=Role.MEMBER)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organization: Mapped[Organization] = relationship(back_populates="users")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    @property
    def can_manage_settings(self) -> bool:
        """Owners and admins change integrations and members; members only look."""
        return self.role in (Role.OWNER, Role.ADMIN)

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
