import pytest

from webapp.front.channels import channel_for, contact_from
from webapp.front.events import EventError, EventGroup, is_validation, parse
from webapp.models import Channel


@pytest.mark.parametrize(
    ("message_type", "channel"),
    [
        ("email", Channel.EMAIL),
        ("custom", Channel.WEB),
        ("front_chat", Channel.WEB),
        ("smooch", Channel.WEB),
        ("intercom", Channel.WEB),
        ("something_new", Channel.WEB),
        (None, Channel.WEB),
        ("call", Channel.PHONE),
        ("phone-call", Channel.PHONE),
        ("sms", Channel.SMS),
        ("whatsapp", Channel.SMS),
    ],
)
def test_channel_from_fronts_message_type(message_type, channel):
    assert channel_for(message_type) == channel


def test_the_contact_is_taken_from_the_sender():
    email = {
        "recipients": [
            {"role": "to", "handle": "support@acme.test"},
            {"role": "from", "name": "Grace", "handle": "grace@example.com"},
        ]
    }
    assert contact_from(email) == {"contact_name": "Grace", "contact_email": "grace@example.com", "contact_phone": None}
    sms = {"recipients": [{"role": "from", "name": None, "handle": "+1 415-555-0100"}]}
    assert contact_from(sms)["contact_phone"] == "+1 415-555-0100"
    chat = {"recipients": [{"role": "from", "handle": "visitor-8f2"}]}
    assert contact_from(chat)["contact_name"] == "visitor-8f2"
    assert contact_from({}) == {"contact_name": None, "contact_email": None, "contact_phone": None}


def test_both_envelopes_parse_to_the_same_event():
    event = {
        "id": "evt_1",
        "type": "inbound",
        "emitted_at": 1.5,
        "conversation": {"id": "cnv_1"},
        "target": {"_meta": {"type": "message"}, "data": {"id": "msg_1"}},
    }
    plain = parse(event)
    wrapped = parse({"type": "inbound_received", "authorization": {"id": "cmp_1"}, "payload": event})
    assert plain == wrapped
    assert plain.group == EventGroup.INBOUND and plain.message_id == "msg_1" and plain.conversation_id == "cnv_1"


def test_preview_events_without_data_still_name_their_target():
    preview = {
        "id": "evt_2",
        "type": "assign",
        "conversation": {"id": "cnv_1"},
        "target": {"_meta": {"type": "teammate"}, "id": "tea_1"},
    }
    assert parse(preview).target == {"id": "tea_1"}


def test_an_envelope_whose_payload_lacks_a_type_uses_the_envelope_type():
    event = parse({"type": "conversation_archived", "payload": {"id": "evt_3", "conversation": {"id": "cnv_1"}}})
    assert event.type == "archive" and event.group == EventGroup.ARCHIVED


@pytest.mark.parametrize("body", [{}, {"type": "inbound"}, {"id": "evt_1"}, [], "x", {"payload": {"type": "inbound"}}])
def test_bodies_that_are_not_events_are_refused(body):
    with pytest.raises(EventError):
        parse(body)


def test_the_validation_request_is_recognised():
    assert is_validation({"type": "sync", "authorization": {"id": "cmp_1"}})
    assert not is_validation({"type": "inbound_received", "payload": {}})
