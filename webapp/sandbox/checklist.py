"""What is left to set up before ``switchboard sandbox`` can chat with this Switchboard.

The sandbox prints the steps once, in its terminal; the sandbox page (webapp/sandbox/page.py)
reads where the organization really is and says, step by step, what is done and what is not,
each with the page that fixes it. Without it, a missed step shows only as silence in the chat:
a webhook refused for want of the app secret, a skip because no AI teammate was chosen, or a
Salesforce handoff that quietly fell back to Front teammates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import requests
from flask import current_app, url_for
from sqlalchemy import func, select

from webapp.agent.settings import settings_for as agent_settings_for
from webapp.db import db
from webapp.front import integration as front
from webapp.models import AgentSettings, Channel, KnowledgeArticle
from webapp.public_url import is_local_address
from webapp.sandbox.front import TOKEN as SANDBOX_FRONT_TOKEN

SANDBOX_FRONT_URL = "http://127.0.0.1:8025"  # where `switchboard sandbox` serves its fake Front by default
SANDBOX_APP_SECRET = "sandbox-app-secret"  # the app secret the sandbox signs its webhooks with by default
SALESFORCE_CASE = "salesforce_case"
LIVE_MESSAGING = "salesforce_live_messaging"
CHANNEL_NAMES = {Channel.EMAIL: "email", Channel.WEB: "web chat", Channel.SMS: "SMS", Channel.PHONE: "phone"}


class State(StrEnum):
    DONE = "done"
    TODO = "todo"  # the chat does not work until it is done
    OPTIONAL = "optional"  # the chat works; this would show more of Switchboard


@dataclass(frozen=True)
class Step:
    """One step of the set-up, as the sandbox page shows it."""

    title: str
    state: State
    message: str
    fix: str | None = None  # the link's text
    fix_url: str | None = None
    command: str | None = None  # a fix that is a command to run, outside Switchboard
    copy: str | None = None  # a value to paste into the sandbox, shown with a Copy button


def steps(organization_id: int) -> list[Step]:
    """Every step, in the order the sandbox prints them."""
    integration = front.front_integration(organization_id)
    agent = agent_settings_for(organization_id)
    found = [_fake_front(), _front_token(integration)]
    if front.is_connected(integration):
        found += [_ai_teammate(integration), _ai_switched_on(integration)]
    found += [_app_secret(integration), _knowledge(organization_id)]
    found += _salesforce(organization_id, agent)
    return found


def ready(found: list[Step]) -> bool:
    return all(step.state != State.TODO for step in found)


def _front_settings(anchor: str = "") -> str:
    return url_for("front.settings") + anchor


def _fake_front() -> Step:
    """Switchboard must call the sandbox's fake Front, not Front itself, and the fake must be up."""
    api_url = current_app.config["FRONT_API_URL"]
    restart = f"FRONT_API_URL={SANDBOX_FRONT_URL} ALLOW_PRIVATE_OUTBOUND=1 switchboard serve"
    if not is_local_address(api_url):
        return Step(
            "Fake Front",
            State.TODO,
            f"Switchboard calls Front at {api_url}, not the sandbox's fake Front. Start `switchboard sandbox` in "
            "another terminal, then restart Switchboard pointed at it:",
            command=restart,
        )
    try:
        # Any answer will do (401 without a token): it proves the fake Front is listening there.
        requests.get(f"{api_url}/me", timeout=1.0)
    except requests.RequestException:
        return Step(
            "Fake Front",
            State.TODO,
            f"Nothing answers at {api_url}: the sandbox is not running. Start it in another terminal:",
            command="switchboard sandbox",
        )
    return Step("Fake Front", State.DONE, f"Switchboard calls the sandbox's fake Front at {api_url}.")


def _front_token(integration) -> Step:
    if not front.is_connected(integration):
        return Step(
            "Front",
            State.TODO,
            f"Front is not connected to the sandbox yet: connect it with the token the sandbox printed, "
            f"{SANDBOX_FRONT_TOKEN}.",
            "Connect Front",
            _front_settings(),
        )
    if integration.credential(front.API_TOKEN) != SANDBOX_FRONT_TOKEN:
        return Step(
            "Front",
            State.TODO,
            "Front is connected with another token than the sandbox's: its fake Front refuses it. Replace the "
            f"token with {SANDBOX_FRONT_TOKEN}.",
            "Replace the token",
            _front_settings(),
        )
    company = front.settings_of(integration).company_name or "the sandbox's Front"
    return Step("Front", State.DONE, f"Connected to {company} with the sandbox's token.")


