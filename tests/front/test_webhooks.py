"""POST /webhooks/front/<token>: every refusal, the handshake, and journal-then-acknowledge."""

import json
import time

from sqlalchemy import func, select

from tests.conftest import unreachable_redis
from tests.front.conftest import APP_SECRET, signed_headers
from webapp.db import db
from webapp.front import signatures
from webapp.models import JournalEntry, JournalStatus


def _journal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


def _event(fake_front):
    fake_front.add_conversation("cnv_1", assignee="tea_ai")
    return fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))


def test_a_signed_application_webhook_is_journalled_and_acknowledged(deliver, fake_front):
    response = deliver(_event(fake_front))
    assert response.status_code == 200
    assert response.json == {"status": "accepted"}
    entry = db.session.scalar(select(JournalEntry))
    assert entry.source == "front" and entry.event_type == "inbound" and entry.status == JournalStatus.PENDING
    assert json.loads(entry.payload)["payload"]["type"] == "inbound"  # raw body kept as delivered


def test_a_legacy_rule_webhook_signed_with_sha1_is_accepted(client, integration, fake_front):
    body = json.dumps(
        fake_front.event(fake_front.add_message(fake_front.add_conversation("cnv_1")["id"], "hi"), envelope=False)
    ).encode()
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}",
        data=body,
        headers={"Content-Type": "application/json", "X-Front-Signature": signatures.sign_legacy(APP_SECRET, body)},
    )
    assert response.status_code == 200 and _journal_count() == 1


def _rule_webhook(client, integration, fake_front, secret: str):
    conversation = fake_front.add_conversation(f"cnv_rule_{_journal_count()}")["id"]
    body = json.dumps(fake_front.event(fake_front.add_message(conversation, "hi"), envelope=False)).encode()
    return client.post(
        f"/webhooks/front/{integration.webhook_token}",
        data=body,
        headers={"Content-Type": "application/json", "X-Front-Signature": signatures.sign_legacy(secret, body)},
    )


def test_rule_webhooks_signed_with_the_company_api_secret_are_accepted_once_it_is_saved(
    client, integration, fake_front, auth, organization
):
    """Front signs rule webhooks with the company's API secret, not the app secret."""
    from tests.conftest import csrf_token
    from webapp.front.integration import RULE_SECRET

    assert _rule_webhook(client, integration, fake_front, "company-api-secret").status_code == 401
    auth.login("owner@example.com")
    page = "/settings/ticketing/front"
    response = client.post(
        f"{page}/rule-secret", data={"api_secret": " company-api-secret ", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302
    db.session.refresh(integration)
    assert integration.credential(RULE_SECRET) == "company-api-secret"
    assert "company-api-secret" not in client.get(page).get_data(as_text=True)

    assert _rule_webhook(client, integration, fake_front, "company-api-secret").status_code == 200
    assert _rule_webhook(client, integration, fake_front, APP_SECRET).status_code == 200  # as before
    assert _rule_webhook(client, integration, fake_front, "another-secret").status_code == 401
    assert _journal_count() == 2

    # The rule secret never signs an application webhook, which needs the app secret and a timestamp.
    body = json.dumps(_event(fake_front)).encode()
    forged = client.post(
        f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body, "company-api-secret")
    )
    assert forged.status_code == 401 and _journal_count() == 2

    client.post(f"{page}/rule-secret/forget", data={"csrf_token": csrf_token(client, page)})
    assert _rule_webhook(client, integration, fake_front, "company-api-secret").status_code == 401


def test_the_challenge_handshake_is_answered(client, integration):
    body = json.dumps({"type": "sync", "authorization": {"id": "cmp_1"}}).encode()
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}",
        data=body,
        headers={**signed_headers(body), "X-Front-Challenge": "abc123"},
    )
    assert response.status_code == 200
    assert response.json == {"challenge": "abc123"}
    assert _journal_count() == 0


def test_the_sync_validation_body_without_challenge_is_acknowledged_not_journalled(deliver):
    assert deliver({"type": "sync", "authorization": {"id": "cmp_1"}}).status_code == 200
    assert _journal_count() == 0


def test_an_unknown_token_is_404(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    response = client.post("/webhooks/front/not-a-token", data=body, headers=signed_headers(body))
    assert response.status_code == 404 and _journal_count() == 0


def test_a_wrong_signature_is_401(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body, secret="wrong")
    )
    assert response.status_code == 401
    assert response.json["error"] == "X-Front-Signature does not match"
    assert _journal_count() == 0


