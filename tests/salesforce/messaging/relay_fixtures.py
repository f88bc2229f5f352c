"""What the relay tests stand on: Live Messaging conversations as a handoff leaves them (in the
database, and open in the fake MIAW), the relay running in a thread of the test, and a
stand-in for the handoff's handler that records what the relay's jobs hand it."""

from __future__ import annotations

import asyncio
import threading
import uuid
from dataclasses import dataclass, field

import pytest

from tests.conftest import run_worker, wait_for
from tests.salesforce.messaging.settings_helpers import configure, fake_miaw, upload_key
from webapp.agent import settings as agent_settings
from webapp.db import db
from webapp.models import CHANNELS, Channel, MessagingConversation, MessagingStatus, SessionStatus
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging import handoff, streams
from webapp.salesforce.messaging.client import client_for, token_expiry
from webapp.salesforce.messaging.events import Kind, MessagingEvent
from webapp.salesforce.messaging.identity import customer_identity_token
from webapp.salesforce.messaging.relay import Relay
from webapp.sandbox.miaw import FakeMessaging

__all__ = ["fake_miaw", "handled", "live_messaging", "live_messaging_for"]


def add_conversation(world, organization, *, status=MessagingStatus.ROUTING, **fields) -> MessagingConversation:
    """A conversation row as the handoff leaves it (not open in any fake)."""
    support_session = world.session(organization, Channel.WEB, status=SessionStatus.HANDED_OFF)
    row = MessagingConversation(
        organization_id=organization.id,
        session_id=support_session.id,
        conversation_id=fields.pop("conversation_id", f"00000000-0000-4000-8000-{support_session.id:012d}"),
        status=status,
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def handed_off(world, organization, fake: FakeMessaging, *, email: str | None = None) -> MessagingConversation:
    """A session handed to Live Messaging: a conversation open in the fake with a token of its
    own (a verified one for a customer known by ``email``), stored as the handoff stores it."""
    if not email:
        conversation_id, answer = fake.open_conversation()
        return store_handoff(world, organization, conversation_id, answer)
    integration = salesforce_integration(organization.id)
    client = client_for(integration)
    grant = client.authenticated_token(customer_identity_token(integration, email))
    conversation_id = str(uuid.uuid4())
    client.create_conversation(grant, conversation_id, None, language="en_US")
    answer = {"accessToken": grant.access_token, "lastEventId": grant.last_event_id}
    return store_handoff(world, organization, conversation_id, answer, subject=grant.subject, email=email)


def store_handoff(
    world, organization, conversation_id: str, answer: dict, *, subject: str | None = None, email: str | None = None
) -> MessagingConversation:
    """The rows a handoff leaves for a conversation opened with the token ``answer`` (the token
    endpoint's JSON)."""
    support_session = world.session(organization, Channel.WEB, status=SessionStatus.HANDED_OFF, contact_email=email)
    token = answer["accessToken"]
    row = MessagingConversation(
        organization_id=organization.id,
        session_id=support_session.id,
        conversation_id=conversation_id,
        status=MessagingStatus.ROUTING,
        authenticated=bool(email),
        end_user_subject=subject or (answer.get("context") or {}).get("endUser", {}).get("subject"),
        token_expires_at=token_expiry(token),
        last_event_id=answer["lastEventId"],
    )
    row.set_credential(streams.ACCESS_TOKEN, token)
    support_session.miaw_conversation_id = conversation_id
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def live_messaging_for(app, fake_miaw):
    """Sets an organization up to hand every channel to Live Messaging on the fake, its key
    uploaded there."""

    def set_up(organization):
        configure(organization.id, fake_miaw)
        upload_key(fake_miaw)
        settings = agent_settings.get_or_create(organization.id)
        settings.destinations = {channel: "salesforce_live_messaging" for channel in CHANNELS}
        db.session.commit()
        app.config["JOB_RETRY_INTERVALS"] = [0]
        return organization

    return set_up


@pytest.fixture
def live_messaging(world, live_messaging_for):
    """An organization whose Live Messaging deployment is the fake."""
    return live_messaging_for(world.organization())


@dataclass
class Handled:
    """What the relay's jobs handed the handoff, in order."""

    events: list[tuple[int, MessagingEvent]] = field(default_factory=list)

    def __call__(self, conversation_row_id: int, event: MessagingEvent) -> None:
        self.events.append((conversation_row_id, event))

    def texts(self, row_id: int | None = None) -> list[str]:
        return [e.text for r, e in self.events if e.kind == Kind.REP_MESSAGE and row_id in (None, r)]

    def kinds(self, row_id: int | None = None) -> list[Kind]:
        return [e.kind for r, e in self.events if row_id in (None, r)]


@pytest.fixture
def handled(monkeypatch) -> Handled:
    """Stands in for the handoff's handler of relayed events."""
    recorder = Handled()
    monkeypatch.setattr(handoff, "relay_event", recorder)
    return recorder


def queued_jobs() -> int:
    from webapp.queue import get_queue

    return get_queue("webhooks").count


def relay_until(handled: Handled, condition, what: str, timeout: float = 20) -> None:
    """Run the queued jobs until ``condition(handled)`` holds."""

    def done():
        if queued_jobs():
            run_worker()
        return condition(handled)

    wait_for(done, timeout, what, every=0.1)


class RelayThread:
    """The relay on an event loop of its own, in a thread of the test, until ``stop()``."""

    def __init__(self, app, **options):
        options.setdefault("lease_seconds", 3)
        options.setdefault("wait", lambda failures: 0.05)
        self.relay = Relay(app, **options)
        self._started = threading.Event()
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._started.set()
        await self.relay.run(self._stop)

    def __enter__(self) -> RelayThread:
        self._thread.start()
        self._started.wait(5)
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        if self._thread.is_alive():
            self.loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(20)
        assert not self._thread.is_alive(), "the relay did not stop"

    def holding(self, count: int, fake: FakeMessaging | None = None, timeout: float = 20) -> None:
        """Wait until the relay holds ``count`` streams (open at the fake, when given)."""
        wait_for(
            lambda: len(self.relay.streams) == count and (fake is None or fake.open_streams() >= count),
            timeout,
            f"the relay to hold {count} streams",
        )
