from sqlalchemy import create_engine

from tests.conftest import unreachable_redis
from webapp.db import db


def test_healthz_is_public_and_ok_when_both_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "checks": {"database": "ok", "redis": "ok"}, "workers": 0}


def test_healthz_counts_the_running_workers(app, client):
    from rq import Worker

    from webapp import redis_server
    from webapp.queue import worker_queues

    worker = Worker(worker_queues(), connection=redis_server.connection())
    worker.register_birth()
    try:
        assert client.get("/healthz").json["workers"] == 1
    finally:
        worker.register_death()


def test_healthz_says_503_when_redis_is_unreachable(app, client):
    app.extensions["redis"] = unreachable_redis()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("error")


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
