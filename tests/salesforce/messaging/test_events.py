"""Reading MIAW stream frames: each event Switchboard acts on, the ones it passes over (unknown
types, its own echoes, other conversations, malformed data), and the dead-token signal. The
frames are the fake's, which follow Salesforce's documented shapes."""

from __future__ import annotations

import json

import pytest

from webapp.salesforce.messaging import events
from webapp.salesforce.messaging.events import Kind, MessagingEvent
from webapp.sandbox.miaw import FakeMessaging


@pytest.fixture
def fake() -> FakeMessaging:
    return FakeMessaging()


def read(fake: FakeMessaging, conversation_id: str, after: int = 0) -> list[MessagingEvent]:
    """What the stream's frames of the conversation's end user mean for ``conversation_id``."""
    subject = fake.conversations[conversation_id]["subject"]
    found = []
    for published in fake.events:
        if published.subject == subject and published.id > after:
            event = events.parse(published.name, str(published.id), json.dumps(published.data), conversation_id)
            if event is not None:
                found.append(event)
    return found


def frame(name: str, conversation_id: str, payload, *, role: str = "Agent", display: str = "Riley Rep") -> str:
    entry = {
        "senderDisplayName": display,
        "identifier": "entry-1",
        "entryType": "Message",
        "entryPayload": payload if isinstance(payload, str) else json.dumps(payload),
        "sender": {"role": role, "appType": "agent", "subject": "005xx"},
        "transcriptedTimestamp": 1_790_000_000_000,
    }
    return json.dumps({"conversationId": conversation_id, "conversationEntry": entry})


def test_a_new_conversation_says_nothing_worth_acting_on(fake):
    conversation_id, _ = fake.open_conversation()

    assert read(fake, conversation_id) == []  # a routing result without failure


def test_a_rep_joining_and_writing(fake):
    conversation_id, _ = fake.open_conversation()
    entry_id = fake.agent_message(conversation_id, "Hi, I'm Riley. How can I help?")

    joined, message = read(fake, conversation_id)

    assert joined.kind == Kind.REP_JOINED and joined.rep_name == "Riley Rep"
    assert message.kind == Kind.REP_MESSAGE
    assert message.text == "Hi, I'm Riley. How can I help?"
    assert message.rep_name == "Riley Rep" and message.sender_role == "Agent"
    assert message.entry_id == entry_id and message.key == entry_id
    assert message.conversation_id == conversation_id
    assert message.event_id is not None and message.event_id.isdigit()
    assert isinstance(message.sent_at, int)


def test_the_rep_leaving_routing_failing_and_the_session_ending(fake):
    conversation_id, _ = fake.open_conversation()
    fake.agent_join(conversation_id, name="Sam Rep")
    before = fake.events[-1].id
    fake.agent_leave(conversation_id)
    fake.route_fail(conversation_id)
    fake.agent_join(conversation_id, name="Sam Rep")
    fake.end_session(conversation_id)

    kinds = [(event.kind, event.rep_name, event.reason) for event in read(fake, conversation_id, after=before)]

    assert kinds == [
        (Kind.REP_LEFT, "Sam Rep", None),
        (Kind.ROUTING_FAILED, None, "No route found"),
        (Kind.REP_JOINED, "Sam Rep", None),
        (Kind.REP_LEFT, "Sam Rep", None),
        (Kind.SESSION_ENDED, None, "Agent"),
    ]


def test_the_conversation_closed():
    data = frame(events.CLOSE_CONVERSATION, "c-1", {"entryType": "CloseConversation"}, role="System", display="")

    event = events.parse(events.CLOSE_CONVERSATION, "41", data, "c-1")

    assert event.kind == Kind.CONVERSATION_CLOSED and event.event_id == "41"


def test_own_posts_echoed_back_are_dropped(fake):
    conversation_id, _ = fake.open_conversation()
    subject = fake.conversations[conversation_id]["subject"]
    fake.conversations[conversation_id]["message_ids"].add("m-1")
    fake._publish(
        fake.conversations[conversation_id],
        "CONVERSATION_MESSAGE",
        {"entryType": "Message", "abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hello"}}},
        {"role": "EndUser", "appType": "iamessage", "subject": subject},
        "Guest",
        "m-1",
    )

    assert read(fake, conversation_id) == []


