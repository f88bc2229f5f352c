"""The README's run command: `switchboard serve` on embedded defaults, started and stopped."""

import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_brings_up_web_worker_and_scheduler_on_embedded_defaults_and_stops_them(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS")}
    env.update(INSTANCE_PATH=str(tmp_path), PORT=str(port), WEB_CONCURRENCY="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.cli", "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
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
        assert requests.get(f"http://127.0.0.1:{port}/", allow_redirects=False, timeout=2).headers["Location"].endswith("/setup")
        for generated in ("switchboard.db", "secret_key", "encryption_keys"):
            assert (tmp_path / generated).exists(), generated
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "Worker" in output and "started" in output  # the RQ worker came up too
