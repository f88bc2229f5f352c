"""Every setting Switchboard reads, from environment variables, with embedded defaults.

The defaults make a first start work with nothing installed but the package: SQLite in the
instance folder, an embedded Redis, and keys generated into the instance folder. Production sets
``DATABASE_URL``, ``REDIS_URL``, ``SECRET_KEY`` and ``ENCRYPTION_KEYS`` explicitly.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.fernet import Fernet


def parse_bool(value: str | None, default: bool = False) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_int(value: str | None, default: int) -> int:
    if value is None or value.strip() == "":
        return default
    return int(value)


def default_web_concurrency() -> int:
    """Web worker processes when ``WEB_CONCURRENCY`` is unset: two per CPU this process may run
    on, between 2 and 8. A sync worker waits on the database's flush for every webhook it
    journals, and a second worker per CPU uses that wait; each worker holds its own copy of the
    app (about 95 MiB)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cpus = os.cpu_count() or 1
    return min(8, max(2, 2 * cpus))


def parse_list(value: str | None) -> list[str]:
    return [item.strip() for item in (value or "").split(",") if item.strip()]


def normalize_database_url(url: str) -> str:
    """Point plain PostgreSQL URLs at psycopg 3, the driver we install.

    SQLAlchemy maps ``postgresql://`` to psycopg2, which is not a dependency; hosting providers
    still hand out ``postgres://``.
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _read_or_create(path: Path, make) -> str:
    """Return the contents of an instance file, writing ``make()`` into it on first use.

    The file is created with mode 0600 and O_EXCL, so two processes starting together cannot
    each generate a different key: the loser reads the winner's.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        value = make()
        handle.write(value + "\n")
    return value


def secret_key(instance_path: Path) -> str:
    return os.environ.get("SECRET_KEY") or _read_or_create(
        instance_path / "secret_key", lambda: secrets.token_urlsafe(48)
    )


ENCRYPTION_KEYS_FILE = "encryption_keys"


def encryption_keys(instance_path: Path) -> list[str]:
    """Fernet keys, newest first: the first encrypts, all of them decrypt."""
    configured = parse_list(os.environ.get("ENCRYPTION_KEYS"))
    if configured:
        return configured
    return parse_list(_read_or_create(instance_path / ENCRYPTION_KEYS_FILE, lambda: Fernet.generate_key().decode()))


def instance_path() -> str:
    """``INSTANCE_PATH``, else where Flask puts an app's instance folder: ``instance/`` in the
    checkout (an editable install included), ``<sys.prefix>/var/webapp-instance`` once installed
    from a wheel, so an installed Switchboard never writes into site-packages."""
    from flask import Flask

    return os.environ.get("INSTANCE_PATH") or Flask("webapp", static_folder=None).instance_path


def reloader_of_encryption_keys(app):
    """How a running process reads its keys again: from the instance folder's key file, unless
    ENCRYPTION_KEYS was set (an environment does not change under a running process) or the
    app was given other keys than the file's (a test)."""
    path = Path(app.instance_path) / ENCRYPTION_KEYS_FILE
    if os.environ.get("ENCRYPTION_KEYS") or not path.exists():
        return None
    if app.config["ENCRYPTION_KEYS"] != encryption_keys(Path(app.instance_path)):
        return None
    return lambda: encryption_keys(Path(app.instance_path))


def database_url(instance_path: Path) -> str:
    return normalize_database_url(os.environ.get("DATABASE_URL") or f"sqlite:///{instance_path / 'switchboard.db'}")


class ConfigError(ValueError):
    """A setting that cannot be used; the message names it and says what it must be."""


def parse_port(value: str | None, default: int) -> int:
    """A TCP port number; anything else is refused at start with the variable named."""
    if value is None or value.strip() == "":
        return default
    try:
        port = int(value)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise ConfigError(f"PORT must be a port number from 1 to 65535, not {value!r}")
    return port


# Addresses that mean "this machine" when listening on them: the server is reached as localhost.
LOCAL_BIND_HOSTS = frozenset({"", "0.0.0.0", "127.0.0.1", "localhost", "::", "::1"})


