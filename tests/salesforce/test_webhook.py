"""POST /webhooks/salesforce/<token>: every refusal, replay, and journal-then-acknowledge."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from tests.conftest import unreachable_redis
from tests.salesforce.rep_replies import (
    CALLOUT_SECRET_VALUE,
    CASE_ID,
    closed,
    comment,
    connect_salesforce,
    email,
    post,
    stamped,
)
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus
from webapp.salesforce import callouts


def _journal() -> list[JournalEntry]:
    return list(db.session.scalars(select(JournalEntry).order_by(JournalEntry.id)))


def _journal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


@pytest.fixture
def salesforce(organization):
    return connect_salesforce(organization)


def test_a_signed_callout_is_journalled_first_then_acknowledged(client, salesforce):
    document = comment()
    response = post(client, salesforce, document)
    assert response.status_code == 200 and response.json == {"status": "accepted"}
    [entry] = _journal()
    assert entry.source == "salesforce" and entry.status == JournalStatus.PENDING
    assert entry.external_id == f"case_comment:{document['id']}" and entry.event_type == "case_comment"
    assert json.loads(entry.payload) == document  # the raw body, as delivered


def test_the_same_record_delivered_twice_is_journalled_once(client, salesforce):
    assert post(client, salesforce, comment()).json == {"status": "accepted"}
    again = post(client, salesforce, comment())  # re-sent: a new timestamp, the same record
    assert again.status_code == 200 and again.json == {"status": "duplicate"}
    assert _journal_count() == 1


def test_a_replayed_request_does_nothing(client, salesforce):
    """A captured request sent again, byte for byte, within the five minutes: the record it
    names is already journalled, so it is a duplicate and nothing more happens."""
    body, headers = callouts.signed_request(comment(), CALLOUT_SECRET_VALUE)
    url = f"/webhooks/salesforce/{salesforce.webhook_token}"
    assert client.post(url, data=body, headers=headers).json == {"status": "accepted"}
    replay = client.post(url, data=body, headers=headers)
    assert replay.status_code == 200 and replay.json == {"status": "duplicate"}
    assert _journal_count() == 1


def test_each_closing_of_a_case_is_an_event_of_its_own(client, salesforce):
    """Closed, reopened, closed again: the second closing is not a duplicate of the first."""
    assert post(client, salesforce, closed(timestamp=stamped(-60))).json == {"status": "accepted"}
    assert post(client, salesforce, closed(timestamp=stamped(0))).json == {"status": "accepted"}
    assert [e.external_id.split(":")[:2] for e in _journal()] == [["case_closed", CASE_ID]] * 2


def test_an_email_and_a_comment_with_the_same_words_are_two_records(client, salesforce):
    assert post(client, salesforce, comment("Same words")).status_code == 200
    assert post(client, salesforce, email("Same words")).status_code == 200
    assert _journal_count() == 2


@pytest.mark.parametrize(
    ("headers", "secret", "error"),
    [
        ({}, "another-secret", "X-Switchboard-Signature does not match"),
        ({"X-Switchboard-Signature": ""}, CALLOUT_SECRET_VALUE, "missing X-Switchboard-Signature"),
        ({"X-Switchboard-Signature": "bm90IGEgc2lnbmF0dXJl"}, CALLOUT_SECRET_VALUE, "does not match"),
        ({"X-Switchboard-Signature": "é\u2603"}, CALLOUT_SECRET_VALUE, "does not match"),
    ],
    ids=["wrong secret", "missing", "forged", "not ascii"],
)
def test_a_bad_signature_is_401_and_journals_nothing(client, salesforce, headers, secret, error):
    response = post(client, salesforce, comment(), secret=secret, **headers)
    assert response.status_code == 401 and error in response.json["error"]
    assert _journal_count() == 0


def test_a_body_changed_after_signing_is_401(client, salesforce):
    body, headers = callouts.signed_request(comment("Your refund is on its way."), CALLOUT_SECRET_VALUE)
    response = client.post(
        f"/webhooks/salesforce/{salesforce.webhook_token}", data=body.replace(b"refund", b"invoice"), headers=headers
    )
    assert response.status_code == 401 and _journal_count() == 0


@pytest.mark.parametrize("seconds", [-6 * 60, 6 * 60], ids=["stale", "from the future"])
def test_a_timestamp_more_than_five_minutes_off_is_401_even_when_signed(client, salesforce, seconds):
    response = post(client, salesforce, comment(timestamp=stamped(seconds)))
    assert response.status_code == 401 and "stale timestamp" in response.json["error"]
    assert _journal_count() == 0


@pytest.mark.parametrize(
    "stamp",
    [None, "1767225600000", True, float("nan"), float("inf"), 10**400],
    ids=["none", "text", "bool", "nan", "infinite", "huge"],
)
def test_a_missing_or_unreadable_timestamp_is_401(client, salesforce, stamp):
    document = comment()
    document["timestamp"] = stamp
    body = json.dumps(document).encode()  # NaN as JSON's NaN, which Python reads back
    response = client.post(
        f"/webhooks/salesforce/{salesforce.webhook_token}",
        data=body,
        headers={callouts.SIGNATURE_HEADER: callouts.sign(CALLOUT_SECRET_VALUE, body)},
    )
    assert response.status_code == 401 and "timestamp" in response.json["error"]
    assert _journal_count() == 0


def test_a_timestamp_within_five_minutes_is_accepted_either_way(client, salesforce):
    assert post(client, salesforce, comment(timestamp=stamped(-4 * 60))).status_code == 200
    assert post(client, salesforce, email(timestamp=stamped(4 * 60))).status_code == 200


def test_an_unknown_token_is_404(client, salesforce):
    body, headers = callouts.signed_request(comment(), CALLOUT_SECRET_VALUE)
    for token in ("not-the-token", "a" * 65, "bad\x00token", "%2e%2e"):
        response = client.post(f"/webhooks/salesforce/{token}", data=body, headers=headers)
        assert response.status_code == 404, token
    assert _journal_count() == 0


def test_another_organizations_token_does_not_take_this_ones_secret(client, world, salesforce):
    """Each organization's webhook checks its own secret: a callout signed for one org and sent
    to the other's URL is refused."""
    other = connect_salesforce(world.organization("Other Co"), secret="the-other-secret")
    assert post(client, other, comment()).status_code == 401
    assert post(client, other, comment(), secret="the-other-secret").status_code == 200
    [entry] = _journal()
    assert entry.organization_id == other.organization_id


