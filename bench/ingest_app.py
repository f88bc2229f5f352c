"""The WSGI app ``bench.ingest`` serves: Switchboard itself, plus two endpoints to compare with.

Both live on the same app as the webhook, so they pass through the same gunicorn worker, the
same login gate, security headers and session handling:

- ``/bench/trivial`` answers a small JSON body: what the server costs before any work;
- ``/bench/commit`` also writes the request's body as one row and commits it before it answers,
  through the database driver alone, on a connection the process keeps: the least any webhook
  pays that commits before its answer, on this database and machine. What the webhook costs
  beyond it is its own work (token lookup, signature, JSON, the journal's checks, enqueue).
"""

import os

from flask import jsonify, request

from bench.ingest import COMMIT_FLOOR_TABLE, COMMIT_PATH, TRIVIAL_PATH
from webapp import create_app
from webapp.db import db
from webapp.extensions import csrf
from webapp.security import public


@public
@csrf.exempt
def trivial():
    return jsonify({"status": "ok"}), 200


class _DriverConnection:
    """One DB-API connection per process (taken from the app's pool once, so it has the
    engine's settings, SQLite's WAL among them), opened again in a forked child."""

    def __init__(self) -> None:
        self.pid = None
        self.connection = None

    def get(self):
        if self.pid != os.getpid():
            self.connection = db.engine.raw_connection()
            self.pid = os.getpid()
        return self.connection


_held = _DriverConnection()


@public
@csrf.exempt
def commit():
    connection = _held.get()
    marker = "?" if db.engine.dialect.paramstyle == "qmark" else "%s"
    cursor = connection.cursor()
    try:
        cursor.execute(f"INSERT INTO {COMMIT_FLOOR_TABLE} (payload) VALUES ({marker})", (request.get_data().decode(),))
        connection.commit()
    except Exception:
        connection.rollback()
        raise
    finally:
        cursor.close()
    return jsonify({"status": "ok"}), 200


app = create_app()
app.add_url_rule(TRIVIAL_PATH, "bench_trivial", trivial, methods=["GET", "POST"])
app.add_url_rule(COMMIT_PATH, "bench_commit", commit, methods=["POST"])
