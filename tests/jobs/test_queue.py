"""The job plumbing: specs, the worker the tests and production run, the scheduler, logging."""

import ast
import inspect
import logging
import pkgutil
from io import StringIO
from pathlib import Path

import pytest

import jobs
from tests.conftest import run_worker
from webapp import logs, redis_server
from webapp.queue import JOBS, QUEUES, JobSpec, get_queue, job, make_worker
from webapp.schedule import LEADER_KEY, PERIODIC_JOBS, build_scheduler

ROOT = Path(__file__).resolve().parents[2]

RECORD = JobSpec("tests.jobs.test_queue.record_job_context", "default", timeout=30)
FAIL = JobSpec("tests.jobs.test_queue.always_fails", "default", timeout=30, retry=None)


@job(RECORD)
def record_job_context(key: str) -> None:
    from flask import current_app
    from rq import get_current_job

    current = get_current_job()
    redis_server.connection().hset(
        key, mapping={"app": current_app.name, "job": current.id, "timeout": current.timeout}
    )
    logging.getLogger("any.module.at.all").info("inside the job")


@job(FAIL)
def always_fails() -> None:
    raise RuntimeError("the remote system is down")


def test_a_job_runs_in_the_production_worker_with_the_app_context_and_its_policy(app):
    queued = RECORD.enqueue("ctx")
    assert queued.origin == "default" and queued.timeout == 30 and queued.retries_left == 3
    assert run_worker() == []
    seen = redis_server.connection().hgetall("ctx")
    assert seen[b"app"] == b"webapp"
    assert seen[b"job"] == queued.id.encode()
    assert seen[b"timeout"] == b"30"


def test_the_tests_run_jobs_on_the_worker_class_production_runs(app):
    from rq import SimpleWorker

    assert type(make_worker()) is SimpleWorker


def test_a_failed_job_fails_the_run_unless_failures_are_expected(app):
    FAIL.enqueue()
    with pytest.raises(AssertionError, match="the remote system is down"):
        run_worker()
    FAIL.enqueue()
    failed = run_worker(allow_failures=True)
    assert [job.func_name for job in failed] == [FAIL.func]


def test_every_line_logged_inside_a_job_names_the_job(app):
    stream = StringIO()
    handler = logs.attach(logging.StreamHandler(stream))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        queued = RECORD.enqueue("ctx")
        run_worker()
        logging.getLogger("any.module.at.all").info("outside any job")
    finally:
        root.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    inside = next(line for line in lines if "inside the job" in line)
    assert f"[job={queued.id} func={RECORD.func}]" in inside
    outside = next(line for line in lines if "outside any job" in line)
    assert "[job=" not in outside


def test_a_spec_must_name_the_function_it_decorates():
    with pytest.raises(ValueError, match="must name its entry point"):
        job(RECORD)(always_fails)


def test_unknown_queue_names_are_refused_at_declaration():
    with pytest.raises(ValueError):
        JobSpec("jobs.example.run", "no-such-queue")


def test_queues_are_listened_to_in_priority_order():
    assert QUEUES.index("webhooks") < QUEUES.index("knowledge") < QUEUES.index("periodic")


def test_every_spec_resolves_to_the_entry_point_that_declares_it_and_every_entry_point_has_a_spec():
    for spec in JOBS:
        assert spec.resolve().spec is spec, spec.func
    declared = set()
    for module in pkgutil.iter_modules(jobs.__path__, "jobs."):
        imported = __import__(module.name, fromlist=["_"])
        declared |= {
            f"{module.name}.{name}"
            for name, value in vars(imported).items()
            if inspect.isfunction(value) and isinstance(value.__dict__.get("spec"), JobSpec)
        }
    assert declared == {spec.func for spec in JOBS}


def _imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_domain_never_imports_the_jobs():
    """jobs/ calls webapp/; webapp/ names jobs only by their specs, so there is no cycle."""
    offenders = {
        str(path.relative_to(ROOT)): sorted(
            name for name in _imports_of(path) if name == "jobs" or name.startswith("jobs.")
        )
        for path in (ROOT / "webapp").rglob("*.py")
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_every_periodic_job_is_a_declared_job_and_the_scheduler_enqueues_it(app):
    for periodic in PERIODIC_JOBS:
        assert periodic.job in JOBS
    scheduler = build_scheduler()
    assert [cron.func_name for cron in scheduler.get_jobs()] == [p.job.func for p in PERIODIC_JOBS]
    scheduler.enqueue_jobs()
    assert get_queue("periodic").count == len([p for p in PERIODIC_JOBS if p.job.queue == "periodic"])


def test_only_one_of_two_schedulers_enqueues_and_the_other_takes_over_when_it_stops(app):
    first, second = build_scheduler(), build_scheduler()
    assert first.enqueue_jobs() and first.leading
    assert second.enqueue_jobs() == [] and not second.leading
    assert get_queue("periodic").count == len(PERIODIC_JOBS)  # once, not twice

    first.resign()  # stopping: its lease is handed back at once
    assert second.enqueue_jobs() and second.leading
    assert redis_server.connection().get(LEADER_KEY).decode() == second.name


def test_a_dead_schedulers_lease_runs_out_and_a_standby_takes_over(app):
    first, second = build_scheduler(), build_scheduler()
    first.enqueue_jobs()
    assert second.enqueue_jobs() == []
    redis_server.connection().delete(LEADER_KEY)  # as if the first had been killed a lease ago
    assert second.enqueue_jobs() and second.leading
    assert first.enqueue_jobs() == [] and not first.leading


def test_the_journal_sweeper_runs_as_a_job(app):
    from webapp.queue import SWEEP_JOURNAL

    SWEEP_JOURNAL.enqueue()
    assert run_worker() == []
