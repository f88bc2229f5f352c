"""The MIAW client against the fake: tokens (verified, refused, anonymous), conversations and
messages, and each kind of failure sorted by what the caller does about it."""

from __future__ import annotations

import uuid

import jwt
import pytest
import requests

from tests.conftest import free_port
from tests.salesforce.messaging.settings_helpers import ISSUER, KID, configure, fake_miaw, key_pair, upload_key
from webapp.salesforce.messaging.client import (
    MessagingAuthRejected,
    MessagingClient,
    MessagingRejected,
    MessagingTokenExpired,
    MessagingUnavailable,
    TokenGrant,
    client_for,
    token_expiry,
)
from webapp.salesforce.messaging.identity import identity_token
from webapp.salesforce.messaging.settings import LiveMessagingSettings

__all__ = ["fake_miaw"]  # the fixture, used by name

SETTINGS = LiveMessagingSettings(auth_key_id=KID, issuer=ISSUER)


@pytest.fixture
def client(app, world, fake_miaw) -> MessagingClient:
    return client_for(configure(world.organization().id, fake_miaw))


def _identity(subject: str = "ada@example.com", *, number: int = 0) -> str:
    return identity_token(SETTINGS, key_pair(number).private_key_pem, subject)


def _conversation(client: MessagingClient, grant: TokenGrant, **attributes) -> str:
    conversation_id = str(uuid.uuid4())
    client.create_conversation(grant, conversation_id, attributes or None, language="en_US")
    return conversation_id


# -- tokens ----------------------------------------------------------------------------------------


def test_an_unauthenticated_token_with_its_expiry_and_the_pre_chat_fields(client, fake_miaw):
    grant = client.unauthenticated_token()

    assert grant.authenticated is False and "/AUTH/" not in grant.subject
    assert grant.last_event_id is not None and grant.last_event_id.isdigit()
    exp = jwt.decode(grant.access_token, options={"verify_signature": False})["exp"]
    assert grant.expires_at.timestamp() == exp
    assert grant.form_field_names == [field["name"] for field in fake_miaw.form_fields]
    assert "Chat_Consumer_Type" in grant.form_field_names
    body = fake_miaw.calls_to("POST", "unauthenticated/access-token")[0].body
    assert body["capabilitiesVersion"] == "1" and body["platform"] == "Web"
    assert body["esDeveloperName"] == "Switchboard_Chat" and body["orgId"].startswith("00D")


def test_an_authenticated_token_for_the_customer_the_identity_token_names(client, fake_miaw):
    upload_key(fake_miaw)
    grant = client.authenticated_token(_identity())
    assert grant.authenticated is True
    assert grant.subject.endswith("/uid:ada@example.com") and "/AUTH/" in grant.subject
    body = fake_miaw.calls_to("POST", "authenticated/access-token")[0].body
    assert body["authorizationType"] == "JWT" and body["customerIdentityToken"].count(".") == 2

    again = client.continuation_token(grant)
    assert again.subject == grant.subject and again.authenticated is True
    assert again.access_token != grant.access_token


def test_a_refused_identity_token_is_an_auth_rejection(client, fake_miaw):
    upload_key(fake_miaw, kid="another-kid")
    with pytest.raises(MessagingAuthRejected) as refused:
        client.authenticated_token(_identity())
    assert refused.value.status == 401 and refused.value.anonymous is False
    assert "kid" in str(refused.value)


def test_a_200_with_an_anonymous_subject_is_an_auth_rejection_too(client, fake_miaw):
    fake_miaw.anonymous_on_bad_jwt = True
    upload_key(fake_miaw, issuer="https://someone-else.example")  # the keyset's issuer is not Switchboard's
    with pytest.raises(MessagingAuthRejected) as refused:
        client.authenticated_token(_identity())
    assert refused.value.anonymous is True and refused.value.status == 200
    assert "anonymous" in str(refused.value)


def test_a_wrong_org_id_or_deployment_name_is_a_rejection(app, fake_miaw):
    for org_id, name in (("00DXX0000000009", fake_miaw.es_developer_name), (fake_miaw.org_id, "switchboard_chat")):
        with pytest.raises(MessagingRejected) as refused:
            MessagingClient(fake_miaw.url, org_id, name).unauthenticated_token()
        assert refused.value.status == 400
        assert "Specify a valid" in str(refused.value)


# -- conversations ---------------------------------------------------------------------------------


