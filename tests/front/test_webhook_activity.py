"""Webhook activity: every refusal of a known integration's webhook is counted (without ever
changing the answer), accepted events are counted from the journal, and Settings → Front shows
both in the admin's words."""

import json
import time
from datetime import timedelta

import pytest

from tests.conftest import unreachable_redis
from tests.front.conftest import signed_headers
from webapp import redis_server
from webapp.db import db
from webapp.front import activity, signatures
from webapp.front.activity import Refusal
from webapp.models import utcnow

PAGE = "/settings/ticketing/front"


def _post(client, integration, body: bytes, headers: dict):
    return client.post(f"/webhooks/front/{integration.webhook_token}", data=body, headers=headers)


def _event_body(fake_front, conversation="cnv_1") -> bytes:
    fake_front.add_conversation(conversation, assignee="tea_ai")
    return json.dumps(fake_front.event(fake_front.add_message(conversation, "Where is my order?"))).encode()


def _refusals(integration):
    return activity.refusals(integration.organization_id, utcnow())


def test_each_kind_of_refusal_is_counted_with_its_reason_and_status(app, client, integration, fake_front):
    body = _event_body(fake_front)
    assert _post(client, integration, body, signed_headers(body, secret="not-the-secret")).status_code == 401
    assert _post(client, integration, body, signed_headers(body, secret="not-the-secret")).status_code == 401
    assert _post(client, integration, body, {"Content-Type": "application/json"}).status_code == 401
    stale = signed_headers(body, timestamp=time.time() - 6 * 60)
    assert _post(client, integration, body, stale).status_code == 401
    broken = b'{"type": "inbound", "id": '
    assert _post(client, integration, broken, signed_headers(broken)).status_code == 400
    not_an_event = json.dumps({"type": "inbound"}).encode()
    assert _post(client, integration, not_an_event, signed_headers(not_an_event)).status_code == 400
    app.config["FRONT_WEBHOOK_MAX_BYTES"] = 100
    assert _post(client, integration, body, signed_headers(body)).status_code == 413
    assert client.post("/webhooks/front/not-a-known-token", data=body, headers=signed_headers(body)).status_code == 404

    refused = _refusals(integration)
    assert refused.counts == {
        Refusal.SIGNATURE_MISMATCH: 2,
        Refusal.SIGNATURE_MISSING: 1,
        Refusal.STALE_TIMESTAMP: 1,
        Refusal.MALFORMED: 2,
        Refusal.TOO_LARGE: 1,
    }
    assert refused.total == 7  # the unknown URL belongs to nobody: not counted
    assert refused.last[Refusal.SIGNATURE_MISMATCH].status == 401
    assert refused.last[Refusal.MALFORMED].status == 400
    assert refused.latest.reason == Refusal.TOO_LARGE and refused.latest.status == 413


def test_a_webhook_with_no_secret_saved_counts_as_no_secret(client, integration, fake_front):
    integration.credentials = {"api_token": fake_front.token}
    db.session.commit()
    body = _event_body(fake_front)
    assert _post(client, integration, body, signed_headers(body)).status_code == 401
    assert _refusals(integration).counts == {Refusal.NO_SECRET: 1}


@pytest.mark.parametrize(
    ("arguments", "reason"),
    [
        (dict(secret="s", signature=None, timestamp="1"), Refusal.SIGNATURE_MISSING),
        (dict(secret="s", signature="x", timestamp="1"), Refusal.STALE_TIMESTAMP),
        (dict(secret="s", signature="x", timestamp="soon"), Refusal.STALE_TIMESTAMP),
        (dict(secret="s", signature="x", timestamp="now"), Refusal.SIGNATURE_MISMATCH),
        (dict(secret=None, signature="x", timestamp="1"), Refusal.NO_SECRET),
        (dict(secret=None, signature="x", timestamp=None), Refusal.NO_SECRET),
        (dict(secret="s", signature="x", timestamp=None), Refusal.SIGNATURE_MISMATCH),
    ],
)
def test_every_signature_error_has_its_reason(arguments, reason):
    # "now" is read when the test runs, not when it is collected (a long run makes that stale).
    timestamp = str(int(time.time() * 1000)) if arguments["timestamp"] == "now" else arguments["timestamp"]
    with pytest.raises(signatures.SignatureError) as refused:
        signatures.verify(arguments["secret"], b"{}", arguments["signature"], timestamp)
    assert activity.refusal_for(refused.value) == reason