def test_the_front_webhook_token_is_not_a_salesforce_one(client, integration, salesforce):
    response = post(client, salesforce, comment())
    assert response.status_code == 200
    front_url = f"/webhooks/salesforce/{integration.webhook_token}"
    body, headers = callouts.signed_request(comment(record_id="00aSB0000000009AAA"), CALLOUT_SECRET_VALUE)
    assert client.post(front_url, data=body, headers=headers).status_code == 404


def test_no_secret_saved_is_401(client, organization):
    without = connect_salesforce(organization, secret=None)
    response = post(client, without, comment())
    assert response.status_code == 401 and "no callout secret" in response.json["error"]
    assert _journal_count() == 0


def test_a_body_over_the_cap_is_413(app, client, salesforce):
    app.config["SALESFORCE_WEBHOOK_MAX_BYTES"] = 2048
    response = post(client, salesforce, comment("x" * 4000))
    assert response.status_code == 413 and _journal_count() == 0


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"not json", "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
    ],
)
def test_a_body_that_is_not_a_json_object_is_400(client, salesforce, body, error):
    response = client.post(
        f"/webhooks/salesforce/{salesforce.webhook_token}",
        data=body,
        headers={callouts.SIGNATURE_HEADER: callouts.sign(CALLOUT_SECRET_VALUE, body)},
    )
    assert response.status_code == 400 and error in response.json["error"]
    assert _journal_count() == 0


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"type": "opportunity_won"}, "not a Switchboard event"),
        ({"type": None}, "not a Switchboard event"),
        ({"id": "not-an-id"}, "id is not a Salesforce record id"),
        ({"id": None}, "id is not a Salesforce record id"),
        ({"caseId": "500"}, "caseId is not a Salesforce record id"),
        ({"body": 42}, "body is not a text"),
        ({"isPublished": "yes"}, "isPublished is not true or false"),
        ({"author": "x" * 300}, "author is not a text"),
    ],
)
def test_a_signed_body_that_is_not_one_of_our_events_is_400(client, salesforce, change, error):
    response = post(client, salesforce, {**comment(), **change})
    assert response.status_code == 400 and error in response.json["error"]
    assert _journal_count() == 0


