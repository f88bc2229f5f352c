"""Logging for every process: one format, and the running job on every line written in a job.

The job is added by a filter on the handlers (as Redash does), not by the modules that log, so
a line from any module (the Front client, SQLAlchemy, a library) written while a job runs says
which job it belongs to, and a log can be followed job by job.
"""

from __future__ import annotations

import logging
import sys

from rq import get_current_job

FORMAT = "%(asctime)s %(levelname)s %(name)s%(job)s: %(message)s"


class CurrentJobFilter(logging.Filter):
    """Sets ``record.job`` to `` [job=<id> func=<name>]`` inside a job, to an empty string elsewhere."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = get_current_job()
        record.job = f" [job={job.id} func={job.func_name}]" if job is not None else ""
        return True


class StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a line is written, not when the handler was
    made: a test runner swaps stderr, and a line logged at exit must not hit a closed stream."""

    def __init__(self) -> None:
        super().__init__()

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def attach(handler: logging.Handler) -> logging.Handler:
    """Give ``handler`` the job filter and Switchboard's format."""
    if not any(isinstance(existing, CurrentJobFilter) for existing in handler.filters):
        handler.addFilter(CurrentJobFilter())
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler


def configure(level: str) -> None:
    """Called by the app factory: the root logger's level, and a handler to stderr with the
    job filter (added once per process, however many apps it creates)."""
    root = logging.getLogger()
    root.setLevel(level)
    if not any(isinstance(f, CurrentJobFilter) for handler in root.handlers for f in handler.filters):
        root.addHandler(attach(StderrHandler()))
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
