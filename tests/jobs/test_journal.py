"""The webhook journal with a real RQ worker: accepted events are processed once, lost ones swept."""

from datetime import timedelta

import pytest
from rq.exceptions import DequeueTimeout
from rq.utils import as_text
from sqlalchemy import func, select, update

from tests.conftest import run_worker, unreachable_redis
from webapp import journal, redis_server, registry
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus, utcnow
from webapp.queue import QUEUES, ListeningQueue, get_queue

SOURCE = "test-source"


@pytest.fixture
def handled(app):
    """Registers SOURCE with a handler that counts its calls in Redis (this app's registry only)."""

    def handler(entry: JournalEntry) -> None:
        redis_server.connection().incr(f"handled:{entry.external_id}")
        if "fail" in entry.payload:
            raise RuntimeError("the remote system answered 503")

    registry.current().add_journal_source(journal.JournalSource(SOURCE, handler))
    return lambda external_id: int(redis_server.connection().get(f"handled:{external_id}") or 0)


def _deliver(organization, external_id="evt_1", body='{"ok": true}'):
    entry_id, created = journal.record_delivery(organization.id, SOURCE, external_id, "inbound", body)
    return (db.session.get(JournalEntry, entry_id) if entry_id else None), created


def _status(entry_id):
    db.session.expire_all()
    return db.session.get(JournalEntry, entry_id)


def test_a_journalled_row_reads_back_exactly_as_it_was_delivered(world):
    """The journal's INSERT runs as the driver's own SQL with values SQLAlchemy would have
    processed: text that looks like either driver's placeholders stays text, and the status
    and times read back through the ORM as written."""
    body = '{"text": "Crème brûlée, 100% sûr? %s %(payload)s :external_id — \\u00e9"}'
    before = utcnow()
    entry, created = _deliver(world.organization(), external_id="evt_ü?%s", body=body)
    after = utcnow()
    assert created

    row = _status(entry.id)
    assert (row.payload, row.external_id, row.event_type) == (body, "evt_ü?%s", "inbound")
    assert row.status is JournalStatus.PENDING and row.attempts == 0
    assert before <= row.received_at == row.updated_at <= after


def test_a_delivery_is_journalled_and_processed_once_by_a_worker(world, handled):
    organization = world.organization()
    entry, created = _deliver(organization)
    assert created and entry.status == JournalStatus.PENDING
    assert journal.enqueue(entry.id)

    run_worker()

    row = _status(entry.id)
    assert row.status == JournalStatus.DONE and row.attempts == 1 and row.processed_at
    assert handled("evt_1") == 1


def test_an_announced_row_is_counted_on_the_webhook_queue_then_run_by_a_worker(world, handled):
    organization = world.organization()
    entry, _ = _deliver(organization)
    assert journal.announce(entry.id)
    assert get_queue("webhooks").count == 1  # announced, not a job yet: still waiting on that queue
    assert redis_server.connection().llen(journal.ANNOUNCED) == 1

    run_worker()

    assert _status(entry.id).status == JournalStatus.DONE and handled("evt_1") == 1
    assert get_queue("webhooks").count == 0


def test_a_waiting_worker_is_woken_by_an_announcement_and_takes_its_job(world, handled):
    entry, _ = _deliver(world.organization())
    journal.announce(entry.id)
    queues = [get_queue(name).key for name in QUEUES]
    key, job_id = ListeningQueue.lpop(queues, timeout=5, connection=redis_server.connection())
    assert as_text(key) == get_queue("webhooks").key and as_text(job_id) == journal.job_id_for(entry.id)
    assert redis_server.connection().llen(journal.ANNOUNCED) == 0
    with pytest.raises(DequeueTimeout):  # and then waits again, for real
        ListeningQueue.lpop(queues, timeout=1, connection=redis_server.connection())


def test_an_announced_row_the_sweeper_already_queued_is_not_queued_twice(world, handled):
    entry, _ = _deliver(world.organization())
    journal.announce(entry.id)
    assert journal.sweep(pending_after=timedelta(0)) == [entry.id]  # as if the announcement were late
    assert journal.dispatch_announced(redis_server.connection()) == 0
    assert get_queue("webhooks").count == 1
    redis_server.connection().rpush(journal.ANNOUNCED, "not-a-row-id")  # never a reason to stop
    assert journal.dispatch_announced(redis_server.connection()) == 0
    run_worker()
    assert handled("evt_1") == 1