def test_a_callout_is_acknowledged_when_redis_is_down(app, client, salesforce):
    """Journalled, so nothing is lost: the sweeper queues it once Redis is back."""
    app.extensions["redis"] = unreachable_redis()
    response = post(client, salesforce, comment())
    assert response.status_code == 200 and response.json == {"status": "accepted"}
    assert _journal()[0].status == JournalStatus.PENDING


def test_a_database_failure_is_503(client, salesforce, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from webapp import journal

    def broken(*args, **kwargs):
        raise OperationalError("INSERT", {}, Exception("database is down"))

    monkeypatch.setattr(journal, "record_delivery", broken)
    response = post(client, salesforce, comment())
    assert response.status_code == 503


def test_rotating_the_secret_stops_the_old_one_at_once(client, salesforce):
    new_secret = callouts.rotate_secret(salesforce)
    db.session.commit()
    assert new_secret != CALLOUT_SECRET_VALUE
    refused = post(client, salesforce, comment())
    assert refused.status_code == 401 and _journal_count() == 0
    assert post(client, salesforce, comment(), secret=new_secret).status_code == 200


def test_get_is_not_allowed(client, salesforce):
    assert client.get(f"/webhooks/salesforce/{salesforce.webhook_token}").status_code == 405


def test_the_token_is_masked_in_the_access_log():
    from webapp.weblog import mask_webhook_tokens

    assert (
        mask_webhook_tokens("POST /webhooks/salesforce/s3cr3t-token HTTP/1.1") == "POST /webhooks/salesforce/… HTTP/1.1"
    )


# -- whatever a signed body holds, the answer is a clear one, never a 500 ---------------------

_ANY = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)


def _near(valid):
    return st.one_of(st.just(valid), _ANY)


_documents = st.fixed_dictionaries(
    {
        "type": st.one_of(st.sampled_from([t.value for t in callouts.EventType]), _ANY),
        "id": _near("00aSB0000000001AAA"),
        "caseId": _near(CASE_ID),
        "caseNumber": _near("00001001"),
        "body": _near("Your order ships tomorrow."),
        "textBody": _near("Your order ships tomorrow."),
        "author": _near("Riley Rep"),
        "createdById": _near("005SB0000000002AAA"),
        "isPublished": _near(True),
        "status": _near("3"),
        "incoming": _near(False),
        "orgId": _near("00DSB0000000001AAA"),
    }
)


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(document=_documents, stamp=st.one_of(st.just("now"), _ANY))
def test_a_signed_body_of_any_shape_is_journalled_or_refused_clearly(client, salesforce, document, stamp):
    document = {**document, "timestamp": stamped(0) if stamp == "now" else stamp}
    before = _journal_count()
    response = post(client, salesforce, document)
    assert response.is_json and response.status_code in (200, 400, 401), response.status_code
    journalled = _journal_count() - before
    if response.status_code == 200:
        assert journalled == (1 if response.json["status"] == "accepted" else 0)
    else:
        assert response.json["error"] and journalled == 0
    db.session.rollback()


def test_an_access_token_refreshed_while_a_callout_arrives_does_not_cost_the_callout(client, salesforce, monkeypatch):
    """A worker refreshing the access token rewrites the stored credentials; a callout being
    received meanwhile is still journalled: Salesforce never sends it again."""
    from sqlalchemy.orm import Session

    from webapp.models import Integration
    from webapp.salesforce.integration import ACCESS_TOKEN

    integration_id, parse = salesforce.id, callouts.parse

    def parse_while_a_worker_refreshes(*args, **kwargs):
        with Session(db.engine) as worker:
            worker.get(Integration, integration_id).set_credential(ACCESS_TOKEN, "refreshed-access-token")
            worker.commit()
        return parse(*args, **kwargs)

    monkeypatch.setattr(callouts, "parse", parse_while_a_worker_refreshes)
    response = post(client, salesforce, comment())
    assert response.status_code == 200 and response.get_json() == {"status": "accepted"}
    assert db.session.scalar(select(func.count()).select_from(JournalEntry)) == 1
