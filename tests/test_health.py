from sqlalchemy import create_engine

from tests.conftest import unreachable_redis
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus

NOTHING_RUNNING = {
    "status": "ok",
    "checks": {"database": "ok", "redis": "ok"},
    "processes": {
        "web": "up",
        "workers": 0,
        "scheduler": "down",
        "relays": {"running": 0, "streams": 0, "conversations_without_relay": 0},
    },
    "journal": {"pending": 0, "failed": 0},
    "setup_checks": {"failing": 0, "warning": 0},
    "workers": 0,
}


def test_healthz_is_public_and_ok_when_both_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == NOTHING_RUNNING  # no worker, no scheduler: visible, but not a 503


def test_healthz_counts_the_running_workers(app, client):
    from rq import Worker

    from webapp import redis_server
    from webapp.queue import worker_queues

    worker = Worker(worker_queues(), connection=redis_server.connection())
    worker.register_birth()
    try:
        health = client.get("/healthz").json
        assert health["workers"] == 1 and health["processes"]["workers"] == 1
    finally:
        worker.register_death()
    assert client.get("/healthz").json["workers"] == 0


def test_a_killed_worker_stops_counting_once_its_registration_runs_out(app, client):
    from rq import Worker

    from webapp import redis_server
    from webapp.queue import worker_queues

    alive, killed = (Worker(worker_queues(), connection=redis_server.connection()) for _ in range(2))
    alive.register_birth()
    killed.register_birth()
    redis_server.connection().delete(killed.key)  # what its expiry does once it stops renewing it
    try:
        assert client.get("/healthz").json["processes"]["workers"] == 1
    finally:
        alive.register_death()
        killed.register_death()


def test_healthz_says_the_scheduler_is_up_while_one_holds_the_lease(app, client):
    from webapp.schedule import build_scheduler

    scheduler = build_scheduler()
    assert scheduler.hold_leadership()
    assert client.get("/healthz").json["processes"]["scheduler"] == "up"
    scheduler.resign()
    assert client.get("/healthz").json["processes"]["scheduler"] == "down"


def test_healthz_counts_pending_and_failed_journal_rows(world, client):
    organization = world.organization()
    statuses = [JournalStatus.PENDING] * 3 + [JournalStatus.FAILED] * 2 + [JournalStatus.DONE, JournalStatus.PROCESSING]
    for n, status in enumerate(statuses):
        row = JournalEntry(organization_id=organization.id, source="front", external_id=f"evt_{n}", payload="{}")
        row.status = status
        db.session.add(row)
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["journal"] == {"pending": 3, "failed": 2}


def test_healthz_says_503_when_redis_is_unreachable(app, client):
    app.extensions["redis"] = unreachable_redis()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")
    # Who is running is unknown without Redis; the journal, in the database, still counts.
    assert response.json["processes"] == {"web": "up", "workers": None, "scheduler": None, "relays": None}
    assert response.json["workers"] is None
    assert response.json["journal"] == {"pending": 0, "failed": 0}


def test_healthz_says_503_when_the_database_is_unreachable(app, client):
    good = db.engine
    db.session.configure(bind=create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none"))
    db.session.remove()
    try:
        response = client.get("/healthz")
    finally:
        db.session.remove()
        db.session.configure(bind=good)
    assert response.status_code == 503
    assert response.json["checks"]["database"].startswith("error")
    assert response.json["journal"] is None
    assert response.json["processes"]["workers"] == 0


def test_healthz_counts_running_relays_and_the_streams_they_hold(app, client):
    from webapp.salesforce.messaging import streams

    streams.announce("relay-a", 3, 30)
    streams.announce("relay-b", 0, 30)
    relays = client.get("/healthz").json["processes"]["relays"]
    assert relays == {"running": 2, "streams": 3, "conversations_without_relay": 0}


def test_healthz_counts_failing_and_warning_setup_checks(app, client, world):
    from webapp.models import CheckStatus, DiagnosticResult

    organization = world.organization()
    for key, status in (("a", CheckStatus.FAILING), ("b", CheckStatus.FAILING), ("c", CheckStatus.WARNING)):
        db.session.add(
            DiagnosticResult(
                organization_id=organization.id, integration="front", check_key=key, status=status, found="x"
            )
        )
    db.session.commit()
    health = client.get("/healthz")
    assert health.status_code == 200  # a broken setup is not a broken process
    assert health.json["setup_checks"] == {"failing": 2, "warning": 1}