def test_an_announced_row_whose_job_id_belongs_to_a_finished_job_is_queued(world, handled):
    """A finished job's record outlives it, and SQLite gives a deleted row's id to the next
    row (a redelivery after retention removed the first): that id must still be run."""
    entry, _ = _deliver(world.organization())
    journal.announce(entry.id)
    run_worker()
    db.session.execute(update(JournalEntry).where(JournalEntry.id == entry.id).values(status=JournalStatus.PENDING))
    db.session.commit()
    journal.announce(entry.id)
    assert journal.dispatch_announced(redis_server.connection()) == 1


def test_the_same_event_delivered_three_times_is_one_row_and_one_run(world, handled):
    organization = world.organization()
    results = [_deliver(organization) for _ in range(3)]
    assert [created for _, created in results] == [True, False, False]
    first = results[0][0]
    for _ in range(3):
        journal.enqueue(first.id)
    run_worker()
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 1
    assert handled("evt_1") == 1


def test_the_same_event_id_in_two_organizations_is_two_events(world, handled):
    assert _deliver(world.organization("A"))[1]
    assert _deliver(world.organization("B"))[1]


def test_a_row_is_claimed_once(world, handled):
    entry, _ = _deliver(world.organization())
    assert journal.claim(entry.id) is not None
    assert journal.claim(entry.id) is None


def test_redis_down_at_ingest_loses_nothing_once_it_returns(app, world, handled):
    organization = world.organization()
    working = app.extensions["redis"]
    app.extensions["redis"] = unreachable_redis()
    entry, created = _deliver(organization)
    assert created
    assert journal.enqueue(entry.id) is False  # refused, but the row is committed
    app.extensions["redis"] = working
    assert _status(entry.id).status == JournalStatus.PENDING

    assert journal.sweep(pending_after=timedelta(0)) == [entry.id]
    run_worker()
    assert _status(entry.id).status == JournalStatus.DONE
    assert handled("evt_1") == 1


