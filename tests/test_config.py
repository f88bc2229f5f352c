import re

import pytest
from cryptography.fernet import Fernet

from webapp import config, create_app


def test_first_start_generates_keys_into_the_instance_folder_and_keeps_them(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    first = config.from_environment(tmp_path)
    second = config.from_environment(tmp_path)

    assert first["SECRET_KEY"] == second["SECRET_KEY"] and len(first["SECRET_KEY"]) > 40
    assert first["ENCRYPTION_KEYS"] == second["ENCRYPTION_KEYS"]
    Fernet(first["ENCRYPTION_KEYS"][0].encode())  # a usable key
    assert (tmp_path / "encryption_keys").stat().st_mode & 0o777 == 0o600
    assert first["DATABASE_URL"] == f"sqlite:///{tmp_path / 'switchboard.db'}"


def test_environment_wins_over_generated_values(tmp_path, monkeypatch):
    keys = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    monkeypatch.setenv("ENCRYPTION_KEYS", " , ".join(keys))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    monkeypatch.setenv("PUBLIC_URL", "https://support.example.com/")
    monkeypatch.setenv("FRONT_API_URL", "http://127.0.0.1:9999/")
    settings = config.from_environment(tmp_path)

    assert settings["ENCRYPTION_KEYS"] == keys
    assert settings["SECRET_KEY"] == "from-env"
    assert settings["PUBLIC_URL"] == "https://support.example.com"
    assert settings["FRONT_API_URL"] == "http://127.0.0.1:9999"
    assert settings["SESSION_COOKIE_SECURE"] is True  # https public URL → secure cookies
    assert not (tmp_path / "encryption_keys").exists()


def test_postgres_urls_use_the_installed_driver():
    assert config.normalize_database_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.normalize_database_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert config.normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_session_cookies_are_hardened(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_a_plain_http_local_run_does_not_mark_cookies_secure(tmp_path, monkeypatch):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.setenv("PUBLIC_URL", "http://localhost:5000")
    assert config.from_environment(tmp_path)["SESSION_COOKIE_SECURE"] is False


def test_the_app_starts_on_embedded_defaults(tmp_path, monkeypatch):
    for name in ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["REDIS_URL"].startswith("unix://")
    assert app.extensions["redis"].ping()
    assert app.config["DATABASE_URL"].startswith("sqlite:///")


@pytest.fixture
def bare_environment(monkeypatch):
    """No PUBLIC_URL, HOST or PORT: what a first start sees."""
    for name in ("PUBLIC_URL", "HOST", "PORT"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, "http://localhost:5000"),
        (None, "8080", "http://localhost:8080"),
        ("0.0.0.0", "8080", "http://localhost:8080"),
        ("127.0.0.1", "5001", "http://localhost:5001"),
        ("localhost", "5001", "http://localhost:5001"),
        ("::", "5001", "http://localhost:5001"),
        ("", "5001", "http://localhost:5001"),
        ("10.0.0.5", "8080", "http://10.0.0.5:8080"),
        ("support.acme.test", "80", "http://support.acme.test:80"),
        ("fd00::5", "8080", "http://[fd00::5]:8080"),
    ],
)
def test_without_public_url_the_address_follows_host_and_port(tmp_path, bare_environment, host, port, expected):
    if host is not None:
        bare_environment.setenv("HOST", host)
    if port is not None:
        bare_environment.setenv("PORT", port)
    assert config.from_environment(tmp_path)["PUBLIC_URL"] == expected


def test_public_url_wins_over_host_and_port(tmp_path, bare_environment):
    bare_environment.setenv("PORT", "8080")
    bare_environment.setenv("PUBLIC_URL", " https://support.example.com/switchboard/ ")
    assert config.from_environment(tmp_path)["PUBLIC_URL"] == "https://support.example.com/switchboard"
    bare_environment.setenv("PUBLIC_URL", "")  # set but empty: as if unset
    assert config.from_environment(tmp_path)["PUBLIC_URL"] == "http://localhost:8080"


def test_every_url_switchboard_builds_follows_the_port(tmp_path, bare_environment, database_url, redis_url):
    from webapp.front.integration import webhook_url as front_webhook_url
    from webapp.models import Integration
    from webapp.salesforce.integration import redirect_uri
    from webapp.salesforce.integration import webhook_url as salesforce_webhook_url

    bare_environment.setenv("PORT", "8123")
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url}, instance_path=str(tmp_path))
    integration = Integration(webhook_token="hook")
    with app.app_context():
        assert front_webhook_url(integration) == "http://localhost:8123/webhooks/front/hook"
        assert salesforce_webhook_url(integration) == "http://localhost:8123/webhooks/salesforce/hook"
        assert redirect_uri() == "http://localhost:8123/oauth/salesforce/callback"


@pytest.mark.parametrize("port", ["http", "0", "65536", "-1", "80.5"])
def test_a_port_that_is_not_one_is_refused_with_its_name(tmp_path, bare_environment, port):
    bare_environment.setenv("PORT", port)
    with pytest.raises(ValueError, match=f"PORT must be a port number from 1 to 65535, not '{re.escape(port)}'"):
        config.from_environment(tmp_path)


@pytest.mark.parametrize(
    "value",
    ["support.example.com", "ftp://support.example.com", "https://", "https://x.test:port", "https://x.test/?a=1"],
)
def test_a_public_url_that_is_not_an_address_is_refused_with_an_example(tmp_path, bare_environment, value):
    bare_environment.setenv("PUBLIC_URL", value)
    with pytest.raises(ValueError, match="PUBLIC_URL must be the address .* such as https://support.example.com"):
        config.from_environment(tmp_path)


@pytest.mark.parametrize(
    ("value", "level", "pragma"), [(None, "NORMAL", 1), ("full", "FULL", 2), ("EXTRA", "EXTRA", 3)]
)
def test_sqlite_syncs_its_log_as_sqlite_synchronous_says(tmp_path, monkeypatch, value, level, pragma):
    from sqlalchemy import text

    from webapp.db import db

    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    if value is None:
        monkeypatch.delenv("SQLITE_SYNCHRONOUS", raising=False)
    else:
        monkeypatch.setenv("SQLITE_SYNCHRONOUS", value)
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLITE_SYNCHRONOUS"] == level
    with app.app_context():
        assert db.session.execute(text("PRAGMA synchronous")).scalar() == pragma
        assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"


@pytest.mark.parametrize("value", ["OFF", "0", "fast", "NORMAL; DROP TABLE users"])
def test_an_unsafe_or_unknown_sqlite_synchronous_level_is_refused_with_its_name(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SQLITE_SYNCHRONOUS", value)
    with pytest.raises(ValueError, match="SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA"):
        config.from_environment(tmp_path)


@pytest.mark.parametrize(("cpus", "workers"), [(1, 2), (2, 4), (3, 6), (64, 8)])
def test_web_workers_default_to_two_per_cpu_between_two_and_eight(tmp_path, monkeypatch, cpus, workers):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: set(range(cpus)))
    assert config.from_environment(tmp_path)["WEB_CONCURRENCY"] == workers

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert config.from_environment(tmp_path)["WEB_CONCURRENCY"] == 3
