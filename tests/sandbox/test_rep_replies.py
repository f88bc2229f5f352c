"""The sandbox's /rep and /close-case: a rep answers and closes the conversation's Case in the
fake Salesforce, the callout reaches Switchboard signed as the generated Apex signs it, and the
reply comes back in Front."""

from __future__ import annotations

import pytest

from tests.conftest import run_worker
from tests.fakes.front import FrontServer
from tests.fakes.salesforce import SalesforceServer, checked_fake
from tests.salesforce.rep_replies import connect_salesforce
from webapp.db import db
from webapp.models import EventKind, Integration, IntegrationKind, SessionStatus, SupportSession
from webapp.sandbox import salesforce_callouts
from webapp.sandbox.console import AI, Chat, SalesforceLink, seed
from webapp.sandbox.front import TOKEN, FakeFront

APP_SECRET = "sandbox-app-secret"
CALLOUT_SECRET = "sandbox-callout-secret"


@pytest.fixture
def organization(world):
    organization = world.organization()
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={"ai_teammate_id": AI, "rate_limit_per_minute": 6000},
            credentials={"api_token": TOKEN, "app_secret": APP_SECRET},
            webhook_token="sandbox-hook",
        )
    )
    db.session.commit()
    return organization


@pytest.fixture
def front(app, organization):
    with FrontServer(FakeFront(page_size=100)) as fake:
        seed(fake)
        app.config.update(FRONT_API_URL=fake.url, FRONT_RETRY_BACKOFF=0.0)
        yield fake
        assert fake.spec_problems == []


@pytest.fixture
def salesforce():
    with SalesforceServer(checked_fake()) as fake:
        yield fake


@pytest.fixture
def webhook(organization, salesforce, live_server) -> str:
    integration = connect_salesforce(organization, secret=CALLOUT_SECRET)
    integration.settings = {**integration.settings, "user_id": salesforce.user_id, "org_id": salesforce.org_id}
    db.session.commit()
    return f"{live_server}/webhooks/salesforce/{integration.webhook_token}"


def _chat(front, live_server, link: SalesforceLink | None) -> Chat:
    printed: list[str] = []
    chat = Chat(
        front, f"{live_server}/webhooks/front/sandbox-hook", APP_SECRET, wait=0, echo=printed.append, salesforce=link
    )
    chat.printed = printed
    return chat


def _handed_off(world, organization, front, salesforce, conversation_id: str) -> SupportSession:
    """The conversation handed off as a Case, as the Case handoff leaves both sides."""
    front.add_conversation(conversation_id, assignee=AI, subject="Where is my order?")
    front.add_message(conversation_id, "Where is my order?")
    link = salesforce_callouts.conversation_link(conversation_id)
    case_id = salesforce.add_case(Subject="Where is my order?", Description=f"Handed off by Switchboard.\n{link}")
    return world.session(
        organization,
        status=SessionStatus.HANDED_OFF,
        front_conversation_id=conversation_id,
        salesforce_case_id=case_id,
        salesforce_case_number=salesforce.cases[case_id]["CaseNumber"],
    )


def test_a_reps_reply_typed_in_the_sandbox_reaches_the_customer_and_closing_resolves(
    world, organization, front, salesforce, webhook, live_server
):
    chat = _chat(front, live_server, SalesforceLink(salesforce, webhook, CALLOUT_SECRET))
    support_session = _handed_off(world, organization, front, salesforce, chat.conversation_id)

    chat.handle("/rep Your order ships tomorrow.")
    run_worker()
    [comment] = salesforce.comments_on(support_session.salesforce_case_id)
    assert comment["CommentBody"] == "Your order ships tomorrow." and comment["IsPublished"] is True
    [reply] = front.replies(chat.conversation_id)
    assert reply["text"] == "Your order ships tomorrow.\n\n— Riley Rep"
    assert any("took the case_comment callout" in line for line in chat.printed)

    chat.handle("/close-case")
    run_worker()
    db.session.expire_all()
    support_session = db.session.get(SupportSession, support_session.id)
    assert salesforce.cases[support_session.salesforce_case_id]["IsClosed"] is True
    assert support_session.status == SessionStatus.RESOLVED
    assert EventKind.RESOLVED in [event.kind for event in support_session.events]
    assert front.conversations[chat.conversation_id]["status"] == "archived"


def test_the_webhook_url_and_secret_are_asked_for_once(world, organization, front, salesforce, webhook, live_server):
    asked = []

    def ask():
        asked.append(True)
        return webhook, CALLOUT_SECRET

    chat = _chat(front, live_server, SalesforceLink(salesforce, ask=ask))
    _handed_off(world, organization, front, salesforce, chat.conversation_id)
    chat.handle("/rep First answer.")
    chat.handle("/rep Second answer.")
    assert asked == [True]
    assert sum("took the case_comment callout" in line for line in chat.printed) == 2


