"""`switchboard relay` as production runs it: a process of its own against the fake MIAW in a
process of its own. A relay killed with SIGKILL has its streams taken over by another within
the lease, with no rep message lost or relayed twice; one stopped with SIGTERM hands its
streams back at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import requests

from tests.conftest import wait_for
from tests.salesforce.messaging.relay_fixtures import handled, relay_until, store_handoff
from webapp.db import db
from webapp.models import MessagingConversation
from webapp.salesforce.integration import get_or_create
from webapp.salesforce.messaging.settings import update_live_messaging
from webapp.sandbox.miaw import ES_DEVELOPER_NAME
from webapp.sandbox.salesforce import ORG_ID, to_18

__all__ = ["handled"]

LEASE_SECONDS = 3


class FakeInItsOwnProcess:
    """``python -m webapp.sandbox.miaw``, played over its HTTP controls."""

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp.sandbox.miaw", "--ping-interval", "1"],
            stdout=subprocess.PIPE,
            text=True,
        )
        self.url = self.process.stdout.readline().strip()

    def control(self, name: str, **arguments):
        answer = requests.post(f"{self.url}/__fake__/{name}", json=arguments, timeout=10)
        answer.raise_for_status()
        return answer.json()["result"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


@pytest.fixture
def remote_fake():
    fake = FakeInItsOwnProcess()
    yield fake
    fake.stop()


@pytest.fixture
def start_relay(app, tmp_path):
    """Starts `switchboard relay` processes on the test's database and Redis."""
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DATABASE_URL": app.config["DATABASE_URL"],
        "REDIS_URL": app.config["REDIS_URL"],
        "ENCRYPTION_KEYS": ",".join(app.config["ENCRYPTION_KEYS"]),
        "SECRET_KEY": "test-secret",
        "ALLOW_PRIVATE_OUTBOUND": "1",
        "RELAY_LEASE_SECONDS": str(LEASE_SECONDS),
    }

    def start(name: str) -> subprocess.Popen:
        log = open(tmp_path / f"{name}.log", "wb")
        process = subprocess.Popen(
            [sys.executable, "-m", "webapp.cli", "relay"],
            env={**env, "INSTANCE_PATH": str(tmp_path / name)},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait()


def organization_on(world, fake: FakeInItsOwnProcess):
    organization = world.organization()
    update_live_messaging(
        get_or_create(organization.id),
        instance_url=fake.url,
        es_developer_name=ES_DEVELOPER_NAME,
        org_id=to_18(ORG_ID[:15]),
    )
    db.session.commit()
    return organization


def owners(rows) -> list[str | None]:
    db.session.rollback()
    return [db.session.get(MessagingConversation, row.id, populate_existing=True).lease_owner for row in rows]


def held_by(process: subprocess.Popen, rows) -> bool:
    return all(owner and f"-{process.pid}-" in owner for owner in owners(rows))


def test_a_killed_relays_streams_are_taken_over_with_no_message_lost_or_relayed_twice(
    app, world, remote_fake, start_relay, handled
):
    organization = organization_on(world, remote_fake)
    rows = [store_handoff(world, organization, *remote_fake.control("open_conversation")) for _ in range(3)]
    first = start_relay("first")
    wait_for(lambda: held_by(first, rows) and remote_fake.control("open_streams") == 3, 60, "the first relay")
    second = start_relay("second")  # a standby: the first holds everything

    for number, row in enumerate(rows):
        remote_fake.control("agent_message", conversation_id=row.conversation_id, text=f"before {number}")
    relay_until(handled, lambda h: len(h.texts()) == 3, "the messages before the kill")
    first.send_signal(signal.SIGKILL)
    first.wait()
    for number, row in enumerate(rows):
        remote_fake.control("agent_message", conversation_id=row.conversation_id, text=f"meanwhile {number}")
    wait_for(lambda: held_by(second, rows), 60, "the second relay to take the streams over")
    relay_until(handled, lambda h: len(h.texts()) == 6, "the messages sent while no relay held the streams")
    for number, row in enumerate(rows):
        remote_fake.control("agent_message", conversation_id=row.conversation_id, text=f"after {number}")
    relay_until(handled, lambda h: len(h.texts()) == 9, "the messages after the takeover")

    for number, row in enumerate(rows):
        assert handled.texts(row.id) == [f"before {number}", f"meanwhile {number}", f"after {number}"]
    assert second.poll() is None


def test_a_stopped_relay_hands_its_streams_back_at_once(app, world, remote_fake, start_relay):
    organization = organization_on(world, remote_fake)
    rows = [store_handoff(world, organization, *remote_fake.control("open_conversation")) for _ in range(2)]
    relay = start_relay("relay")
    wait_for(lambda: held_by(relay, rows), 60, "the relay to hold the streams")

    relay.send_signal(signal.SIGTERM)

    assert relay.wait(timeout=30) == 0
    assert owners(rows) == [None, None]
