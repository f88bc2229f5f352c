"""Redis stops while webhooks arrive: every delivery is acknowledged and journalled, and once
Redis is back every event is processed exactly once."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import redis
import requests
from sqlalchemy import func, select

from tests.front.conftest import AI, Reply, signed_headers
from webapp import journal
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus
from webapp.queue import get_queue


def test_redis_stopping_during_webhooks_loses_and_doubles_nothing(
    app, live_server, fake_front, integration, agent_decides, process, redis_server_process
):
    import json

    agent_decides(Reply("Your order ships tomorrow."))
    app.extensions["redis"] = redis.Redis.from_url(
        redis_server_process.url, socket_timeout=1, socket_connect_timeout=0.5
    )
    url = f"{live_server}/webhooks/front/{integration.webhook_token}"
    bodies = []
    for n in range(30):
        fake_front.add_conversation(f"cnv_{n}", assignee=AI)
        bodies.append(json.dumps(fake_front.event(fake_front.add_message(f"cnv_{n}", f"Where is order {n}?"))).encode())

    def deliver(body):
        return requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code

    with ThreadPoolExecutor(4) as pool:
        before = list(pool.map(deliver, bodies[:10]))
        redis_server_process.stop()  # queued jobs are lost with it: it keeps nothing on disk
        during = list(pool.map(deliver, bodies[10:20]))
        redis_server_process.start()
        after = list(pool.map(deliver, bodies[20:]))

    assert before + during + after == [200] * 30
    assert get_queue("webhooks").count == 10  # the jobs queued before the stop died with Redis
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 30

    journal.sweep(pending_after=timedelta(0))  # what the scheduler runs every minute
    process()
    db.session.expire_all()
    assert db.session.scalars(select(JournalEntry.status)).all() == [JournalStatus.DONE] * 30
    assert all(len(fake_front.replies(f"cnv_{n}")) == 1 for n in range(30))
    assert len(fake_front.calls_to("POST", "/messages$")) == 30
