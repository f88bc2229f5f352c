"""The connection pool: a connection that died while idle is replaced unseen, and one in use
is not pinged at every checkout."""

import gc
import importlib
import os

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


# -- the connection held between back-to-back transactions (the webhook journal's) ------------


@pytest.fixture
def probe(app):
    """A table of the test's own to write to."""
    with db.engine.begin() as connection:
        connection.execute(text("CREATE TABLE held_probe (key VARCHAR(20) PRIMARY KEY)"))
    yield
    db.engine.dispose()
    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE held_probe"))


def _dbapi(connection):
    return connection.connection.dbapi_connection


def _write(held, engine, value: str):
    with held.transaction(engine) as connection:
        connection.execute(text("INSERT INTO held_probe (key) VALUES (:k)"), {"k": value})
        return _dbapi(connection)


def _keys(engine) -> list[str]:
    with engine.connect() as connection:
        return sorted(connection.execute(text("SELECT key FROM held_probe")).scalars())


def test_back_to_back_transactions_run_on_one_held_connection_closed_when_the_engine_is(app, probe):
    held = database.held_connections
    first = _write(held, db.engine, "one")
    assert _write(held, db.engine, "two") is first
    assert _keys(db.engine) == ["one", "two"]  # each committed on leaving
    assert db.engine.pool.checkedout() == 1  # held, not back in the pool

    db.engine.dispose()
    with pytest.raises(Exception, match="closed"):  # closed at once, not left for the collector
        first.cursor().execute("SELECT 1")
    assert _write(held, db.engine, "three") is not first


def test_a_failed_transaction_is_rolled_back_and_its_connection_handed_back_to_the_pool(app, probe):
    held = database.held_connections
    _write(held, db.engine, "one")
    with pytest.raises(LookupError):
        with held.transaction(db.engine) as connection:
            connection.execute(text("INSERT INTO held_probe (key) VALUES ('lost')"))
            raise LookupError("anything at all")
    assert db.engine.pool.checkedout() == 0  # the pool resets, or replaces, a connection in doubt
    assert _keys(db.engine) == ["one"]
    _write(held, db.engine, "two")


def test_a_thread_finding_the_connection_in_use_takes_one_from_the_pool(app, probe):
    import threading

    held = database.held_connections
    inside, release, seen = threading.Event(), threading.Event(), {}

    def slow():
        with held.transaction(db.engine) as connection:
            seen["slow"] = _dbapi(connection)
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=slow)
    thread.start()
    assert inside.wait(10)
    seen["fast"] = _write(held, db.engine, "fast")
    release.set()
    thread.join(10)
    assert seen["fast"] is not seen["slow"]
    assert db.engine.pool.checkedout() == 1  # one of the two is held, the other went back


def test_a_new_engine_gives_up_the_old_engines_connection(app, probe):
    from webapp.db import make_engine

    held = database.held_connections
    _write(held, db.engine, "one")
    other = make_engine(app.config["DATABASE_URL"])
    try:
        _write(held, other, "two")
        assert db.engine.pool.checkedout() == 0
    finally:
        other.dispose()


def test_a_held_connection_killed_while_idle_is_replaced_before_use(postgresql, monkeypatch):
    engine = postgresql
    held = database.held_connections
    with held.transaction(engine) as connection:
        victim = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    with engine.connect() as killer:
        killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": victim})
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)  # it has been idle long enough

    with held.transaction(engine) as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != victim


def test_a_forked_child_leaves_the_parents_held_connection_alone(postgresql):
    engine = postgresql
    held = database.held_connections
    with held.transaction(engine) as connection:
        parent = connection.execute(text("SELECT pg_backend_pid()")).scalar()

    pid = os.fork()
    if pid == 0:  # the child writes on a connection of its own, then exits as a process does
        code = 1
        try:
            with held.transaction(engine) as connection:
                code = 0 if connection.execute(text("SELECT pg_backend_pid()")).scalar() != parent else 2
            engine.dispose()
            del connection
            gc.collect()
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    with held.transaction(engine) as connection:  # the parent's is alive and still its own
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() == parent
