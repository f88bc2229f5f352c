"""Handoff to a live rep through Salesforce Live Messaging end to end: a signed Front webhook → the
journal → a real RQ worker → the fake Front and the fake MIAW; then what the relay reports (the
functions its jobs call, and the events it reads off the fake's stream), the no-rep deadline, the
fallbacks to Front teammates, SMS and phone."""

from __future__ import annotations

from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, text

from tests.conftest import csrf_token, run_worker
from tests.front.conftest import AI, Handoff, Reply
from tests.salesforce.messaging.live_helpers import hand_off_to_live_messaging, relay_stream
from tests.salesforce.messaging.settings_helpers import ISSUER, KID, configure, fake_miaw, upload_key
from webapp.agent import settings as agent_settings
from webapp.db import db
from webapp.front.errors import FrontError
from webapp.models import (
    EventKind,
    JournalEntry,
    JournalStatus,
    MessagingConversation,
    MessagingStatus,
    Role,
    SessionStatus,
    SupportSession,
    utcnow,
)
from webapp.queue import FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging import events, handoff
from webapp.salesforce.messaging.settings import update_live_messaging

__all__ = ["fake_miaw"]  # the fixture, used by name

FRUSTRATED = Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated")
WAITING = "Handed to a live rep through Salesforce Live Messaging; waiting for a rep."
NOTICE = "I'm passing you to a teammate who will reply here shortly."
WEB = {"message_type": "custom"}
SMS = {"message_type": "sms", "sender": ("Grace Hopper", "+15551234567")}
PHONE = {"message_type": "call", "sender": ("Grace Hopper", "+15551234567")}


@pytest.fixture
def live(organization, integration, fake_miaw):
    """Front connected (``integration``), Live Messaging set up with keys uploaded to the fake, and
    every channel handing off to it."""
    configured = configure(organization.id, fake_miaw)
    upload_key(fake_miaw)
    hand_off_to_live_messaging(organization.id)
    return configured


def _session(conversation_id: str = "cnv_1") -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def _row(conversation_id: str = "cnv_1") -> MessagingConversation:
    return db.session.scalar(
        select(MessagingConversation).where(MessagingConversation.session_id == _session(conversation_id).id)
    )


def _events(session: SupportSession, kind: EventKind) -> list:
    return [event for event in session.events if event.kind == kind]


def _hand_off(deliver, fake_front, process, text="I want a human NOW!!", conversation_id="cnv_1", channel=WEB):
    fake_front.add_conversation(conversation_id, assignee=AI, subject="Refund for order 42")
    message = fake_front.add_message(conversation_id, text, **channel)
    assert deliver(fake_front.event(message)).status_code == 200
    process()
    return message


def _assert_fell_back(fake_front, said: str, conversation_id: str = "cnv_1"):
    note = fake_front.comments_on(conversation_id)[-1]["body"]
    assert said in note and "Over to you." in note
    assert fake_front.conversations[conversation_id]["assignee_id"] is None
    session = _session(conversation_id)
    assert session.status == SessionStatus.HANDED_OFF
    handoff_event = _events(session, EventKind.HANDOFF)[-1]
    assert handoff_event.payload["destination"] == "Front teammates"
    assert handoff_event.payload["instead_of"] == "Salesforce Live Messaging"
    return session


# -- the handoff ----------------------------------------------------------------------------------


