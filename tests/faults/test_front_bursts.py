"""Front answers 429 and 5xx in bursts: retries stay within bounds, the outcome is on each
session, nothing is lost and nothing is sent twice."""

from sqlalchemy import select

from tests.front.conftest import AI, Reply
from webapp import journal
from webapp.db import db
from webapp.front.client import FrontClient
from webapp.models import EventKind, JournalEntry, JournalStatus, SessionStatus, SupportSession

CONVERSATIONS = 10


def _sessions() -> dict[str, SupportSession]:
    db.session.expire_all()
    return {s.front_conversation_id: s for s in db.session.scalars(select(SupportSession))}


def test_bursts_of_429_and_5xx_are_retried_and_every_customer_gets_one_reply(
    deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    # Bursts on every call the reply flow makes, longer than one call's retries in places.
    fake_front.fail("GET", "^/conversations/", 429, times=6, headers={"Retry-After": "0"})
    fake_front.fail("GET", "^/messages/", 502, times=5)
    fake_front.fail("POST", "/messages$", 503, times=7)
    for n in range(CONVERSATIONS):
        fake_front.add_conversation(f"cnv_{n}", assignee=AI)
        assert deliver(fake_front.event(fake_front.add_message(f"cnv_{n}", f"Where is order {n}?"))).status_code == 200
    process()

    assert all(len(fake_front.replies(f"cnv_{n}")) == 1 for n in range(CONVERSATIONS))
    db.session.expire_all()
    rows = db.session.scalars(select(JournalEntry)).all()
    assert {row.status for row in rows} == {JournalStatus.DONE}
    assert max(row.attempts for row in rows) <= journal.MAX_ATTEMPTS
    # Bounded: the work itself, the injected failures, and a look before each resend.
    work = 3 * CONVERSATIONS
    assert len(fake_front.calls) <= work + 6 + 5 + 7 + 7
    for session in _sessions().values():
        assert [e.kind for e in session.events].count(EventKind.AI_REPLY) == 1


def test_a_burst_longer_than_every_retry_is_on_the_session_and_a_human_takes_over(
    deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.fail("POST", "^/conversations/cnv_1/messages$", 429, times=1000, headers={"Retry-After": "0"})
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()

    tries = len(fake_front.calls_to("POST", "^/conversations/cnv_1/messages$"))
    retries_per_call = FrontClient.__init__.__kwdefaults__["max_retries"]
    assert tries == journal.MAX_ATTEMPTS * (1 + retries_per_call)  # bounded, then given up
    session = _sessions()["cnv_1"]
    error = next(e for e in session.events if e.kind == EventKind.ERROR)
    assert "gave up" in error.payload["message"] and "rate limit" in error.payload["detail"]
    assert session.status == SessionStatus.HANDED_OFF
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    assert fake_front.replies("cnv_1") == []
