"""The README's run command: `switchboard serve` on embedded defaults, started and stopped."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port


def test_serve_brings_up_web_worker_and_scheduler_on_embedded_defaults_and_stops_them(tmp_path):
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS")
    }
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port), WEB_CONCURRENCY="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        health = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                health = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                if health.json()["workers"]:
                    break  # the RQ worker is up too
            except requests.RequestException:  # not listening yet, or still starting up
                pass
            time.sleep(0.3)
        if health is None:
            process.terminate()
            pytest.fail("the web server never answered:\n" + process.communicate(timeout=30)[0])
        assert health.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}, "workers": 1}
        assert (
            requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False, timeout=2)
            .headers["Location"]
            .endswith("/setup")
        )
        for generated in ("switchboard.db", "secret_key", "encryption_keys"):
            assert (tmp_path / generated).exists(), generated
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Worker" in output and "started" in output  # the RQ worker came up too


class Output:
    """Collects a process's output lines as they come, to wait for one."""

    def __init__(self, process: subprocess.Popen):
        import threading

        self.lines: list[str] = []
        self.thread = threading.Thread(target=lambda: self.lines.extend(iter(process.stdout.readline, "")), daemon=True)
        self.thread.start()

    def wait_for(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(text in line for line in list(self.lines)):
                return
            time.sleep(0.1)
        raise AssertionError(f"no line with {text!r} within {timeout} s:\n" + "".join(self.lines))


def test_of_two_scheduler_processes_one_enqueues_and_the_other_takes_over_when_it_stops(app, tmp_path):
    from webapp.queue import get_queue
    from webapp.schedule import PERIODIC_JOBS

    env = {**os.environ, "REDIS_URL": app.config["REDIS_URL"], "INSTANCE_PATH": str(tmp_path), "LOG_LEVEL": "INFO"}
    env.pop("DATABASE_URL", None)
    start = lambda: subprocess.Popen(  # noqa: E731
        [sys.executable, "-m", "webapp.cli", "scheduler"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    first = start()
    first_output = Output(first)
    second = None
    try:
        first_output.wait_for("is the active scheduler")
        second = start()
        second_output = Output(second)
        second_output.wait_for("waits as a standby")
        assert get_queue("periodic").count == len(PERIODIC_JOBS)  # enqueued once, not once per scheduler

        first.send_signal(signal.SIGTERM)
        first.wait(timeout=30)
        second_output.wait_for("is the active scheduler")
        assert get_queue("periodic").count == 2 * len(PERIODIC_JOBS)  # the new leader's first round
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)
