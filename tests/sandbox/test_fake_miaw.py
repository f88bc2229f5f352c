"""The fake Messaging for In-App and Web API answers as Salesforce does, seen from outside over
HTTP: the access tokens and identity-token checks, conversations and messages, the event stream
(framing, replay, pings, expiry) and the rep controls the tests and the sandbox drive."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
import uuid

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from httpx_sse import ServerSentEvent, connect_sse

from tests.fakes.miaw import checked_fake, make_jwk, problems
from webapp.sandbox.miaw import UUID_MESSAGE, FakeMessaging, MessagingServer

API = "/iamessage/api/v2"
ISSUER = "https://switchboard.example.test"


class Listener:
    """Reads one event stream on its own thread, as the relay would, and queues what arrives."""

    def __init__(self, fake: FakeMessaging, token: str | None, last_event_id: str | None = "0", **headers):
        self.fake = fake
        self.headers = {"Accept": "text/event-stream", "X-Org-Id": fake.org_id[:15], **headers}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if last_event_id is not None:
            self.headers["Last-Event-Id"] = last_event_id
        self.events: queue.Queue[ServerSentEvent] = queue.Queue()
        self.status: int | None = None
        self.content_type = ""
        self.body = b""
        self.opened = threading.Event()
        self.finished = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        assert self.opened.wait(10), "the stream did not open"

    def _run(self) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(10.0, read=60.0)) as client:
                with connect_sse(client, "GET", f"{self.fake.url}/eventrouter/v1/sse", headers=self.headers) as source:
                    self.status = source.response.status_code
                    self.content_type = source.response.headers.get("content-type", "")
                    if self.status != 200:
                        self.body = source.response.read()
                        return
                    self.opened.set()
                    for event in source.iter_sse():
                        self.events.put(event)
        finally:
            self.opened.set()
            self.finished.set()

    def next(self, include_pings: bool = False, timeout: float = 10) -> ServerSentEvent:
        while True:
            event = self.events.get(timeout=timeout)
            if include_pings or event.event != "ping":
                return event

    def take(self, count: int) -> list[ServerSentEvent]:
        return [self.next() for _ in range(count)]

    def ended(self, timeout: float = 10) -> bool:
        return self.finished.wait(timeout)


@pytest.fixture
def fake():
    with MessagingServer(checked_fake(ping_interval=0.05)) as running:
        yield running
        running.drop_streams()
        assert running.spec_problems == []


@pytest.fixture
def http(fake):
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        yield client


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def deployment(fake: FakeMessaging, **overrides) -> dict:
    body = {
        "orgId": fake.org_id,
        "esDeveloperName": fake.es_developer_name,
        "capabilitiesVersion": "1",
        "platform": "Web",
        "context": {"appName": "Switchboard", "clientVersion": "1.0"},
        **overrides,
    }
    return {k: v for k, v in body.items() if v is not None}


def unauthenticated(http: httpx.Client, fake: FakeMessaging) -> dict:
    answer = http.post(f"{API}/authorization/unauthenticated/access-token", json=deployment(fake))
    assert answer.status_code == 200
    return answer.json()


def identity_token(key, kid: str = "key-1", issuer: str = ISSUER, sub: str = "grace@example.com", **claims) -> str:
    now = int(time.time())
    payload = {"iss": issuer, "sub": sub, "iat": now, "exp": now + 300, **claims}
    return jwt.encode(payload, key, algorithm=claims.pop("alg", "RS256"), headers={"kid": kid})


def authenticated(http: httpx.Client, fake: FakeMessaging, token: str) -> httpx.Response:
    body = deployment(fake, authorizationType="JWT", customerIdentityToken=token)
    return http.post(f"{API}/authorization/authenticated/access-token", json=body)


def bearer(grant: dict) -> dict:
    return {"Authorization": f"Bearer {grant['accessToken']}"}


def start(http: httpx.Client, fake: FakeMessaging, grant: dict, attributes: dict | None = None) -> str:
    conversation_id = str(uuid.uuid4())
    body = {
        "conversationId": conversation_id,
        "esDeveloperName": fake.es_developer_name,
        "routingAttributes": attributes or {"SwitchboardSessionId": "42"},
        "language": "en_US",
    }
    assert http.post(f"{API}/conversation", json=body, headers=bearer(grant)).status_code == 201
    return conversation_id


def send(http: httpx.Client, fake, grant: dict, conversation_id: str, text: str, message_id: str | None = None):
    body = {
        "message": {
            "id": message_id or str(uuid.uuid4()),
            "messageType": "StaticContentMessage",
            "staticContent": {"formatType": "Text", "text": text},
        },
        "esDeveloperName": fake.es_developer_name,
    }
    return http.post(f"{API}/conversation/{conversation_id}/message", json=body, headers=bearer(grant))


def entry_of(event: ServerSentEvent) -> tuple[dict, dict]:
    """The event's conversationEntry and its entryPayload, parsed a second time as clients must."""
    entry = json.loads(event.data)["conversationEntry"]
    return entry, json.loads(entry["entryPayload"])


