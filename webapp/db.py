"""The database engine and the request/job-scoped session.

Plain SQLAlchemy 2: one engine per app, one ``scoped_session`` that views, jobs and CLI
commands share, removed at the end of every app context so no connection outlives its work.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
import weakref
from contextlib import contextmanager

from flask import Flask, has_app_context
from flask.globals import app_ctx
from sqlalchemy import MetaData, create_engine, event, make_url
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker

from webapp.config import SQLITE_SYNCHRONOUS_LEVELS

log = logging.getLogger(__name__)

# Stable constraint names, so Alembic migrations can drop and alter them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def make_engine(url: str, sqlite_synchronous: str = "NORMAL") -> Engine:
    # hide_parameters: a failed statement's message (logged, or on a job's failure record) never
    # carries its values, which are customers' names, emails and messages.
    if url.startswith("sqlite"):
        _create_private(make_url(url).database)
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", functools.partial(_tune_sqlite, synchronous=sqlite_synchronous))
    else:
        engine = create_engine(url, pool_size=5, max_overflow=10, hide_parameters=True)
        event.listen(engine, "handle_error", _without_row_values)
        event.listen(engine, "checkout", functools.partial(_ping_when_idle, engine.dialect))
        event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "engine_disposed", held_connections.close_all_of)
    _engines.add(engine)
    return engine


# A pooled connection is pinged before use when it sat idle this long: a server restart or a
# network timeout finds idle connections, and the ping replaces a dead one unseen. Pinging at
# every checkout, as pool_pre_ping does, cost a round trip on each webhook, for the rare
# restart in the second since the connection's last use; that one fails once, and SQLAlchemy
# then replaces the whole pool.
IDLE_PING_SECONDS = 1.0


def _ping_when_idle(dialect, dbapi_connection, record, _proxy) -> None:
    """The pool's checkout check; ``record`` is anything with the connection's ``info``."""
    idle_since = record.info.get("idle_since")
    if idle_since is not None and time.monotonic() - idle_since < IDLE_PING_SECONDS:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except dialect.loaded_dbapi.Error as exc:
        raise DisconnectionError(f"a pooled connection no longer answers: {exc}") from exc  # the pool reconnects


def _note_idle_since(_dbapi_connection, record) -> None:
    record.info["idle_since"] = time.monotonic()


# RQ forks a work horse per job: a pooled connection inherited across fork would be shared by
# two processes. The child forgets (without closing) every connection of its parent.
_engines: weakref.WeakSet[Engine] = weakref.WeakSet()
os.register_at_fork(after_in_child=lambda: [engine.dispose(close=False) for engine in list(_engines)])


class HeldConnections:
    """One connection per process, kept checked out between transactions that run back to back,
    for a write on every request's path (the webhook journal): checking a connection out of the
    pool and back in, and building its ``Connection``, cost a fifth of a webhook's time in the
    web process. A transaction here runs on a plain SQLAlchemy ``Connection``, so its events,
    error handling and COMMIT are SQLAlchemy's as anywhere else.

    A transaction takes the held connection, or one from the pool while another thread has it,
    and leaves its own connection held when none is. A held connection goes through the pool's
    own check (``_ping_when_idle``, which pings only after an idle second) before use, as if it
    had just been checked out, and is replaced when the database no longer answers. One whose
    transaction failed is handed back. Moving to another engine gives up the first engine's
    connection, and ``Engine.dispose()`` closes the engine's (``make_engine`` wires that). A
    forked child never touches its parent's: it is kept by process id and left alone, not
    closed (that would end the parent's session too).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[int, tuple[Engine, Connection]] = {}  # by process id

    @contextmanager
    def transaction(self, engine: Engine):
        """``engine.begin()`` on the held connection: commits on leaving, rolls back and hands
        the connection back to the pool on any exception."""
        pid = os.getpid()
        with self._lock:
            held = self._held.pop(pid, None)
        connection = self._usable(engine, held)
        try:
            with connection.begin():
                yield connection
        except BaseException:
            _close_quietly(connection)
            raise
        _note_idle_since(None, connection.connection)
        with self._lock:
            if pid not in self._held:
                self._held[pid], connection = (engine, connection), None
        if connection is not None:  # another thread's is held already
            _close_quietly(connection)

    @staticmethod
    def _usable(engine: Engine, held: tuple[Engine, Connection] | None) -> Connection:
        if held is not None:
            held_engine, connection = held
            if held_engine is engine:
                try:
                    _ping_when_idle(engine.dialect, connection.connection.dbapi_connection, connection.connection, None)
                    return connection
                except DisconnectionError:
                    connection.invalidate()
            _close_quietly(connection)
        return engine.connect()

    def close_all_of(self, engine: Engine) -> None:
        """Close this process's connection to ``engine`` now: handed back to a pool the engine
        no longer uses, it would be closed only when collected, at any moment and from any
        thread."""
        pid = os.getpid()
        with self._lock:
            held = self._held.get(pid)
            if held is None or held[0] is not engine:
                return
            del self._held[pid]
        held[1].invalidate()
        _close_quietly(held[1])


def _close_quietly(connection: Connection) -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001 - a broken connection is being given up anyway
        log.debug("closing a held connection failed", exc_info=True)


held_connections = HeldConnections()


def _without_row_values(context):
    """PostgreSQL's error text has a DETAIL line that quotes the row ("Key (email)=(...) already
    exists"): raise the same error with the primary message only, as hide_parameters does for the
    statement's values. The detail stays on the driver's exception (``orig.diag``)."""
    original, raised = context.original_exception, context.sqlalchemy_exception
    primary = getattr(getattr(original, "diag", None), "message_primary", None)
    if not primary or not isinstance(raised, DBAPIError):
        return None
    original.args = (primary,)
    return type(raised)(
        raised.statement,
        raised.params,
        original,
        hide_parameters=raised.hide_parameters,
        connection_invalidated=raised.connection_invalidated,
        code=raised.code,
        ismulti=raised.ismulti,
    )


def _create_private(path: str | None) -> None:
    """Create the SQLite file readable by this user only (SQLite gives its -wal and -shm files
    the same mode); an existing file is made so too."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def _tune_sqlite(dbapi_connection, _record, synchronous: str = "NORMAL"):
    if synchronous not in SQLITE_SYNCHRONOUS_LEVELS:  # never formatted into SQL unchecked
        raise ValueError(f"unknown SQLite synchronous level {synchronous!r}")
    cursor = dbapi_connection.cursor()
    # WAL lets the web process read while the worker writes; foreign keys are off by default.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # In WAL mode, NORMAL syncs the log at checkpoints, not at every commit: a commit survives
    # any crash of the process (see webapp.config.sqlite_synchronous).
    cursor.execute(f"PRAGMA synchronous={synchronous}")
    cursor.close()


def _app_context_or_thread() -> object:
    """A session per app context (a request, a job, a CLI command), as Flask-SQLAlchemy scopes
    it: a job run inside another context (a test's, the worker's) gets a session of its own,
    and its end removes only that one. Outside any app context, one per thread."""
    if has_app_context():
        return id(app_ctx._get_current_object())
    return ("thread", threading.get_ident())


class Database:
    def __init__(self) -> None:
        self.engine: Engine | None = None
        self.session = scoped_session(sessionmaker(expire_on_commit=False), scopefunc=_app_context_or_thread)

    def init_app(self, app: Flask) -> None:
        self.engine = make_engine(app.config["DATABASE_URL"], app.config.get("SQLITE_SYNCHRONOUS", "NORMAL"))
        self.session.configure(bind=self.engine)
        app.extensions["database"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()


db = Database()
