"""Relays sharing Live Messaging streams by lease: taking, renewing, losing and handing back
conversations, and every write of a relay that lost one refused."""

from __future__ import annotations

from datetime import timedelta

from tests.salesforce.messaging.relay_fixtures import add_conversation
from tests.salesforce.messaging.settings_helpers import configure, fake_miaw
from webapp.db import db
from webapp.models import MessagingConversation, MessagingStatus, utcnow
from webapp.salesforce.messaging import streams

__all__ = ["fake_miaw"]

A, B = "relay-a", "relay-b"
LEASE = 30


def row(row_id: int) -> MessagingConversation:
    return db.session.get(MessagingConversation, row_id, populate_existing=True)


def test_a_relay_takes_the_open_conversations_nobody_holds(world):
    organization = world.organization()
    routing = add_conversation(world, organization)
    active = add_conversation(world, organization, status=MessagingStatus.ACTIVE)
    add_conversation(world, organization, status=MessagingStatus.ENDED)
    add_conversation(world, organization, status=MessagingStatus.FAILED)

    assert set(streams.needing_holder()) == {routing.id, active.id}
    held = streams.beat(A, capacity=10, seconds=LEASE)

    assert held == {routing.id, active.id}
    assert row(routing.id).lease_owner == A
    assert row(routing.id).lease_expires_at > utcnow() + timedelta(seconds=LEASE - 5)
    assert streams.needing_holder() == []


def test_no_more_than_its_capacity_and_the_rest_are_left_to_another(world):
    organization = world.organization()
    ids = [add_conversation(world, organization).id for _ in range(5)]

    first = streams.beat(A, capacity=3, seconds=LEASE)
    second = streams.beat(B, capacity=3, seconds=LEASE)

    assert len(first) == 3 and len(second) == 2 and first | second == set(ids)
    assert streams.beat(A, capacity=3, seconds=LEASE) == first  # renewing takes nothing more


def test_a_held_conversation_is_not_taken_while_its_lease_is_renewed(world):
    organization = world.organization()
    conversation = add_conversation(world, organization)
    start = utcnow()
    streams.beat(A, capacity=10, seconds=LEASE, now=start)

    for beat in range(1, 6):  # A renews every 10 s; B asks at each of them
        now = start + timedelta(seconds=10 * beat)
        assert streams.beat(A, capacity=10, seconds=LEASE, now=now) == {conversation.id}
        assert streams.beat(B, capacity=10, seconds=LEASE, now=now) == set()


def test_a_killed_relays_conversations_are_taken_over_once_its_lease_runs_out(world):
    organization = world.organization()
    conversation = add_conversation(world, organization)
    start = utcnow()
    streams.beat(A, capacity=10, seconds=LEASE, now=start)

    assert streams.beat(B, capacity=10, seconds=LEASE, now=start + timedelta(seconds=LEASE - 1)) == set()
    assert streams.beat(B, capacity=10, seconds=LEASE, now=start + timedelta(seconds=LEASE + 1)) == {conversation.id}
    assert row(conversation.id).lease_owner == B


def test_a_relay_that_stalled_past_its_lease_cannot_write_over_the_new_holder(world):
    organization = world.organization()
    conversation = add_conversation(world, organization, last_event_id="10")
    start = utcnow()
    streams.beat(A, capacity=10, seconds=LEASE, now=start)
    streams.beat(B, capacity=10, seconds=LEASE, now=start + timedelta(seconds=LEASE + 1))
    assert streams.advance(conversation.id, B, "12")

    assert not streams.advance(conversation.id, A, "11")  # A comes back and reads an event
    assert streams.beat(A, capacity=10, seconds=LEASE, now=start + timedelta(seconds=LEASE + 2)) == set()
    assert streams.held_row(conversation.id, A) is None
    db.session.rollback()
    assert streams.release(A) == 0

    assert row(conversation.id).last_event_id == "12" and row(conversation.id).lease_owner == B


def test_the_holder_moves_the_stream_on_and_stores_a_new_token(world):
    organization = world.organization()
    conversation = add_conversation(world, organization)
    streams.beat(A, capacity=10, seconds=LEASE)

    assert streams.advance_many(A, {conversation.id: "5"}) == {conversation.id}
    held = streams.held_row(conversation.id, A)
    expires = utcnow() + timedelta(hours=6)
    streams.store_token(held, "new-token", expires)
    db.session.commit()

    stored = row(conversation.id)
    assert stored.last_event_id == "5" and stored.credential(streams.ACCESS_TOKEN) == "new-token"
    assert abs((stored.token_expires_at - expires).total_seconds()) < 1


def test_leases_do_not_count_as_changes_to_the_conversation(world):
    organization = world.organization()
    conversation = add_conversation(world, organization)
    before = row(conversation.id).updated_at

    streams.beat(A, capacity=10, seconds=LEASE)
    streams.beat(A, capacity=10, seconds=LEASE)
    streams.advance(conversation.id, A, "3")
    streams.release(A)

    assert row(conversation.id).updated_at == before


def test_an_ended_conversation_is_let_go_at_the_next_beat(world):
    organization = world.organization()
    conversation = add_conversation(world, organization)
    streams.beat(A, capacity=10, seconds=LEASE)
    conversation = row(conversation.id)
    conversation.status = MessagingStatus.ENDED
    db.session.commit()

    assert streams.beat(A, capacity=10, seconds=LEASE) == set()
    assert row(conversation.id).lease_owner is None
    assert streams.held_row(conversation.id, A) is None


def test_a_stopping_relay_hands_its_conversations_back_at_once(world):
    organization = world.organization()
    ids = {add_conversation(world, organization).id for _ in range(3)}
    streams.beat(A, capacity=10, seconds=LEASE)

    assert streams.release(A) == 3
    assert set(streams.needing_holder()) == ids
    assert streams.beat(B, capacity=10, seconds=LEASE) == ids


def test_what_a_stream_needs_is_read_with_the_lease(app, world, fake_miaw):
    organization = world.organization()
    configure(organization.id, fake_miaw)
    expires = utcnow() + timedelta(hours=1)
    conversation = add_conversation(
        world, organization, last_event_id="7", token_expires_at=expires, authenticated=True
    )
    conversation.set_credential(streams.ACCESS_TOKEN, "the-token")
    db.session.commit()
    other = add_conversation(world, organization)
    streams.beat(A, capacity=1, seconds=LEASE)

    (held,) = streams.load({conversation.id, other.id}, A)  # only what A holds

    assert held.id == conversation.id and held.conversation_id == conversation.conversation_id
    assert held.access_token == "the-token" and held.last_event_id == "7" and held.authenticated
    assert held.scrt_url == fake_miaw.url and held.org_id.startswith(fake_miaw.org_id[:15])
    assert abs((held.token_expires_at - expires).total_seconds()) < 1
