"""The relay against the fake MIAW, on an event loop in a thread of the test: what reps do
reaches the handoff's handler once each, across dropped streams, a restart, a Redis outage and
dead tokens, and a relay lets go of what it no longer holds."""

from __future__ import annotations

from datetime import timedelta

from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import select

from tests.conftest import run_worker, wait_for
from tests.front.conftest import AI, Handoff
from tests.salesforce.messaging.relay_fixtures import (
    RelayThread,
    fake_miaw,
    handed_off,
    handled,
    live_messaging,
    live_messaging_for,
    queued_jobs,
    relay_until,
)
from webapp.db import db
from webapp.models import MessagingConversation, MessagingStatus, utcnow
from webapp.salesforce.messaging import relay as relay_module
from webapp.salesforce.messaging import streams
from webapp.salesforce.messaging.events import Kind

__all__ = ["fake_miaw", "handled", "live_messaging", "live_messaging_for"]

EMAIL = "ada@example.com"


def stored(row_id: int) -> MessagingConversation:
    db.session.rollback()
    return db.session.get(MessagingConversation, row_id, populate_existing=True)


def stream_requests(fake) -> list:
    return fake.calls_to("GET", r"^/eventrouter/v1/sse$")


def test_a_reps_message_reaches_the_handoff_once(app, world, fake_miaw, live_messaging, handled):
    conversation = handed_off(world, live_messaging, fake_miaw)

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        entry_id = fake_miaw.agent_message(conversation.conversation_id, "Hi, I'm Riley. How can I help?")
        relay_until(handled, lambda h: h.texts(), "the rep's message")

    assert handled.kinds() == [Kind.REP_JOINED, Kind.REP_MESSAGE]
    row_id, message = handled.events[-1]
    assert row_id == conversation.id and message.entry_id == entry_id and message.rep_name == "Riley Rep"
    assert stored(conversation.id).last_event_id == message.event_id
    request = stream_requests(fake_miaw)[0]
    assert request.status == 200


def test_a_dropped_stream_resumes_where_it_was_without_a_duplicate(app, world, fake_miaw, live_messaging, handled):
    conversation = handed_off(world, live_messaging, fake_miaw)

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        fake_miaw.agent_message(conversation.conversation_id, "First")
        relay_until(handled, lambda h: h.texts() == ["First"], "the first message")
        assert fake_miaw.drop_streams() == 1
        fake_miaw.agent_message(conversation.conversation_id, "Second, while the stream was down")
        wait_for(lambda: len(stream_requests(fake_miaw)) == 2 and fake_miaw.open_streams() == 1, 10, "a reconnect")
        relay_until(handled, lambda h: len(h.texts()) == 2, "the second message")
        fake_miaw.agent_message(conversation.conversation_id, "Third")
        relay_until(handled, lambda h: len(h.texts()) == 3, "the third message")

    assert handled.texts() == ["First", "Second, while the stream was down", "Third"]
    assert handled.kinds().count(Kind.REP_JOINED) == 1
    assert queued_jobs() == 0


def test_a_restarted_relay_resumes_from_the_stored_event_id(app, world, fake_miaw, live_messaging, handled):
    conversation = handed_off(world, live_messaging, fake_miaw)
    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        fake_miaw.agent_message(conversation.conversation_id, "Before the restart")
        relay_until(handled, lambda h: h.texts(), "the first message")
    assert stored(conversation.id).lease_owner is None  # handed back on the way out

    fake_miaw.agent_message(conversation.conversation_id, "While no relay ran")
    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        relay_until(handled, lambda h: len(h.texts()) == 2, "the message sent meanwhile")
        fake_miaw.agent_message(conversation.conversation_id, "After the restart")
        relay_until(handled, lambda h: len(h.texts()) == 3, "the last message")

    assert handled.texts() == ["Before the restart", "While no relay ran", "After the restart"]