# -- tokens ---------------------------------------------------------------------------------------


def test_unauthenticated_token_carries_subject_configuration_and_a_jwt(fake, http):
    grant = unauthenticated(http, fake)

    subject = grant["context"]["endUser"]["subject"]
    assert subject.startswith("v2/iamessage/UNAUTH/NA/uid:")
    assert grant["lastEventId"].isdigit()
    configuration = grant["context"]["configuration"]
    fields = configuration["embeddedServiceConfig"]["forms"][0]["formFields"]
    assert {"SwitchboardSessionId", "Chat_Consumer_Type", "Origin", "Priority", "Chat_language"} <= {
        f["name"] for f in fields
    }
    assert all({"name", "order", "type", "required", "isHidden"} <= set(f) for f in fields)
    channel = configuration["embeddedServiceMessagingChannel"]["channelAddressIdentifier"]
    assert channel == fake.channel_address_identifier
    claims = jwt.decode(grant["accessToken"], options={"verify_signature": False})
    assert claims["sub"] == subject
    assert claims["exp"] - claims["iat"] == fake.token_ttl
    assert claims["orgId"] == fake.org_id[:15]


@pytest.mark.parametrize(
    "overrides",
    [
        {"orgId": "00DXX0000000001AAA"},
        {"orgId": "00DSB000000000"},  # 14 characters
        {"esDeveloperName": "switchboard_chat"},  # case-sensitive
        {"capabilitiesVersion": None},
        {"platform": None},
    ],
)
def test_a_wrong_deployment_is_refused(fake, overrides):
    with httpx.Client(base_url=fake.url, timeout=10) as client:
        fake.request_check = None  # the request is wrong on purpose
        answer = client.post(f"{API}/authorization/unauthenticated/access-token", json=deployment(fake, **overrides))

    assert answer.status_code == 400
    assert answer.json()["message"]


def test_an_eighteen_character_org_id_is_the_same_org(fake, http):
    assert http.post(f"{API}/authorization/unauthenticated/access-token", json=deployment(fake)).status_code == 200
    body = deployment(fake, orgId=fake.org_id[:15])
    assert http.post(f"{API}/authorization/unauthenticated/access-token", json=body).status_code == 200


@pytest.mark.parametrize("alg", ["RS256", "RS512"])
def test_a_verified_identity_token_gives_an_auth_subject(fake, http, private_key, alg):
    fake.register_key(make_jwk(private_key, "key-1", alg=alg), ISSUER, keyset="SwitchboardKeys")

    answer = authenticated(http, fake, identity_token(private_key, alg=alg))

    assert answer.status_code == 200
    assert answer.json()["context"]["endUser"]["subject"] == "v2/iamessage/AUTH/SwitchboardKeys/uid:grace@example.com"
    assert fake.auth_failures == []


def refused_tokens(private_key, other_key) -> dict:
    return {
        "unknown kid": identity_token(private_key, kid="key-2"),
        "wrong issuer": identity_token(private_key, issuer="https://elsewhere.example"),
        "other key": identity_token(other_key),
        "expired": identity_token(private_key, exp=int(time.time()) - 5),
        "no exp": jwt.encode({"iss": ISSUER, "sub": "grace@example.com"}, private_key, "RS256", {"kid": "key-1"}),
        "not a jwt": "not-a-jwt",
    }


