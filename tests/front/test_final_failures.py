"""Nothing is dropped in silence: a webhook whose processing fails for good shows in the Inbox
even when it failed before its session existed, and text from outside never fails an insert."""

from sqlalchemy import select

from tests.front.conftest import AI, Reply
from webapp.db import db
from webapp.models import EventKind, JournalEntry, JournalStatus, SessionStatus, SupportSession


def _session(conversation_id: str) -> SupportSession | None:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def test_a_message_that_failed_before_its_session_existed_gets_one_with_the_error_and_a_human(
    deliver, fake_front, process, agent_decides
):
    """Front would not show the conversation for longer than every retry: the first call of the
    reply flow failed each time, so no session was ever made."""
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.fail("GET", "^/conversations/cnv_1$", 503, times=1000)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process(allow_failures=True)

    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.FAILED
    support_session = _session("cnv_1")
    assert support_session is not None, "the failure must show in the Inbox"
    kinds = [event.kind for event in support_session.events]
    assert EventKind.CUSTOMER_MESSAGE in kinds and EventKind.ERROR in kinds
    message = next(e for e in support_session.events if e.kind == EventKind.CUSTOMER_MESSAGE)
    assert message.payload["text"] == "Where is my order?"
    error = next(e for e in support_session.events if e.kind == EventKind.ERROR)
    assert "gave up" in error.payload["message"] and "503" in error.payload["detail"]
    # Front answers again for everything but that read: a human is told and takes over.
    assert support_session.status == SessionStatus.HANDED_OFF
    assert fake_front.conversations["cnv_1"]["assignee_id"] is None
    assert any("could not answer" in c["body"] for c in fake_front.comments_on("cnv_1"))
    assert fake_front.replies("cnv_1") == []


def test_a_subject_longer_than_its_column_is_kept_shortened_and_the_customer_answered(
    deliver, fake_front, process, agent_decides
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Order " * 200)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    process()

    support_session = _session("cnv_1")
    assert support_session.subject == ("Order " * 200)[:500]
    assert len(fake_front.replies("cnv_1")) == 1
