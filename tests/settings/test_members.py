from sqlalchemy import select

from tests.auth.devices import device
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
    assert member.must_change_password  # the admin chose it: the member picks their own first
    auth.logout()
    response = auth.login("mo@example.com")
    assert response.status_code == 302
    assert client.get("/inbox").headers["Location"].startswith("/account/password")


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


# -- passwords ---------------------------------------------------------------------------------

TEMPORARY = "temporary password 4 mo"
CHOSEN = "mo's very own passphrase"


def _change_password(browser, current: str, new: str, confirm: str | None = None):
    return browser.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
            "csrf_token": csrf_token(browser, "/account/password"),
        },
    )


def test_a_member_changes_their_own_password(app, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    browser = device(app)
    browser.log_in(member.email)
    assert "Change your password" in browser.get("/settings/organization").get_data(as_text=True)

    response = _change_password(browser, "not my password", CHOSEN)
    assert response.status_code == 400 and "That is not your current password." in response.get_data(as_text=True)
    response = _change_password(browser, PASSWORD, CHOSEN, confirm=CHOSEN + "x")
    assert response.status_code == 400 and "The passwords differ." in response.get_data(as_text=True)
    response = _change_password(browser, PASSWORD, "short")
    assert response.status_code == 400 and "Use at least 12 characters." in response.get_data(as_text=True)
    response = _change_password(browser, PASSWORD, PASSWORD)
    assert "Choose a password different from the current one." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, member.id).check_password(PASSWORD)

    assert _change_password(browser, PASSWORD, CHOSEN).status_code == 302
    assert browser.is_logged_in()
    db.session.expire_all()
    assert db.session.get(User, member.id).check_password(CHOSEN)


def _reset(browser, user_id: int, password: str = TEMPORARY):
    return browser.post(
        f"/settings/organization/members/{user_id}/password",
        data={"password": password, "csrf_token": csrf_token(browser, "/settings/organization")},
    )


def test_an_admin_resets_a_members_password_and_the_member_must_change_it(app, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    admin_browser, member_browser = device(app), device(app)
    admin_browser.log_in(owner.email)
    member_browser.log_in(member.email, remember=True)

    response = _reset(admin_browser, member.id)
    assert response.status_code == 302
    assert "must choose a new one at their next login" in admin_browser.get("/settings/organization").get_data(
        as_text=True
    )
    assert not member_browser.is_logged_in()  # logged out everywhere
    assert member_browser.log_in(member.email, PASSWORD).status_code == 400  # the old password is gone

    assert member_browser.log_in(member.email, TEMPORARY).status_code == 302
    for path in ("/inbox", "/settings/organization", "/settings/ticketing/front", "/knowledge", "/admin/rq/"):
        response = member_browser.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password"), path
    response = member_browser.post("/settings/organization", data={"name": "x"})
    assert response.headers["Location"].endswith("/account/password")
    page = member_browser.get("/account/password").get_data(as_text=True)
    assert "An admin reset your password" in page

    assert _change_password(member_browser, TEMPORARY, CHOSEN).status_code == 302
    assert member_browser.get("/inbox").status_code == 200
    db.session.expire_all()
    assert db.session.get(User, member.id).must_change_password is False


def test_a_member_who_must_change_their_password_can_still_log_out(app, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    member.must_change_password = True
    db.session.commit()
    browser = device(app)
    browser.log_in(member.email)
    assert browser.log_out().headers["Location"].endswith("/login")
    assert not browser.is_logged_in()


def test_password_resets_follow_the_role_rules(app, world, owner):
    admin = world.user(owner.organization, Role.ADMIN, email="admin@example.com", name="Al")
    browser = device(app)
    browser.log_in(admin.email)
    _reset(browser, owner.id)  # an admin cannot reset an owner's password
    assert "Only an owner can grant or change the owner role." in browser.get("/settings/organization").get_data(
        as_text=True
    )
    _reset(browser, admin.id)  # nor their own, here
    assert "Change your own password on your password page" in browser.get("/settings/organization").get_data(
        as_text=True
    )
    _reset(browser, admin.id, password="short")
    assert "Use at least 12 characters." in browser.get("/settings/organization").get_data(as_text=True)
    db.session.expire_all()
    untouched = db.session.get(User, owner.id)
    assert untouched.check_password(PASSWORD) and not untouched.must_change_password
    assert db.session.get(User, admin.id).check_password(PASSWORD)

    stranger = world.user(world.organization("Other"), Role.MEMBER, email="stranger@example.com", name="S")
    assert _reset(browser, stranger.id).status_code == 404