@pytest.mark.parametrize("case", ["unknown kid", "wrong issuer", "other key", "expired", "no exp", "not a jwt"])
def test_a_refused_identity_token_answers_401(fake, http, private_key, other_key, case):
    fake.register_key(make_jwk(private_key, "key-1"), ISSUER)
    fake.request_check = None  # some of these tokens are malformed on purpose

    answer = authenticated(http, fake, refused_tokens(private_key, other_key)[case])

    assert answer.status_code == 401
    assert len(fake.auth_failures) == 1


def test_a_refused_identity_token_can_answer_200_with_an_anonymous_subject(fake, http, private_key, other_key):
    fake.register_key(make_jwk(private_key, "key-1"), ISSUER)
    fake.anonymous_on_bad_jwt = True

    answer = authenticated(http, fake, identity_token(other_key))

    assert answer.status_code == 200
    assert "/ANON/" in answer.json()["context"]["endUser"]["subject"]
    assert len(fake.auth_failures) == 1


def test_an_identity_token_signed_with_another_algorithm_than_the_key_is_refused(fake, http, private_key):
    fake.register_key(make_jwk(private_key, "key-1", alg="RS256"), ISSUER)

    assert authenticated(http, fake, identity_token(private_key, alg="RS512")).status_code == 401


def test_register_key_checks_the_upload_like_salesforce(fake, private_key, other_key):
    good = make_jwk(private_key, "key-1")
    with pytest.raises(ValueError, match="one by one"):
        fake.register_key([good], ISSUER)
    with pytest.raises(ValueError, match="one by one"):
        fake.register_key({"keys": [good]}, ISSUER)
    with pytest.raises(ValueError, match="x5c"):
        fake.register_key({k: v for k, v in good.items() if k != "x5c"}, ISSUER)
    with pytest.raises(ValueError, match="different key"):
        fake.register_key({**good, "x5c": make_jwk(other_key, "key-1")["x5c"]}, ISSUER)
    with pytest.raises(ValueError, match="10 more days"):
        fake.register_key(make_jwk(private_key, "key-1", days=5), ISSUER)
    with pytest.raises(ValueError, match="RSA signing key"):
        fake.register_key({**good, "alg": "HS256"}, ISSUER)
    assert fake.keys == {}

    fake.register_key(good, ISSUER)
    assert set(fake.keys) == {"key-1"}


def test_continuation_token_keeps_subject_and_expiry_and_revoked_tokens_stop_working(fake, http):
    grant = unauthenticated(http, fake)

    answer = http.get(f"{API}/authorization/continuation-access-token", headers=bearer(grant))

    assert answer.status_code == 200
    renewed = answer.json()
    assert renewed["accessToken"] != grant["accessToken"]
    assert renewed["context"]["endUser"] == grant["context"]["endUser"]
    old, new = (jwt.decode(g["accessToken"], options={"verify_signature": False}) for g in (grant, renewed))
    assert new["exp"] == old["exp"]
    conversation_id = start(http, fake, renewed)

    assert http.delete(f"{API}/authorization/authenticated/access-token", headers=bearer(renewed)).status_code == 204
    assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(renewed)).status_code == 401
    assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(grant)).status_code == 200


def test_an_expired_access_token_answers_401(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)

    fake.expire_access_tokens()

    answer = send(http, fake, grant, conversation_id, "hello?")
    assert answer.status_code == 401
    assert answer.json()["message"] == "Jwt is expired"
    assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(grant)).status_code == 401


# -- conversations and messages -------------------------------------------------------------------


@pytest.mark.parametrize(
    "conversation_id",
    [
        str(uuid.uuid4()).upper(),
        str(uuid.uuid1()),
        "9b2f8a1e-3c4d-4e5f-7a6b-1c2d3e4f5a6b",  # version 4 but not the RFC variant
        "not-a-uuid",
        None,
    ],
)
def test_create_conversation_wants_a_lowercase_uuid_v4(fake, http, conversation_id):
    grant = unauthenticated(http, fake)
    fake.request_check = None
    body = {"conversationId": conversation_id, "esDeveloperName": fake.es_developer_name, "language": "en_US"}

    answer = http.post(f"{API}/conversation", json=body, headers=bearer(grant))

    assert answer.status_code == 400
    assert answer.json()["message"] == UUID_MESSAGE
    assert fake.conversations == {}


