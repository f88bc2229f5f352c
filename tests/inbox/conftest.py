"""Fixtures for the Inbox: the logged-in owner's organization connected to the fake Front."""

from __future__ import annotations

import pytest

from tests.front.conftest import AI, HUMAN, Deliverer, fake_front, no_settle  # noqa: F401
from webapp.db import db
from webapp.models import Integration, IntegrationKind

WEBHOOK_TOKEN = "inbox-hook-token-for-tests"


@pytest.fixture
def connect_front(owner, fake_front, no_settle):
    """``connect_front(enabled=..., handle_unassigned=...)``: the owner's organization connected
    to the fake Front, with the AI teammate chosen."""

    def connect(*, enabled: bool = True, handle_unassigned: bool = False, token: str | None = None) -> Integration:
        integration = Integration(
            organization_id=owner.organization_id,
            kind=IntegrationKind.FRONT,
            enabled=enabled,
            settings={
                "ai_teammate_id": AI,
                "ai_teammate_name": "Switchboard AI",
                "handle_unassigned": handle_unassigned,
                "company_name": "Acme Inc",
                "rate_limit_per_minute": 6000,
                "teammates": [{"id": AI, "name": "Switchboard AI", "email": "ai@acme.test"}],
            },
            credentials={"api_token": token or fake_front.token, "app_secret": "front-app-secret-for-tests"},
            webhook_token=WEBHOOK_TOKEN,
        )
        db.session.add(integration)
        db.session.commit()
        return integration

    return connect


@pytest.fixture
def deliver(client):
    """``deliver(integration, event)``: a signed webhook, as Front sends it."""
    return lambda integration, event: Deliverer(client, integration)(event)


__all__ = ["AI", "HUMAN"]
