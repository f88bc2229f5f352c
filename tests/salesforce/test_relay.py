"""Reps' replies reach the customer in Front, once; emails Salesforce sent are noted, not resent;
a closed Case resolves the session. A fake Front, signed callouts and a real worker."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select

from tests.front.conftest import AI, HUMAN
from tests.salesforce.rep_replies import (
    CASE_NUMBER,
    CONVERSATION_ID,
    USER_ID,
    closed,
    comment,
    connect_salesforce,
    email,
    handed_off,
    post,
)
from webapp.db import db
from webapp.models import EventKind, JournalEntry, JournalStatus, SessionStatus, SupportSession
from webapp.salesforce import relay

SIGNED = "Your order ships tomorrow.\n\n— Riley Rep"


@pytest.fixture
def salesforce(organization, integration):
    """Front connected with its AI teammate (``integration``), and Salesforce with a secret."""
    return connect_salesforce(organization)


@pytest.fixture
def case_session(world, organization, fake_front, salesforce) -> SupportSession:
    """A conversation handed off as Case 00001001; it stays with the AI teammate, quiet."""
    fake_front.add_conversation(CONVERSATION_ID, assignee=AI, subject="Where is my order?")
    fake_front.add_message(CONVERSATION_ID, "Where is my order?")
    return handed_off(world, organization)


def _session(support_session: SupportSession) -> SupportSession:
    db.session.expire_all()
    return db.session.get(SupportSession, support_session.id)


def _events(support_session: SupportSession, kind: EventKind) -> list:
    return [e for e in _session(support_session).events if e.kind == kind]


def _texts(messages: list[dict]) -> list[str]:
    return [m["text"] for m in messages]


def test_a_reps_public_comment_reaches_the_customer_signed_and_shows_as_the_reps_message(
    client, salesforce, case_session, fake_front, process
):
    assert post(client, salesforce, comment()).status_code == 200
    process()

    [reply] = fake_front.replies(CONVERSATION_ID)
    assert reply["text"] == SIGNED and reply["author"]["id"] == AI
    [event] = _events(case_session, EventKind.HUMAN_REPLY)
    assert event.payload["text"] == "Your order ships tomorrow."
    assert event.payload["author"] == "Riley Rep" and event.payload["source"] == "salesforce"
    assert event.payload["salesforce_case"] == CASE_NUMBER
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


def test_a_reply_delivered_twice_reaches_the_customer_once(client, salesforce, case_session, fake_front, process):
    assert post(client, salesforce, comment()).json == {"status": "accepted"}
    assert post(client, salesforce, comment()).json == {"status": "duplicate"}
    process()
    # Delivered again after its journal row is gone (kept only so long): the timeline remembers.
    db.session.execute(delete(JournalEntry))
    db.session.commit()
    assert post(client, salesforce, comment()).json == {"status": "accepted"}
    process()

    assert _texts(fake_front.replies(CONVERSATION_ID)) == [SIGNED]
    assert len(_events(case_session, EventKind.HUMAN_REPLY)) == 1


def test_a_retry_after_the_send_finds_the_reply_instead_of_sending_it_again(
    client, salesforce, case_session, fake_front, process, monkeypatch
):
    """The worker sent the reply, then failed before writing it down: the retry looks in Front
    first and finds it."""
    real_record = relay._record_reply
    failures = iter([RuntimeError("the worker died after sending")])

    def record_once_failing(*args, **kwargs):
        error = next(failures, None)
        if error:
            raise error
        real_record(*args, **kwargs)

    monkeypatch.setattr(relay, "_record_reply", record_once_failing)
    post(client, salesforce, comment())
    process(allow_failures=True)

    assert _texts(fake_front.replies(CONVERSATION_ID)) == [SIGNED]
    assert len(_events(case_session, EventKind.HUMAN_REPLY)) == 1
    entry = db.session.scalar(select(JournalEntry))
    assert entry.status == JournalStatus.DONE and entry.attempts == 2


def test_an_email_salesforce_already_sent_is_noted_in_front_not_sent_again(
    client, salesforce, case_session, fake_front, process
):
    post(client, salesforce, email(status="3"))
    process()

    assert fake_front.replies(CONVERSATION_ID) == []
    [note] = fake_front.comments_on(CONVERSATION_ID)
    assert "Riley Rep emailed the customer from Salesforce Case 00001001" in note["body"]
    assert "Your order ships tomorrow." in note["body"]
    [event] = _events(case_session, EventKind.HUMAN_REPLY)
    assert event.payload["author"] == "Riley Rep" and "emailed by Salesforce" in event.payload["delivery"]


@pytest.mark.parametrize("status", ["0", "1"], ids=["new", "read"])
def test_an_email_only_logged_on_the_case_is_relayed(client, salesforce, case_session, fake_front, process, status):
    post(client, salesforce, email(status=status))
    process()
    assert _texts(fake_front.replies(CONVERSATION_ID)) == [SIGNED]
    assert fake_front.comments_on(CONVERSATION_ID) == []


def test_an_email_logged_without_text_is_relayed_from_its_html(client, salesforce, case_session, fake_front, process):
    post(client, salesforce, email(text=None, status="0", htmlBody="<p>Your order ships <b>tomorrow</b>.</p>"))
    process()
    assert _texts(fake_front.replies(CONVERSATION_ID)) == [SIGNED]


def test_the_same_words_as_comment_and_email_reach_the_customer_once(
    client, salesforce, case_session, fake_front, process
):
    """The rep emailed the customer from Salesforce, then posted the same text as a public
    comment: the customer already has it."""
    post(client, salesforce, email("Your order ships tomorrow.", status="3"))
    post(client, salesforce, comment("  your order ships   TOMORROW. "))
    process()

    assert fake_front.replies(CONVERSATION_ID) == []
    assert len(fake_front.comments_on(CONVERSATION_ID)) == 1
    [skip] = _events(case_session, EventKind.SKIP)
    assert "already has the same words" in skip.payload["reason"]


@pytest.mark.parametrize(
    "document",
    [
        comment(isPublished=False),
        comment(createdById=USER_ID),
        email(status="5"),
        email(incoming=True),
        comment(text="   "),
    ],
    ids=["internal comment", "switchboards own", "draft", "incoming email", "no text"],
)
def test_what_is_not_a_reply_to_the_customer_is_never_sent(
    client, salesforce, case_session, fake_front, process, document
):
    post(client, salesforce, {**document, "timestamp": comment()["timestamp"]})
    process()
    assert fake_front.replies(CONVERSATION_ID) == [] and fake_front.comments_on(CONVERSATION_ID) == []
    assert _events(case_session, EventKind.HUMAN_REPLY) == []


def test_a_reply_on_a_case_no_session_knows_is_dropped_quietly(client, salesforce, fake_front, process):
    post(client, salesforce, comment(caseId="500SB0000000099AAA"))
    process()
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE
    assert all(not fake_front.replies(cid) for cid in fake_front.conversations)


def test_a_reply_goes_to_the_latest_conversation_handed_off_to_the_case(
    client, world, organization, salesforce, case_session, fake_front, process
):
    """A returning customer's second conversation was appended to the same Case."""
    fake_front.add_conversation("cnv_later", assignee=AI)
    later = handed_off(world, organization, conversation_id="cnv_later")
    post(client, salesforce, comment())
    process()
    assert fake_front.replies(CONVERSATION_ID) == []
    assert _texts(fake_front.replies("cnv_later")) == [SIGNED]
    assert len(_events(later, EventKind.HUMAN_REPLY)) == 1


