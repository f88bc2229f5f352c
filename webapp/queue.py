"""RQ wiring: the named queues, every job the app enqueues, the ``@job`` decorator and retries.

The domain (``webapp/``) enqueues a job by its :class:`JobSpec`, which names the entry point in
``jobs/`` as a dotted path: RQ imports it in the worker, so ``webapp/`` never imports ``jobs/``
and the dependency runs one way (jobs call the domain). ``jobs/`` declares each entry point
with ``@job(SPEC)``, and a test checks that every spec below resolves to the entry point that
declares it. The worker resolves the Redis connection from the running app, so no module holds
a connection at import time.
"""

from __future__ import annotations

import functools
import importlib
import logging
import signal
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Queue, Retry, SimpleWorker
from rq.exceptions import DequeueTimeout, StopRequested
from rq.job import Job, get_current_job
from rq.utils import as_text

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
    return (WebhookQueue if name == WEBHOOK_QUEUE else Queue)(name, connection=redis_server.connection())


WEBHOOK_QUEUE = "webhooks"


class WebhookQueue(Queue):
    """The webhook queue as the rest of Switchboard counts it: its jobs, and the journalled
    webhooks announced to the workers that no worker has turned into a job yet."""

    @property
    def count(self) -> int:
        from webapp import journal

        return super().count + self.connection.llen(journal.ANNOUNCED)


@dataclass(frozen=True)
class JobSpec:
    """A job as the rest of the app knows it: its entry point's dotted name and how it runs."""

    func: str  # "jobs.<module>.<function>"
    queue: str
    timeout: int = 180
    retry: Retry | None = RETRY_TRANSIENT
    result_ttl: int = 3600

    def __post_init__(self) -> None:
        if self.queue not in QUEUES:
            raise ValueError(f"unknown queue {self.queue!r}")

    @property
    def module(self) -> str:
        return self.func.rpartition(".")[0]

    def resolve(self) -> Callable:
        return getattr(importlib.import_module(self.module), self.func.rpartition(".")[2])

    def enqueue(self, *args: Any, job_id: str | None = None, **kwargs: Any) -> Job:
        target = get_queue(self.queue)
        # Handed a pipeline, RQ registers the queue and saves and pushes the job in one
        # transaction: one round trip to Redis instead of two, on every webhook.
        with target.connection.pipeline() as pipeline:
            enqueued = target.enqueue(
                self.func,
                args=args,
                kwargs=kwargs,
                job_id=job_id,
                job_timeout=self.timeout,
                retry=_with_configured_intervals(self.retry),
                result_ttl=self.result_ttl,
                failure_ttl=FAILURE_TTL,
                pipeline=pipeline,
            )
            pipeline.execute()
        return enqueued


# -- every job there is ------------------------------------------------------------------------

PROCESS_JOURNAL_ENTRY = JobSpec("jobs.journal.process_journal_entry", "webhooks", timeout=300)
SWEEP_JOURNAL = JobSpec("jobs.journal.sweep_journal", "periodic", timeout=120, retry=NO_RETRY)
# A sync may take this long; a source still "syncing" after it belonged to a dead worker.
SYNC_KNOWLEDGE_SOURCE = JobSpec("jobs.knowledge.sync_knowledge_source", "knowledge", timeout=3 * 3600)
DISPATCH_DUE_SYNCS = JobSpec("jobs.knowledge.dispatch_due_syncs", "periodic", timeout=120, retry=NO_RETRY)

PRUNE_EXPIRED = JobSpec("jobs.retention.prune_expired", "periodic", timeout=1800, retry=NO_RETRY)
# An admin's handoff from the Inbox: Front's and Salesforce's calls, with Salesforce's own waits.
HAND_OFF_SESSION = JobSpec("jobs.handoff.hand_off_session", "default", timeout=300)
# Live Messaging conversations no rep answered in time go to Front teammates.
FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS = JobSpec(
    "jobs.messaging_deadlines.fall_back_unanswered", "periodic", timeout=300, retry=NO_RETRY
)
# An event on a Live Messaging stream (a rep's message, the rep joining, the session ending),
# queued by the relay (webapp/salesforce/messaging/relay.py): a customer is waiting on it.
RELAY_MESSAGING_EVENT = JobSpec("jobs.messaging.relay_messaging_event", "webhooks", timeout=120)
# Every organization's setup checks (webapp/diagnostics): live calls to Front and Salesforce.
RUN_DIAGNOSTICS = JobSpec("jobs.diagnostics.run_diagnostics", "periodic", timeout=600, retry=NO_RETRY)
# Salesforce Troubleshooting's Send a test: a test Case, up to a minute's wait for its callout, the
# Case deleted. Never retried: a second try would make a second Case; the admin sends another.
SEND_SALESFORCE_TEST = JobSpec(
    "jobs.diagnostics_send_test.send_salesforce_test", "default", timeout=300, retry=NO_RETRY
)