def default_public_url(host: str | None, port: int) -> str:
    """The address this server is reached on when ``PUBLIC_URL`` is not set, from where
    ``switchboard serve`` listens: every URL Switchboard shows (webhooks, the OAuth callback, the
    set-up link) must at least reach this server from its own machine, whatever ``PORT`` is."""
    name = (host or "").strip().strip("[]")
    if name in LOCAL_BIND_HOSTS:
        name = "localhost"
    elif ":" in name:  # an IPv6 address
        name = f"[{name}]"
    return f"http://{name}:{port}"


def configured_public_url() -> str:
    """``PUBLIC_URL`` without its trailing slash, else the address ``HOST`` and ``PORT`` make.

    A value that is not a whole http(s) address is refused at start: every webhook and callback
    URL shown to admins is built on it, and a wrong one fails only later, in Front or Salesforce."""
    configured = (os.environ.get("PUBLIC_URL") or "").strip().rstrip("/")
    if not configured:
        return default_public_url(os.environ.get("HOST"), parse_port(os.environ.get("PORT"), 5000))
    try:
        parts = urlsplit(configured)
        _ = parts.port  # a port that is not a number raises here
        valid = parts.scheme in ("http", "https") and bool(parts.hostname) and not (parts.query or parts.fragment)
    except ValueError:
        valid = False
    if not valid:
        raise ConfigError(
            "PUBLIC_URL must be the address Front and Salesforce reach Switchboard on, such as "
            f"https://support.example.com, not {configured!r}"
        )
    return configured