def test_a_missing_signature_is_401(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}", data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401 and response.json["error"] == "missing X-Front-Signature"
    assert _journal_count() == 0


def test_a_body_changed_after_signing_is_401(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    headers = signed_headers(body)
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}", data=body.replace(b"order", b"refund"), headers=headers
    )
    assert response.status_code == 401 and _journal_count() == 0


def test_a_stale_timestamp_is_401_even_when_correctly_signed(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    response = client.post(
        f"/webhooks/front/{integration.webhook_token}",
        data=body,
        headers=signed_headers(body, timestamp=time.time() - 6 * 60),
    )
    assert response.status_code == 401 and "stale" in response.json["error"]
    assert _journal_count() == 0


def test_a_webhook_before_the_app_secret_is_saved_is_401(client, integration, fake_front):
    integration.credentials = {"api_token": fake_front.token}
    db.session.commit()
    body = json.dumps(_event(fake_front)).encode()
    response = client.post(f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body))
    assert response.status_code == 401 and "no app secret" in response.json["error"]


def test_a_body_over_the_cap_is_413(app, client, integration):
    app.config["FRONT_WEBHOOK_MAX_BYTES"] = 1000
    body = json.dumps({"type": "inbound", "id": "evt_1", "padding": "x" * 2000}).encode()
    response = client.post(f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body))
    assert response.status_code == 413 and _journal_count() == 0


def test_malformed_json_is_400(client, integration):
    body = b'{"type": "inbound", "id": '
    response = client.post(f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body))
    assert response.status_code == 400 and response.json["error"] == "the body is not valid JSON"
    assert _journal_count() == 0


def test_json_that_is_not_utf8_is_400(client, integration):
    body = json.dumps({"type": "inbound", "id": "evt_1"}).encode("utf-16")
    response = client.post(f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body))
    assert response.status_code == 400 and _journal_count() == 0


def test_json_that_is_not_an_event_is_400(deliver):
    assert deliver({"type": "inbound"}).status_code == 400
    assert deliver(["not", "an", "object"]).status_code == 400
    assert _journal_count() == 0


def test_a_duplicate_delivery_is_acknowledged_and_journalled_once(deliver, fake_front):
    event = _event(fake_front)
    assert deliver(event).json == {"status": "accepted"}
    assert deliver(event).json == {"status": "duplicate"}
    assert deliver(event).status_code == 200
    assert _journal_count() == 1


def test_redis_down_at_ingest_still_journals_and_acknowledges(app, deliver, fake_front):
    app.extensions["redis"] = unreachable_redis()
    response = deliver(_event(fake_front))
    assert response.status_code == 200
    assert db.session.scalar(select(JournalEntry)).status == JournalStatus.PENDING


