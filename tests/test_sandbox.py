"""`switchboard sandbox`: what is typed there reaches Switchboard signed, as Front would send it,
and Switchboard's answer comes back; the command's options set up the fake Front."""

from __future__ import annotations

import socket
import threading
import time

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.conftest import run_worker
from tests.fakes.front import FrontServer
from webapp.db import db
from webapp.front.sessions import find_session
from webapp.models import EventKind, Integration, IntegrationKind, JournalEntry, SessionStatus
from webapp.sandbox import console
from webapp.sandbox.console import AI, HUMAN, Chat, activity_since, seed, send_customer_message
from webapp.sandbox.front import TOKEN, Call, FakeFront
from webapp.sandbox.seed import generated_articles

APP_SECRET = "sandbox-app-secret"


@pytest.fixture
def organization(world):
    organization = world.organization()
    world.article(organization, "Shipping times", "Orders ship within two business days.")
    return organization


@pytest.fixture
def integration(organization):
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.FRONT,
        enabled=True,
        settings={"ai_teammate_id": AI, "rate_limit_per_minute": 6000},
        credentials={"api_token": TOKEN, "app_secret": APP_SECRET},
        webhook_token="sandbox-hook",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


@pytest.fixture
def fake(app, integration):
    """The sandbox's fake Front, seeded, with every call Switchboard makes checked against Front's spec."""
    with FrontServer(FakeFront(page_size=100)) as fake:
        seed(fake)
        app.config["FRONT_API_URL"] = fake.url
        app.config["FRONT_RETRY_BACKOFF"] = 0.0
        yield fake
        assert fake.spec_problems == []


@pytest.fixture
def chat(fake, live_server) -> Chat:
    """A chat whose printed lines are kept in ``chat.printed``; it does not wait for answers (the
    test runs the worker itself)."""
    printed: list[str] = []
    chat = Chat(fake, f"{live_server}/webhooks/front/sandbox-hook", APP_SECRET, wait=0, echo=printed.append)
    chat.printed = printed
    return chat


def timeline(organization, conversation_id: str = "cnv_sandbox_1"):
    db.session.expire_all()
    session = find_session(organization.id, conversation_id)
    return session, [(event.kind, event.payload) for event in session.events]


def test_a_typed_message_reaches_switchboard_signed_and_the_answer_comes_back(fake, live_server):
    response = send_customer_message(
        fake,
        f"{live_server}/webhooks/front/sandbox-hook",
        APP_SECRET,
        "cnv_sandbox_1",
        "How long does shipping take for my order?",
    )
    assert response.status_code == 200 and response.json() == {"status": "accepted"}
    run_worker()
    lines = activity_since(fake, "cnv_sandbox_1", 0)
    assert lines and lines[0].startswith("AI reply: Orders ship within two business days")


def test_the_human_teammate_replies_and_the_ai_steps_back(chat, fake, organization):
    chat.handle("How long does shipping take for my order?")
    run_worker()
    chat.handle("/teammate Hi, Sam here: I'll check your order myself.")
    run_worker()
    assert chat.printed[-1] == "  Switchboard took the outbound event: see the conversation in the Inbox."
    session, events = timeline(organization)
    human = [payload for kind, payload in events if kind == EventKind.HUMAN_REPLY]
    assert [(p["author"], p["text"]) for p in human] == [("Sam Support", "Hi, Sam here: I'll check your order myself.")]
    assert session.status == SessionStatus.HANDED_OFF
    assert len(fake.replies("cnv_sandbox_1")) == 1  # the AI's one answer, before Sam wrote


def test_assigning_changes_front_and_lands_on_the_timeline(chat, fake, organization):
    chat.handle("How long does shipping take for my order?")
    run_worker()
    chat.handle("/assign human")
    assert fake.conversations["cnv_sandbox_1"]["assignee_id"] == HUMAN
    chat.handle("/assign none")
    assert fake.conversations["cnv_sandbox_1"]["assignee_id"] is None
    chat.handle("/assign ai")
    assert fake.conversations["cnv_sandbox_1"]["assignee_id"] == AI
    run_worker()
    assert [line.split(" event")[0] for line in chat.printed[-3:]] == [
        "  Switchboard took the assign",
        "  Switchboard took the unassign",
        "  Switchboard took the assign",
    ]
    _, events = timeline(organization)
    assignments = [payload["message"] for kind, payload in events if kind == EventKind.ASSIGNMENT]
    assert assignments == ["Assigned to Sam Support.", "Unassigned.", "Assigned to Switchboard AI."]


