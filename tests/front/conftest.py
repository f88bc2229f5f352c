"""Fixtures for the Front integration: a fake Front on loopback, a connected organization, and
a way to deliver signed webhooks the way Front does."""

from __future__ import annotations

import json
import time

import pytest

from tests.conftest import run_worker
from tests.fakes.front import FakeFront, FrontServer
from webapp.agent import AgentResult, Handoff, Reply, Resolve, set_agent_factory
from webapp.db import db
from webapp.front import actions, signatures
from webapp.models import Integration, IntegrationKind, Role

APP_SECRET = "front-app-secret-for-tests"
AI = "tea_ai"
HUMAN = "tea_bob"


@pytest.fixture
def fake_front(app) -> FakeFront:
    with FrontServer() as fake:
        app.config["FRONT_API_URL"] = fake.url
        app.config["FRONT_RETRY_BACKOFF"] = 0.0
        app.config["JOB_RETRY_INTERVALS"] = [0]
        fake.add_teammate(AI, "Switchboard", "AI", "ai@acme.test")
        fake.add_teammate(HUMAN, "Bob", "Builder", "bob@acme.test")
        yield fake


@pytest.fixture
def no_settle(monkeypatch):
    monkeypatch.setattr(actions, "SETTLE_SECONDS", 0.0)


@pytest.fixture
def organization(world):
    organization = world.organization()
    world.user(organization, Role.OWNER, email="owner@example.com")
    return organization


@pytest.fixture
def integration(organization, fake_front, no_settle) -> Integration:
    """Front connected: token, AI teammate, app secret, switched on, unassigned not handled."""
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.FRONT,
        enabled=True,
        settings={
            "ai_teammate_id": AI,
            "ai_teammate_name": "Switchboard AI",
            "handle_unassigned": False,
            "company_name": "Acme Inc",
            # A roomy budget, so retry tests do not also wait on the limiter (tested on its own).
            "rate_limit_per_minute": 6000,
            "teammates": [{"id": AI, "name": "Switchboard AI", "email": "ai@acme.test"}],
        },
        credentials={"api_token": fake_front.token, "app_secret": APP_SECRET},
        webhook_token="hook-token-for-tests",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def signed_headers(body: bytes, secret: str = APP_SECRET, timestamp: float | None = None) -> dict:
    stamp = str(int((timestamp if timestamp is not None else time.time()) * 1000))
    return {
        "Content-Type": "application/json",
        "X-Front-Request-Timestamp": stamp,
        "X-Front-Signature": signatures.sign_application(secret, stamp, body),
    }


class Deliverer:
    def __init__(self, client, integration):
        self.client = client
        self.integration = integration

    def __call__(self, event: dict, **headers):
        body = json.dumps(event).encode()
        return self.client.post(
            f"/webhooks/front/{self.integration.webhook_token}", data=body, headers={**signed_headers(body), **headers}
        )


@pytest.fixture
def deliver(client, integration) -> Deliverer:
    return Deliverer(client, integration)


class ScriptedAgent:
    """Decides what the test says, and says why."""

    def __init__(self, decision):
        self.decision = decision
        self.calls = 0

    def decide(self, context):
        self.calls += 1
        return AgentResult(self.decision, f"Scripted decision for: {context.message}")


@pytest.fixture
def agent_decides():
    """``agent_decides(Reply("..."))`` makes every organization's agent decide that."""

    def install(decision):
        agent = ScriptedAgent(decision)
        set_agent_factory(lambda organization_id: agent)
        return agent

    yield install
    set_agent_factory(None)


@pytest.fixture
def process():
    """Runs the queued webhook jobs to completion with a real RQ worker."""
    return run_worker


__all__ = ["AI", "HUMAN", "APP_SECRET", "Handoff", "Reply", "Resolve", "signed_headers"]
