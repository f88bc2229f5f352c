from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from webapp.db import db
from webapp.models import Organization, Role, User


def _post(client, path, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/settings/organization")})


def test_an_admin_renames_the_organization(client, logged_in_owner):
    response = _post(client, "/settings/organization", name="Acme Care")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organization, logged_in_owner.organization_id).name == "Acme Care"


def test_an_empty_name_is_a_form_error_and_nothing_is_saved(client, logged_in_owner):
    response = _post(client, "/settings/organization", name="")
    assert response.status_code == 400
    assert "This field is required." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, logged_in_owner.organization_id).name == "Acme Support"


def test_an_owner_adds_a_member_who_can_then_log_in(client, auth, logged_in_owner):
    response = _post(
        client,
        "/settings/organization/members",
        **{"member-name": "Mo", "member-email": "Mo@Example.com", "member-role": "member", "member-password": PASSWORD},
    )
    assert response.status_code == 302
    member = db.session.scalar(select(User).where(User.email == "mo@example.com"))
    assert member.role == Role.MEMBER and member.organization_id == logged_in_owner.organization_id
    auth.logout()
    assert auth.login("mo@example.com").status_code == 302


def test_adding_an_existing_email_is_refused(client, logged_in_owner):
    response = _post(
        client,
        "/settings/organization/members",
        **{
            "member-name": "Dup",
            "member-email": "owner@example.com",
            "member-role": "member",
            "member-password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert "already has a Switchboard account" in response.get_data(as_text=True)


def test_an_unknown_role_is_a_form_error(client, logged_in_owner):
    response = _post(
        client,
        "/settings/organization/members",
        **{
            "member-name": "X",
            "member-email": "x@example.com",
            "member-role": "superuser",
            "member-password": PASSWORD,
        },
    )
    assert response.status_code == 400
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_an_admin_cannot_create_or_demote_an_owner(client, auth, world, owner):
    admin = world.user(owner.organization, Role.ADMIN, email="admin@example.com", name="Al")
    auth.login(admin.email)
    response = _post(
        client,
        "/settings/organization/members",
        **{
            "member-name": "Eve",
            "member-email": "eve@example.com",
            "member-role": "owner",
            "member-password": PASSWORD,
        },
    )
    assert "Only an owner can grant" in response.get_data(as_text=True)
    _post(client, f"/settings/organization/members/{owner.id}/role", role="member")
    db.session.expire_all()
    assert db.session.get(User, owner.id).role == Role.OWNER


def test_the_last_owner_cannot_be_demoted(client, logged_in_owner):
    response = _post(client, f"/settings/organization/members/{logged_in_owner.id}/role", role="admin")
    assert response.status_code == 302
    assert "at least one owner" in client.get("/settings/organization").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, logged_in_owner.id).role == Role.OWNER


def test_roles_change_and_members_are_removed(client, world, logged_in_owner):
    member = world.user(logged_in_owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    _post(client, f"/settings/organization/members/{member.id}/role", role="admin")
    db.session.expire_all()
    assert db.session.get(User, member.id).role == Role.ADMIN
    _post(client, f"/settings/organization/members/{member.id}/remove")
    db.session.expire_all()
    assert db.session.get(User, member.id) is None


def test_nobody_removes_themselves(client, logged_in_owner):
    _post(client, f"/settings/organization/members/{logged_in_owner.id}/remove")
    assert "You cannot remove yourself" in client.get("/settings/organization").get_data(as_text=True)
    assert db.session.get(User, logged_in_owner.id) is not None


def test_members_of_another_organization_are_out_of_reach(client, world, logged_in_owner):
    stranger = world.user(world.organization("Other"), Role.MEMBER, email="stranger@example.com", name="S")
    assert _post(client, f"/settings/organization/members/{stranger.id}/remove").status_code == 404
    assert db.session.get(User, stranger.id) is not None