def test_each_conversation_gets_only_its_own_events(app, world, fake_miaw, live_messaging, handled):
    first = handed_off(world, live_messaging, fake_miaw, email=EMAIL)
    second = handed_off(world, live_messaging, fake_miaw, email=EMAIL)  # the same end user: one subject

    with RelayThread(app) as running:
        running.holding(2, fake_miaw)
        fake_miaw.agent_message(first.conversation_id, "For the first")
        fake_miaw.agent_message(second.conversation_id, "For the second")
        relay_until(handled, lambda h: len(h.texts()) == 2, "both messages")

    assert handled.texts(first.id) == ["For the first"] and handled.texts(second.id) == ["For the second"]


def test_own_posts_echoed_back_are_not_relayed(app, world, fake_miaw, live_messaging, handled):
    from webapp.salesforce.integration import salesforce_integration
    from webapp.salesforce.messaging.client import client_for

    conversation = handed_off(world, live_messaging, fake_miaw)
    client = client_for(salesforce_integration(live_messaging.id))
    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        client.send_message(conversation.credential(streams.ACCESS_TOKEN), conversation.conversation_id, "From Front")
        fake_miaw.agent_message(conversation.conversation_id, "The rep's answer")
        relay_until(handled, lambda h: h.texts(), "the rep's answer")

    assert handled.texts() == ["The rep's answer"]


def test_a_redis_outage_loses_nothing(app, world, fake_miaw, live_messaging, handled, monkeypatch):
    conversation = handed_off(world, live_messaging, fake_miaw)
    real_enqueue, refused = relay_module.enqueue, []

    def enqueue_while_redis_is_down(row_id, event):
        if event.kind == Kind.REP_MESSAGE and not refused:
            refused.append(event.entry_id)
            raise RedisConnectionError("Redis is down")
        real_enqueue(row_id, event)

    monkeypatch.setattr(relay_module, "enqueue", enqueue_while_redis_is_down)
    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        entry_id = fake_miaw.agent_message(conversation.conversation_id, "Sent while Redis was down")
        relay_until(handled, lambda h: h.texts(), "the message, once Redis is back")

    assert refused == [entry_id]
    assert handled.texts() == ["Sent while Redis was down"]
    assert len(stream_requests(fake_miaw)) == 2  # read again from the stored event id


def test_a_verified_customers_token_expiring_mid_stream_is_renewed(app, world, fake_miaw, live_messaging, handled):
    conversation = handed_off(world, live_messaging, fake_miaw, email=EMAIL)
    old_token = conversation.credential(streams.ACCESS_TOKEN)
    token_calls = len(fake_miaw.calls_to("POST", "authenticated/access-token"))

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        fake_miaw.expire_access_tokens()
        wait_for(lambda: stored(conversation.id).credential(streams.ACCESS_TOKEN) != old_token, 10, "a new token")
        wait_for(lambda: fake_miaw.open_streams() == 1, 10, "the stream open again")
        fake_miaw.agent_message(conversation.conversation_id, "Still here")
        relay_until(handled, lambda h: h.texts(), "the message after the renewal")

    assert handled.texts() == ["Still here"]
    assert len(fake_miaw.calls_to("POST", "authenticated/access-token")) == token_calls + 1
    assert Kind.TOKEN_LOST not in handled.kinds()
    assert stored(conversation.id).status == MessagingStatus.ROUTING


def test_a_token_is_renewed_before_it_expires(app, world, fake_miaw, live_messaging, handled):
    fake_miaw.token_ttl = 8  # renewed when a quarter of its life is left
    conversation = handed_off(world, live_messaging, fake_miaw, email=EMAIL)

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        wait_for(lambda: len(fake_miaw.calls_to("POST", "authenticated/access-token")) >= 3, 20, "two renewals")
        fake_miaw.agent_message(conversation.conversation_id, "Hello")
        relay_until(handled, lambda h: h.texts(), "the message")

    assert handled.texts() == ["Hello"]
    assert Kind.TOKEN_LOST not in handled.kinds()
    assert not any("Jwt is expired" in str(call.status) for call in stream_requests(fake_miaw))


def test_an_anonymous_customers_dead_token_hands_the_conversation_back(app, world, fake_miaw, live_messaging, handled):
    conversation = handed_off(world, live_messaging, fake_miaw)

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        fake_miaw.expire_access_tokens()
        relay_until(handled, lambda h: h.kinds(), "the token reported lost")
        assert running.relay.streams[conversation.id].parked

    ((row_id, lost),) = handled.events
    assert row_id == conversation.id and lost.kind == Kind.TOKEN_LOST and lost.reason