JOBS: tuple[JobSpec, ...] = (
    PROCESS_JOURNAL_ENTRY,
    SWEEP_JOURNAL,
    SYNC_KNOWLEDGE_SOURCE,
    DISPATCH_DUE_SYNCS,
    PRUNE_EXPIRED,
    HAND_OFF_SESSION,
    FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS,
    RELAY_MESSAGING_EVENT,
    RUN_DIAGNOSTICS,
    SEND_SALESFORCE_TEST,
)


# -- declaring and running jobs ---------------------------------------------------------------


def last_attempt() -> bool:
    """Inside a job: no retry is left after this attempt, so a failure now is the last word and
    belongs on the session's timeline."""
    current = get_current_job()
    return current is None or not current.retries_left


_worker_app = None


def _app_for_job():
    """The worker runs jobs inside its app context; this covers a job called without one."""
    global _worker_app
    if _worker_app is None:
        from webapp import create_app

        _worker_app = create_app()
    return _worker_app


def job(spec: JobSpec) -> Callable[[Callable], Callable]:
    """Declare ``func`` as the entry point ``spec`` names.

    Each run gets an app context of its own, so its database session is its own and is removed
    when the job ends, whoever called it (the worker, a test, the CLI).
    """

    def decorator(func: Callable) -> Callable:
        declared = f"{func.__module__}.{func.__name__}"
        if declared != spec.func:
            raise ValueError(f"@job({spec.func!r}) is on {declared}: the spec must name its entry point")

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any):
            app = current_app._get_current_object() if has_app_context() else _app_for_job()
            with app.app_context():
                return func(*args, **kwargs)

        run.spec = spec
        run.enqueue = spec.enqueue
        return run

    return decorator


def _with_configured_intervals(retry: Retry | None) -> Retry | None:
    """``JOB_RETRY_INTERVALS`` overrides the waits between retries (tests use 0: retry at once)."""
    intervals = current_app.config.get("JOB_RETRY_INTERVALS")
    if retry is None or intervals is None:
        return retry
    return Retry(max=retry.max, interval=list(intervals))


LIVE_STATUSES = ("queued", "started", "scheduled", "deferred")  # RQ's JobStatus values


def job_is_live(job_id: str) -> bool:
    """Whether a job with this id is waiting or running (so enqueueing it again would double it)."""
    return jobs_are_live(redis_server.connection(), [job_id])[0]


def jobs_are_live(connection: Redis, job_ids: list[str]) -> list[bool]:
    """:func:`job_is_live` for many ids in one round trip. A finished job's record may outlive
    it (its result is kept) and an id may be used again (SQLite reuses the ids of deleted
    journal rows): only a waiting or running job counts."""
    with connection.pipeline(transaction=False) as pipeline:
        for job_id in job_ids:
            pipeline.hget(Job.key_for(job_id), "status")
        statuses = pipeline.execute()
    return [as_text(status) in LIVE_STATUSES if status is not None else False for status in statuses]


def make_worker() -> SimpleWorker:
    """The worker ``switchboard worker`` runs (and the tests run).

    Jobs run in the worker process itself, not in a work horse forked for each job as RQ does
    by default: a fork, with its cold database and Redis connections, cost a reply more time
    than the reply itself. What forking would isolate is handled here instead: every job has
    its own app context and database session (``job``), its time limit is still enforced
    (SIGALRM), and if the worker dies mid-job the job's leases run out and it is taken back
    (``webapp.leases``).

    It waits for jobs on :class:`ListeningQueue`, so losing Redis ends its loop (see
    :func:`run_worker`), and it beats every ``WORKER_TTL_SECONDS - 15`` seconds while idle, so
    the registration of a worker that was killed runs out within two minutes (``/healthz``).
    """
    return SimpleWorker(
        list(QUEUES),
        connection=redis_server.connection(),
        queue_class=ListeningQueue,
        worker_ttl=WORKER_TTL_SECONDS,
    )


# -- a worker that outlives Redis outages ------------------------------------------------------

# Redis is unreachable (stopped, restarting, cut off), as opposed to a command being wrong.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError)

# An idle worker renews its registration every WORKER_TTL_SECONDS - 15 seconds, and a killed
# one drops out WORKER_TTL_SECONDS + 60 seconds after its last renewal (RQ's 420 took 8 minutes).
WORKER_TTL_SECONDS = 60

# A process waiting for Redis tries it again after 1 s, then 2, 4, 8, and every 10 s after that.
REDIS_RETRY_FIRST = 1.0
REDIS_RETRY_LONGEST = 10.0

log = logging.getLogger(__name__)


class RedisWentAway(SystemExit):
    """The worker lost Redis while it waited for a job. RQ lets a SystemExit through its loop
    (tearing the worker down on the way), so :func:`run_worker` gets it, not RQ's own retry."""