def test_assigning_back_to_the_ai_after_a_human_reply_lets_it_answer_again(chat, organization):
    chat.handle("How long does shipping take for my order?")
    run_worker()
    chat.handle("/teammate Let me look into it.")
    chat.handle("/assign ai")
    run_worker()
    session, events = timeline(organization)
    assert session.status == SessionStatus.AI
    assert events[-1][1]["message"] == "Assigned to Switchboard AI. The AI answers this conversation again."


def test_archiving_resolves_the_session(chat, fake, organization):
    chat.handle("How long does shipping take for my order?")
    run_worker()
    chat.handle("/archive")
    run_worker()
    assert fake.conversations["cnv_sandbox_1"]["status"] == "archived"
    session, events = timeline(organization)
    assert session.status == SessionStatus.RESOLVED and events[-1][0] == EventKind.RESOLVED


def test_chat_commands_that_send_nothing():
    printed: list[str] = []
    chat = Chat(FakeFront(), "http://127.0.0.1:9/never-called", APP_SECRET, wait=0, echo=printed.append)
    for line in ("/help", "/archive", "/assign robot", "/teammate", "/dance", "   ", "/new"):
        chat.handle(line)
    assert "/assign ai|human|none" in printed[0]
    assert printed[1:] == [
        "Nothing to archive yet: this conversation has no messages.",
        "Not understood: /assign robot. /help lists the commands.",
        "Not understood: /teammate. /help lists the commands.",
        "Not understood: /dance. /help lists the commands.",
        "New conversation cnv_sandbox_2.",
    ]
    assert chat.conversation_id == "cnv_sandbox_2"


def test_refused_and_failed_calls_are_shown_with_switchboard_reactions():
    fake = FakeFront()
    fake.add_teammate(AI, "Switchboard", "AI")
    fake.add_conversation("cnv_1", assignee=AI)
    fake.calls.extend(
        [
            Call("GET", "/conversations/cnv_1", None, 10.0, 429),
            Call("GET", "/messages/msg_1", None, 11.0, 503),
            Call("PUT", "/conversations/cnv_1/assignee", {"assignee_id": None}, 12.0, 500),
            Call("PUT", "/conversations/cnv_1/assignee", {"assignee_id": None}, 13.0, 204),
        ]
    )
    assert activity_since(fake, "cnv_1", 0) == [
        "Front rate limited GET /conversations/cnv_1 (429); Switchboard waits and retries",
        "Front failed GET /messages/msg_1 (503)",
        "Front failed PUT /conversations/cnv_1/assignee (500)",
        "Assignee set to: nobody (handed off)",
    ]


def test_generated_articles_are_distinct_and_seeded_with_the_written_ones():
    fake = FakeFront()
    seed(fake, generated=120)
    assert len(fake.kb_articles) == 123
    titles = [title for title, _ in generated_articles(120)]
    assert len(set(titles)) == 120 and "Refunds for gift cards" in titles


# -- the command ------------------------------------------------------------------------------


@pytest.fixture
def started(monkeypatch) -> list[FakeFront]:
    """The fake Fronts the command starts, for a test to look at."""
    seen: list[FakeFront] = []

    class RecordingServer(console.FrontServer):
        def __init__(self, fake, port=0):
            seen.append(fake)
            super().__init__(fake, port=0)  # any free port, whatever was asked

    monkeypatch.setattr(console, "FrontServer", RecordingServer)
    salesforce_server = console.SalesforceServer  # any free port too, so runs side by side never collide
    monkeypatch.setattr(console, "SalesforceServer", lambda fake, port=0: salesforce_server(fake, port=0))
    messaging_server = console.MessagingServer
    monkeypatch.setattr(console, "MessagingServer", lambda fake, port=0: messaging_server(fake, port=0))
    return seen


def test_the_sandbox_command_is_registered(runner):
    result = runner.invoke(args=["sandbox", "--help"])
    assert result.exit_code == 0 and "chat with Switchboard as a customer" in result.output
    for option in ("--latency", "--rate-limit", "--error-rate", "--articles"):
        assert option in result.output


def test_the_options_set_up_the_fake_front_and_are_summed_up(runner, started):
    result = runner.invoke(
        args=[
            "sandbox",
            "--webhook-url",
            "http://127.0.0.1:9/unused",
            "--latency",
            "250",
            "--rate-limit",
            "30",
            "--error-rate",
            "0.1",
            "--articles",
            "20",
        ],
        input="",
    )
    assert result.exit_code == 0, result.output
    fake = started[0]
    assert (fake.latency, fake.rate_limit_per_minute, fake.error_rate) == (0.25, 30, 0.1)
    assert len(fake.kb_articles) == 23
    assert (
        "250 ms latency, at most 30 requests a minute (then 429 with Retry-After), "
        "10% of requests fail with 502/503/500, 23 Help Center articles"
    ) in result.output