def test_a_callout_from_another_salesforce_org_is_not_relayed(client, salesforce, case_session, fake_front, process):
    """A sandbox deployed from the same files posts to the same URL."""
    post(client, salesforce, comment(orgId="00DSB0000000777AAA"))
    process()
    assert fake_front.replies(CONVERSATION_ID) == []


def test_front_failing_is_retried_then_shown_on_the_session(client, salesforce, case_session, fake_front, process):
    fake_front.fail("POST", f"^/conversations/{CONVERSATION_ID}/messages$", 403, times=100)
    post(client, salesforce, comment())
    process(allow_failures=True)

    entry = db.session.scalar(select(JournalEntry))
    assert entry.status == JournalStatus.FAILED and entry.attempts == 4
    [error] = _events(case_session, EventKind.ERROR)
    assert "could not relay a rep's reply from Salesforce Case 00001001" in error.payload["message"]
    assert fake_front.replies(CONVERSATION_ID) == []


def test_a_failed_reply_retried_by_an_admin_once_front_works_reaches_the_customer(
    client, organization, salesforce, case_session, fake_front, process
):
    from webapp import journal

    fake_front.fail("POST", f"^/conversations/{CONVERSATION_ID}/messages$", 403, times=4)
    post(client, salesforce, comment())
    process(allow_failures=True)
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.FAILED

    assert len(journal.retry(organization.id)) == 1  # the Failed events page's Retry
    process()
    assert _texts(fake_front.replies(CONVERSATION_ID)) == [SIGNED]
    assert len(_events(case_session, EventKind.HUMAN_REPLY)) == 1