def test_a_web_chat_handoff_opens_a_verified_conversation_with_the_transcript_then_the_summary(
    client, auth, deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(Reply("Orders ship within two business days."))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Refund for order 42")
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my refund for order 42?", **WEB)))
    process()
    agent_decides(FRUSTRATED)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "I want a human NOW!!", **WEB)))
    process()

    # The customer's identity token: RS256 with the kid, iss, sub = the email, a short life.
    [token_call] = fake_miaw.calls_to("POST", "/authenticated/access-token")
    identity = token_call.body["customerIdentityToken"]
    assert jwt.get_unverified_header(identity) == {"alg": "RS256", "kid": KID, "typ": "JWT"}
    claims = jwt.decode(identity, options={"verify_signature": False})
    assert claims["iss"] == ISSUER and claims["sub"] == "grace@example.com" and "aud" not in claims
    assert claims["exp"] - claims["iat"] == 300
    assert not fake_miaw.calls_to("POST", "/unauthenticated/access-token")
    # The conversation: ours, with the routing attributes under their default names.
    [(conversation_id, conversation)] = fake_miaw.conversations.items()
    session = _session()
    assert conversation["routing_attributes"] == {
        "SwitchboardSessionId": str(session.id),
        "Chat_Consumer_Type": "authenticated",
        "Origin": "Web",
        "Priority": "High",
        "Chat_language": "en_US",
    }
    assert conversation["dropped_attributes"] == [] and conversation["language"] == "en_US"
    assert "/AUTH/" in conversation["subject"] and conversation["subject"].endswith("uid:grace@example.com")
    # The transcript first, then the summary.
    texts = fake_miaw.end_user_texts(conversation_id)
    assert texts[0].startswith("Switchboard: the conversation so far in Front, oldest first.")
    transcript = "\n".join(texts[:-1])
    assert transcript.index("Where is my refund") < transcript.index("Orders ship within") < transcript.index("NOW!!")
    assert texts[-1].startswith("Switchboard: handoff summary.") and "Grace wants a refund for order 42." in texts[-1]
    # Front: the customer is told, the note says it waits for a rep, the AI keeps it, quiet.
    assert [reply["text"] for reply in fake_front.replies("cnv_1")][-1] == NOTICE
    [note] = fake_front.comments_on("cnv_1")
    assert WAITING in note["body"] and conversation_id in note["body"] and "within 5 minutes" in note["body"]
    assert note["author"]["id"] == AI
    assert fake_front.conversations["cnv_1"]["assignee_id"] == AI and not fake_front.calls_to("PUT", "/assignee$")
    assert session.status == SessionStatus.HANDED_OFF and session.miaw_conversation_id == conversation_id
    [handoff_event] = _events(session, EventKind.HANDOFF)
    assert handoff_event.payload["destination"] == "Salesforce Live Messaging"
    assert handoff_event.payload["miaw_conversation_id"] == conversation_id and handoff_event.payload["verified"]
    # The row the relay streams from: open, its token stored encrypted, its deadline set.
    row = _row()
    assert (row.conversation_id, row.status, row.authenticated) == (conversation_id, MessagingStatus.ROUTING, True)
    assert row.credential("access_token") and row.last_event_id is not None and row.routing_deadline_at is not None
    stored = db.session.execute(text("SELECT credentials FROM messaging_conversations")).scalar_one()
    assert row.credential("access_token") not in str(stored)
    auth.login("owner@example.com")
    page = client.get(f"/inbox/{session.id}").get_data(as_text=True)
    assert "Salesforce Live Messaging conversation opened" in page and "Handed off to Salesforce Live Messaging" in page


@pytest.mark.parametrize("anonymous_on_bad_jwt", [False, True], ids=["401", "200-anonymous"])
def test_a_refused_identity_token_falls_back_to_an_anonymous_conversation(
    deliver, fake_front, fake_miaw, process, agent_decides, organization, integration, anonymous_on_bad_jwt
):
    configure(organization.id, fake_miaw)  # keys saved, never uploaded to Salesforce
    hand_off_to_live_messaging(organization.id)
    fake_miaw.anonymous_on_bad_jwt = anonymous_on_bad_jwt
    agent_decides(FRUSTRATED)

    _hand_off(deliver, fake_front, process)

    assert len(fake_miaw.calls_to("POST", "/authenticated/access-token")) == 1
    assert len(fake_miaw.calls_to("POST", "/unauthenticated/access-token")) == 1
    [conversation] = fake_miaw.conversations.values()
    assert conversation["routing_attributes"]["Chat_Consumer_Type"] == "anonymous"
    assert "/AUTH/" not in conversation["subject"]
    session = _session()
    refused = [e for e in _events(session, EventKind.LIVE_MESSAGING) if "did not verify" in e.payload["message"]]
    assert len(refused) == 1 and "grace@example.com" in refused[0].payload["message"]
    assert ("anonymous" if anonymous_on_bad_jwt else "401") in refused[0].payload["detail"]
    assert "anonymous (not verified by Salesforce)" in fake_front.comments_on("cnv_1")[0]["body"]
    assert _row().authenticated is False and session.status == SessionStatus.HANDED_OFF