def test_a_relay_lets_go_of_conversations_it_lost_or_that_ended(app, world, fake_miaw, live_messaging, handled):
    taken = handed_off(world, live_messaging, fake_miaw)
    ended = handed_off(world, live_messaging, fake_miaw)

    with RelayThread(app) as running:
        running.holding(2, fake_miaw)
        row = stored(taken.id)
        row.lease_owner = "another-relay"  # its lease ran out while this relay stalled
        row.lease_expires_at = utcnow() + timedelta(minutes=5)
        stored_ended = db.session.get(MessagingConversation, ended.id)
        stored_ended.status = MessagingStatus.ENDED
        db.session.commit()
        streams_held = list(running.relay.streams.values())
        running.holding(0)
        wait_for(lambda: all(stream.task.done() for stream in streams_held), 10, "both streams closed")

    assert stored(taken.id).lease_owner == "another-relay"
    assert stored(ended.id).lease_owner is None


# -- end to end: a handoff through the Front webhook, the relay, the handoff's jobs, Front ----------


def test_a_reps_messages_reach_the_front_conversation_once_across_a_relay_restart(
    app, deliver, fake_front, fake_miaw, process, agent_decides, organization, live_messaging_for
):
    live_messaging_for(organization)
    agent_decides(Handoff("customer asked for a human", "Grace wants a refund for order 42.", "frustrated"))
    fake_front.add_conversation("cnv_1", assignee=AI, subject="Refund for order 42")
    deliver(fake_front.event(fake_front.add_message("cnv_1", "I want a human", message_type="custom")))
    process()
    [conversation_id] = fake_miaw.conversations

    def rep_replies() -> list[str]:
        process()
        return [reply["text"] for reply in fake_front.replies("cnv_1") if "— Riley Rep" in reply["text"]]

    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        fake_miaw.agent_message(conversation_id, "Hi Grace, Riley here.")
        wait_for(lambda: len(rep_replies()) == 1, 20, "the rep's first message in Front")
        fake_miaw.drop_streams()
        fake_miaw.agent_message(conversation_id, "Checking your order now.")
        wait_for(lambda: len(rep_replies()) == 2, 20, "the message sent while the stream was down")
    fake_miaw.agent_message(conversation_id, "Your refund is on its way.")  # while no relay runs
    with RelayThread(app) as running:
        running.holding(1, fake_miaw)
        wait_for(lambda: len(rep_replies()) == 3, 20, "the message sent while no relay ran")
        fake_miaw.end_session(conversation_id)
        wait_for(lambda: stored_status(conversation_id) == MessagingStatus.ENDED, 20, "the session resolved")
        running.holding(0)

    assert rep_replies() == [
        "Hi Grace, Riley here.\n\n— Riley Rep",
        "Checking your order now.\n\n— Riley Rep",
        "Your refund is on its way.\n\n— Riley Rep",
    ]


def stored_status(conversation_id: str) -> MessagingStatus | None:
    """The conversation's status once the queued jobs ran."""
    run_worker()
    db.session.rollback()
    row = db.session.scalar(
        select(MessagingConversation).where(MessagingConversation.conversation_id == conversation_id)
    )
    return row.status if row is not None else None


# -- the relay's timings ----------------------------------------------------------------------------


def test_reconnects_wait_one_second_then_half_as_long_again_up_to_thirty():
    waits = [relay_module.backoff(failures) for failures in range(12)]

    assert waits[:4] == [1.0, 1.5, 2.25, 3.375]
    assert waits[-1] == 30.0 and max(waits) == 30.0 and waits == sorted(waits)


def test_a_token_is_renewed_five_minutes_ahead_or_with_a_quarter_of_its_life_left():
    now = utcnow()

    assert relay_module.renew_at(now + timedelta(hours=6), now) == now + timedelta(hours=6) - timedelta(minutes=5)
    assert relay_module.renew_at(now + timedelta(seconds=8), now) == now + timedelta(seconds=6)
    assert relay_module.renew_at(now - timedelta(seconds=1), now) == now - timedelta(seconds=1)
    assert relay_module.renew_at(None, now) is None
