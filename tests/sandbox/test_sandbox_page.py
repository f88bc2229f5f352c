"""The sandbox page says, step by step, what is left before `switchboard sandbox` can chat with
Switchboard, each step with the page (or the command) that fixes it."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import AuthActions, free_port
from tests.fakes.front import TOKEN, FrontServer
from webapp.agent.settings import get_or_create as agent_settings
from webapp.db import db
from webapp.knowledge import sources
from webapp.models import Integration, IntegrationKind, Role
from webapp.salesforce import callouts
from webapp.salesforce.integration import get_or_create as salesforce_integration

FRONT = "/settings/ticketing/front"
SALESFORCE = "/settings/integrations/salesforce"


@pytest.fixture
def fake_front(app):
    """The sandbox's fake Front, running on loopback, and Switchboard pointed at it."""
    with FrontServer() as fake:
        app.config["FRONT_API_URL"] = fake.url
        yield fake


def _front(organization_id: int, *, token: str = TOKEN, teammate: bool = True, enabled: bool = True, secret=True):
    settings = {"teammates": [{"id": "tea_ai", "name": "Switchboard AI"}], "company_name": "Sandbox Inc"}
    if teammate:
        settings |= {"ai_teammate_id": "tea_ai", "ai_teammate_name": "Switchboard AI"}
    credentials = {"api_token": token} | ({"app_secret": "sandbox-app-secret"} if secret else {})
    integration = Integration(
        organization_id=organization_id,
        kind=IntegrationKind.FRONT,
        enabled=enabled,
        settings=settings,
        credentials=credentials,
        webhook_token="sandbox-hook",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def _steps(client) -> dict[str, dict]:
    """Each step on the page, by title: its state, its text and its links."""
    page = client.get("/sandbox")
    assert page.status_code == 200
    found = {}
    for state, title, body in re.findall(
        r'<li class="card sandbox-step step-(\w+)" data-step="([^"]+)">(.*?)</li>', page.get_data(as_text=True), re.S
    ):
        text = html.unescape(re.sub(r"<[^>]+>|\s+", " ", body)).strip()
        found[title] = {"state": state, "text": re.sub(r"\s+", " ", text), "links": re.findall(r'href="([^"]+)"', body)}
    return found


def _summary(client) -> str:
    page = client.get("/sandbox").get_data(as_text=True)
    summary = re.search(r'<p class="flash[^"]*" role="status">(.*?)</p>', page, re.S)[1]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", summary)))


def test_while_switchboard_calls_the_real_front_the_page_says_how_to_point_it_at_the_sandbox(client, logged_in_owner):
    steps = _steps(client)

    assert steps["Fake Front"]["state"] == "todo"
    assert (
        "Switchboard calls Front at https://api2.frontapp.com, not the sandbox's fake Front"
        in steps["Fake Front"]["text"]
    )
    assert (
        "FRONT_API_URL=http://127.0.0.1:8025 ALLOW_PRIVATE_OUTBOUND=1 switchboard serve" in steps["Fake Front"]["text"]
    )
    assert steps["Front"]["state"] == "todo"
    assert (
        f"Front is not connected to the sandbox yet: connect it with the token the sandbox printed, {TOKEN}"
        in (steps["Front"]["text"])
    )
    assert steps["Front"]["links"] == [FRONT]
    assert "AI teammate" not in steps  # chosen once Front is connected
    assert steps["Webhook"]["state"] == "todo" and steps["Webhook"]["links"] == [FRONT]
    assert "3 steps left" in _summary(client)


def test_a_sandbox_that_is_not_running_is_named(app, client, logged_in_owner):
    app.config["FRONT_API_URL"] = f"http://127.0.0.1:{free_port()}"
    step = _steps(client)["Fake Front"]
    assert step["state"] == "todo"
    assert f"Nothing answers at {app.config['FRONT_API_URL']}: the sandbox is not running" in step["text"]
    assert "switchboard sandbox" in step["text"]


def test_no_ai_teammate_ai_switched_off_and_no_app_secret_are_each_named_with_their_fix(
    fake_front, client, logged_in_owner
):
    _front(logged_in_owner.organization_id, teammate=False, enabled=False, secret=False)
    steps = _steps(client)

    assert steps["Fake Front"]["state"] == "done" and steps["Front"]["state"] == "done"
    assert (
        "No AI teammate is chosen" in steps["AI teammate"]["text"] and "Switchboard AI" in steps["AI teammate"]["text"]
    )
    assert "The integration is switched off: every message is skipped" in steps["AI switched on"]["text"]
    assert "No app secret is saved: Switchboard refuses the sandbox's webhooks" in steps["Webhook"]["text"]
    assert "'sandbox-app-secret'" in steps["Webhook"]["text"]
    for title in ("AI teammate", "AI switched on", "Webhook"):
        assert steps[title]["state"] == "todo" and steps[title]["links"] == [FRONT], title
    assert "3 steps left before the sandbox's messages get an answer: AI teammate, AI switched on, Webhook" in (
        _summary(client)
    )


def test_a_token_that_is_not_the_sandboxs_is_named(fake_front, client, logged_in_owner):
    _front(logged_in_owner.organization_id, token="a-real-front-token")
    step = _steps(client)["Front"]
    assert step["state"] == "todo"
    assert "connected with another token than the sandbox's: its fake Front refuses it" in step["text"]
    assert step["links"] == [FRONT]


def test_salesforce_chosen_but_not_connected_says_handoffs_fall_back_with_the_fix(fake_front, client, logged_in_owner):
    _front(logged_in_owner.organization_id)
    settings = agent_settings(logged_in_owner.organization_id)
    settings.destinations = {"email": "salesforce_case", "web": "salesforce_live_messaging", "sms": "front_teammates"}
    db.session.commit()
    steps = _steps(client)

    cases, live = steps["Salesforce Cases"], steps["Live Messaging"]
    assert cases["state"] == "todo" and live["state"] == "todo"
    assert "Handoffs of email conversations go to a Salesforce Case, but Salesforce is not connected" in cases["text"]
    assert "they go to Front teammates instead" in cases["text"]
    assert cases["links"] == [f"{SALESFORCE}#salesforce-connection"]
    assert "Handoffs of web chat conversations go to Salesforce Live Messaging, but it is not set up" in live["text"]
    assert live["links"] == [f"{SALESFORCE}#live-messaging"]
    assert "2 steps left" in _summary(client)


def test_a_connected_salesforce_still_needs_the_callout_secret_for_rep_replies(fake_front, client, logged_in_owner):
    from webapp.salesforce.integration import REFRESH_TOKEN, update_settings

    _front(logged_in_owner.organization_id)
    settings = agent_settings(logged_in_owner.organization_id)
    settings.destinations = {"email": "salesforce_case"}
    integration = salesforce_integration(logged_in_owner.organization_id)
    update_settings(integration, state="connected", login_url="http://127.0.0.1:8026")
    integration.set_credential(REFRESH_TOKEN, "refresh")
    db.session.commit()

    step = _steps(client)["Salesforce Cases"]
    assert step["state"] == "optional"
    assert "/rep and /close-case need the callout secret" in step["text"]
    assert step["links"] == [f"{SALESFORCE}#salesforce-rep-replies"]

    callouts.rotate_secret(integration)
    db.session.commit()
    assert _steps(client)["Salesforce Cases"]["state"] == "done"


def test_once_everything_is_set_the_page_says_ready_and_gives_the_webhook_url(fake_front, client, logged_in_owner):
    _front(logged_in_owner.organization_id)
    sources.add_manual_article(
        logged_in_owner.organization_id, title="Shipping", body="Two days.", url=None, locale="en", internal=False
    )
    db.session.commit()
    steps = _steps(client)

    assert [title for title, step in steps.items() if step["state"] == "todo"] == []
    assert steps["Knowledge"]["state"] == "done" and "1 article" in steps["Knowledge"]["text"]
    assert steps["Salesforce"]["state"] == "optional" and steps["Salesforce"]["links"] == ["/settings/handoff"]
    page = client.get("/sandbox").get_data(as_text=True)
    assert 'value="https://switchboard.example.test/webhooks/front/sandbox-hook"' in page
    assert "Ready." in _summary(client)


def test_the_header_lists_the_page_only_while_switchboard_calls_a_local_front(app, client, logged_in_owner):
    assert 'href="/sandbox"' not in client.get("/inbox").get_data(as_text=True)
    app.config["FRONT_API_URL"] = "http://127.0.0.1:8025"
    assert 'href="/sandbox"' in client.get("/inbox").get_data(as_text=True)


def test_members_see_the_page_too_and_anonymous_visitors_are_sent_to_log_in(client, world, owner):
    assert client.get("/sandbox").status_code == 302
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com")
    AuthActions(client).login(member.email)
    assert client.get("/sandbox").status_code == 200