def test_another_conversation_of_the_same_end_user_is_not_this_streams():
    data = frame(events.MESSAGE, "other", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hi"}}})

    assert events.parse(events.MESSAGE, "7", data, "mine") is None


def test_the_conversation_id_is_compared_without_case():
    data = frame(events.MESSAGE, "ABC-1", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hi"}}})

    assert events.parse(events.MESSAGE, "7", data, "abc-1").text == "Hi"


@pytest.mark.parametrize(
    "name",
    [
        "CONVERSATION_TYPING_STARTED_INDICATOR",
        "CONVERSATION_DELIVERY_ACKNOWLEDGEMENT",
        "CONVERSATION_ROUTING_WORK_RESULT",
        "CONVERSATION_SOMETHING_SALESFORCE_ADDS_LATER",
        "ping",
        "",
    ],
)
def test_event_types_it_does_not_act_on_are_ignored(name):
    data = frame(name, "c-1", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hi"}}})

    assert events.parse(name, "3", data, "c-1") is None


@pytest.mark.parametrize(
    "data",
    [
        "0",
        "not json",
        "[]",
        json.dumps({"conversationId": "c-1"}),
        json.dumps({"conversationId": "c-1", "conversationEntry": "text"}),
        frame(events.MESSAGE, "c-1", "{not json"),
        frame(events.MESSAGE, "c-1", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "  "}}}),
        frame(events.MESSAGE, "c-1", {"abstractMessage": {"messageType": "ChoicesMessage", "choices": []}}),
        frame(events.MESSAGE, "c-1", {"abstractMessage": "text"}),
        frame(events.PARTICIPANT_CHANGED, "c-1", {"entries": "x"}),
        frame(events.PARTICIPANT_CHANGED, "c-1", {"entries": [{"operation": "add", "participant": "x"}]}),
    ],
)
def test_malformed_frames_are_passed_over_not_raised(data):
    assert events.parse(events.MESSAGE, "3", data, "c-1") is None
    assert events.parse(events.PARTICIPANT_CHANGED, "3", data, "c-1") is None


def test_the_payload_may_come_as_an_object_as_the_entries_list_gives_it():
    data = frame(events.MESSAGE, "c-1", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hi"}}})
    document = json.loads(data)
    document["conversationEntry"]["entryPayload"] = json.loads(document["conversationEntry"]["entryPayload"])

    assert events.parse(events.MESSAGE, "3", json.dumps(document), "c-1").text == "Hi"


def test_attachments_are_read_as_links():
    payload = {
        "abstractMessage": {
            "staticContent": {
                "formatType": "Attachments",
                "attachments": [{"url": "https://files.example.test/a.pdf", "mimeType": "application/pdf"}, "x"],
            }
        }
    }

    event = events.parse(events.MESSAGE, "3", frame(events.MESSAGE, "c-1", payload), "c-1")

    assert event.kind == Kind.REP_MESSAGE and event.text is None
    assert event.attachments == ("https://files.example.test/a.pdf",)


@pytest.mark.parametrize(
    ("role", "relayed"), [("Agent", True), ("Chatbot", True), ("System", False), ("Supervisor", False)]
)
def test_whose_messages_reach_the_customer(role, relayed):
    data = frame(
        events.MESSAGE, "c-1", {"abstractMessage": {"staticContent": {"formatType": "Text", "text": "Hi"}}}, role=role
    )

    assert (events.parse(events.MESSAGE, "3", data, "c-1") is not None) is relayed


@pytest.mark.parametrize("failure", ["None", "", None])
def test_a_routing_result_without_failure_is_nothing(failure):
    payload = {"entryType": "RoutingResult", "routingType": "Initial", "failureType": failure}

    assert events.parse(events.ROUTING_RESULT, "3", frame(events.ROUTING_RESULT, "c-1", payload), "c-1") is None


def test_a_session_turning_active_is_read_from_the_rep_joining_not_the_status():
    payload = {"entryType": "SessionStatusChanged", "sessionStatus": "Active"}

    assert (
        events.parse(events.SESSION_STATUS_CHANGED, "3", frame(events.SESSION_STATUS_CHANGED, "c-1", payload), "c-1")
        is None
    )


def test_a_participant_other_than_a_rep_is_nothing():
    payload = {"entries": [{"operation": "add", "participant": {"role": "Chatbot"}, "displayName": "Bot"}]}

    assert (
        events.parse(events.PARTICIPANT_CHANGED, "3", frame(events.PARTICIPANT_CHANGED, "c-1", payload), "c-1") is None
    )


@pytest.mark.parametrize(
    ("name", "data", "dead"),
    [
        ("error", "Jwt is expired", True),
        ("error", '{"timestamp":1,"status":401,"error":"Unauthorized","path":"/eventrouter/v1/sse"}', True),
        ("error", "something else", False),
        ("ping", "0", False),
        ("CONVERSATION_MESSAGE", "Jwt is expired", False),
    ],
)
def test_a_dead_token_on_the_stream(name, data, dead):
    assert events.token_dead(name, data) is dead


def test_an_event_goes_to_its_job_and_back_unchanged(fake):
    conversation_id, _ = fake.open_conversation()
    fake.agent_message(conversation_id, "Hello")
    event = read(fake, conversation_id)[-1]

    argument = event.as_job_argument()

    assert json.loads(json.dumps(argument)) == argument  # plain values only
    assert MessagingEvent.from_job_argument(argument) == event
    lost = MessagingEvent(Kind.TOKEN_LOST, conversation_id, reason="expired")
    assert MessagingEvent.from_job_argument(lost.as_job_argument()) == lost
    assert lost.key == "token_lost"


@pytest.mark.parametrize(
    ("name", "payload"),
    [
        (events.PARTICIPANT_CHANGED, {"entries": 1}),
        (events.MESSAGE, {"abstractMessage": {"staticContent": {"formatType": "Attachments", "attachments": 7}}}),
        (events.MESSAGE, "[" * 100_000),
    ],
)
def test_an_odd_frame_is_passed_over_not_raised(name, payload):
    assert events.parse(name, "9", frame(name, "c-1", payload), "c-1") is None
