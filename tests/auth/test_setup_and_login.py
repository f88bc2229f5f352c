import re
from datetime import UTC

from sqlalchemy import func, select

from tests.conftest import PASSWORD, csrf_token, instance_file
from webapp.db import db
from webapp.models import Organization, Role, User


def _setup_token(app) -> str:
    """The token `switchboard serve` prints, as the set-up page (which makes it) left it."""
    return instance_file(app, "setup_token").read_text().strip()


def _setup(client, **overrides):
    csrf = csrf_token(client, "/setup")
    data = {
        "organization": "Acme Support",
        "name": "Ada Lovelace",
        "email": "Ada@Example.com",
        "password": PASSWORD,
        "confirm": PASSWORD,
        "setup_token": _setup_token(client.application),
        "csrf_token": csrf,
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


def test_setup_requires_the_token_and_saves_nothing_without_it(client):
    for token in ("", "not-the-token"):
        response = _setup(client, setup_token=token)
        assert response.status_code == 200
        assert db.session.scalar(select(Organization)) is None and db.session.scalar(select(User)) is None
    assert "is not this server&#39;s set-up token" in response.get_data(as_text=True)
    assert _setup(client).status_code == 302  # the right one still works


def test_the_token_is_made_on_the_first_visit_and_deleted_once_set_up(app, client):
    token_file = instance_file(app, "setup_token")
    assert not token_file.exists()
    client.get("/setup")
    token = _setup_token(app)
    assert len(token) >= 24 and token_file.stat().st_mode & 0o077 == 0  # this user's alone
    client.get("/setup")
    assert _setup_token(app) == token  # one token until set-up succeeds
    assert _setup(client).status_code == 302
    assert not token_file.exists()


def test_the_printed_link_fills_in_the_token(app, client):
    client.get("/setup")
    token = _setup_token(app)
    page = client.get(f"/setup?token={token}").get_data(as_text=True)
    assert f'value="{token}"' in page
    assert f'value="{token}"' not in client.get("/setup").get_data(as_text=True)


def test_simultaneous_set_ups_create_one_organization(app, live_server):
    """Four people (or four tabs) submit the set-up form at the same moment: one wins."""
    import threading

    import requests

    requests.get(f"{live_server}/setup", timeout=10)  # writes the token
    token = _setup_token(app)
    barrier = threading.Barrier(4)
    answers: list = [None] * 4

    def set_up(number: int) -> None:
        browser = requests.Session()
        page = browser.get(f"{live_server}/setup", timeout=10).text
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        data = {
            "csrf_token": csrf,
            "setup_token": token,
            "organization": f"Organization {number}",
            "name": f"Person {number}",
            "email": f"person{number}@example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        }
        barrier.wait(timeout=10)
        answers[number] = browser.post(f"{live_server}/setup", data=data, allow_redirects=False, timeout=60)

    threads = [threading.Thread(target=set_up, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)

    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Organization)) == 1
    assert db.session.scalar(select(func.count()).select_from(User)) == 1
    outcomes = sorted(
        "created"
        if answer.headers.get("Location", "").endswith("/settings/ticketing/front")
        # The others are told to log in, or find the set-up page gone.
        else "log in"
        if answer.headers.get("Location", "").endswith("/login")
        else str(answer.status_code)
        for answer in answers
    )
    assert outcomes.count("created") == 1 and set(outcomes) <= {"created", "log in", "404"}, outcomes


def test_switchboard_serve_prints_the_set_up_link_on_first_run(app, runner, monkeypatch, world):
    from webapp import cli

    # Everything but the printing: no migration to run, no process started.
    nothing = lambda *args, **kwargs: None  # noqa: E731
    monkeypatch.setattr(cli.migrations, "upgrade", nothing)
    monkeypatch.setattr(cli.subprocess, "Popen", nothing)
    monkeypatch.setattr(cli, "_supervise", nothing)

    result = runner.invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    token = _setup_token(app)
    assert f"Set it up at https://switchboard.example.test/setup?token={token}" in result.output

    world.user(world.organization(), Role.OWNER, email="ada@example.com")
    assert "Set it up at" not in runner.invoke(args=["serve"]).output


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


def test_repeated_failures_make_the_next_attempt_wait(client, auth, owner):
    for _ in range(10):
        auth.login(owner.email, "wrong password entirely")
    response = auth.login(owner.email)  # even the right password, until the wait is over
    assert response.status_code == 429
    assert "Too many failed attempts. Wait" in response.get_data(as_text=True)


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
