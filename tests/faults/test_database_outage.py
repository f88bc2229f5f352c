"""The database is unavailable for a moment during ingest: Front gets a 5xx, so it delivers
again, and nothing half-written is left behind; the redelivery is then processed once.

The outage is injected under SQLAlchemy, at the driver: the database's own "connection lost"
error is raised for the statements of the chosen step, as a restarting server would.
"""

import json

import pytest
from sqlalchemy import event, func, select

from tests.front.conftest import AI, Reply, signed_headers
from webapp.db import db
from webapp.models import JournalEntry
from webapp.queue import get_queue


class Outage:
    """Fails every statement that matches, with the driver's OperationalError."""

    def __init__(self, engine, matches):
        self.engine = engine
        self.matches = matches
        self.failed = 0

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._fail)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._fail)

    def _fail(self, conn, cursor, statement, parameters, context, executemany):
        if self.matches(statement):
            self.failed += 1
            raise self.engine.dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")


@pytest.fixture
def deliver(client, integration):
    """Delivers by URL alone: the test's own rows are expired by the failed request's rollback."""
    url = f"/webhooks/front/{integration.webhook_token}"

    def post(event_body: dict):
        body = json.dumps(event_body).encode()
        return client.post(url, data=body, headers=signed_headers(body))

    return post


STEPS = {
    "the whole database": lambda statement: True,
    "looking up the webhook URL": lambda statement: "FROM integrations" in statement,
    "writing the journal": lambda statement: "INSERT INTO webhook_journal" in statement,
}


@pytest.mark.parametrize("down", STEPS)
def test_a_database_outage_at_ingest_answers_503_and_leaves_nothing_half_written(
    app, deliver, fake_front, process, agent_decides, down
):
    agent_decides(Reply("Your order ships tomorrow."))
    fake_front.add_conversation("cnv_1", assignee=AI)
    event_body = fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))

    with Outage(db.engine, STEPS[down]) as outage:
        response = deliver(event_body)
    assert outage.failed >= 1
    assert response.status_code == 503
    assert "deliver again" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 0
    assert get_queue("webhooks").count == 0

    assert deliver(event_body).status_code == 200  # Front's redelivery, once the database is back
    process()
    assert len(fake_front.replies("cnv_1")) == 1


def test_a_commit_that_fails_leaves_no_journal_row(app, deliver, fake_front, monkeypatch):
    """The INSERT went through but the COMMIT did not: the row must not survive."""
    fake_front.add_conversation("cnv_1", assignee=AI)
    dialect = db.engine.dialect
    failures = []

    def lost_at_commit(dbapi_connection):
        failures.append(1)
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", lost_at_commit)
    response = deliver(fake_front.event(fake_front.add_message("cnv_1", "Where is my order?")))
    monkeypatch.undo()
    assert failures and response.status_code == 503
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 0
    assert get_queue("webhooks").count == 0
