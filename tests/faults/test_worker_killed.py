"""A worker killed with SIGKILL in the middle of a reply: the job is picked up again and the
customer gets exactly one reply."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import wait_for
from tests.faults.conftest import AI
from webapp import journal
from webapp.db import db
from webapp.models import EventKind, JournalEntry, JournalStatus, SupportSession


def _row() -> JournalEntry:
    db.session.expire_all()
    return db.session.scalar(select(JournalEntry))


@pytest.mark.parametrize(
    "killed_while",
    [
        "reading the conversation",  # nothing was sent yet: the next worker sends it
        "Front accepts the reply",  # Front has the reply, the worker never heard: not sent again
    ],
)
def test_a_worker_killed_mid_reply_leaves_the_customer_exactly_one_reply(
    deliver, fake_front, integration, shipping_article, workers, killed_while
):
    fake_front.add_conversation("cnv_1", assignee=AI)
    message = fake_front.add_message("cnv_1", "How long does shipping take?")
    if killed_while == "reading the conversation":
        fake_front.hold("GET", "/conversations/cnv_1")
    else:
        fake_front.hold("POST", "/conversations/cnv_1/messages")

    first = workers.start()
    assert deliver(fake_front.event(message)).status_code == 200
    wait_for(fake_front.held.is_set, 30, f"the worker to reach {killed_while}\n{workers.logs()}")
    workers.kill(first)
    fake_front.release.set()
    assert _row().status == JournalStatus.PROCESSING  # the dead worker's claim

    second = workers.start()

    def recovered():
        journal.sweep(pending_after=timedelta(0))  # what the scheduler runs every minute
        return _row().status == JournalStatus.DONE

    wait_for(recovered, 45, f"the event to be processed again\n{workers.logs()}", every=0.5)
    workers.kill(second)

    replies = fake_front.replies("cnv_1")
    assert len(replies) == 1 and "two business days" in replies[0]["text"]
    sent = len(fake_front.calls_to("POST", "^/conversations/cnv_1/messages$"))
    assert sent == 1
    if killed_while == "Front accepts the reply":
        assert fake_front.calls_to("GET", "^/conversations/cnv_1/messages$")  # it looked before sending
    row = _row()
    assert row.attempts == 2
    db.session.expire_all()
    session = db.session.scalar(select(SupportSession))
    assert [e.kind for e in session.events].count(EventKind.AI_REPLY) == 1