def test_front_not_connected_keeps_the_reply_failed_and_visible(
    client, world, organization, fake_front, process, salesforce, case_session
):
    from webapp.front.integration import front_integration

    front = front_integration(organization.id)
    front.set_credential("api_token", None)
    db.session.commit()
    post(client, salesforce, comment())
    process(allow_failures=True)
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.FAILED
    [error] = _events(case_session, EventKind.ERROR)
    assert "Front is not connected" in error.payload["detail"]


def test_a_closed_case_resolves_the_session_and_archives_what_the_ai_still_holds(
    client, salesforce, case_session, fake_front, process
):
    post(client, salesforce, closed())
    process()

    support_session = _session(case_session)
    assert support_session.status == SessionStatus.RESOLVED
    [resolved] = _events(case_session, EventKind.RESOLVED)
    assert resolved.payload["message"] == "Salesforce Case 00001001 was closed."
    assert fake_front.conversations[CONVERSATION_ID]["status"] == "archived"
    assert len(_events(case_session, EventKind.ARCHIVE)) == 1


def test_a_closed_case_leaves_a_conversation_a_teammate_took_as_it_is(
    client, salesforce, case_session, fake_front, process
):
    fake_front.assign(CONVERSATION_ID, HUMAN)
    post(client, salesforce, closed())
    process()

    assert _session(case_session).status == SessionStatus.RESOLVED
    assert fake_front.conversations[CONVERSATION_ID]["status"] == "assigned"
    [skipped] = _events(case_session, EventKind.ARCHIVE_SKIPPED)
    assert "Bob Builder" in skipped.payload["reason"]


def test_a_case_closed_twice_resolves_once(client, salesforce, case_session, fake_front, process):
    from tests.salesforce.rep_replies import stamped

    post(client, salesforce, closed(timestamp=stamped(-30)))
    post(client, salesforce, closed(timestamp=stamped(0)))
    process()
    assert len(_events(case_session, EventKind.RESOLVED)) == 1
    assert len(fake_front.calls_to("PATCH", f"/conversations/{CONVERSATION_ID}$")) == 1


def test_a_created_case_changes_nothing(client, salesforce, case_session, fake_front, process):
    from tests.salesforce.rep_replies import CASE_ID
    from webapp.salesforce import callouts

    post(client, salesforce, callouts.payload("case_created", CASE_ID, CASE_ID, caseNumber=CASE_NUMBER))
    process()
    assert _session(case_session).status == SessionStatus.HANDED_OFF
    assert fake_front.calls_to("POST", "/conversations/") == []


def test_end_to_end_a_handoff_becomes_a_case_and_the_reps_reply_comes_back(
    client, organization, integration, deliver, fake_front, fake_salesforce, process, agent_decides
):
    """The Case handoff makes the Case; the rep answers and closes it in Salesforce, and the
    callouts the generated Apex would send bring the reply to the customer and resolve the session."""
    from tests.front.conftest import Handoff
    from tests.salesforce import case_fixtures
    from webapp.salesforce.integration import CALLOUT_SECRET
    from webapp.sandbox import salesforce_callouts

    salesforce = case_fixtures.connect_salesforce(organization, fake_salesforce)
    salesforce.set_credential(CALLOUT_SECRET, "end-to-end-secret")
    db.session.commit()
    case_fixtures.hand_off_to_cases(organization)
    agent_decides(Handoff("customer asked for a human", "Grace wants her order.", "neutral"))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Where is my order?")
    assert deliver(fake_front.event(fake_front.add_message("cnv_1", "A human, please."))).status_code == 200
    process()

    case = salesforce_callouts.case_for_conversation(fake_salesforce, "cnv_1")
    assert case is not None, "the Case names the conversation"
    document = salesforce_callouts.rep_comment(fake_salesforce, case, "Your order ships tomorrow.")
    assert post(client, salesforce, document, secret="end-to-end-secret").status_code == 200
    process()
    assert "Your order ships tomorrow.\n\n— Riley Rep" in _texts(fake_front.replies("cnv_1"))

    document = salesforce_callouts.close_case(fake_salesforce, case)
    assert post(client, salesforce, document, secret="end-to-end-secret").status_code == 200
    process()
    db.session.expire_all()
    support_session = db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == "cnv_1"))
    assert support_session.salesforce_case_id == case["Id"]
    assert support_session.status == SessionStatus.RESOLVED
