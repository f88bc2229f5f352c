"""Redis commands sent without waiting for their replies, for hints that something else backs.

A journalled webhook is announced to the workers with one RPUSH (``webapp.journal.announce``).
The journal row, committed first, is the truth; the announcement only saves the sweeper's
delay. Waiting for Redis to answer it cost the request a round trip (a wake-up of Redis and
of the web worker) for a reply nobody acts on, so the command is written to a connection of
its own and the request moves on.

The replies are still read, later: before each send, whatever Redis has answered since is read
off the socket, so they never pile up, and an error reply (a full Redis refusing writes) is
logged. Reading first also tells a connection Redis has closed (a restart) from a live one: the
command then goes out on a new connection instead of into a dead socket. What can still be lost
is a command written just as Redis went down, as with any command: its row waits for the sweeper.
"""

from __future__ import annotations

import logging
import os
import threading
import weakref

import redis
from redis.exceptions import RedisError, ResponseError

log = logging.getLogger(__name__)


class OneWayConnection:
    """A connection of its own to the Redis a client talks to, used only to send. Safe across
    threads (one send at a time) and across fork (a child opens its own)."""

    def __init__(self, client: redis.Redis) -> None:
        pool = client.connection_pool
        # No health check: its PING would read a reply meant for an earlier command.
        self._kwargs = {**pool.connection_kwargs, "health_check_interval": 0}
        self._connection_class = pool.connection_class
        self._connection = None
        self._pid = None
        self._lock = threading.Lock()

    def send(self, *command) -> None:
        """Write ``command`` to Redis without waiting for its reply; raises RedisError when
        Redis cannot be reached."""
        with self._lock:
            connection = self._live_connection()
            try:
                connection.send_command(*command)
            except BaseException:
                self._drop()
                raise

    def _live_connection(self):
        connection = self._connection if self._pid == os.getpid() else None
        if connection is not None:
            try:
                self._read_replies(connection)
                return connection
            except RedisError:
                self._drop()  # closed by Redis (a restart): a new connection below
        connection = self._connection_class(**self._kwargs)
        connection.connect()
        self._connection, self._pid = connection, os.getpid()
        return connection

    @staticmethod
    def _read_replies(connection) -> None:
        while connection.can_read(timeout=0):
            try:
                connection.read_response()
            except ResponseError as exc:
                log.warning("Redis refused a command sent without waiting: %s", exc)

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and self._pid == os.getpid():
            connection.disconnect()


_connections: weakref.WeakKeyDictionary[redis.Redis, OneWayConnection] = weakref.WeakKeyDictionary()
_connections_lock = threading.Lock()


def to(client: redis.Redis) -> OneWayConnection:
    """The one-way connection to ``client``'s Redis, made on first use."""
    with _connections_lock:
        connection = _connections.get(client)
        if connection is None:
            connection = _connections[client] = OneWayConnection(client)
        return connection