def test_refusals_older_than_a_day_leave_the_counts_but_the_last_one_is_remembered(integration):
    organization_id = integration.organization_id
    activity.record_refusal(organization_id, Refusal.SIGNATURE_MISMATCH, 401, at=time.time() - 25 * 3600)
    refused = activity.refusals(organization_id, utcnow())
    assert refused.counts == {} and refused.total == 0
    assert refused.latest.reason == Refusal.SIGNATURE_MISMATCH
    assert utcnow() - refused.latest.at > timedelta(hours=24)
    # Buckets expire by themselves: nothing is kept for more than a day and an hour.
    keys = redis_server.connection().keys(f"front:webhook-refusals:{organization_id}:*")
    assert keys and all(redis_server.connection().ttl(key) > 0 for key in keys)


def test_counting_a_refusal_is_one_pipelined_round_trip(client, integration, fake_front, monkeypatch):
    real = redis_server.connection()
    round_trips = []

    class Spy:
        def pipeline(self, **kwargs):
            pipeline = real.pipeline(**kwargs)
            execute = pipeline.execute
            pipeline.execute = lambda *a, **k: round_trips.append(len(pipeline.command_stack)) or execute(*a, **k)
            return pipeline

        def __getattr__(self, name):  # any command sent outside the pipeline is a round trip of its own
            round_trips.append(name)
            return getattr(real, name)

    monkeypatch.setattr(redis_server, "connection", lambda: Spy())
    body = _event_body(fake_front)
    assert _post(client, integration, body, signed_headers(body, secret="wrong")).status_code == 401
    assert round_trips == [4]


def test_redis_down_never_changes_the_answer_and_the_page_says_refusals_are_unknown(
    app, client, auth, integration, fake_front
):
    app.extensions["redis"] = unreachable_redis()
    body = _event_body(fake_front)
    response = _post(client, integration, body, signed_headers(body, secret="wrong"))
    assert response.status_code == 401 and response.json["error"] == "X-Front-Signature does not match"
    broken = b"{"
    assert _post(client, integration, broken, signed_headers(broken)).status_code == 400

    auth.login("owner@example.com")
    page = client.get(PAGE)
    assert page.status_code == 200
    assert "Refused requests cannot be counted right now: Redis is not reachable." in page.get_data(as_text=True)


def test_the_settings_page_shows_the_last_event_counts_by_kind_and_the_last_refusal(
    client, auth, integration, fake_front, deliver
):
    auth.login("owner@example.com")
    text = client.get(PAGE).get_data(as_text=True)
    assert "Webhook activity" in text and "None yet" in text
    assert "No request to the webhook URL was refused in the last 7 days." in text
    assert 'href="/settings/ticketing/front/troubleshooting"' in text

    assert deliver(json.loads(_event_body(fake_front))).status_code == 200
    assert deliver(fake_front.event(event_type="assign", conversation_id="cnv_1", teammate_id="tea_ai")).status_code
    body = _event_body(fake_front, "cnv_2")
    assert _post(client, integration, body, signed_headers(body, secret="an-old-secret")).status_code == 401

    text = client.get(PAGE).get_data(as_text=True)
    activity_section = text[text.index('id="webhook-activity"') :]
    assert "an assignment" in activity_section  # the last event received, in words
    assert "customer messages (inbound), 24 h</dt><dd>1" in activity_section
    assert "assignments, 24 h</dt><dd>1" in activity_section
    assert "teammate replies (outbound), 24 h</dt><dd>0" in activity_section
    assert "Refused, 24 h</dt><dd>1" in activity_section
    assert (
        "signature did not match: the app secret saved here is not the one Front signs with</strong> (answered 401)"
        in activity_section
    )


def test_activity_counts_only_this_organizations_front_events(world, integration, deliver, fake_front):
    other = world.organization("Other Co")
    activity.record_refusal(other.id, Refusal.SIGNATURE_MISMATCH, 401)
    deliver(json.loads(_event_body(fake_front)))
    mine = activity.webhook_activity(integration.organization_id, utcnow())
    theirs = activity.webhook_activity(other.id, utcnow())
    assert mine.events.total == 1 and mine.events.last.event_type == "inbound" and mine.refusals.total == 0
    assert theirs.events.total == 0 and theirs.events.last is None and theirs.refusals.total == 1