def test_by_default_the_fake_front_is_quick_and_reliable(runner, started):
    result = runner.invoke(args=["sandbox", "--webhook-url", "http://127.0.0.1:9/unused"], input="")
    assert result.exit_code == 0, result.output
    assert "no added latency, no rate limit, no random failures, 3 Help Center articles" in result.output
    assert "Front answered 0 requests: 0 rate limited, 0 random failures." in result.output


@pytest.mark.parametrize(
    "option, value", [("--error-rate", "1.5"), ("--rate-limit", "0"), ("--latency", "-1"), ("--articles", "-3")]
)
def test_out_of_range_options_are_refused(runner, option, value):
    result = runner.invoke(args=["sandbox", option, value])
    assert result.exit_code == 2 and option in result.output


def test_without_a_terminal_or_webhook_url_it_serves_the_fake_only(runner, started, monkeypatch):
    served = []
    monkeypatch.setattr(console, "serve_until_stopped", lambda: served.append(True))
    result = runner.invoke(args=["sandbox", "--rate-limit", "50"], input="Where is my order?\n")
    assert result.exit_code == 0, result.output
    assert "chatting needs --webhook-url" in result.output and "serving the fake Front only" in result.output
    assert served == [True] and started[0].conversations == {}
    # Its fakes remember nothing across runs: the step that says to run it again says so.
    assert "again with --webhook-url <that URL> (the fakes start afresh then, so do steps 4 and 5" in result.output


def test_piped_lines_are_chatted(runner, started, integration, live_server):
    result = runner.invoke(
        args=["sandbox", "--webhook-url", f"{live_server}/webhooks/front/sandbox-hook", "--wait", "0"],
        input="Where is my order?\n/assign human\n/archive\n",
    )
    assert result.exit_code == 0, result.output
    assert "Switchboard took the assign event" in result.output
    assert "Switchboard took the archive event" in result.output
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 3
    [conversation] = started[0].conversations.values()
    assert conversation["id"].startswith("cnv_sandbox_") and conversation["id"].endswith("_1")
    assert conversation | {"id": None} == {
        "id": None,
        "subject": "Where is my order?",
        "status": "archived",
        "assignee_id": HUMAN,
    }


def test_a_sandbox_started_again_never_reuses_the_last_runs_ids(runner, started, integration, live_server):
    """Switchboard remembers conversations and messages by id: a second run reusing them had its
    messages taken for ones already handled, and its conversation for one already handed off."""
    for _ in range(2):
        result = runner.invoke(
            args=["sandbox", "--webhook-url", f"{live_server}/webhooks/front/sandbox-hook", "--wait", "0"],
            input="Where is my order?\n",
        )
        assert result.exit_code == 0, result.output
    first, second = started
    assert set(first.conversations).isdisjoint(second.conversations)
    assert set(first.messages).isdisjoint(second.messages)
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 2


def test_the_chat_prints_switchboard_answer_as_it_comes_and_stops_waiting(fake):
    """A stand-in for Switchboard answers each webhook a moment later through Front's API."""

    def answer_later(conversation_id):
        time.sleep(0.2)
        requests.post(
            f"{fake.url}/conversations/{conversation_id}/messages",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json={
                "author_id": AI,
                "body": "<p>Orders ship within two business days.</p>",
                "text": "Orders ship within two business days.",
            },
            timeout=10,
        )

    def switchboard(environ, start_response):
        event = Request(environ).get_json()
        threading.Thread(target=answer_later, args=(event["payload"]["conversation"]["id"],)).start()
        return Response('{"status": "accepted"}', content_type="application/json")(environ, start_response)

    server = make_server("127.0.0.1", 0, switchboard, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    printed: list[str] = []
    try:
        chat = Chat(fake, f"http://127.0.0.1:{server.server_port}/", APP_SECRET, wait=30, echo=printed.append)
        started = time.monotonic()
        chat.handle("How long does shipping take?")
        assert time.monotonic() - started < 20  # stopped once answered, long before the 30 s wait
    finally:
        server.shutdown()
    assert printed == ["  AI reply: Orders ship within two business days."]


def test_a_switchboard_that_is_not_running_is_named_not_a_traceback():
    printed: list[str] = []
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{unused.getsockname()[1]}/webhooks/front/sandbox-hook"  # bound, never listening
        Chat(FakeFront(), url, APP_SECRET, wait=0, echo=printed.append).handle("Hello?")
    assert printed == [f"Switchboard did not answer at {url} (ConnectionError): is `switchboard serve` running?"]