def test_a_database_failure_at_ingest_answers_503_so_front_retries(app, deliver, fake_front, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from webapp import journal

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(journal, "record_delivery", broken)
    response = deliver(_event(fake_front))
    assert response.status_code == 503
    assert _journal_count() == 0


def test_a_new_app_secret_or_webhook_token_is_used_by_the_very_next_delivery(client, integration, fake_front):
    """The process remembers the integration, and nothing has to be told of a change: a
    refusal on a remembered secret looks again, and the journal writes nothing for a token or
    secret the integration no longer has, so the delivery is decided again on what it has."""
    from webapp.front.integration import APP_SECRET as APP_SECRET_NAME
    from webapp.models.integration import new_webhook_token

    def post(token, secret):
        conversation = fake_front.add_conversation(f"cnv_{time.monotonic_ns()}")["id"]
        body = json.dumps(fake_front.event(fake_front.add_message(conversation, "hi"))).encode()
        return client.post(f"/webhooks/front/{token}", data=body, headers=signed_headers(body, secret))

    old_token = integration.webhook_token
    assert post(old_token, APP_SECRET).status_code == 200

    integration.set_credential(APP_SECRET_NAME, "a-brand-new-app-secret")
    db.session.commit()
    assert post(old_token, APP_SECRET).status_code == 401
    assert post(old_token, "a-brand-new-app-secret").status_code == 200

    integration.webhook_token = new_webhook_token()
    db.session.commit()
    assert post(old_token, "a-brand-new-app-secret").status_code == 404
    assert post(integration.webhook_token, "a-brand-new-app-secret").status_code == 200
    assert _journal_count() == 3


def _post_event(client, fake_front, token, secret=APP_SECRET, headers=None):
    conversation = fake_front.add_conversation(f"cnv_{time.monotonic_ns()}")["id"]
    body = json.dumps(fake_front.event(fake_front.add_message(conversation, "hi"))).encode()
    return client.post(f"/webhooks/front/{token}", data=body, headers=signed_headers(body, secret) | (headers or {}))


def test_a_remembered_integration_costs_a_delivery_no_lookup(app, client, integration, fake_front):
    from sqlalchemy import event

    assert _post_event(client, fake_front, integration.webhook_token).status_code == 200
    statements = []

    def note(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split()[0].upper())

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        assert _post_event(client, fake_front, integration.webhook_token).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert statements == ["INSERT"] and _journal_count() == 2


def test_a_redelivery_to_a_remembered_integration_is_still_a_duplicate(client, integration, fake_front):
    body = json.dumps(_event(fake_front)).encode()
    url = f"/webhooks/front/{integration.webhook_token}"
    assert client.post(url, data=body, headers=signed_headers(body, APP_SECRET)).get_json() == {"status": "accepted"}
    again = client.post(url, data=body, headers=signed_headers(body, APP_SECRET))
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    assert _journal_count() == 1


def test_an_old_url_fails_front_s_challenge_at_once_though_it_was_remembered(client, integration, fake_front):
    from webapp.models import integration as integrations

    old_token = integration.webhook_token
    assert _post_event(client, fake_front, old_token).status_code == 200  # remembered now
    integration.webhook_token = integrations.new_webhook_token()
    db.session.commit()
    challenge = {"X-Front-Challenge": "abc"}
    assert _post_event(client, fake_front, old_token, headers=challenge).status_code == 404
    answered = _post_event(client, fake_front, integration.webhook_token, headers=challenge)
    assert answered.status_code == 200 and answered.get_json() == {"challenge": "abc"}


def test_a_remembered_integration_is_looked_up_again_after_a_minute(client, integration, fake_front, monkeypatch):
    from webapp.models import integration as integrations

    old_token = integration.webhook_token
    assert _post_event(client, fake_front, old_token).status_code == 200
    integration.webhook_token = integrations.new_webhook_token()
    db.session.commit()
    monkeypatch.setattr(integrations, "REMEMBERED_SECONDS", 0.0)
    oversized = b"x" * (client.application.config["FRONT_WEBHOOK_MAX_BYTES"] + 1)
    gone = client.post(f"/webhooks/front/{old_token}", data=oversized)
    assert gone.status_code == 404  # not a refusal counted for the organization


def test_a_refusal_on_a_remembered_url_cut_off_by_a_new_token_is_404_and_counted_nowhere(
    app, client, integration, fake_front
):
    """Within the minute the old URL is remembered, an oversized or malformed body sent to it is
    not refused as if the URL still worked: it is looked up again, unknown, and nothing is
    counted against the organization's webhook activity."""
    from datetime import UTC, datetime

    from webapp.front import activity
    from webapp.models import integration as integrations

    old_token = integration.webhook_token
    assert _post_event(client, fake_front, old_token).status_code == 200  # remembered now
    integration.webhook_token = integrations.new_webhook_token()
    db.session.commit()

    oversized = b"x" * (app.config["FRONT_WEBHOOK_MAX_BYTES"] + 1)
    assert client.post(f"/webhooks/front/{old_token}", data=oversized).status_code == 404
    malformed = b'{"type": "inbound", "id": '
    assert (
        client.post(f"/webhooks/front/{old_token}", data=malformed, headers=signed_headers(malformed)).status_code
        == 404
    )
    assert activity.refusals(integration.organization_id, datetime.now(UTC)).counts == {}

    # The same bodies on the URL as it is now are refused, and counted, as before.
    assert client.post(f"/webhooks/front/{integration.webhook_token}", data=oversized).status_code == 413
    current = client.post(
        f"/webhooks/front/{integration.webhook_token}", data=malformed, headers=signed_headers(malformed)
    )
    assert current.status_code == 400
    counts = activity.refusals(integration.organization_id, datetime.now(UTC)).counts
    assert counts == {activity.Refusal.TOO_LARGE: 1, activity.Refusal.MALFORMED: 1}
