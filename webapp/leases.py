"""Leases: claims that last only while their holder keeps renewing them.

A worker killed in the middle of a job (SIGKILL, the kernel's OOM killer, a lost machine) cannot
release what it holds. So whatever a job holds across processes (its journal row, its
conversation lock) is held for ``WORKER_LEASE_SECONDS`` at a time and renewed by a background
thread while the job runs: the claims of a dead worker run out within that time, and its work
is taken back, instead of waiting on the job's whole timeout.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from flask import current_app
from redis.exceptions import LockError

log = logging.getLogger(__name__)


def lease_seconds() -> int:
    return current_app.config["WORKER_LEASE_SECONDS"]


class Renewal:
    """Calls ``renew`` every ``every`` seconds in a daemon thread for the length of a block.

    A failed renewal is logged and tried again at the next beat: one missed beat out of three
    per lease leaves the claim standing.
    """

    def __init__(self, renew: Callable[[], None], every: float, what: str):
        self.renew = renew
        self.every = every
        self.what = what
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"renew {what}", daemon=True)

    def __enter__(self) -> Renewal:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.renew()
            except Exception as error:  # the job itself goes on; the next beat tries again
                log.warning("could not renew the lease on %s: %s", self.what, error)


@contextmanager
def redis_lock(name: str, *, wait: float | None) -> Iterator[bool]:
    """A Redis lock held as a lease for the length of a block; yields whether it was taken.

    ``wait`` is how long to wait for it (0: not at all). It is released at the end; if it had
    run out anyway (the holder was stalled past a lease), the next holder is already safe.
    """
    from webapp import redis_server

    seconds = lease_seconds()
    lock = redis_server.connection().lock(
        name, timeout=seconds, blocking=bool(wait), blocking_timeout=wait or None, thread_local=False
    )
    if not lock.acquire():
        yield False
        return
    try:
        with Renewal(lock.reacquire, every=seconds / 3, what=name):
            yield True
    finally:
        try:
            lock.release()
        except LockError:
            log.warning("the lock %s had run out before its release", name)
