"""Redis stops for two minutes under `switchboard serve`: the worker and the scheduler wait for
it instead of dying, every webhook sent meanwhile is acknowledged and journalled, and once Redis
is back (restarted empty, on the same port) every one is answered exactly once."""

import json
import re
import time

import redis
import requests
from rq import Queue, Worker
from sqlalchemy import select

from tests.front.conftest import AI, signed_headers
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus
from webapp.queue import QUEUES

OUTAGE_SECONDS = 120  # the reproduction: "stopping Redis for about a minute" killed serve
EVERY_SECONDS = 4  # a webhook every few seconds, throughout the outage


def _queues(connection) -> list[Queue]:
    return [Queue(name, connection=connection) for name in QUEUES]


def _journal() -> list[JournalStatus]:
    db.session.rollback()  # a fresh look at what serve's processes wrote
    return list(db.session.scalars(select(JournalEntry.status).order_by(JournalEntry.id)))


def test_a_two_minute_redis_outage_under_serve_stops_nothing_and_loses_no_webhook(
    app, fake_front, integration, shipping_article, redis_server_process, serve
):
    server = serve(
        DATABASE_URL=app.config["DATABASE_URL"],
        SECRET_KEY=app.config["SECRET_KEY"],
        ENCRYPTION_KEYS=",".join(app.config["ENCRYPTION_KEYS"]),
        FRONT_API_URL=fake_front.url,
        FRONT_RETRY_BACKOFF="0",
        JOURNAL_SWEEP_AFTER_SECONDS="1",  # rows left pending are queued again at the first sweep
    )
    server.wait_until_up()
    processes = server.children()
    url = f"{server.url}/webhooks/front/{integration.webhook_token}"

    def deliver(n: int) -> int:
        fake_front.add_conversation(f"cnv_{n}", assignee=AI)
        body = json.dumps(fake_front.event(fake_front.add_message(f"cnv_{n}", "How long does shipping take?"))).encode()
        return requests.post(url, data=body, headers=signed_headers(body), timeout=30).status_code

    assert deliver(0) == 200
    server.wait_for(lambda: fake_front.replies("cnv_0"), 60, "the reply before the outage")
    queue_redis = redis.Redis.from_url(redis_server_process.url)

    def idle():  # so Redis goes while the worker waits for a job, as it mostly does
        return all(queue.count == 0 for queue in _queues(queue_redis)) and [
            worker.get_state() for worker in Worker.all(connection=queue_redis)
        ] == ["idle"]

    server.wait_for(idle, 30, "the worker to be done with the first webhook and the periodic jobs")
    redis_server_process.stop()  # its queues are lost with it: it keeps nothing on disk
    sent, ends = 1, time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < ends:
        assert deliver(sent) == 200  # acknowledged...
        sent += 1
        assert len(_journal()) == sent  # ...because journalled
        health = server.health()
        assert health.status_code == 503 and health.json()["journal"] == {"pending": sent - 1, "failed": 0}
        assert server.children() == processes  # nothing died, nothing was restarted
        time.sleep(max(0.0, min(EVERY_SECONDS, ends - time.monotonic())))
    redis_server_process.start()  # on the same port, empty

    def all_answered():
        return _journal() == [JournalStatus.DONE] * sent and all(fake_front.replies(f"cnv_{n}") for n in range(sent))

    server.wait_for(all_answered, 90, f"all {sent} webhooks to be answered after the outage", every=0.5)
    assert [len(fake_front.replies(f"cnv_{n}")) for n in range(sent)] == [1] * sent  # exactly once each
    assert len(fake_front.calls_to("POST", "^/conversations/[^/]+/messages$")) == sent
    assert server.children() == processes  # the same worker and scheduler carried on

    def registered_again():  # Redis came back empty: the worker registered, the scheduler took its lease
        body = server.health().json()
        return body["status"] == "ok" and body["workers"] == 1 and body["processes"]["scheduler"] == "up"

    server.wait_for(registered_again, 30, "the worker and the scheduler to register again")
    output = server.output()
    # Each said so once and once more when Redis answered, rather than at every retry.
    assert len(re.findall(r"WARNING webapp\.queue: worker: Redis is unreachable", output)) == 1, output[-5000:]
    assert len(re.findall(r"WARNING webapp\.queue: scheduler \S+: Redis is unreachable", output)) == 1
    assert len(re.findall(r": Redis answers again after \d+ s; carrying on", output)) == 2
    assert "starting it again" not in output  # serve restarted nothing
