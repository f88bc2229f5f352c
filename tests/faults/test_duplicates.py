"""The same webhook delivered three times at once, the same message announced twice, and two
worker processes racing on all of it: one reply per customer message."""

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import requests
from sqlalchemy import select

from tests.faults.conftest import AI
from tests.front.conftest import signed_headers
from webapp import journal
from webapp.db import db
from webapp.models import EventKind, JournalEntry, JournalStatus, SupportSession

CONVERSATIONS = 8


def test_triple_deliveries_racing_on_two_workers_give_one_reply_each(
    live_server, fake_front, integration, shipping_article, workers
):
    url = f"{live_server}/webhooks/front/{integration.webhook_token}"
    bodies = []
    for n in range(CONVERSATIONS):
        fake_front.add_conversation(f"cnv_{n}", assignee=AI)
        message = fake_front.add_message(f"cnv_{n}", f"How long does shipping take for order {n}?")
        app_event = json.dumps(fake_front.event(message)).encode()
        rule_event = json.dumps(fake_front.event(message, envelope=False, event_id=f"evt_rule_{n}")).encode()
        bodies += [app_event] * 3 + [rule_event]  # Front retries, plus a rule webhook on the same message

    def deliver(body):
        return requests.post(url, data=body, headers=signed_headers(body), timeout=10).status_code

    racing = [workers.start(burst=True), workers.start(burst=True)]
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(deliver, bodies))
    journal.sweep(pending_after=timedelta(0))  # a sweep racing the workers queues nothing twice
    leftover = workers.start(burst=True)  # drains whatever the racing pair left once they quit
    for worker in [*racing, leftover]:
        assert workers.wait(worker, timeout=90) == 0, workers.logs()

    assert statuses == [200] * len(bodies)
    db.session.expire_all()
    rows = db.session.scalars(select(JournalEntry)).all()
    assert len(rows) == 2 * CONVERSATIONS  # one per distinct event id
    assert {row.status for row in rows} == {JournalStatus.DONE}, workers.logs()
    for n in range(CONVERSATIONS):
        assert len(fake_front.replies(f"cnv_{n}")) == 1
    assert len(fake_front.calls_to("POST", "/messages$")) == CONVERSATIONS
    for session in db.session.scalars(select(SupportSession)):
        assert [e.kind for e in session.events].count(EventKind.AI_REPLY) == 1