class ListeningQueue(Queue):
    """The queues as the worker listens to them. RQ would retry a lost connection in place,
    logging every try, and carry on unregistered once Redis came back empty (``/healthz``
    would count no worker); instead the worker's loop ends, and :func:`run_worker` takes over."""

    @classmethod
    def dequeue_any(cls, *args: Any, **kwargs: Any):
        try:
            return super().dequeue_any(*args, **kwargs)
        except REDIS_DOWN as exc:
            raise RedisWentAway(f"Redis went away: {exc}") from exc

    @classmethod
    def lpop(cls, queue_keys, timeout, connection=None):
        """RQ's wait for the next job, also woken by a journalled webhook's announcement
        (``webapp.journal.announce``), which it turns into the job it then takes."""
        from webapp import journal

        while True:
            journal.dispatch_announced(connection)
            if timeout is None:
                return super().lpop(queue_keys, None, connection=connection)
            result = connection.blpop([*queue_keys, journal.ANNOUNCED], timeout)
            if result is None:
                raise DequeueTimeout(timeout, queue_keys)
            key, value = result
            if as_text(key) != journal.ANNOUNCED:
                return key, value
            connection.lpush(journal.ANNOUNCED, value)  # back at the head: dispatched first, with the rest


def redis_answers(connection: Redis) -> bool:
    try:
        return bool(connection.ping())
    except REDIS_DOWN:
        return False


def wait_for_redis(connection: Redis, error: BaseException, who: str) -> None:
    """Return once Redis answers. If it does not at once, say so once, try again with backoff
    (``REDIS_RETRY_FIRST`` doubling to ``REDIS_RETRY_LONGEST``) and say when it is back. A
    signal handler that raises (Ctrl+C, SIGTERM) ends the wait."""
    if redis_answers(connection):
        return  # a dropped connection, not an outage
    log.warning("%s: Redis is unreachable (%s); waiting for it to come back", who, error)
    began, delay = time.monotonic(), REDIS_RETRY_FIRST
    while True:
        time.sleep(delay)
        if redis_answers(connection):
            log.warning("%s: Redis answers again after %.0f s; carrying on", who, time.monotonic() - began)
            return
        delay = min(delay * 2, REDIS_RETRY_LONGEST)


def run_worker(burst: bool = False) -> None:
    """``switchboard worker``: a worker (:func:`make_worker`) that outlives Redis outages.

    When Redis goes away (at start, while waiting for a job, while recording one), the worker
    stops and this waits for Redis to answer again, then starts a fresh worker: registered again
    (a restarted Redis has forgotten the old one), with its own scheduler for retries, listening
    again. What was journalled meanwhile is queued by the sweeper. Ctrl+C or SIGTERM stop it at
    any point. A worker that stops for another reason ends the process with an error, for
    whatever runs it (``switchboard serve``, systemd) to restart it.
    """
    connection = redis_server.connection()
    worker: SimpleWorker | None = None
    lost: BaseException | None = None
    while True:
        _stop_on_signals()  # RQ installs its own while a worker works
        try:
            if lost is not None:
                wait_for_redis(connection, lost, "worker")
                _forget(worker)
                worker = None
            worker = make_worker()
            worker.work(burst=burst, with_scheduler=True)
        except StopRequested:  # a signal while no worker was working
            return
        except RedisWentAway as went:
            lost = went.__cause__ or went
        except REDIS_DOWN as exc:  # at start, or as the worker recorded its end
            lost = exc
        else:
            if burst or _asked_to_stop(worker):
                return
            if redis_answers(connection):
                raise SystemExit("the worker stopped on its own; the log above says why")
            lost = RedisConnectionError("the worker stopped and Redis does not answer")
        if _asked_to_stop(worker):
            return
        if burst:
            raise lost
        if worker is not None and worker.pubsub_thread is not None:
            worker.pubsub_thread.stop()  # it would retry every 2 s, logging each time


def _asked_to_stop(worker: SimpleWorker | None) -> bool:
    # RQ's signal handler notes the time of the request (a warm shutdown).
    return worker is not None and worker._shutdown_requested_date is not None


def _stop_on_signals() -> None:
    def stop(_signum, _frame):
        raise StopRequested()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)


def _forget(worker: SimpleWorker | None) -> None:
    """What a worker that lost Redis left there, if Redis kept it: its registration and its
    scheduler's locks (so the fresh worker's scheduler takes them at once)."""
    if worker is None:
        return
    with suppress(RedisError):
        worker.register_death()
    if worker.scheduler is not None:
        with suppress(RedisError):
            worker.scheduler.release_locks()


def preload() -> None:
    """Load once, before the first job, what jobs would otherwise each wait for: the job
    modules (by the names in ``JOBS``), and the agent's language profiles and stemmers."""
    from webapp.agent import signals

    for module in dict.fromkeys(spec.module for spec in JOBS):
        importlib.import_module(module)
    signals.preload()


def worker_queues() -> list[Queue]:
    return [get_queue(name) for name in QUEUES]