def test_a_wrong_secret_is_shown_as_switchboards_refusal(world, organization, front, salesforce, webhook, live_server):
    chat = _chat(front, live_server, SalesforceLink(salesforce, webhook, "not-the-secret"))
    _handed_off(world, organization, front, salesforce, chat.conversation_id)
    chat.handle("/rep Hello")
    assert any("Switchboard refused the callout: 401" in line for line in chat.printed)


def test_rep_commands_that_send_nothing(front, salesforce, live_server):
    no_case = _chat(front, live_server, SalesforceLink(salesforce, "http://127.0.0.1:9/unused", CALLOUT_SECRET))
    no_case.handle("/rep Hello")
    no_case.handle("/close-case")
    assert all("no Salesforce Case yet" in line for line in no_case.printed) and len(no_case.printed) == 2
    assert salesforce.case_comments == {}

    salesforce.add_case(Description=salesforce_callouts.conversation_link(no_case.conversation_id))
    unconfigured = _chat(front, live_server, SalesforceLink(salesforce))
    unconfigured.conversation_id = no_case.conversation_id
    unconfigured.handle("/rep Hello")
    assert unconfigured.printed == [
        "Sending it needs --salesforce-webhook-url and --salesforce-secret (Settings → Salesforce)."
    ]
    assert salesforce.case_comments == {}  # nothing done in the fake either

    without = _chat(front, live_server, None)
    without.handle("/rep Hello")
    without.handle("/rep")
    without.handle("/close-case now")
    assert without.printed == [
        "This sandbox runs no fake Salesforce.",
        "Not understood: /rep. /help lists the commands.",
        "Not understood: /close-case now. /help lists the commands.",
    ]


def test_help_lists_the_rep_commands(front, live_server):
    chat = _chat(front, live_server, None)
    chat.handle("/help")
    assert "/rep <text>" in chat.printed[0] and "/close-case" in chat.printed[0]


def test_the_case_of_a_returning_customer_is_found_by_switchboards_comment(salesforce):
    """Appended to an open Case: the link is in Switchboard's comment, not the Description."""
    old = salesforce.add_case(Description=salesforce_callouts.conversation_link("cnv_first"))
    salesforce.add_comment(
        old, f"Handed off again from Front.\n{salesforce_callouts.conversation_link('cnv_again')}", is_published=False
    )
    assert salesforce_callouts.case_for_conversation(salesforce, "cnv_again") is None  # a rep's comment: not ours
    salesforce.case_comments[next(iter(salesforce.case_comments))]["CreatedById"] = salesforce.user_id
    assert salesforce_callouts.case_for_conversation(salesforce, "cnv_again")["Id"] == old
    assert salesforce_callouts.case_for_conversation(salesforce, "cnv_first")["Id"] == old
    assert salesforce_callouts.case_for_conversation(salesforce, "cnv_unknown") is None


def test_the_sandbox_prints_how_to_connect_the_fake_salesforce(runner, monkeypatch):
    from webapp.sandbox import console

    front_server, salesforce_server = console.FrontServer, console.SalesforceServer
    monkeypatch.setattr(console, "FrontServer", lambda fake, port=0: front_server(fake, port=0))
    monkeypatch.setattr(console, "SalesforceServer", lambda fake, port=0: salesforce_server(fake, port=0))
    messaging_server = console.MessagingServer
    monkeypatch.setattr(console, "MessagingServer", lambda fake, port=0: messaging_server(fake, port=0))
    result = runner.invoke(
        args=["sandbox", "--webhook-url", "http://127.0.0.1:9/unused", "--public-url", "http://sb.example:5000"],
        input="",
    )
    assert result.exit_code == 0, result.output
    assert "ALLOW_PRIVATE_OUTBOUND=1" in result.output
    assert "Client ID sandbox-client-id, Client Secret" in result.output and "sandbox-client-secret" in result.output
    assert "Fake Salesforce on http://127.0.0.1:" in result.output and "Login URL http://127.0.0.1:" in result.output
    assert "--salesforce-webhook-url and --salesforce-secret" in result.output


def test_a_customer_message_added_to_the_case_is_what_the_chat_shows(salesforce):
    """While a Case has the conversation the AI stays quiet: the comment on the Case is the answer."""
    import time

    from webapp.sandbox.console import case_activity

    since = time.time() - 1
    case = salesforce.add_case(Description=salesforce_callouts.conversation_link("cnv_1"))
    comment = salesforce.add_comment(case, "Customer message in Front (msg_2):\nAny news?", is_published=False)
    assert case_activity(salesforce, "cnv_1", since) == []  # a rep's comment, not Switchboard's
    comment["CreatedById"] = salesforce.user_id
    [(_, line)] = case_activity(salesforce, "cnv_1", since)
    assert line.startswith("Added to Salesforce Case ") and "the AI stays quiet" in line
    assert case_activity(salesforce, "cnv_1", time.time() + 5) == []