def test_the_sweeper_leaves_recent_rows_and_rows_with_a_live_job_alone(world, handled):
    organization = world.organization()
    recent, _ = _deliver(organization, "recent")
    queued, _ = _deliver(organization, "queued")
    journal.enqueue(queued.id)
    db.session.execute(
        update(JournalEntry).where(JournalEntry.id == queued.id).values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()

    assert journal.sweep(pending_after=timedelta(minutes=1)) == []


def _lease_runs_out(entry_id):
    db.session.execute(
        update(JournalEntry).where(JournalEntry.id == entry_id).values(lease_expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


def test_a_claim_left_by_a_dead_worker_is_taken_back_once_its_lease_runs_out(world, handled):
    entry, _ = _deliver(world.organization())
    journal.claim(entry.id)
    assert journal.sweep(pending_after=timedelta(minutes=1)) == []  # the lease still stands
    assert journal.claim(entry.id) is None

    _lease_runs_out(entry.id)
    assert journal.sweep(pending_after=timedelta(minutes=1)) == [entry.id]
    run_worker()
    row = _status(entry.id)
    assert row.status == JournalStatus.DONE and row.attempts == 2 and row.lease_expires_at is None
    assert handled("evt_1") == 1


def test_a_retried_job_takes_over_a_row_whose_lease_ran_out(world, handled):
    """RQ retries a job whose work horse was killed; the row it finds must not block it."""
    entry, _ = _deliver(world.organization())
    journal.claim(entry.id)
    _lease_runs_out(entry.id)
    journal.process(entry.id)
    assert _status(entry.id).status == JournalStatus.DONE
    assert handled("evt_1") == 1


def test_a_worker_whose_lease_lapsed_cannot_settle_the_row_another_took_over(world, handled):
    entry, _ = _deliver(world.organization())
    journal.claim(entry.id)  # attempt 1 stalls past its lease
    _lease_runs_out(entry.id)
    journal.claim(entry.id)  # attempt 2 takes over
    journal.finish(entry.id, 1)
    assert journal.release_after_failure(entry.id, 1, RuntimeError("late")) is False
    row = _status(entry.id)
    assert row.status == JournalStatus.PROCESSING and row.attempts == 2 and row.last_error is None
    journal.finish(entry.id, 2)
    assert _status(entry.id).status == JournalStatus.DONE


def test_an_event_that_kills_its_worker_every_time_ends_failed(world, handled):
    entry, _ = _deliver(world.organization())
    for _ in range(journal.MAX_ATTEMPTS):
        assert journal.claim(entry.id) is not None
        _lease_runs_out(entry.id)
    assert journal.sweep(pending_after=timedelta(minutes=1)) == []
    row = _status(entry.id)
    assert row.status == JournalStatus.FAILED and "worker died" in row.last_error
    assert handled("evt_1") == 0


def test_a_running_job_keeps_renewing_its_lease(app, world):
    app.config["WORKER_LEASE_SECONDS"] = 0.3  # renewed every 0.1 s
    seen = []

    def slow(entry):
        """Runs until it sees its lease pushed forward; the deadline is only there so a lease
        that is never renewed fails the test instead of hanging it."""
        import time

        first = later = _status(entry.id).lease_expires_at
        deadline = time.monotonic() + 10
        while later <= first and time.monotonic() < deadline:
            time.sleep(0.01)
            db.session.rollback()  # end this read, so the next one sees what the renewal committed
            later = _status(entry.id).lease_expires_at
        seen.append((first, later))

    registry.current().add_journal_source(journal.JournalSource("slow", slow))
    entry_id, _ = journal.record_delivery(world.organization().id, "slow", "e1", None, "{}")
    entry = db.session.get(JournalEntry, entry_id)
    journal.process(entry.id)
    first, later = seen[0]
    assert later > first, "the lease was never renewed while the job ran"
    assert _status(entry.id).status == JournalStatus.DONE


def test_a_failing_handler_is_retried_then_marked_failed_with_its_error(world, handled):
    entry, _ = _deliver(world.organization(), body='{"fail": true}')
    for attempt in range(1, journal.MAX_ATTEMPTS):
        with pytest.raises(RuntimeError):
            journal.process(entry.id)
        row = _status(entry.id)
        assert row.status == JournalStatus.PENDING and row.attempts == attempt
        assert row.last_error == "RuntimeError: the remote system answered 503"
    journal.process(entry.id)  # the last attempt records the failure instead of raising
    row = _status(entry.id)
    assert row.status == JournalStatus.FAILED and row.attempts == journal.MAX_ATTEMPTS
    assert handled("evt_1") == journal.MAX_ATTEMPTS


def test_a_source_without_a_handler_is_failed_not_retried_forever(world):
    entry_id, _ = journal.record_delivery(world.organization().id, "nobody-handles-this", "e1", None, "{}")
    entry = db.session.get(JournalEntry, entry_id)
    journal.process(entry.id)
    row = _status(entry.id)
    assert row.status == JournalStatus.FAILED and "no handler" in row.last_error


def test_a_delivery_for_an_integration_that_changed_is_not_journalled(app, world):
    from dataclasses import replace

    from webapp.models import Integration, IntegrationKind
    from webapp.models.integration import new_webhook_token, webhook_target
    from webapp.webhook_intake import Stale, journal_and_acknowledge

    organization = world.organization()
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.FRONT,
        credentials={"app_secret": "s1"},
        webhook_token=new_webhook_token(),
    )
    db.session.add(integration)
    db.session.commit()
    target = webhook_target(integration.webhook_token, IntegrationKind.FRONT)
    stale = replace(target, ciphertext="not what is stored")

    args = ("front", "evt_1", None, '{"ok": true}')
    assert journal.record_delivery(organization.id, *args, while_current=stale) == (None, False)
    assert journal.record_delivery(organization.id, *args, while_current=target)[1] is True
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 1

    with app.test_request_context():
        with pytest.raises(Stale):  # remembered: decided again by the caller
            journal_and_acknowledge(replace(stale, cached=True), "front", "evt_2", "inbound", b"{}")
        # Looked up for this request: written as found (a refreshed access token changes the
        # stored credentials, and Salesforce never retries a callout).
        response = journal_and_acknowledge(stale, "front", "evt_2", "inbound", b"{}")
        assert response.status_code == 200 and response.get_json() == {"status": "accepted"}
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 2
