"""The rules of a Live Messaging handoff, one at a time: SMS segments, message ids, what is sent
first and in how many messages, the routing attributes and language, and when a session's
customer messages belong to the rep."""

from __future__ import annotations

import uuid

from hypothesis import given
from hypothesis import strategies as st

from tests.fakes.miaw import MESSAGE_MAX_CHARS, UUID_V4
from tests.salesforce.messaging.settings_helpers import configure, fake_miaw
from webapp.agent import Handoff
from webapp.db import db
from webapp.models import Channel, EventKind, MessagingConversation, MessagingStatus, SessionStatus
from webapp.salesforce.messaging import conversation, handoff
from webapp.salesforce.messaging.settings import DEFAULT_ROUTING_ATTRIBUTES, update_live_messaging
from webapp.salesforce.transcript import utf8_size

__all__ = ["fake_miaw"]  # the fixture, used by name

CALM = Handoff("customer asked for a human", "Wants to change the delivery address.", "calm")

words = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Zs", "Cc")), min_size=1, max_size=30)


@given(st.lists(words, max_size=80))
def test_sms_segments_hold_every_word_in_order_within_160_characters(chosen):
    text = " ".join(chosen)
    segments = handoff.sms_segments(text)
    assert all(0 < len(segment) <= 160 for segment in segments)
    assert " ".join(segments).split() == text.split()


def test_a_word_longer_than_a_segment_is_cut_and_short_text_is_one_segment():
    assert handoff.sms_segments("x" * 400) == ["x" * 160, "x" * 160, "x" * 80]
    assert handoff.sms_segments("  Hello there  ") == ["Hello there"]
    assert handoff.sms_segments("") == []


def test_message_ids_are_lowercase_uuid4s_made_from_what_they_name():
    made = handoff.message_uuid("conversation", "msg_1", "0")
    assert UUID_V4.fullmatch(made) and uuid.UUID(made).version == 4
    assert made == handoff.message_uuid("conversation", "msg_1", "0")
    assert (
        made != handoff.message_uuid("conversation", "msg_1", "1") != handoff.message_uuid("conversation", "msg_2", "0")
    )


def test_durations_read_as_said():
    assert [handoff.duration(s) for s in (60, 300, 90, 3600)] == ["1 minute", "5 minutes", "90 seconds", "60 minutes"]


def _session(world, channel=Channel.WEB, **fields):
    organization = world.organization()
    return world.session(
        organization, channel=channel, front_conversation_id="cnv_1", contact_email="grace@example.com", **fields
    )


def test_a_long_transcript_is_sent_as_its_newest_part_each_message_within_the_limit(world):
    support_session = _session(world)
    for number in range(60):
        support_session.record(EventKind.CUSTOMER_MESSAGE, text=f"Message {number}: " + "é🙂 long words " * 150)
    db.session.commit()

    messages = handoff.first_messages(support_session, CALM)

    assert all(utf8_size(m) <= conversation.MESSAGE_MAX_BYTES and len(m) <= MESSAGE_MAX_CHARS for m in messages)
    transcript, summary = messages[:-1], messages[-1]
    assert len(transcript) == handoff.TRANSCRIPT_MAX_MESSAGES
    assert (
        transcript[0].startswith("Switchboard: the conversation is long")
        and f"/inbox/{support_session.id}" in (transcript[0])
    )
    assert "Message 59:" in transcript[-1] and "Message 0:" not in "".join(transcript)
    assert summary.startswith("Switchboard: handoff summary.") and "Wants to change the delivery address." in summary


def test_a_session_without_messages_sends_the_summary_only(world):
    messages = handoff.first_messages(_session(world), CALM)
    assert len(messages) == 1 and messages[0].startswith("Switchboard: handoff summary.")


def test_routing_attributes_follow_the_names_set_and_leave_out_a_cleared_one(world, fake_miaw):
    support_session = _session(world, channel=Channel.SMS)
    for text in ("Bonjour, je voudrais changer l'adresse de livraison de ma commande.", "Merci de votre aide."):
        support_session.record(EventKind.CUSTOMER_MESSAGE, text=text)
    integration = configure(support_session.organization_id, fake_miaw, with_keys=False)
    names = {**DEFAULT_ROUTING_ATTRIBUTES, "priority": "", "session_id": "Ticket_Ref"}
    update_live_messaging(integration, routing_attributes=names)
    db.session.commit()

    attributes, language = handoff.routing_of(support_session, CALM, integration, verified=False)

    assert language == "fr"
    assert attributes == {
        "Ticket_Ref": str(support_session.id),
        "Chat_Consumer_Type": "anonymous",
        "Origin": "SMS",
        "Chat_language": "fr",
    }


def test_the_language_is_english_when_there_is_too_little_to_tell(world):
    support_session = _session(world)
    support_session.record(EventKind.CUSTOMER_MESSAGE, text="Human please")
    assert handoff.language_of(support_session) == "en_US"


def test_customer_messages_belong_to_the_rep_only_while_the_latest_handoff_is_to_the_open_conversation(world):
    support_session = _session(world, status=SessionStatus.HANDED_OFF, miaw_conversation_id=str(uuid.uuid4()))
    row = MessagingConversation(
        organization_id=support_session.organization_id,
        session_id=support_session.id,
        conversation_id=support_session.miaw_conversation_id,
        status=MessagingStatus.ROUTING,
    )
    db.session.add(row)
    support_session.record(
        EventKind.HANDOFF, destination="Salesforce Live Messaging", miaw_conversation_id=row.conversation_id
    )
    db.session.commit()
    assert conversation.is_with_live_rep(support_session)

    row.status = MessagingStatus.ACTIVE
    assert conversation.is_with_live_rep(support_session)
    support_session.record(EventKind.HANDOFF, destination="Front teammates")  # an admin's handoff since
    assert not conversation.is_with_live_rep(support_session)
    support_session.record(
        EventKind.HANDOFF, destination="Salesforce Live Messaging", miaw_conversation_id=row.conversation_id
    )
    row.status = MessagingStatus.ENDED
    assert not conversation.is_with_live_rep(support_session)


def test_the_destination_is_for_chat_channels(app):
    destination = handoff.LiveMessaging()
    assert (destination.key, destination.label) == ("salesforce_live_messaging", "Salesforce Live Messaging")
    assert Channel.EMAIL not in destination.channels and Channel.SMS in destination.channels