def test_a_customer_without_an_email_or_an_org_without_keys_gets_an_anonymous_conversation(
    deliver, fake_front, fake_miaw, process, agent_decides, organization, integration
):
    configure(organization.id, fake_miaw, with_keys=False)
    hand_off_to_live_messaging(organization.id)
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    assert not fake_miaw.calls_to("POST", "/authenticated/access-token")
    assert not [e for e in _events(_session(), EventKind.LIVE_MESSAGING) if "did not verify" in e.payload["message"]]
    assert _row().authenticated is False


# -- falling back at the handoff --------------------------------------------------------------------


def test_not_set_up_falls_back_to_front_teammates_saying_what_to_set(
    deliver, fake_front, fake_miaw, process, agent_decides, organization, integration
):
    hand_off_to_live_messaging(organization.id)
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    session = _assert_fell_back(
        fake_front, "Could not hand off to Salesforce Live Messaging:** `Live Messaging is not set up"
    )
    [error] = _events(session, EventKind.ERROR)
    assert "Settings → Integrations → Salesforce" in error.payload["detail"]
    assert fake_miaw.calls == [] and db.session.scalar(select(MessagingConversation)) is None
    assert [reply["text"] for reply in fake_front.replies("cnv_1")] == [NOTICE]
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


def test_an_email_conversation_goes_to_front_teammates_with_the_reason(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process, channel={"message_type": "email"})
    _assert_fell_back(fake_front, "Live Messaging is for chat channels")
    assert fake_miaw.calls == []


