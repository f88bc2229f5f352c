"""RQ wiring: the named queues, the one ``@job`` decorator, retry policies and the job logger.

Every job is declared as ``@job("queue", timeout=..., retry=...)`` and enqueued with
``func.enqueue(...)``; the worker resolves the Redis connection from the running app, so no
module holds a connection at import time.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Callable

from flask import current_app, has_app_context
from rq import Queue, Retry, SimpleWorker, get_current_job

from webapp import redis_server

# Listening order is priority order: a customer waiting on a reply (the webhook job answers it)
# comes before a knowledge sync.
QUEUES = ("webhooks", "default", "knowledge", "periodic")

# Transient failures (a remote 5xx, a dropped connection) get three more tries, spread out.
RETRY_TRANSIENT = Retry(max=3, interval=[10, 60, 300])
NO_RETRY = None

FAILURE_TTL = 7 * 24 * 3600  # failed jobs stay visible in the dashboard for a week


def get_queue(name: str) -> Queue:
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_server.connection())


class JobLogAdapter(logging.LoggerAdapter):
    """Prefixes every line with the running job's id and function, so a log can be followed."""

    def process(self, msg, kwargs):
        job = get_current_job()
        if job is None:
            return msg, kwargs
        return f"[job={job.id} func={job.func_name}] {msg}", kwargs


def get_job_logger(name: str) -> logging.LoggerAdapter:
    return JobLogAdapter(logging.getLogger(name), {})


_worker_app = None


def _app_for_job():
    """The worker normally runs jobs inside its app context; this covers callers that don't."""
    global _worker_app
    if _worker_app is None:
        from webapp import create_app

        _worker_app = create_app()
    return _worker_app


def job(queue: str, *, timeout: int = 180, retry: Retry | None = RETRY_TRANSIENT, result_ttl: int = 3600):
    if queue not in QUEUES:
        raise ValueError(f"unknown queue {queue!r}")

    def decorator(func: Callable) -> Callable:
        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any):
            if has_app_context():
                return _run_in_context(func, args, kwargs)
            with _app_for_job().app_context():
                return _run_in_context(func, args, kwargs)

        def enqueue(*args: Any, job_id: str | None = None, **kwargs: Any):
            target = get_queue(queue)
            # Handed a pipeline, RQ registers the queue and saves and pushes the job in one
            # transaction: one round trip to Redis instead of two, on every webhook.
            with target.connection.pipeline() as pipeline:
                enqueued = target.enqueue(
                    run,
                    args=args,
                    kwargs=kwargs,
                    job_id=job_id,
                    job_timeout=timeout,
                    retry=_with_configured_intervals(retry),
                    result_ttl=result_ttl,
                    failure_ttl=FAILURE_TTL,
                    pipeline=pipeline,
                )
                pipeline.execute()
            return enqueued

        run.enqueue = enqueue
        run.queue_name = queue
        run.timeout = timeout
        return run

    return decorator


def _with_configured_intervals(retry: Retry | None) -> Retry | None:
    """``JOB_RETRY_INTERVALS`` overrides the waits between retries (tests use 0: retry at once)."""
    intervals = current_app.config.get("JOB_RETRY_INTERVALS")
    if retry is None or intervals is None:
        return retry
    return Retry(max=retry.max, interval=list(intervals))


def _run_in_context(func: Callable, args, kwargs):
    from webapp.db import db

    try:
        return func(*args, **kwargs)
    finally:
        db.session.remove()


def job_is_live(job_id: str) -> bool:
    """Whether a job with this id is waiting or running (so enqueueing it again would double it)."""
    from rq.exceptions import NoSuchJobError
    from rq.job import Job, JobStatus

    try:
        status = Job.fetch(job_id, connection=redis_server.connection()).get_status()
    except NoSuchJobError:
        return False
    return status in (JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED)


def make_worker() -> SimpleWorker:
    """The worker ``switchboard worker`` runs.

    Jobs run in the worker process itself, not in a work horse forked for each job as RQ does
    by default: a fork, with its cold database and Redis connections, cost a reply more time
    than the reply itself. What forking would isolate is handled here instead: every job's
    database session is removed when it ends (``_run_in_context``), its time limit is still
    enforced (SIGALRM), and if the worker dies mid-job the job's leases run out and it is
    taken back (``webapp.leases``).
    """
    return SimpleWorker(worker_queues(), connection=redis_server.connection())


def preload() -> None:
    """Load once, before the first job, what jobs would otherwise each wait for: the job
    modules, and the agent's language profiles and stemmers."""
    import jobs.journal  # noqa: F401  (the webhook handlers register on import)
    import jobs.knowledge  # noqa: F401
    from webapp.agent import signals

    signals.preload()


def worker_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUES]