def test_a_conversation_its_messages_its_entries_and_its_end(client, fake_miaw):
    grant = client.unauthenticated_token()
    conversation_id = _conversation(client, grant, SwitchboardSessionId="42", Planted_Name="x")
    stored = fake_miaw.conversations[conversation_id]
    assert stored["routing_attributes"] == {"SwitchboardSessionId": "42"}
    assert stored["dropped_attributes"] == ["Planted_Name"]
    assert fake_miaw.calls_to("POST", r"/conversation$")[0].body["language"] == "en_US"

    message_id = client.send_message(grant, conversation_id, "Hello, I need help with a refund.")
    assert message_id == message_id.lower() and uuid.UUID(message_id).version == 4
    assert client.send_message(
        grant.access_token, conversation_id, "Again", message_id="6f0c1b1e-8f8e-4c4b-9c4f-0a1b2c3d4e5f"
    )
    assert fake_miaw.end_user_texts(conversation_id) == ["Hello, I need help with a refund.", "Again"]

    assert client.conversation(grant, conversation_id)["routingStatus"] == "INITIAL"
    fake_miaw.agent_message(conversation_id, "Hi, Riley here.")
    assert client.conversation(grant, conversation_id)["routingStatus"] == "ROUTED"
    entries = client.entries(grant, conversation_id, limit=50, direction="FromStart")
    assert any(entry.get("senderDisplayName") == "Riley Rep" for entry in entries)
    assert all(isinstance(entry["entryPayload"], dict) for entry in entries)

    client.end_session(grant, conversation_id)
    assert fake_miaw.conversations[conversation_id]["status"] == "Ended"
    client.close_conversation(grant, conversation_id)
    assert fake_miaw.conversations[conversation_id]["closed"] is True
    for call in fake_miaw.calls_to("DELETE", "/conversation/"):
        assert call.query == {"esDeveloperName": "Switchboard_Chat"}


def test_a_dead_access_token_on_a_conversation_call_is_expired(client, fake_miaw):
    grant = client.unauthenticated_token()
    conversation_id = _conversation(client, grant)
    fake_miaw.expire_access_tokens()
    with pytest.raises(MessagingTokenExpired) as refused:
        client.send_message(grant, conversation_id, "Still there?")
    assert refused.value.status == 401
    with pytest.raises(MessagingAuthRejected):
        client.continuation_token(grant)


def test_a_bad_conversation_id_is_a_rejection(client, fake_miaw):
    grant = client.unauthenticated_token()
    with pytest.raises(MessagingRejected, match="UUID") as refused:
        client.create_conversation(grant, "NOT-A-UUID", None, language="en_US")
    assert not isinstance(refused.value, MessagingAuthRejected | MessagingTokenExpired)
    fake_miaw.spec_problems.clear()  # the checker flags the id too: this test sent it on purpose


# -- failures --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_server_errors_and_the_rate_limit_are_worth_another_try(client, fake_miaw, status):
    fake_miaw.fail("POST", "unauthenticated/access-token", status)
    with pytest.raises(MessagingUnavailable) as failed:
        client.unauthenticated_token()
    assert failed.value.status == status


def test_no_answer_in_time_or_no_server_at_all_is_unavailable(app, client, fake_miaw):
    fake_miaw.latency = 0.5
    client.timeout = 0.1
    with pytest.raises(MessagingUnavailable, match="did not answer within 0.1 s"):
        client.unauthenticated_token()
    fake_miaw.latency = 0
    nobody = MessagingClient(f"http://127.0.0.1:{free_port()}", fake_miaw.org_id, "Switchboard_Chat", timeout=1)
    with pytest.raises(MessagingUnavailable, match="could not be reached"):
        nobody.unauthenticated_token()


def test_a_redirect_is_not_followed(client, fake_miaw):
    fake_miaw.fail("POST", "unauthenticated/access-token", 302)
    with pytest.raises(MessagingRejected, match="redirect"):
        client.unauthenticated_token()
    assert len(fake_miaw.calls) == 1


def test_salesforce_s_words_are_clipped_and_stripped_of_control_characters(client, fake_miaw):
    fake_miaw.fail("POST", "unauthenticated/access-token", 400, body={"message": "\x1b[31mNo\u202e" + "!" * 2000})
    with pytest.raises(MessagingRejected) as refused:
        client.unauthenticated_token()
    message = str(refused.value)
    assert "\x1b" not in message and "\u202e" not in message
    assert len(message) < 700


def test_an_address_switchboard_does_not_call_is_refused_before_sending(app):
    app.config["ALLOW_PRIVATE_OUTBOUND"] = False
    with pytest.raises(MessagingRejected, match="does not call the messaging host"):
        MessagingClient("https://127.0.0.1:9", "00D5e000000AbCd", "Chat").unauthenticated_token()


class _Answer:
    """A session that answers every request with one canned response."""

    def __init__(self, status: int, content: bytes):
        self.status, self.content = status, content

    def request(self, *args, **kwargs):
        response = requests.Response()
        response.status_code, response._content = self.status, self.content
        return response


@pytest.mark.parametrize("content", [b"<html>maintenance</html>", b'{"lastEventId": "1"}', b"[]"])
def test_a_token_answer_that_is_not_understood_is_unavailable(content):
    client = MessagingClient(
        "https://acme.my.salesforce-scrt.com", "00D5e000000AbCd", "Chat", session=_Answer(200, content)
    )
    with pytest.raises(MessagingUnavailable):
        client.unauthenticated_token()


def test_an_access_token_that_is_not_a_jwt_has_no_known_expiry():
    assert token_expiry("opaque-token") is None
    assert token_expiry(jwt.encode({"exp": "soon"}, "k" * 32, algorithm="HS256")) is None


def test_without_the_deployment_there_is_no_client(app, world):
    with pytest.raises(MessagingRejected, match="Live Messaging is not set up"):
        client_for(None)
