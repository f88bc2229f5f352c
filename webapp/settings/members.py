"""Membership rules: who may add, promote, demote and remove whom.

Admins manage members and admins; only owners make or unmake owners; an organization always
keeps at least one owner, and nobody removes themselves by accident.
"""

from __future__ import annotations

from sqlalchemy import func, select

from webapp.db import db
from webapp.models import Organization, Role, User


class MembershipError(ValueError):
    """A change the rules refuse; the message is shown to the admin as it is."""


def _owner_count(organization_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(User.organization_id == organization_id, User.role == Role.OWNER)
    )


def _check_can_touch(actor: User, target_role: Role) -> None:
    if not actor.can_manage_settings:
        raise MembershipError("Only owners and admins can manage members.")
    if target_role == Role.OWNER and actor.role != Role.OWNER:
        raise MembershipError("Only an owner can grant or change the owner role.")


def add_member(organization: Organization, actor: User, *, name: str, email: str, role: Role, password: str) -> User:
    _check_can_touch(actor, role)
    email = email.strip().lower()
    if db.session.scalar(select(User.id).where(func.lower(User.email) == email)):
        raise MembershipError(f"{email} already has a Switchboard account.")
    # The admin chose the password, so it is temporary: the member picks their own at first login.
    user = User(organization_id=organization.id, name=name.strip(), email=email, role=role, must_change_password=True)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def change_role(actor: User, member: User, role: Role) -> None:
    _check_can_touch(actor, member.role)
    _check_can_touch(actor, role)
    if member.role == Role.OWNER and role != Role.OWNER and _owner_count(member.organization_id) <= 1:
        raise MembershipError("An organization needs at least one owner: make someone else owner first.")
    if role != member.role:
        member.role = role
        member.rotate_session_token()  # logins made under the old role end with it
    db.session.commit()


def reset_password(actor: User, member: User, password: str) -> None:
    """Set a temporary password that the member must replace at their next login; every login
    they have now ends."""
    _check_can_touch(actor, member.role)
    if member.id == actor.id:
        raise MembershipError("Change your own password on your password page, not here.")
    member.change_password(password, must_change=True)
    db.session.commit()


def remove_member(actor: User, member: User) -> None:
    _check_can_touch(actor, member.role)
    if member.id == actor.id:
        raise MembershipError("You cannot remove yourself; ask another admin.")
    if member.role == Role.OWNER and _owner_count(member.organization_id) <= 1:
        raise MembershipError("An organization needs at least one owner.")
    # The row, and with it the session token every cookie of theirs names, is gone at once; user
    # ids are never reused (AUTOINCREMENT on SQLite), so no cookie can come to name someone else.
    db.session.delete(member)
    db.session.commit()


def members_of(organization_id: int) -> list[User]:
    return list(db.session.scalars(select(User).where(User.organization_id == organization_id).order_by(User.name)))
