from datetime import UTC

from sqlalchemy import select

from tests.conftest import PASSWORD, csrf_token
from webapp.db import db
from webapp.models import Organization, Role, User


def _setup(client, **overrides):
    data = {
        "organization": "Acme Support",
        "name": "Ada Lovelace",
        "email": "Ada@Example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "csrf_token": csrf_token(client, "/setup"),
    }
    data.update(overrides)
    return client.post("/setup", data=data)


def test_a_fresh_install_sends_everyone_to_setup(client):
    for path in ("/", "/inbox", "/login", "/settings/organization"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/setup")


def test_setup_creates_the_organization_and_its_owner_and_logs_in(client):
    response = _setup(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/settings/ticketing/front")

    owner = db.session.scalar(select(User))
    assert owner.role == Role.OWNER
    assert owner.email == "ada@example.com"
    assert owner.password_hash != PASSWORD and owner.check_password(PASSWORD)
    assert db.session.scalar(select(Organization)).name == "Acme Support"
    assert client.get("/inbox").status_code == 200


def test_setup_is_gone_once_a_user_exists(client, owner):
    assert client.get("/setup").status_code == 404
    response = client.post("/setup", data={"organization": "Evil", "name": "x", "email": "x@example.com"})
    assert response.status_code in (400, 404)
    assert db.session.scalar(select(User).where(User.email == "x@example.com")) is None


def test_setup_refuses_a_short_or_mismatched_password_and_saves_nothing(client):
    response = _setup(client, password="short", confirm="short")
    assert response.status_code == 200
    assert "Use at least 12 characters." in response.get_data(as_text=True)
    response = _setup(client, confirm=PASSWORD + "x")
    assert "The passwords differ." in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None
    assert db.session.scalar(select(Organization)) is None


def test_login_with_the_right_password_and_case_insensitive_email(client, auth, owner):
    response = auth.login("OWNER@example.com")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/inbox")
    assert "HttpOnly" in response.headers["Set-Cookie"]
    assert "SameSite=Lax" in response.headers["Set-Cookie"]


def test_login_with_a_wrong_password_is_refused_with_a_clear_error(client, auth, owner):
    response = auth.login(owner.email, "wrong password entirely")
    assert response.status_code == 400
    assert "do not match an active user" in response.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_repeated_failures_lock_the_login_for_a_while(client, auth, owner):
    for _ in range(10):
        auth.login(owner.email, "wrong password entirely")
    response = auth.login(owner.email)  # even the right password, for now
    assert response.status_code == 400
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_login_follows_next_only_within_the_site(client, auth, owner):
    token = csrf_token(client, "/login")
    data = {"email": owner.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=/settings/organization", data=data)
    assert response.headers["Location"].endswith("/settings/organization")
    auth.logout()
    token = csrf_token(client, "/login")
    response = client.post("/login?next=https://evil.example/", data={**data, "csrf_token": token})
    assert response.headers["Location"].endswith("/inbox")


def test_an_inactive_user_cannot_log_in(client, auth, owner):
    owner.active = False
    db.session.commit()
    assert auth.login(owner.email).status_code == 400


def test_logout_ends_the_session(client, auth, logged_in_owner):
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/inbox").status_code == 302


def test_a_form_post_without_csrf_token_is_refused(client, owner):
    response = client.post("/login", data={"email": owner.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Form refused" in response.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_a_settings_post_without_csrf_token_is_refused_and_changes_nothing(client, logged_in_owner):
    response = client.post("/settings/organization", data={"name": "Renamed"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Organization, logged_in_owner.organization_id).name == "Acme Support"


def _cookie_lifetime(response, name: str):
    """How long the browser is told to keep a cookie (None: until it closes)."""
    from datetime import datetime
    from email.utils import parsedate_to_datetime

    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith(f"{name}="))
    expires = next((part.split("=", 1)[1] for part in header.split("; ") if part.lower().startswith("expires=")), None)
    return None if expires is None else parsedate_to_datetime(expires) - datetime.now(UTC)


def test_a_login_lasts_the_session_lifetime_and_keep_me_logged_in_adds_a_30_day_cookie(client, owner):
    from datetime import timedelta

    response = client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "csrf_token": csrf_token(client)}
    )
    lifetime = _cookie_lifetime(response, "switchboard_session")
    assert timedelta(hours=11) < lifetime <= timedelta(hours=12)
    assert not any(h.startswith("remember_token=") for h in response.headers.getlist("Set-Cookie"))

    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    response = client.post(
        "/login", data={"email": owner.email, "password": PASSWORD, "remember": "y", "csrf_token": csrf_token(client)}
    )
    assert timedelta(days=29) < _cookie_lifetime(response, "remember_token") <= timedelta(days=30)
