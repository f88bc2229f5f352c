"""Fixtures for the Case handoff tests: a fake Salesforce on loopback, checked against the spec, and
an organization connected to it. Test modules import what they use (with the Front fixtures of
tests.front.conftest when Front is involved)."""

from __future__ import annotations

import pytest

from tests.fakes.salesforce import FakeSalesforce, SalesforceServer, checked_fake
from webapp.agent import settings as agent_settings
from webapp.db import db
from webapp.models import CHANNELS, Integration, IntegrationKind, Organization
from webapp.salesforce.integration import ACCESS_TOKEN, CLIENT_SECRET, REFRESH_TOKEN
from webapp.sandbox.salesforce import Held

EXTERNAL_ID_FIELD = "Switchboard_Key__c"


@pytest.fixture
def fake_salesforce(app) -> FakeSalesforce:
    """A fake org on loopback; Salesforce's waits between attempts are none, its timeout short,
    though not so short that an answered call times out on a busy machine (1 s did, once, with
    both suites and a browser sharing two cores); a held answer outlasts it well."""
    fake = checked_fake()
    fake.timeout_hold = 8.0
    with SalesforceServer(fake):
        app.config.update(ALLOW_PRIVATE_OUTBOUND=True, SALESFORCE_RETRY_BACKOFF=0.0, SALESFORCE_TIMEOUT=3.0)
        yield fake


def connect_salesforce(organization: Organization, fake: FakeSalesforce, **case_options) -> Integration:
    """The organization connected to the fake org, as the OAuth callback leaves it."""
    tokens = fake.issue_tokens()
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.SALESFORCE,
        enabled=True,
        settings={
            "client_id": fake.client_id,
            "login_url": fake.url,
            "state": "connected",
            "username": fake.username,
            "user_id": fake.user_id,
            "org_id": fake.org_id,
            "instance_url": fake.url,
            **case_options,
        },
        credentials={
            CLIENT_SECRET: fake.client_secret,
            ACCESS_TOKEN: tokens["access_token"],
            REFRESH_TOKEN: tokens["refresh_token"],
        },
        webhook_token=f"salesforce-hook-{organization.id}",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def hand_off_to_cases(organization: Organization, channels=CHANNELS) -> None:
    """Handoff settings: the given channels go to a Salesforce Case."""
    settings = agent_settings.get_or_create(organization.id)
    settings.destinations = {channel: "salesforce_case" for channel in channels}
    db.session.commit()


class _WritingComposite:
    """Matches a composite request that writes (``allOrNone`` true), not the lookup before it."""

    def __init__(self, fake: FakeSalesforce):
        self.fake = fake

    def search(self, path: str) -> bool:
        body = self.fake.calls[-1].body if self.fake.calls else None
        return path.endswith("/composite") and isinstance(body, dict) and body.get("allOrNone") is True


def write_then_time_out(fake: FakeSalesforce, times: int = 1) -> None:
    """The next writing composite request is done, and answered too late for the client."""
    fake.held.append(Held("POST", _WritingComposite(fake), times))


def rest_calls(fake: FakeSalesforce) -> list[str]:
    return [f"{call.method} {call.path.split('/v68.0', 1)[-1]}" for call in fake.data_calls()]
