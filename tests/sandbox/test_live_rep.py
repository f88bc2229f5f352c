"""The sandbox's live rep: a chat customer handed off to Salesforce Live Messaging, then /agent,
/agent-leave, /route-fail and /end-session played on the fake MIAW, heard by Switchboard as its
relay would hear them; /upload-key, /new on a channel, and the printed set-up."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.conftest import run_worker
from tests.fakes.miaw import MessagingServer, checked_fake
from tests.salesforce.messaging.live_helpers import hand_off_to_live_messaging, relay_stream
from tests.salesforce.messaging.settings_helpers import ISSUER, KID, configure, key_pair
from tests.sandbox.test_rep_replies import APP_SECRET, front, organization
from webapp.agent import AgentResult, Handoff, set_agent_factory
from webapp.db import db
from webapp.models import (
    Channel,
    EventKind,
    MessagingConversation,
    MessagingStatus,
    SessionStatus,
    SupportSession,
)
from webapp.salesforce.messaging import keys
from webapp.sandbox import console
from webapp.sandbox.console import Chat
from webapp.sandbox.front import FakeFront
from webapp.sandbox.miaw import FakeMessaging

__all__ = ["front", "organization"]  # the fixtures, used by name


class HandsOff:
    def decide(self, context):
        return AgentResult(Handoff("customer asked for a human", "Wants a person.", "calm"), "Scripted.")


@pytest.fixture
def miaw(app, organization):
    """The fake MIAW, Live Messaging set up for it, chat channels handing off to it."""
    app.config.update(ALLOW_PRIVATE_OUTBOUND=True, SALESFORCE_TIMEOUT=3.0, SALESFORCE_RETRY_BACKOFF=0.0)
    with MessagingServer(checked_fake()) as fake:
        configure(organization.id, fake)
        hand_off_to_live_messaging(organization.id, channels=("web", "sms"))
        set_agent_factory(lambda organization_id: HandsOff())
        yield fake
        set_agent_factory(None)
        assert fake.spec_problems == []


def _chat(front, live_server, miaw) -> Chat:
    printed: list[str] = []
    chat = Chat(
        front,
        f"{live_server}/webhooks/front/sandbox-hook",
        APP_SECRET,
        wait=0,
        echo=printed.append,
        miaw=miaw,
        issuer=ISSUER,
    )
    chat.printed = printed
    return chat


def _session(conversation_id: str) -> SupportSession:
    db.session.expire_all()
    return db.session.scalar(select(SupportSession).where(SupportSession.front_conversation_id == conversation_id))


def _handed_off(chat: Chat, miaw, channel: str = "chat") -> str:
    chat.handle(f"/new {channel}")
    chat.handle("I want to talk to a person, please.")
    run_worker()
    [conversation_id] = [c for c in miaw.conversations if c == _session(chat.conversation_id).miaw_conversation_id]
    return conversation_id


def test_a_chat_customer_talks_to_the_rep_played_in_the_sandbox_until_the_session_ends(front, miaw, live_server):
    chat = _chat(front, live_server, miaw)
    conversation_id = _handed_off(chat, miaw)
    assert chat.printed[0].endswith(" on chat.")
    assert _session(chat.conversation_id).channel == Channel.WEB

    chat.handle("/agent Hi, Riley here. How can I help?")
    last = relay_stream(miaw, conversation_id)
    assert front.replies(chat.conversation_id)[-1]["text"] == "Hi, Riley here. How can I help?\n\n— Riley Rep"
    assert any(f"Live Messaging conversation {conversation_id}" in line for line in chat.printed)

    chat.handle("/agent-leave")
    relay_stream(miaw, conversation_id, after=last)
    assert db.session.scalar(select(MessagingConversation.status)) == MessagingStatus.ROUTING

    chat.handle("/agent I'm back: your refund is issued.")
    chat.handle("/end-session")
    relay_stream(miaw, conversation_id, after=last)
    session = _session(chat.conversation_id)
    assert session.status == SessionStatus.RESOLVED
    assert front.replies(chat.conversation_id)[-1]["text"] == "I'm back: your refund is issued.\n\n— Riley Rep"


def test_route_fail_in_the_sandbox_gives_the_conversation_to_front_teammates(front, miaw, live_server):
    chat = _chat(front, live_server, miaw)
    conversation_id = _handed_off(chat, miaw, channel="sms")
    assert _session(chat.conversation_id).channel == Channel.SMS

    chat.handle("/route-fail")
    relay_stream(miaw, conversation_id)

    assert front.conversations[chat.conversation_id]["assignee_id"] is None
    assert "could not route the conversation to a rep" in front.comments_on(chat.conversation_id)[-1]["body"]
    assert [e.kind for e in _session(chat.conversation_id).events].count(EventKind.HANDOFF) == 2


def test_live_rep_commands_that_do_nothing_say_why(front, live_server):
    with MessagingServer(checked_fake()) as fake:
        chat = _chat(front, live_server, fake)
        for line in ("/agent Hello", "/agent-leave", "/route-fail", "/end-session"):
            chat.handle(line)
        assert len(chat.printed) == 4 and all("no Live Messaging conversation yet" in line for line in chat.printed)
        assert fake.calls == [] and fake.conversations == {}

    without = _chat(front, live_server, None)
    for line in ("/agent Hello", "/upload-key key.json", "/agent", "/end-session now", "/new fax"):
        without.handle(line)
    assert without.printed == [
        "This sandbox runs no fake Live Messaging.",
        "This sandbox runs no fake Live Messaging.",
        "Not understood: /agent. /help lists the commands.",
        "Not understood: /end-session now. /help lists the commands.",
        "Not understood: /new fax. /help lists the commands.",
    ]


def test_upload_key_registers_the_downloaded_jwk_with_the_issuer(front, live_server, tmp_path):
    jwk = keys.jwk(keys.load_certificate(key_pair().certificate_pem), KID)
    with MessagingServer(checked_fake()) as fake:
        chat = _chat(front, live_server, fake)
        path = tmp_path / "key.json"
        path.write_text(json.dumps(jwk))
        chat.handle(f"/upload-key {path}")
        chat.handle(f"/upload-key {tmp_path / 'missing.json'}")
        chat.handle('/upload-key {"kty": "RSA"}')
        assert fake.keys[KID].issuer == ISSUER
        assert chat.printed[0].startswith(f"Key uploaded to the fake's keyset with the issuer {ISSUER}")
        assert chat.printed[1].startswith("Key not uploaded: ") and "missing.json" in chat.printed[1]
        assert chat.printed[2].startswith("Key not uploaded: The JWK needs")


def test_help_lists_the_live_rep_commands(front, live_server):
    chat = _chat(front, live_server, None)
    chat.handle("/help")
    for command in ("/agent <text>", "/agent-leave", "/route-fail", "/end-session", "/upload-key", "/new [email"):
        assert command in chat.printed[0]


def test_the_sandbox_runs_the_fake_live_messaging_and_prints_the_six_fields(runner, monkeypatch):
    started = []
    servers = (console.FrontServer, console.SalesforceServer, console.MessagingServer)
    monkeypatch.setattr(console, "FrontServer", lambda fake, port=0: servers[0](fake, port=0))
    monkeypatch.setattr(console, "SalesforceServer", lambda fake, port=0: servers[1](fake, port=0))

    def messaging_server(fake, port=0):
        started.append((fake, port))
        return servers[2](fake, port=0)

    monkeypatch.setattr(console, "MessagingServer", messaging_server)
    result = runner.invoke(
        args=["sandbox", "--webhook-url", "http://127.0.0.1:9/unused", "--public-url", "http://sb.example:5000"],
        input="",
    )
    assert result.exit_code == 0, result.output
    [(fake, port)] = started
    assert port == 8027
    assert f"fake Live Messaging on {fake.url}" in result.output
    assert f"Instance URL {fake.url}, ES Developer Name\n   Switchboard_Chat, Org ID {fake.org_id};" in result.output
    assert "Generate a key pair" in result.output and "keep the Issuer http://sb.example:5000" in result.output
    assert "/upload-key <that file>" in result.output and "/new chat" in result.output
    assert "--miaw-port" in runner.invoke(args=["sandbox", "--help"]).output


def test_a_customer_message_sent_to_the_live_rep_is_what_the_chat_shows():
    """While a live rep has the conversation the AI stays quiet: the message sent on is the answer."""
    import time

    from webapp.sandbox.console import live_activity

    fake, miaw = FakeFront(), FakeMessaging()
    fake.add_conversation("cnv_1")
    conversation_id, _ = miaw.open_conversation()
    fake.comments["cnv_1"] = [{"body": f"Salesforce conversation: `{conversation_id}`", "posted_at": 0}]
    since = time.time() - 1
    assert live_activity(fake, miaw, "cnv_1", since) == []
    miaw.conversations[conversation_id]["entries"].append(
        {
            "entryType": "Message",
            "sender": {"role": "EndUser"},
            "transcriptedTimestamp": int(time.time() * 1000),
            "entryPayload": {"abstractMessage": {"staticContent": {"text": "Thanks!"}}},
        }
    )
    [(_, line)] = live_activity(fake, miaw, "cnv_1", since)
    assert line.startswith("Sent to the live rep") and "the AI stays quiet" in line
    assert live_activity(fake, miaw, "cnv_1", time.time() + 5) == []


def test_without_public_url_the_sandbox_takes_switchboards_address_from_the_webhook_url(runner, monkeypatch):
    """`switchboard serve` on another port: the issuer and the OAuth callback follow the webhook
    URL Switchboard showed, not the default port."""
    for name in ("FrontServer", "SalesforceServer", "MessagingServer"):
        server = getattr(console, name)
        monkeypatch.setattr(console, name, lambda fake, port=0, server=server: server(fake, port=0))
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    result = runner.invoke(args=["sandbox", "--webhook-url", "http://localhost:5077/webhooks/front/abc"], input="")
    assert result.exit_code == 0, result.output
    assert "keep the Issuer http://localhost:5077" in result.output
    assert "http://localhost:5077/sandbox" in result.output