def from_environment(instance_path: Path) -> dict:
    """Build the Flask config mapping. Called once per app, after the instance folder exists."""
    public_url = configured_public_url()
    https = urlsplit(public_url).scheme == "https"
    return {
        "SECRET_KEY": secret_key(instance_path),
        "ENCRYPTION_KEYS": encryption_keys(instance_path),
        "DATABASE_URL": database_url(instance_path),
        # Empty means: use the embedded Redis for this instance folder (see webapp.redis_server).
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # Front's webhooks, Salesforce's callouts and the OAuth callback come back to this address.
        "PUBLIC_URL": public_url,
        "FRONT_API_URL": os.environ.get("FRONT_API_URL", "https://api2.frontapp.com").rstrip("/"),
        # Lets admin-set addresses (the LLM provider's base URL) be loopback or private, for a
        # model server on this machine or network; see webapp/outbound.py. Off: public https only.
        "ALLOW_PRIVATE_OUTBOUND": parse_bool(os.environ.get("ALLOW_PRIVATE_OUTBOUND")),
        # Cookies are marked Secure whenever the public URL is https; a plain-http local run
        # would otherwise never keep a session.
        "SESSION_COOKIE_SECURE": parse_bool(os.environ.get("SESSION_COOKIE_SECURE"), https),
        "REMEMBER_COOKIE_SECURE": parse_bool(os.environ.get("SESSION_COOKIE_SECURE"), https),
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Lax, not Strict: the OAuth callback arrives as a top-level cross-site navigation and
        # must still see the login. Lax already keeps the cookie off cross-site POSTs.
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_NAME": "switchboard_session",
        # A login lasts this long after the last request; "Keep me logged in" adds a cookie that
        # logs the user in again for REMEMBER_ME_DAYS after that.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=parse_int(os.environ.get("SESSION_LIFETIME_HOURS"), 12)),
        "REMEMBER_COOKIE_DURATION": timedelta(days=parse_int(os.environ.get("REMEMBER_ME_DAYS"), 30)),
        "WTF_CSRF_TIME_LIMIT": None,  # tokens live as long as the session that holds them
        "MAX_CONTENT_LENGTH": parse_int(os.environ.get("MAX_CONTENT_LENGTH"), 2 * 1024 * 1024),
        # Front's webhook bodies are previews of a few KB; anything near this is not Front.
        "FRONT_WEBHOOK_MAX_BYTES": parse_int(os.environ.get("FRONT_WEBHOOK_MAX_BYTES"), 512 * 1024),
        # Seconds before the first retry of a failed Front call; doubles with each retry.
        "FRONT_RETRY_BACKOFF": float(os.environ.get("FRONT_RETRY_BACKOFF") or 1.0),
        # Hours without any Front webhook event, while Front shows newer customer messages, before
        # the webhook setup check calls the webhook broken: shorter gaps are deliveries still on
        # their way or an outage Front's redeliveries cover.
        "FRONT_WEBHOOK_SILENCE_HOURS": max(1, parse_int(os.environ.get("FRONT_WEBHOOK_SILENCE_HOURS"), 6)),
        # The Salesforce REST API version every call uses (68.0 is Winter '27).
        "SALESFORCE_API_VERSION": os.environ.get("SALESFORCE_API_VERSION", "68.0"),
        # Seconds before the second attempt of a failed Case handoff; doubles for the third.
        "SALESFORCE_RETRY_BACKOFF": float(os.environ.get("SALESFORCE_RETRY_BACKOFF") or 2.0),
        # Seconds each Salesforce call may take before it counts as failed.
        "SALESFORCE_TIMEOUT": float(os.environ.get("SALESFORCE_TIMEOUT") or 20.0),
        # A rep's reply is a few KB of JSON; anything near this is not the Apex Switchboard generated.
        "SALESFORCE_WEBHOOK_MAX_BYTES": parse_int(os.environ.get("SALESFORCE_WEBHOOK_MAX_BYTES"), 256 * 1024),
        # How often the setup checks (Troubleshooting pages) run by themselves, in seconds.
        "DIAGNOSTICS_INTERVAL_SECONDS": max(60, parse_int(os.environ.get("DIAGNOSTICS_INTERVAL_SECONDS"), 900)),
        "INBOX_PAGE_SIZE": parse_int(os.environ.get("INBOX_PAGE_SIZE"), 25),
        "JOURNAL_SWEEP_AFTER_SECONDS": parse_int(os.environ.get("JOURNAL_SWEEP_AFTER_SECONDS"), 60),
        # How long a killed worker's claims (its webhook event, its conversation) outlive it.
        # Renewed every third of it while a job runs, so it bounds only recovery, not job length.
        "WORKER_LEASE_SECONDS": max(3, parse_int(os.environ.get("WORKER_LEASE_SECONDS"), 30)),
        # Proxies in front of the app whose X-Forwarded-For (and -Proto) are believed: the client's
        # address is taken that many hops back. 0 believes none (nothing must be in front).
        "TRUSTED_PROXY_HOPS": max(0, parse_int(os.environ.get("TRUSTED_PROXY_HOPS"), 0)),
        "HOST": os.environ.get("HOST", "127.0.0.1"),
        "PORT": parse_port(os.environ.get("PORT"), 5000),
        "WEB_CONCURRENCY": parse_int(os.environ.get("WEB_CONCURRENCY"), default_web_concurrency()),
        "WORKERS": parse_int(os.environ.get("WORKERS"), 1),
        # Live Messaging relays `switchboard serve` starts (0: none, e.g. when they run elsewhere),
        # the event streams each holds at most, and how long a killed relay's streams outlive it.
        "RELAYS": max(0, parse_int(os.environ.get("RELAYS"), 1)),
        "RELAY_CAPACITY": max(1, parse_int(os.environ.get("RELAY_CAPACITY"), 1000)),
        "RELAY_LEASE_SECONDS": max(3, parse_int(os.environ.get("RELAY_LEASE_SECONDS"), 30)),
        "LOG_LEVEL": log_level(os.environ.get("LOG_LEVEL")),
        # How hard SQLite syncs its write-ahead log (README, "SQLite's synchronous level").
        "SQLITE_SYNCHRONOUS": sqlite_synchronous(os.environ.get("SQLITE_SYNCHRONOUS")),
    }


SQLITE_SYNCHRONOUS_LEVELS = ("NORMAL", "FULL", "EXTRA")


def sqlite_synchronous(value: str | None) -> str:
    """SQLite's ``synchronous`` level in WAL mode. NORMAL by default: a committed (so
    acknowledged) webhook survives any crash of Switchboard's processes, and the last commits
    before a power cut or a crash of the machine itself may be lost. FULL and EXTRA sync the
    log at every commit and keep those too, for about a quarter of the webhook throughput. OFF
    is refused: a crash of the machine could then corrupt the database."""
    name = (value or "NORMAL").strip().upper()
    if name not in SQLITE_SYNCHRONOUS_LEVELS:
        raise ConfigError(f"SQLITE_SYNCHRONOUS must be NORMAL, FULL or EXTRA, not {value!r}")
    return name


def log_level(value: str | None) -> str:
    """A Python log level name; anything else is refused at start, not silently ignored."""
    name = (value or "INFO").strip().upper()
    if name not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
    return name
