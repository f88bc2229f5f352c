import logging

import pytest

from tests.conftest import run_worker
from webapp import redis_server
from webapp.queue import QUEUES, get_job_logger, get_queue, job
from webapp.schedule import PERIODIC_JOBS, build_scheduler


@job("default", timeout=30)
def record_job_context(key: str) -> None:
    from flask import current_app
    from rq import get_current_job

    current = get_current_job()
    redis_server.connection().hset(key, mapping={"app": current_app.name, "job": current.id, "timeout": current.timeout})
    get_job_logger(__name__).info("ran")


def test_a_job_runs_in_a_real_worker_with_the_app_context_and_its_policy(app):
    queued = record_job_context.enqueue("ctx")
    assert queued.origin == "default" and queued.timeout == 30 and queued.retries_left == 3
    run_worker()
    seen = redis_server.connection().hgetall("ctx")
    assert seen[b"app"] == b"webapp"
    assert seen[b"job"] == queued.id.encode()
    assert seen[b"timeout"] == b"30"


def test_the_job_logger_names_the_job(app, caplog):
    from unittest import mock

    fake_job = mock.Mock(id="abc123", func_name="jobs.example.run")
    with mock.patch("webapp.queue.get_current_job", return_value=fake_job), caplog.at_level(logging.INFO):
        get_job_logger("test").info("hello")
    assert "[job=abc123 func=jobs.example.run] hello" in caplog.text


def test_unknown_queue_names_are_refused_at_declaration():
    with pytest.raises(ValueError):
        job("no-such-queue")


def test_queues_are_listened_to_in_priority_order():
    assert QUEUES.index("webhooks") < QUEUES.index("knowledge") < QUEUES.index("periodic")


def test_every_periodic_job_is_a_declared_job_and_the_scheduler_enqueues_it(app):
    for periodic in PERIODIC_JOBS:
        func = periodic.resolve()
        assert func.queue_name in QUEUES
    scheduler = build_scheduler()
    assert [cron.func_name for cron in scheduler.get_jobs()] == [p.func for p in PERIODIC_JOBS]
    scheduler.enqueue_jobs()
    assert get_queue("periodic").count == len([p for p in PERIODIC_JOBS if p.resolve().queue_name == "periodic"])


def test_the_journal_sweeper_runs_as_a_job(app):
    from jobs.journal import sweep_journal

    sweep_journal.enqueue()
    assert run_worker()