def test_routing_attributes_the_form_lacks_are_dropped_silently(fake, http):
    grant = unauthenticated(http, fake)

    conversation_id = start(http, fake, grant, {"SwitchboardSessionId": "42", "Origin": "web", "origin": "sms"})

    conversation = fake.conversations[conversation_id]
    assert conversation["routing_attributes"] == {"SwitchboardSessionId": "42", "Origin": "web"}
    assert conversation["dropped_attributes"] == ["origin"]
    assert conversation["language"] == "en_US"
    assert conversation["routingStatus"] == "INITIAL"


def test_conversation_calls_are_refused_when_they_do_not_fit(fake, http):
    grant, stranger = unauthenticated(http, fake), unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    fake.request_check = None
    body = {"conversationId": conversation_id, "esDeveloperName": fake.es_developer_name, "language": "en"}

    assert http.post(f"{API}/conversation", json=body, headers=bearer(grant)).status_code == 409
    wrong_name = {**body, "conversationId": str(uuid.uuid4()), "esDeveloperName": "Other"}
    assert http.post(f"{API}/conversation", json=wrong_name, headers=bearer(grant)).status_code == 400
    assert http.post(f"{API}/conversation", json=body).status_code == 401
    assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(stranger)).status_code == 403
    assert http.get(f"{API}/conversation/{uuid.uuid4()}", headers=bearer(grant)).status_code == 404
    assert http.post(f"{API}/conversation", content=b"{", headers=bearer(grant)).status_code == 400