def test_salesforce_down_is_tried_three_times_then_falls_back(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    fake_miaw.fail("POST", r"/conversation$", 503, times=100)
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    assert len(fake_miaw.calls_to("POST", r"/conversation$")) == 3
    _assert_fell_back(fake_front, "503")
    assert _row().status == MessagingStatus.FAILED  # the relay lets it be


def test_a_refusal_falls_back_at_once(deliver, fake_front, fake_miaw, process, agent_decides, live):
    fake_miaw.fail("POST", r"/conversation$", 400, body={"message": "Specify a valid esDeveloperName."})
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    assert len(fake_miaw.calls_to("POST", r"/conversation$")) == 1
    _assert_fell_back(fake_front, "Specify a valid esDeveloperName.")


def test_a_job_retried_after_front_failed_opens_one_conversation(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    fake_front.fail("POST", "/conversations/cnv_1/comments", 503, times=4)  # the note fails the first job run
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    assert len(fake_miaw.calls_to("POST", r"/conversation$")) == 1
    assert len(fake_miaw.calls_to("POST", "access-token$")) == 1
    first = len(fake_miaw.end_user_texts(conversation_id))
    assert len(fake_front.comments_on("cnv_1")) == 1 and len(fake_front.replies("cnv_1")) == 1
    assert _session().miaw_conversation_id == conversation_id and first >= 2
    assert db.session.scalar(select(JournalEntry.status)) == JournalStatus.DONE


# -- the customer's later messages ----------------------------------------------------------------


def test_later_customer_messages_go_to_the_rep_once_each_and_the_ai_stays_quiet(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    before = fake_miaw.end_user_texts(conversation_id)
    quiet = agent_decides(Reply("The AI must not say this."))

    later = fake_front.add_message("cnv_1", "Any news? Ça fait 3 jours 🙁", **WEB)
    for _ in range(2):  # Front delivers it twice
        deliver(fake_front.event(later))
        deliver(fake_front.event(later, event_id="evt_redelivered"))
    process()

    assert fake_miaw.end_user_texts(conversation_id) == [*before, "Any news? Ça fait 3 jours 🙁"]
    assert quiet.calls == 0 and [reply["text"] for reply in fake_front.replies("cnv_1")] == [NOTICE]
    [sent] = [e for e in _events(_session(), EventKind.LIVE_MESSAGING) if e.payload.get("message_id")]
    assert sent.payload["message_id"] == later["id"] and "AI stays quiet" in sent.payload["message"]
    [call] = fake_miaw.calls_to("POST", "/message$")[-1:]
    assert call.body["message"]["id"] == sent.payload["miaw_message_ids"][0]


def test_a_later_message_is_sent_again_after_a_failure_with_the_same_id(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    before = len(fake_miaw.end_user_texts(conversation_id))
    fake_miaw.fail("POST", "/message$", 503)

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hello?", **WEB)))
    process()

    assert fake_miaw.end_user_texts(conversation_id)[before:] == ["Hello?"]
    ids = {call.body["message"]["id"] for call in fake_miaw.calls_to("POST", "/message$")[-2:]}
    assert len(ids) == 1  # the retry sent the same message id
    [error] = _events(_session(), EventKind.ERROR)
    assert "tried again" in error.payload["message"]


def test_an_expired_access_token_is_renewed_and_the_message_sent(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    old = _row().credential("access_token")
    fake_miaw.fail("POST", "/message$", 401, body={"message": "Jwt is expired"})

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Still there?", **WEB)))
    process()

    assert fake_miaw.end_user_texts(conversation_id)[-1] == "Still there?"
    assert _row().credential("access_token") != old


def test_a_conversation_that_refuses_the_customers_message_goes_to_front_teammates(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    fake_miaw.fail("POST", "/message$", 403, body={"message": "The conversation is closed."})

    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hello?", **WEB)))
    process()

    _assert_fell_back(fake_front, "The conversation is closed.")
    assert _row().status == MessagingStatus.FAILED


# -- what the relay reports -----------------------------------------------------------------------


def test_a_reps_message_reaches_the_customer_once_signed_and_shows_as_the_reps(
    client, auth, deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    fake_miaw.agent_message(conversation_id, "Hi Grace, I'm looking at your refund now.")

    relay_stream(fake_miaw, conversation_id)
    relay_stream(fake_miaw, conversation_id)  # a replay after a reconnect: nothing twice

    reply = fake_front.replies("cnv_1")[-1]
    assert reply["text"] == "Hi Grace, I'm looking at your refund now.\n\n— Riley Rep"
    assert reply["author"]["id"] == AI and len(fake_front.replies("cnv_1")) == 2
    session = _session()
    [relayed] = _events(session, EventKind.HUMAN_REPLY)
    assert relayed.payload["author"] == "Riley Rep" and relayed.payload["source"] == "live_messaging"
    assert relayed.payload["text"] == "Hi Grace, I'm looking at your refund now."
    row = _row()
    assert (row.status, row.rep_name, row.routing_deadline_at) == (MessagingStatus.ACTIVE, "Riley Rep", None)
    assert any("Riley Rep joined" in e.payload["message"] for e in _events(session, EventKind.LIVE_MESSAGING))
    auth.login("owner@example.com")
    page = client.get(f"/inbox/{session.id}").get_data(as_text=True)
    assert "Riley Rep" in page and "looking at your refund now." in page


def test_relay_rep_message_called_twice_with_one_entry_id_sends_once(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    row_id = _row().id
    for _ in range(2):
        handoff.relay_rep_message(row_id, "0Mw-entry-1", "Your refund is on its way.", "Riley Rep")
    assert [r["text"] for r in fake_front.replies("cnv_1")].count("Your refund is on its way.\n\n— Riley Rep") == 1
    assert len(_events(_session(), EventKind.HUMAN_REPLY)) == 1


def test_an_sms_reply_is_cut_into_segments_each_sent_once_even_across_a_failure(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process, channel=SMS)
    assert not fake_miaw.calls_to("POST", "/authenticated/access-token")  # no email: anonymous
    [conversation] = fake_miaw.conversations.values()
    assert conversation["routing_attributes"]["Origin"] == "SMS"
    row_id = _row().id
    words = " ".join(f"word{number}" for number in range(80))  # ~550 characters
    fake_front.fail("POST", "/conversations/cnv_1/messages", 503, times=50)  # Front down for longer than a job

    with pytest.raises(FrontError):  # the job fails; its retries call again
        handoff.relay_rep_message(row_id, "entry-sms", words, "Riley Rep")
    fake_front.failures.clear()
    handoff.relay_rep_message(row_id, "entry-sms", words, "Riley Rep")
    handoff.relay_rep_message(row_id, "entry-sms", words, "Riley Rep")

    segments = [reply["text"] for reply in fake_front.replies("cnv_1")][1:]  # after the handoff notice
    assert len(segments) == 4 and all(len(segment) <= 160 for segment in segments)
    assert " ".join(segments).split() == f"{words} — Riley Rep".split()  # every word, in order, once
    [relayed] = _events(_session(), EventKind.HUMAN_REPLY)
    assert relayed.payload["sent"] == 4 and relayed.payload["text"] == words


def test_a_phone_session_gets_the_transcript_and_the_reps_words_as_notes(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process, channel=PHONE)
    [(conversation_id, conversation)] = fake_miaw.conversations.items()
    assert conversation["routing_attributes"]["Origin"] == "Phone"
    assert "Call them back at +15551234567." in fake_miaw.end_user_texts(conversation_id)[-1]
    assert "as internal notes" in fake_front.comments_on("cnv_1")[0]["body"]
    replies = len(fake_front.replies("cnv_1"))

    handoff.relay_rep_message(_row().id, "entry-phone", "I'll call her back.", "Riley Rep")

    assert len(fake_front.replies("cnv_1")) == replies  # nothing sent to a caller
    note = fake_front.comments_on("cnv_1")[-1]["body"]
    assert "Riley Rep wrote in Salesforce Live Messaging" in note and "I'll call her back." in note


def test_routing_failure_falls_back_to_front_teammates_and_closes_the_conversation(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    fake_miaw.route_fail(conversation_id)

    relay_stream(fake_miaw, conversation_id)
    handoff.routing_failed(_row().id, "No route found")  # reported twice: acted on once

    session = _assert_fell_back(fake_front, "Salesforce could not route the conversation to a rep:** `No route found`")
    assert len(fake_front.comments_on("cnv_1")) == 2  # the handoff's note, then the fallback's
    assert _row().status == MessagingStatus.FAILED and fake_miaw.conversations[conversation_id]["closed"]
    assert len(_events(session, EventKind.ERROR)) == 1
    # The customer's next message stays in Front.
    fake_miaw_calls = len(fake_miaw.calls)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "Hello?", **WEB)))
    process()
    assert len(fake_miaw.calls) == fake_miaw_calls


def test_no_rep_in_time_falls_back_from_the_periodic_job(deliver, fake_front, fake_miaw, process, agent_decides, live):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS.enqueue()
    run_worker()
    assert _row().status == MessagingStatus.ROUTING  # not due yet

    row = _row()
    row.routing_deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS.enqueue()
    run_worker()

    _assert_fell_back(fake_front, "No rep answered in Salesforce Live Messaging:** `no rep answered within 5 minutes`")
    assert _row().status == MessagingStatus.FAILED and fake_miaw.conversations[conversation_id]["closed"]
    assert handoff.fall_back_unanswered() == 0


def test_a_rep_who_joined_is_not_overtaken_by_the_deadline(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    row = _row()
    row.routing_deadline_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    handoff.rep_joined(row.id, "Riley Rep")
    assert handoff.fall_back_unanswered() == 0 and _row().status == MessagingStatus.ACTIVE

    handoff.rep_left(row.id, "Riley Rep")  # gone without ending it: waiting again, with a new deadline
    row = _row()
    assert row.status == MessagingStatus.ROUTING and row.routing_deadline_at > utcnow()


def test_the_end_of_the_session_resolves_it_with_the_closing_message(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    update_live_messaging(salesforce_integration(live.organization_id), closing_message="Thanks for chatting with us!")
    db.session.commit()
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    fake_miaw.agent_message(conversation_id, "All done, refund issued.")
    fake_miaw.end_session(conversation_id)

    relay_stream(fake_miaw, conversation_id)
    handoff.session_ended(_row().id, "Agent")  # reported again: nothing more

    texts = [reply["text"] for reply in fake_front.replies("cnv_1")]
    assert texts[-2:] == ["All done, refund issued.\n\n— Riley Rep", "Thanks for chatting with us!"]
    assert fake_front.conversations["cnv_1"]["status"] == "archived"
    session = _session()
    assert session.status == SessionStatus.RESOLVED and _row().status == MessagingStatus.ENDED
    [resolved] = _events(session, EventKind.RESOLVED)
    assert resolved.payload["message"] == "The Live Messaging session was ended by the rep."
    assert _events(session, EventKind.ARCHIVE)


def test_a_lost_token_hands_the_conversation_to_front_teammates(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    handoff.relay_event(
        _row().id,
        events.MessagingEvent(events.Kind.TOKEN_LOST, _session().miaw_conversation_id, reason="Jwt is expired"),
    )
    _assert_fell_back(fake_front, "Switchboard lost its access to the Live Messaging conversation:** `Jwt is expired`")
    assert _row().status == MessagingStatus.FAILED


def test_a_report_about_a_replaced_conversation_does_nothing(app, fake_front, fake_miaw):
    for report in (
        lambda: handoff.rep_joined(404, "Riley Rep"),
        lambda: handoff.relay_rep_message(404, "entry", "Hello", "Riley Rep"),
        lambda: handoff.routing_failed(404, "No route"),
        lambda: handoff.session_ended(404, "Agent"),
        lambda: handoff.token_lost(404, "gone"),
    ):
        report()
    assert fake_front.calls == [] and fake_miaw.calls == []


# -- the settings -------------------------------------------------------------------------------


def test_handoff_settings_offer_live_messaging_and_a_member_cannot_choose_it(client, auth, world, organization):
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("owner@example.com")
    page = client.get("/settings/handoff").get_data(as_text=True)
    # Web chat, SMS and phone; never email.
    assert page.count('<option value="salesforce_live_messaging">Salesforce Live Messaging</option>') == 3
    auth.logout()
    auth.login(member.email)
    token = csrf_token(client, "/inbox")
    response = client.post(
        "/settings/handoff", data={"destination_web": "salesforce_live_messaging", "csrf_token": token}
    )
    assert response.status_code == 403
    settings = agent_settings.settings_for(organization.id)
    assert settings is None or settings.destination_for("web") != "salesforce_live_messaging"


def test_once_an_admin_hands_the_session_elsewhere_the_reps_words_stop_and_the_conversation_closes(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    from webapp.inbox import handoff as inbox_handoff

    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    [conversation_id] = fake_miaw.conversations
    row_id = _row().id
    handoff.rep_joined(row_id, "Riley Rep")
    inbox_handoff.request_handoff(_session(), "front_teammates", "Ada Admin")
    run_worker()
    replies_before = len(fake_front.replies("cnv_1"))

    handoff.relay_rep_message(row_id, "0Mw-late", "Still there?", "Riley Rep")

    assert len(fake_front.replies("cnv_1")) == replies_before
    assert _row().status == MessagingStatus.ENDED and fake_miaw.conversations[conversation_id]["closed"]
    [skip] = [e for e in _events(_session(), EventKind.SKIP) if e.payload["code"] == "live_messaging_handed_elsewhere"]
    assert skip.payload["detail"] == "Still there?"


def test_a_handoff_retried_after_its_conversation_ended_goes_to_front_teammates(
    deliver, fake_front, fake_miaw, process, agent_decides, live
):
    """The conversation opened, Front failed on the note, and no rep came before the retry:
    the retry must not leave the customer with a conversation nobody is in."""
    from webapp.salesforce.messaging.conversation import end

    agent_decides(FRUSTRATED)
    fake_front.fail("POST", r"/conversations/cnv_1/comments$", 500, times=10)
    _hand_off(deliver, fake_front, process)
    row = _row()
    end(row, MessagingStatus.FAILED)
    db.session.commit()
    session = _session()

    handoff.LiveMessaging().hand_off(
        sender=handoff.front_sender(session),
        support_session=session,
        message_id=[e for e in _events(session, EventKind.CUSTOMER_MESSAGE)][-1].payload["message_id"],
        handoff=Handoff("the customer asked for a person", "Wants a human.", "frustrated"),
        retrying=True,
        customer_message=None,
    )

    last = _events(_session(), EventKind.HANDOFF)[-1]
    assert last.payload["destination"] == "Front teammates"
    assert "ended before the handoff was done" in last.payload["error"]


def test_a_rep_message_whose_job_gives_up_is_shown_as_not_delivered(
    monkeypatch, deliver, fake_front, fake_miaw, process, agent_decides, live
):
    import jobs.messaging
    from webapp.salesforce.messaging.events import Kind, MessagingEvent

    agent_decides(FRUSTRATED)
    _hand_off(deliver, fake_front, process)
    row = _row()
    monkeypatch.setattr(jobs.messaging, "last_attempt", lambda: True)
    fake_front.fail("POST", r"/conversations/cnv_1/messages$", 500, times=50)
    event = MessagingEvent(Kind.REP_MESSAGE, row.conversation_id, "7", "entry-7", "Riley Rep", "Agent", "On it.")

    with pytest.raises(FrontError):
        jobs.messaging.relay_messaging_event(row.id, event.as_job_argument())

    [error] = [e for e in _events(_session(), EventKind.ERROR) if "gave up" in e.payload["message"]]
    assert "the rep's message (On it.)" in error.payload["message"]
