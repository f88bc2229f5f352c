"""Command-line entry points: ``switchboard serve|worker|scheduler|db|keys``.

``switchboard`` is ``flask --app app`` with Switchboard's app preset, so both spellings work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import click
from cryptography.fernet import Fernet
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from webapp import config, migrations
from webapp.crypto import rotate_all


@click.command("serve")
@click.option("--workers", type=int, default=None, help="RQ worker processes (default: WORKERS or 1).")
@with_appcontext
def serve(workers: int | None) -> None:
    """Upgrade the database, then run the web server, workers and scheduler together."""
    app = current_app
    migrations.upgrade()
    env = os.environ.copy()
    # Children share this process's Redis (possibly the embedded one) and instance folder.
    env["REDIS_URL"] = app.config["REDIS_URL"]
    env["INSTANCE_PATH"] = app.instance_path
    python = sys.executable
    bind = f"{app.config['HOST']}:{app.config['PORT']}"
    commands = [
        web_command(bind, app.config["WEB_CONCURRENCY"], Path(app.instance_path)),
        [python, "-m", "webapp.cli", "scheduler"],
    ]
    commands += [[python, "-m", "webapp.cli", "worker"]] * (workers or app.config["WORKERS"])
    click.echo(f"Switchboard on {app.config['PUBLIC_URL']} (listening on {bind}); Ctrl+C stops it.")
    _supervise([subprocess.Popen(command, env=env) for command in commands])


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
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        "127.0.0.1",
        # One control socket per instance, so two Switchboards on one machine do not collide.
        "--control-socket",
        str(instance_path / "gunicorn.ctl"),
        wsgi_app,
    ]


def _supervise(processes: list[subprocess.Popen]) -> None:
    """Run until Ctrl+C, SIGTERM or any child exits; then stop them all."""
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while not stopping and all(p.poll() is None for p in processes):
            time.sleep(0.5)
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
        deadline = time.monotonic() + 20
        for process in processes:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
    failed = [p for p in processes if p.returncode not in (0, -signal.SIGTERM)]
    if failed and not stopping:
        raise SystemExit(1)


@click.command("worker")
@click.option("--burst", is_flag=True, help="Exit once the queues are empty.")
@with_appcontext
def worker(burst: bool) -> None:
    """Run one RQ worker on every queue, in priority order."""
    from webapp.queue import make_worker, preload

    preload()
    make_worker().work(burst=burst, with_scheduler=True)


@click.command("scheduler")
@with_appcontext
def scheduler() -> None:
    """Enqueue the periodic jobs (run exactly one of these)."""
    from webapp.schedule import build_scheduler

    build_scheduler().start()


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


def register_commands(app: Flask) -> None:
    from webapp.sandbox.console import sandbox

    for command in (serve, worker, scheduler, db_group, keys_group, sandbox):
        app.cli.add_command(command)


def _create_app():
    from webapp import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, add_default_commands=True, help="Switchboard.")(prog_name="switchboard")


if __name__ == "__main__":
    main()
