"""The connection pool: a connection that died while idle is replaced unseen, and one in use
is not pinged at every checkout."""

import importlib

import pytest
from sqlalchemy import text

from webapp.db import db

database = importlib.import_module("webapp.db")  # the module; the package's "db" is the Database


@pytest.fixture
def postgresql(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the ping on checkout is PostgreSQL's (SQLite has no server to lose)")
    return db.engine


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def test_a_connection_killed_while_idle_is_replaced_before_anyone_uses_it(postgresql, monkeypatch):
    engine = postgresql
    with engine.connect() as killer:  # held, so the victim is another connection
        victim = _backend_pid(engine)  # back in the pool, idle
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})  # as a server restart would
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # it has been idle long enough

    assert _backend_pid(engine) != victim  # answered, on a new connection


def test_a_connection_back_from_use_a_moment_ago_is_not_pinged(postgresql, monkeypatch):
    engine = postgresql
    pings = []
    ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda connection: pings.append(1) or ping(connection))
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 60.0)
    first = _backend_pid(engine)
    assert _backend_pid(engine) == first  # the pool hands the same connection back within the minute...
    assert len(pings) <= 1  # ...unpinged (a connection new to the pool is pinged once)
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    assert _backend_pid(engine) == first
    assert len(pings) >= 1 and pings  # idle long enough: pinged, and alive
