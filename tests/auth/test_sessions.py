"""Logins that can be revoked: a copied session or "keep me logged in" cookie stops working on
logout, "Log out everywhere", a password change, a role change and removal, and never comes to
name another user."""

import pytest
from sqlalchemy import text

from tests.auth.devices import REMEMBER_COOKIE, SESSION_COOKIE, device
from tests.conftest import PASSWORD, csrf_token
from webapp.db import db
from webapp.models import Role, User

NEW_PASSWORD = "a brand new passphrase for ada"


@pytest.fixture
def member(world, owner):
    return world.user(owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")


def _logged_in(app, email: str):
    laptop = device(app)
    assert laptop.log_in(email, remember=True).status_code == 302
    assert laptop.is_logged_in()
    return laptop


def _copies(app, laptop) -> dict:
    """Copies of the laptop's cookies: both together, and each alone (the session cookie ends
    with the browser, the remember cookie logs in again after that)."""
    cookies = laptop.cookies()
    assert set(cookies) == {SESSION_COOKIE, REMEMBER_COOKIE}
    return {
        "both cookies": device(app, cookies),
        "session cookie": device(app, {SESSION_COOKIE: cookies[SESSION_COOKIE]}),
        "remember cookie": device(app, {REMEMBER_COOKIE: cookies[REMEMBER_COOKIE]}),
    }


def _logged_in_copies(copies: dict) -> list[str]:
    return [name for name, copy in copies.items() if copy.is_logged_in()]


def test_the_cookies_carry_a_token_not_the_user_id(app, owner):
    laptop = _logged_in(app, owner.email)
    with laptop.session_transaction() as session:
        assert session["_user_id"] == owner.session_token != str(owner.id)
    assert len(owner.session_token) >= 40


def test_each_user_has_a_token_of_their_own(world, owner, member):
    assert owner.session_token and member.session_token and owner.session_token != member.session_token


def test_logging_out_ends_every_copy_of_the_login(app, owner):
    laptop = _logged_in(app, owner.email)
    copies = _copies(app, laptop)
    assert _logged_in_copies(copies) == list(copies)  # a copy works as long as the login does

    laptop.log_out()
    assert not laptop.is_logged_in()
    assert _logged_in_copies(_copies_of(app, copies)) == []


def _copies_of(app, copies: dict) -> dict:
    """Fresh browsers holding the same copied cookies (a refused request may have cleared some)."""
    return {name: device(app, copy.cookies()) for name, copy in copies.items()}


def test_logging_out_on_one_device_logs_out_the_others_too(app, owner):
    laptop, phone = _logged_in(app, owner.email), _logged_in(app, owner.email)
    laptop.log_out()
    assert not phone.is_logged_in()


def test_a_new_login_after_logging_out_gets_new_cookies(app, owner):
    laptop = _logged_in(app, owner.email)
    before = laptop.cookies()
    laptop.log_out()
    assert laptop.log_in(owner.email, remember=True).status_code == 302
    after = laptop.cookies()
    assert after[REMEMBER_COOKIE] != before[REMEMBER_COOKIE]


def test_log_out_everywhere_ends_every_login_of_the_user(app, owner, member):
    laptop, phone = _logged_in(app, owner.email), _logged_in(app, owner.email)
    colleague = _logged_in(app, member.email)
    copies = _copies(app, phone)

    response = laptop.log_out(everywhere=True)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "logged out everywhere" in laptop.get("/login").get_data(as_text=True)
    assert not laptop.is_logged_in() and not phone.is_logged_in()
    assert _logged_in_copies(_copies_of(app, copies)) == []
    assert colleague.is_logged_in()  # another user's login is not touched


def test_the_password_page_offers_log_out_everywhere(app, owner):
    page = _logged_in(app, owner.email).get("/account/password").get_data(as_text=True)
    assert "Log out everywhere" in page and 'name="everywhere"' in page


def test_changing_the_password_keeps_this_device_and_logs_out_the_others(app, owner):
    laptop, phone = _logged_in(app, owner.email), _logged_in(app, owner.email)
    copies = _copies(app, laptop)

    response = laptop.post(
        "/account/password",
        data={
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
            "csrf_token": csrf_token(laptop, "/account/password"),
        },
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
    assert "Your password is changed" in laptop.get("/inbox").get_data(as_text=True)
    assert laptop.is_logged_in()
    assert not phone.is_logged_in()
    assert _logged_in_copies(_copies_of(app, copies)) == []
    # The laptop's new remember cookie names the new token, and works alone.
    assert device(app, {REMEMBER_COOKIE: laptop.cookies()[REMEMBER_COOKIE]}).is_logged_in()

    assert device(app).log_in(owner.email, PASSWORD).status_code == 400
    assert device(app).log_in(owner.email, NEW_PASSWORD).status_code == 302


def test_a_role_change_logs_the_member_out(app, owner, member):
    admin_browser = _logged_in(app, owner.email)
    member_browser = _logged_in(app, member.email)
    copies = _copies(app, member_browser)

    response = admin_browser.post(
        f"/settings/organization/members/{member.id}/role",
        data={"role": "admin", "csrf_token": csrf_token(admin_browser, "/settings/organization")},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, member.id).role == Role.ADMIN
    assert not member_browser.is_logged_in()
    assert _logged_in_copies(_copies_of(app, copies)) == []
    assert member_browser.log_in(member.email).status_code == 302  # logging in again is all it takes


def test_choosing_the_same_role_again_logs_nobody_out(app, owner, member):
    admin_browser = _logged_in(app, owner.email)
    member_browser = _logged_in(app, member.email)
    admin_browser.post(
        f"/settings/organization/members/{member.id}/role",
        data={"role": "member", "csrf_token": csrf_token(admin_browser, "/settings/organization")},
    )
    assert member_browser.is_logged_in()


def test_changing_ones_own_role_keeps_this_session(app, world, owner):
    world.user(owner.organization, Role.OWNER, email="second-owner@example.com", name="Bea")
    laptop, phone = _logged_in(app, owner.email), _logged_in(app, owner.email)
    laptop.post(
        f"/settings/organization/members/{owner.id}/role",
        data={"role": "admin", "csrf_token": csrf_token(laptop, "/settings/organization")},
    )
    db.session.expire_all()
    assert db.session.get(User, owner.id).role == Role.ADMIN
    assert laptop.is_logged_in()
    assert not phone.is_logged_in()


def test_a_removed_members_cookies_stop_working_at_once(app, owner, member):
    admin_browser = _logged_in(app, owner.email)
    member_browser = _logged_in(app, member.email)
    copies = _copies(app, member_browser)

    admin_browser.post(
        f"/settings/organization/members/{member.id}/remove",
        data={"csrf_token": csrf_token(admin_browser, "/settings/organization")},
    )
    assert db.session.get(User, member.id) is None
    assert not member_browser.is_logged_in()
    assert _logged_in_copies(_copies_of(app, copies)) == []


def test_a_removed_members_cookie_never_becomes_the_next_users_login(app, world, owner, member):
    """The reported case: on SQLite the next new user took the removed member's id, and the
    member's old cookie opened the job dashboard as that new admin."""
    member_browser = _logged_in(app, member.email)
    copies = _copies(app, member_browser)
    removed_id = member.id
    db.session.delete(member)
    db.session.commit()

    newcomer = world.user(owner.organization, Role.ADMIN, email="new-admin@example.com", name="Nia")
    assert newcomer.id > removed_id  # ids are never reused
    for name, copy in _copies_of(app, copies).items():
        response = copy.get("/admin/rq/")
        assert response.status_code == 302 and "/login" in response.headers["Location"], name


def test_user_ids_are_never_reused(world, owner):
    organization = owner.organization
    last = world.user(organization, Role.MEMBER, email="last@example.com", name="Lee")
    removed_id = last.id
    db.session.delete(last)
    db.session.commit()
    assert world.user(organization, Role.MEMBER, email="next@example.com", name="Nat").id > removed_id


def test_the_users_table_is_autoincrement_on_sqlite(app):
    with db.engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            pytest.skip("PostgreSQL's sequences never reuse an id")
        schema = connection.execute(text("SELECT sql FROM sqlite_master WHERE name = 'users'")).scalar_one()
    assert "AUTOINCREMENT" in schema


def test_a_deactivated_users_login_ends(app, owner):
    laptop = _logged_in(app, owner.email)
    owner.active = False
    db.session.commit()
    assert not laptop.is_logged_in()


def test_a_cookie_from_before_the_upgrade_names_nobody(app, owner):
    """Remember cookies issued before session tokens carried the row id: they must not log in."""
    from flask_login.utils import encode_cookie

    assert not device(app, {REMEMBER_COOKIE: encode_cookie(str(owner.id))}).is_logged_in()
    assert device(app, {REMEMBER_COOKIE: encode_cookie(owner.session_token)}).is_logged_in()
