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