def _ai_teammate(integration) -> Step:
    settings = front.settings_of(integration)
    if not settings.ai_teammate_id:
        return Step(
            "AI teammate",
            State.TODO,
            "No AI teammate is chosen: the AI answers only conversations assigned to it. Choose “Switchboard AI”.",
            "Choose the AI teammate",
            _front_settings(),
        )
    name = settings.ai_teammate_name or settings.ai_teammate_id
    return Step("AI teammate", State.DONE, f"The AI answers as {name}.")


def _ai_switched_on(integration) -> Step:
    if not integration.enabled:
        return Step(
            "AI switched on",
            State.TODO,
            "The integration is switched off: every message is skipped. Switch the AI on (the master switch).",
            "Switch the AI on",
            _front_settings(),
        )
    return Step("AI switched on", State.DONE, "The AI answers in Front.")


def _app_secret(integration) -> Step:
    if integration is None or not integration.credential(front.APP_SECRET):
        return Step(
            "Webhook",
            State.TODO,
            f"No app secret is saved: Switchboard refuses the sandbox's webhooks. Save {SANDBOX_APP_SECRET!r} as "
            "the app secret, then paste the webhook URL into the sandbox.",
            "Save the app secret",
            _front_settings(),
        )
    return Step(
        "Webhook",
        State.DONE,
        "The app secret is saved. Paste this webhook URL into the sandbox when it asks for it:",
        copy=front.webhook_url(integration),
    )


def _knowledge(organization_id: int) -> Step:
    articles = db.session.scalar(
        select(func.count())
        .select_from(KnowledgeArticle)
        .where(KnowledgeArticle.organization_id == organization_id, KnowledgeArticle.hidden.is_(False))
    )
    if not articles:
        return Step(
            "Knowledge",
            State.OPTIONAL,
            "No knowledge yet: the AI hands off what it cannot answer. Add a Front data source with the sandbox's "
            "token to import its Help Center.",
            "Add a data source",
            url_for("knowledge.data_sources"),
        )
    return Step("Knowledge", State.DONE, f"The AI answers from {articles} article{'s' if articles != 1 else ''}.")


def _channels_sent_to(agent: AgentSettings | None, destination: str) -> list[str]:
    if agent is None:
        return []
    return [name for channel, name in CHANNEL_NAMES.items() if agent.destination_for(channel) == destination]


def _in_words(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _salesforce(organization_id: int, agent: AgentSettings | None) -> list[Step]:
    """Handoffs to Salesforce need it connected (Cases) or set up (Live Messaging); without it they
    fall back to Front teammates, which in the chat looks like Salesforce was never asked."""
    from webapp.salesforce import callouts
    from webapp.salesforce.integration import is_connected, salesforce_integration
    from webapp.salesforce.messaging.settings import is_configured

    salesforce = url_for("salesforce.settings")
    to_cases = _channels_sent_to(agent, SALESFORCE_CASE)
    to_live = _channels_sent_to(agent, LIVE_MESSAGING)
    if not (to_cases or to_live):
        return [
            Step(
                "Salesforce",
                State.OPTIONAL,
                "Handoffs go to Front teammates. To try Salesforce, choose Salesforce Case (email) or Salesforce "
                "Live Messaging (web chat, SMS) in Handoff settings.",
                "Open Handoff settings",
                url_for("handoff.settings"),
            )
        ]
    integration = salesforce_integration(organization_id)
    found = []
    if to_cases and not is_connected(integration):
        found.append(
            Step(
                "Salesforce Cases",
                State.TODO,
                f"Handoffs of {_in_words(to_cases)} conversations go to a Salesforce Case, but Salesforce is not "
                "connected: they go to Front teammates instead. Save the fake Salesforce's Client ID, Client Secret "
                "and Login URL, then Connect to Salesforce.",
                "Connect Salesforce",
                salesforce + "#salesforce-connection",
            )
        )
    elif to_cases and not callouts.has_secret(integration):
        found.append(
            Step(
                "Salesforce Cases",
                State.OPTIONAL,
                "Salesforce is connected. /rep and /close-case need the callout secret: make it under Reps' replies.",
                "Make the callout secret",
                salesforce + "#salesforce-rep-replies",
            )
        )
    elif to_cases:
        found.append(Step("Salesforce Cases", State.DONE, "Salesforce is connected; /rep and /close-case work."))
    if to_live and not is_configured(integration):
        found.append(
            Step(
                "Live Messaging",
                State.TODO,
                f"Handoffs of {_in_words(to_live)} conversations go to Salesforce Live Messaging, but it is not set "
                "up: they go to Front teammates instead. Enter the fake's Instance URL, ES Developer Name and Org ID.",
                "Set up Live Messaging",
                salesforce + "#live-messaging",
            )
        )
    elif to_live:
        found.append(Step("Live Messaging", State.DONE, "Live Messaging is set up; /agent plays the live rep."))
    return found