def test_a_message_is_accepted_and_echoed_on_the_stream_as_the_end_user(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    stream = Listener(fake, grant["accessToken"], grant["lastEventId"])
    assert stream.next().event == "CONVERSATION_ROUTING_RESULT"
    message_id = str(uuid.uuid4())

    answer = send(http, fake, grant, conversation_id, "My order never came", message_id)

    assert answer.status_code == 202
    event = stream.next()
    assert event.event == "CONVERSATION_MESSAGE"
    entry, payload = entry_of(event)
    assert entry["sender"]["role"] == "EndUser"
    assert entry["sender"]["subject"] == grant["context"]["endUser"]["subject"]
    assert entry["identifier"] == message_id
    assert payload["abstractMessage"]["staticContent"] == {"formatType": "Text", "text": "My order never came"}
    assert fake.end_user_texts(conversation_id) == ["My order never came"]


def test_a_message_id_sent_twice_is_taken_once(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    message_id = str(uuid.uuid4())

    assert send(http, fake, grant, conversation_id, "once", message_id).status_code == 202
    assert send(http, fake, grant, conversation_id, "once", message_id).status_code == 202

    assert fake.end_user_texts(conversation_id) == ["once"]


def test_message_shape_and_length_are_checked(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    fake.request_check = None

    assert send(http, fake, grant, conversation_id, "x" * fake.message_max_chars).status_code == 202
    too_long = send(http, fake, grant, conversation_id, "x" * (fake.message_max_chars + 1))
    assert too_long.status_code == 400
    assert str(fake.message_max_chars) in too_long.json()["message"]
    assert send(http, fake, grant, conversation_id, "   ").status_code == 400
    odd = {"message": {"id": str(uuid.uuid4()), "messageType": "ChoicesMessage"}, "esDeveloperName": "Switchboard_Chat"}
    assert (
        http.post(f"{API}/conversation/{conversation_id}/message", json=odd, headers=bearer(grant)).status_code == 400
    )
    assert len(fake.end_user_texts(conversation_id)) == 1


def test_more_than_22_messages_a_minute_answer_429():
    now = [time.time()]
    with (
        MessagingServer(checked_fake(clock=lambda: now[0])) as fake,
        httpx.Client(base_url=fake.url, timeout=10) as http,
    ):
        grant = unauthenticated(http, fake)
        conversation_id = start(http, fake, grant)

        statuses = [send(http, fake, grant, conversation_id, f"message {n}").status_code for n in range(23)]
        now[0] += 60
        later = send(http, fake, grant, conversation_id, "a minute later").status_code

        assert statuses == [202] * 22 + [429]
        assert later == 202
        assert fake.spec_problems == []


def test_typing_entries_status_and_entries_list(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    for text in ("one", "two", "three"):
        send(http, fake, grant, conversation_id, text)
    fake.agent_message(conversation_id, "Hi, Riley here")
    typing = {"entryType": "TypingStartedIndicator", "id": str(uuid.uuid4())}

    assert (
        http.post(f"{API}/conversation/{conversation_id}/entry", json=typing, headers=bearer(grant)).status_code == 202
    )
    assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(grant)).json()["routingStatus"] == "ROUTED"
    url = f"{API}/conversation/{conversation_id}/entries"
    newest = http.get(url, params={"limit": 2, "entryTypeFilter": "Message"}, headers=bearer(grant)).json()
    oldest = http.get(url, params={"direction": "FromStart", "limit": 50}, headers=bearer(grant)).json()

    texts = [e["entryPayload"]["abstractMessage"]["staticContent"]["text"] for e in newest["conversationEntries"]]
    assert texts == ["Hi, Riley here", "three"]
    assert oldest["conversationEntries"][0]["entryType"] == "RoutingResult"
    assert isinstance(oldest["conversationEntries"][0]["entryPayload"], dict)
    fake.request_check = None
    assert http.get(url, params={"limit": 51}, headers=bearer(grant)).status_code == 400
    assert http.get(url, params={"direction": "Sideways"}, headers=bearer(grant)).status_code == 400


def test_closing_the_conversation_and_ending_the_session(fake, http):
    grant = unauthenticated(http, fake)
    first, second = start(http, fake, grant), start(http, fake, grant)
    fake.agent_join(first)
    stream = Listener(fake, grant["accessToken"], str(fake.events[-1].id))
    params = {"esDeveloperName": fake.es_developer_name}

    assert http.delete(f"{API}/conversation/{first}/session", params=params, headers=bearer(grant)).status_code == 204
    assert [e.event for e in stream.take(2)] == [
        "CONVERSATION_PARTICIPANT_CHANGED",
        "CONVERSATION_SESSION_STATUS_CHANGED",
    ]
    assert http.delete(f"{API}/conversation/{second}", params=params, headers=bearer(grant)).status_code == 204
    ended, closed = stream.take(2)

    assert entry_of(ended)[1] == {
        "entryType": "SessionStatusChanged",
        "sessionStatus": "Ended",
        "sessionEndedByRole": "EndUser",
    }
    assert closed.event == "CONVERSATION_CLOSE_CONVERSATION"
    assert fake.conversations[second]["status"] == "Closed"
    fake.request_check = None
    assert send(http, fake, grant, second, "still there?").status_code == 403
    assert http.delete(f"{API}/conversation/{first}", headers=bearer(grant)).status_code == 400  # no esDeveloperName


def test_a_message_after_the_session_ended_starts_a_new_session(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    fake.end_session(conversation_id)
    first_session = fake.conversations[conversation_id]["session_record"]

    assert send(http, fake, grant, conversation_id, "one more thing").status_code == 202

    conversation = fake.conversations[conversation_id]
    assert conversation["status"] == "Waiting"
    assert conversation["routingStatus"] == "INITIAL"
    assert conversation["session_record"] != first_session


# -- the event stream -----------------------------------------------------------------------------


def test_stream_frames_are_id_event_data_with_increasing_string_ids(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    headers = {**bearer(grant), "X-Org-Id": fake.org_id[:15], "Last-Event-Id": "0", "Accept": "text/event-stream"}

    with http.stream("GET", "/eventrouter/v1/sse", headers=headers) as response:
        first = next(response.iter_text())

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    event_id = fake.events[0].id
    assert first.startswith(f"id: {event_id}\nevent: CONVERSATION_ROUTING_RESULT\ndata: {{")
    assert first.endswith("\n\n")
    data = json.loads(first.split("data: ", 1)[1])
    assert set(data) == {
        "channelPlatformKey",
        "channelType",
        "channelAddressIdentifier",
        "conversationId",
        "conversationEntry",
    }
    assert data["channelType"] == "embedded_messaging"
    assert data["conversationId"] == conversation_id
    assert set(data["conversationEntry"]) >= {
        "senderDisplayName",
        "identifier",
        "entryType",
        "entryPayload",
        "sender",
        "transcriptedTimestamp",
        "clientTimestamp",
        "relatedRecords",
    }
    assert isinstance(data["conversationEntry"]["entryPayload"], str)

    stream = Listener(fake, grant["accessToken"])
    fake.agent_message(conversation_id, "Hello")
    ids = [int(event.id) for event in stream.take(5)]
    assert ids == sorted(ids) and len(set(ids)) == 5


@pytest.mark.parametrize(
    ("missing", "status"),
    [("Authorization", 401), ("X-Org-Id", 400), ("Last-Event-Id", 400)],
)
def test_stream_needs_its_three_headers(fake, http, missing, status):
    grant = unauthenticated(http, fake)
    fake.request_check = None
    headers = {**bearer(grant), "X-Org-Id": fake.org_id[:15], "Last-Event-Id": "0"}
    del headers[missing]

    answer = http.get("/eventrouter/v1/sse", headers=headers)

    assert answer.status_code == status
    assert fake.open_streams() == 0


def test_stream_with_an_expired_token_answers_401_and_an_open_one_ends_with_jwt_is_expired(fake, http):
    grant = unauthenticated(http, fake)
    start(http, fake, grant)
    stream = Listener(fake, grant["accessToken"])
    assert stream.next().event == "CONVERSATION_ROUTING_RESULT"

    fake.expire_access_tokens()

    assert stream.next().data == "Jwt is expired"
    assert stream.ended()
    again = Listener(fake, grant["accessToken"])
    assert again.status == 401
    assert b'"status": 401, "error": "Unauthorized"' in again.body
    assert b"Jwt is expired" in again.body


def test_stream_replays_events_after_last_event_id(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    first = Listener(fake, grant["accessToken"], grant["lastEventId"])
    fake.agent_message(conversation_id, "first")
    seen = first.take(5)
    assert entry_of(seen[-1])[1]["abstractMessage"]["staticContent"]["text"] == "first"
    fake.drop_streams()
    assert first.ended()
    assert fake.open_streams() == 0

    fake.agent_message(conversation_id, "while you were away")
    fake.agent_message(conversation_id, "and this")
    again = Listener(fake, grant["accessToken"], seen[-1].id)

    texts = [entry_of(event)[1]["abstractMessage"]["staticContent"]["text"] for event in again.take(2)]
    assert texts == ["while you were away", "and this"]


def test_stream_only_carries_its_own_end_users_events(fake, http):
    mine, theirs = unauthenticated(http, fake), unauthenticated(http, fake)
    my_conversation, their_conversation = start(http, fake, mine), start(http, fake, theirs)
    stream = Listener(fake, mine["accessToken"], mine["lastEventId"])
    assert json.loads(stream.next().data)["conversationId"] == my_conversation

    fake.agent_message(their_conversation, "not for you")
    fake.agent_message(my_conversation, "for you")

    events = stream.take(4)
    assert {json.loads(event.data)["conversationId"] for event in events} == {my_conversation}


def test_idle_stream_gets_pings(fake, http):
    grant = unauthenticated(http, fake)
    stream = Listener(fake, grant["accessToken"])

    ping = stream.next(include_pings=True)

    assert (ping.event, ping.data) == ("ping", "0")


def test_a_second_stream_on_the_same_token_replaces_the_first(fake, http):
    grant = unauthenticated(http, fake)
    first = Listener(fake, grant["accessToken"])
    second = Listener(fake, grant["accessToken"])

    assert first.ended()
    assert second.status == 200
    assert fake.open_streams() == 1


def test_drop_streams_cuts_every_stream(fake, http):
    listeners = [Listener(fake, unauthenticated(http, fake)["accessToken"]) for _ in range(3)]
    assert fake.open_streams() == 3

    assert fake.drop_streams() == 3

    assert all(listener.ended() for listener in listeners)
    assert fake.open_streams() == 0


def test_a_rep_message_reaches_many_streams(fake, http):
    grants = [unauthenticated(http, fake) for _ in range(40)]
    conversations = [start(http, fake, grant) for grant in grants]
    listeners = [Listener(fake, grant["accessToken"], grant["lastEventId"]) for grant in grants]
    assert fake.open_streams() == 40

    for conversation_id in conversations:
        fake.agent_message(conversation_id, f"for {conversation_id}")

    for conversation_id, listener in zip(conversations, listeners, strict=True):
        last = listener.take(5)[-1]
        assert entry_of(last)[1]["abstractMessage"]["staticContent"]["text"] == f"for {conversation_id}"


def test_injected_failures_answer_once(fake, http):
    grant = unauthenticated(http, fake)
    fake.fail("GET", r"/eventrouter/v1/sse$", 503)
    fake.fail("POST", r"/conversation$", 500, times=2)

    assert Listener(fake, grant["accessToken"]).status == 503
    assert Listener(fake, grant["accessToken"]).status == 200
    body = {"conversationId": str(uuid.uuid4()), "esDeveloperName": fake.es_developer_name, "language": "en"}
    statuses = [http.post(f"{API}/conversation", json=body, headers=bearer(grant)).status_code for _ in range(3)]
    assert statuses == [500, 500, 201]
    assert [c.status for c in fake.calls_to("POST", r"/conversation$")] == [500, 500, 201]


# -- the rep --------------------------------------------------------------------------------------


def test_agent_join_message_and_leave_events(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    stream = Listener(fake, grant["accessToken"], str(fake.events[-1].id))

    fake.agent_join(conversation_id, name="Riley Rep")
    identifier = fake.agent_message(conversation_id, "How can I help?")
    fake.agent_leave(conversation_id)

    events = stream.take(5)
    assert [e.event for e in events] == [
        "CONVERSATION_ROUTING_WORK_RESULT",
        "CONVERSATION_PARTICIPANT_CHANGED",
        "CONVERSATION_SESSION_STATUS_CHANGED",
        "CONVERSATION_MESSAGE",
        "CONVERSATION_PARTICIPANT_CHANGED",
    ]
    joined = entry_of(events[1])[1]["entries"][0]
    assert (joined["operation"], joined["participant"]["role"], joined["displayName"]) == ("add", "Agent", "Riley Rep")
    assert entry_of(events[2])[1]["sessionStatus"] == "Active"
    entry, payload = entry_of(events[3])
    assert (entry["sender"]["role"], entry["senderDisplayName"], entry["identifier"]) == (
        "Agent",
        "Riley Rep",
        identifier,
    )
    assert payload["abstractMessage"]["staticContent"]["text"] == "How can I help?"
    assert entry["relatedRecords"] == [fake.conversations[conversation_id]["session_record"]]
    assert entry_of(events[4])[1]["entries"][0]["operation"] == "remove"
    assert fake.conversations[conversation_id]["routingStatus"] == "NEEDS_ROUTING"
    assert (
        http.get(f"{API}/conversation/{conversation_id}", headers=bearer(grant)).json()["routingStatus"]
        == "NEEDS_ROUTING"
    )


def test_route_fail_transfer_and_end_session(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    stream = Listener(fake, grant["accessToken"], str(fake.events[-1].id))

    fake.route_fail(conversation_id)
    failed = stream.next()
    fake.agent_join(conversation_id)
    stream.take(3)
    fake.transfer(conversation_id)
    transferred = stream.next()
    routing_after_transfer = fake.conversations[conversation_id]["routingStatus"]
    fake.agent_join(conversation_id, name="Sam Senior")
    stream.take(3)
    fake.end_session(conversation_id)
    left, ended = stream.take(2)

    assert failed.event == "CONVERSATION_ROUTING_RESULT"
    assert entry_of(failed)[1]["failureType"] == "RoutingError"
    assert entry_of(transferred)[1]["entries"][0]["operation"] == "remove"
    assert routing_after_transfer == "TRANSFER"
    assert entry_of(left)[1]["entries"][0]["displayName"] == "Sam Senior"
    assert entry_of(ended)[1]["sessionStatus"] == "Ended"
    assert fake.conversations[conversation_id]["status"] == "Ended"


def test_agent_typing_is_on_the_stream_but_not_in_the_entries(fake, http):
    grant = unauthenticated(http, fake)
    conversation_id = start(http, fake, grant)
    fake.agent_join(conversation_id)
    stream = Listener(fake, grant["accessToken"], str(fake.events[-1].id))
    entries_before = len(fake.conversations[conversation_id]["entries"])

    fake.agent_typing(conversation_id)

    assert stream.next().event == "CONVERSATION_TYPING_STARTED_INDICATOR"
    assert len(fake.conversations[conversation_id]["entries"]) == entries_before


def test_the_rep_controls_answer_over_http_too(fake, http):
    conversation_id, grant = fake.open_conversation({"SwitchboardSessionId": "7"})
    stream = Listener(fake, grant["accessToken"], str(fake.events[-1].id))

    answer = http.post("/__fake__/agent_message", json={"conversation_id": conversation_id, "text": "Over HTTP"})

    assert answer.status_code == 200
    last = stream.take(4)[-1]
    assert entry_of(last)[0]["identifier"] == answer.json()["result"]
    assert fake.conversation_with("SwitchboardSessionId", "7") == conversation_id
    assert http.post("/__fake__/agent_message", json={"conversation_id": "nope", "text": "x"}).status_code == 400
    assert http.post("/__fake__/register_key", json={}).status_code == 404
    assert not any(call.path.startswith("/__fake__/") for call in fake.calls)


def test_the_fake_runs_on_its_own():
    process = subprocess.Popen(
        [sys.executable, "-m", "webapp.sandbox.miaw", "--ping-interval", "0.05"], stdout=subprocess.PIPE, text=True
    )
    try:
        url = process.stdout.readline().strip()
        with httpx.Client(base_url=url, timeout=10) as http:
            conversation_id, grant = http.post("/__fake__/open_conversation", json={}).json()["result"]
            assert http.get(f"{API}/conversation/{conversation_id}", headers=bearer(grant)).status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- the checker ----------------------------------------------------------------------------------


def test_the_checker_flags_what_the_spec_calls_wrong(private_key):
    json_headers = {"Content-Type": "application/json", "Authorization": "Bearer x"}
    upper = str(uuid.uuid4()).upper()
    create = {"conversationId": upper, "esDeveloperName": "Switchboard_Chat"}
    message = {"message": {"id": upper, "messageType": "StaticContentMessage", "staticContent": {"text": "hi"}}}
    long_lived = identity_token(private_key, exp=int(time.time()) + 3600, aud="https://example.my.salesforce.com")
    token_body = {"orgId": "00D123", "esDeveloperName": "X", "capabilitiesVersion": "1", "platform": "Web"}

    found = (
        problems("POST", f"{API}/conversation", create, {}, json_headers)
        + problems("POST", f"{API}/conversation/{upper}/message", message, {}, json_headers)
        + problems("GET", "/eventrouter/v1/sse", None, {}, {"Authorization": "Bearer x"})
        + problems("GET", "/eventrouter/v1/sse", None, {}, {"X-Org-Id": "00DSB0000000001AAA"})
        + problems(
            "POST",
            f"{API}/authorization/authenticated/access-token",
            {**token_body, "authorizationType": "JWT", "customerIdentityToken": long_lived},
            {},
            {"Content-Type": "application/json"},
        )
        + problems("DELETE", f"{API}/conversation/{uuid.uuid4()}", None, {}, json_headers)
    )

    text = "\n".join(found)
    for expected in (
        "conversationId must be a lowercase UUID v4",
        "no language",
        "conversation id is not a lowercase UUID v4",
        "message.id must be a lowercase UUID v4",
        'formatType must be "Text"',
        "no esDeveloperName",
        "X-Org-Id must be the 15-character org id",
        "Last-Event-Id",
        "Accept must be text/event-stream",
        "orgId must be",
        "carries aud",
        "lives more than",
        "no esDeveloperName query parameter",
    ):
        assert expected in text, expected
