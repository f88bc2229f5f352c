"""POST /webhooks/front/<token> under anything the internet can send.

Whatever the body, headers, signature or timestamp, the answer is one of the documented ones
(never a 500), and only a correctly signed, fresh Front event reaches the journal.
"""

from __future__ import annotations

import base64
import json
import math
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from webapp.db import db
from webapp.front import events, signatures
from webapp.front.events import APPLICATION_TYPES, CORE_TYPES
from webapp.models import Integration, IntegrationKind, JournalEntry

APP_SECRET = "front-app-secret-for-properties"
TOKEN = "hook-token-for-properties"
CAP = 16 * 1024  # FRONT_WEBHOOK_MAX_BYTES for these tests, so oversized bodies stay cheap to build
ANSWERS = {200, 202, 204, 400, 401, 404, 413}
SCRIPT = "<script>alert(1)</script>"

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture
def webhook_url(app, world) -> str:
    """An organization whose Front app secret is saved; no Front API is ever called here."""
    app.config["FRONT_WEBHOOK_MAX_BYTES"] = CAP
    organization = world.organization()
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={},
            credentials={"app_secret": APP_SECRET},
            webhook_token=TOKEN,
        )
    )
    db.session.commit()
    return f"/webhooks/front/{TOKEN}"


def _journal_count() -> int:
    return db.session.scalar(select(func.count()).select_from(JournalEntry))


# -- what arrives ------------------------------------------------------------------------------

# Any code point, lone surrogates (JSON can escape them) and the usual troublemakers.
hostile_characters = st.one_of(
    st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\x01\x1f\x7f\x85\u2028\ufeff\uffff")
)
hostile_text = st.one_of(
    st.text(hostile_characters, max_size=24),
    st.sampled_from(["", " ", "\x00", "evt_1\x00", "\ud800", "evt_\udfff", SCRIPT, "x" * 300, "sync", "inbound"]),
)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), hostile_text)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(hostile_text, children, max_size=3),
    max_leaves=8,
)
event_ids = st.one_of(st.from_regex(r"evt_[0-9a-z]{1,10}", fullmatch=True), hostile_text, json_scalars)
event_types = st.one_of(
    st.sampled_from(sorted({*CORE_TYPES, *APPLICATION_TYPES, "sync", ""})), hostile_text, json_scalars
)
previews = st.one_of(
    json_values,
    st.fixed_dictionaries(
        {"id": event_ids},
        optional={
            "_meta": st.fixed_dictionaries({"type": st.sampled_from(["message", "conversation"]) | hostile_text}),
            "data": json_values,
        },
    ),
)
# Bodies that are almost Front events: the right keys, with any value in them.
core_events = st.fixed_dictionaries(
    {},
    optional={
        "id": event_ids,
        "type": event_types,
        "conversation": previews,
        "target": previews,
        "source": previews,
        "emitted_at": json_scalars,
    },
)
application_events = st.fixed_dictionaries(
    {}, optional={"type": event_types, "authorization": json_values, "payload": core_events | json_values}
)
documents = st.one_of(core_events, application_events, json_values)
# Bodies that are events in all but one detail: the parsing path, not the shape checks.
known_types = st.sampled_from(sorted({*CORE_TYPES, *APPLICATION_TYPES}))
odd_ids = st.sampled_from(
    ["evt_\x00", "\x00", "evt_\ud800", "\udfff", "evt_" + "9" * 300, f"evt_{SCRIPT}", "evt_\u2028"]
)
near_core_events = st.fixed_dictionaries(
    {"id": event_ids | odd_ids, "type": known_types | hostile_text},
    optional={"conversation": previews, "target": previews, "emitted_at": json_scalars},
)
near_events = near_core_events | st.fixed_dictionaries(
    {"type": known_types | hostile_text, "payload": near_core_events}
)


@st.composite
def json_bodies(
    draw, documents=documents, encodings=("utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"), exact=False
):
    """``exact``: valid UTF-8 JSON, every character escaped, so whatever is inside reaches the parser."""
    text = json.dumps(draw(documents), ensure_ascii=exact or draw(st.booleans()))
    encoding = draw(st.sampled_from(encodings))
    body = text.encode(encoding, errors="surrogatepass" if encoding.startswith("utf") else "replace")
    if not exact and draw(st.integers(0, 9)) == 0:
        body = body[: draw(st.integers(0, len(body)))]  # cut off mid-way
    return body


def _padded_event(size: int, event_id: str) -> bytes:
    head = json.dumps({"id": event_id, "type": "inbound", "padding": ""}).encode()[:-2]
    return head + b"x" * max(0, size - len(head) - 2) + b'"}'


huge_bodies = st.one_of(
    st.builds(
        lambda size, fill: fill * size,
        st.sampled_from([CAP + 1, 3 * 1024 * 1024]),
        st.sampled_from([b"x", b"\xff", b"{"]),
    ),
    st.builds(_padded_event, st.integers(CAP - 2, CAP + 2), st.from_regex(r"evt_big[0-9]{1,6}", fullmatch=True)),
)
near_event_bodies = json_bodies(near_events, encodings=("utf-8",), exact=True)
bodies = st.one_of(
    st.binary(max_size=256),
    json_bodies(),
    json_bodies(core_events),
    json_bodies(application_events),
    near_event_bodies,
    huge_bodies,
)

# What a WSGI server can hand over as a header value: latin-1, no line breaks.
header_text = st.text(st.characters(max_codepoint=0xFF, exclude_characters="\r\n"), max_size=60)
extra_headers = st.fixed_dictionaries(
    {},
    optional={
        "Content-Type": st.sampled_from(
            ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
        )
        | header_text,
        "Accept": st.sampled_from(["application/json", "text/html", "*/*"]) | header_text,
        "Content-Encoding": st.sampled_from(["gzip", "identity"]),
    },
)


@st.composite
def extra_headers_and_challenge(draw):
    """Now and then Front's handshake header, which is answered before any parsing."""
    headers = draw(extra_headers)
    if draw(st.integers(0, 7)) == 0:
        headers["X-Front-Challenge"] = draw(header_text)
    return headers


@dataclass
class Delivery:
    body: bytes
    headers: dict = field(default_factory=dict)
    signed: bool = False  # signed with the app secret by a clock in step with ours


def _stamp(seconds: float, milliseconds: bool) -> str:
    return str(int(seconds * 1000)) if milliseconds else str(int(seconds))


def _near_now(raw: str) -> bool:
    """Would the endpoint take this timestamp as current? (milliseconds above 1e11, else seconds)"""
    try:
        value = float(raw)
    except ValueError:
        return False
    if not math.isfinite(value):
        return False
    seconds = value / 1000 if value > 1e11 else value
    return abs(time.time() - seconds) <= signatures.MAX_AGE_SECONDS + 60


@st.composite
def signed_deliveries(draw, bodies=bodies):
    """Signed the way Front signs: application (timestamp in ms or s) or legacy (no timestamp)."""
    body = draw(bodies)
    scheme = draw(st.sampled_from(["application-ms", "application-s", "legacy"]))
    padding = draw(st.sampled_from(["", " "]))
    headers = draw(extra_headers_and_challenge())
    if scheme == "legacy":
        headers["X-Front-Signature"] = padding + signatures.sign_legacy(APP_SECRET, body) + padding
    else:
        # Within the five minutes allowed, leaving a minute for a slow run.
        stamp = _stamp(time.time() + draw(st.integers(-240, 240)), scheme == "application-ms")
        headers["X-Front-Request-Timestamp"] = stamp
        headers["X-Front-Signature"] = padding + signatures.sign_application(APP_SECRET, stamp, body) + padding
    return Delivery(body, headers, signed=True)


bad_stamps = st.one_of(
    st.sampled_from(
        ["NaN", "nan", "-nan", "inf", "Infinity", "-inf", "1e400", "", " ", "abc", "0x5f5e100", "12:00", "١٢٣"]
    ),
    header_text.filter(lambda raw: not _near_now(raw)),
)


@st.composite
def stale_stamps(draw):
    """More than five minutes off, into the past or the future, in ms or in seconds."""
    seconds = time.time() + draw(st.sampled_from([-1, 1])) * draw(st.integers(signatures.MAX_AGE_SECONDS + 60, 10**10))
    # A value the endpoint reads in the unit it was written in (ms above 1e11, seconds below).
    return _stamp(seconds, milliseconds=seconds > 1e8 and draw(st.booleans()))


@st.composite
def unsigned_deliveries(draw, bodies=bodies):
    """Valid-looking but wrong signatures, stale, future and non-numeric timestamps, junk."""
    body = draw(bodies)
    fresh = _stamp(time.time(), milliseconds=True)
    kind = draw(
        st.sampled_from(
            [
                "random",
                "wrong-secret",
                "other-body",
                "stale",
                "not-a-number",
                "missing",
                "empty",
                "junk",
                "legacy-wrong",
                "no-stamp",
            ]
        )
    )
    headers = draw(extra_headers_and_challenge())
    if kind == "random":
        headers |= {
            "X-Front-Request-Timestamp": fresh,
            "X-Front-Signature": base64.b64encode(draw(st.binary(min_size=32, max_size=32))).decode(),
        }
    elif kind == "wrong-secret":
        secret = draw(st.text(min_size=1, max_size=40).filter(lambda s: s != APP_SECRET))
        headers |= {
            "X-Front-Request-Timestamp": fresh,
            "X-Front-Signature": signatures.sign_application(secret, fresh, body),
        }
    elif kind == "other-body":
        headers |= {
            "X-Front-Request-Timestamp": fresh,
            "X-Front-Signature": signatures.sign_application(APP_SECRET, fresh, body + b" "),
        }
    elif kind in ("stale", "not-a-number"):
        stamp = draw(stale_stamps() if kind == "stale" else bad_stamps)
        headers |= {
            "X-Front-Request-Timestamp": stamp,
            "X-Front-Signature": signatures.sign_application(APP_SECRET, stamp, body),
        }
    elif kind == "missing":
        headers.pop("X-Front-Signature", None)
        if draw(st.booleans()):
            headers["X-Front-Request-Timestamp"] = fresh
    elif kind == "empty":
        headers |= {"X-Front-Request-Timestamp": fresh, "X-Front-Signature": draw(st.sampled_from(["", " ", "\t"]))}
    elif kind == "junk":
        headers["X-Front-Signature"] = draw(header_text)
        if draw(st.booleans()):
            headers["X-Front-Request-Timestamp"] = draw(header_text)
    elif kind == "legacy-wrong":
        headers["X-Front-Signature"] = signatures.sign_legacy("not-" + APP_SECRET, body)
    else:  # an application signature without its timestamp is checked, and refused, as legacy
        headers["X-Front-Signature"] = signatures.sign_application(APP_SECRET, fresh, body)
    return Delivery(body, headers, signed=False)


deliveries = st.one_of(signed_deliveries(), signed_deliveries(near_event_bodies), unsigned_deliveries())


def _as_event(body: bytes) -> events.FrontEvent | None:
    """The event in a body, or None when the body is not one (the endpoint's own reading)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if events.is_validation(document):
        return None
    try:
        return events.parse(document)
    except events.EventError:
        return None


def _assert_a_clear_answer(response) -> None:
    assert response.status_code in ANSWERS, response.get_data(as_text=True)[:500]
    assert response.is_json
    if response.status_code >= 400:
        assert response.json.get("error")


# -- the properties ----------------------------------------------------------------------------


@PROPERTY
@given(delivery=deliveries)
def test_only_correctly_signed_events_are_journalled(client, webhook_url, delivery):
    before = _journal_count()
    response = client.post(webhook_url, data=delivery.body, headers=delivery.headers)
    _assert_a_clear_answer(response)
    journalled = _journal_count() - before

    if len(delivery.body) > CAP:
        assert response.status_code == 413 and journalled == 0
    elif not delivery.signed:
        assert response.status_code == 401 and journalled == 0
    elif "X-Front-Challenge" in delivery.headers:
        assert response.status_code == 200 and response.json == {"challenge": delivery.headers["X-Front-Challenge"]}
        assert journalled == 0
    elif (event := _as_event(delivery.body)) is None:
        assert response.status_code in (200, 400) and journalled == 0
        if response.status_code == 200:
            assert response.json == {"status": "ok"}  # Front's check when the webhook is saved
    else:
        assert response.status_code == 200, response.json
        assert response.json["status"] in ("accepted", "duplicate")
        assert journalled == (1 if response.json["status"] == "accepted" else 0)
        if journalled:
            entry = db.session.scalar(select(JournalEntry).order_by(JournalEntry.id.desc()).limit(1))
            assert entry.external_id == event.id[:255] and entry.payload == delivery.body.decode("utf-8")
    db.session.rollback()


@PROPERTY
@given(delivery=signed_deliveries(near_event_bodies))
def test_a_signed_body_that_is_almost_an_event_is_journalled_or_refused_with_400(client, webhook_url, delivery):
    before = _journal_count()
    response = client.post(webhook_url, data=delivery.body, headers=delivery.headers)
    _assert_a_clear_answer(response)
    journalled = _journal_count() - before
    if "X-Front-Challenge" in delivery.headers or _as_event(delivery.body) is None:
        assert response.status_code in (200, 400) and journalled == 0
    else:
        assert response.status_code == 200 and journalled == (1 if response.json["status"] == "accepted" else 0)
    db.session.rollback()


@PROPERTY
@given(token=st.text(hostile_characters, max_size=80).filter(lambda t: t != TOKEN), delivery=deliveries)
def test_an_unknown_webhook_url_is_404_whatever_arrives(client, webhook_url, token, delivery):
    response = client.post(f"/webhooks/front/{quote(token, safe='')}", data=delivery.body, headers=delivery.headers)
    _assert_a_clear_answer(response)
    assert response.status_code == 404
    assert _journal_count() == 0
    db.session.rollback()


@settings(PROPERTY, max_examples=60)
@given(delivery=deliveries)
def test_without_an_app_secret_nothing_is_accepted(client, webhook_url, delivery):
    integration = db.session.scalar(select(Integration))
    integration.credentials = {"api_token": "front-api-token"}
    db.session.commit()
    response = client.post(webhook_url, data=delivery.body, headers=delivery.headers)
    _assert_a_clear_answer(response)
    assert response.status_code == (413 if len(delivery.body) > CAP else 401)
    assert _journal_count() == 0
    db.session.rollback()


# -- what the properties found -----------------------------------------------------------------


def _signed(body: bytes, stamp: str) -> dict:
    return {
        "X-Front-Request-Timestamp": stamp,
        "X-Front-Signature": signatures.sign_application(APP_SECRET, stamp, body),
    }


def test_a_nan_timestamp_is_refused_even_when_correctly_signed(client, webhook_url):
    # NaN compares false with everything, so it was never "more than 5 minutes off": a request
    # signed with it could be replayed forever.
    body = json.dumps({"id": "evt_nan", "type": "inbound"}).encode()
    for stamp in ("NaN", "nan", "-nan"):
        response = client.post(webhook_url, data=body, headers=_signed(body, stamp))
        assert response.status_code == 401 and response.json["error"] == "X-Front-Request-Timestamp is not a number"
    assert _journal_count() == 0


def test_a_signature_with_non_ascii_characters_is_401_not_500(client, webhook_url):
    # hmac.compare_digest raised TypeError on a str with non-ASCII characters.
    body = json.dumps({"id": "evt_1", "type": "inbound"}).encode()
    stamp = _stamp(time.time(), milliseconds=True)
    for signature in ("\x80", "é" * 44, "\xff\xfe"):
        for headers in (
            {"X-Front-Signature": signature},
            {"X-Front-Signature": signature, "X-Front-Request-Timestamp": stamp},
        ):
            response = client.post(webhook_url, data=body, headers=headers)
            assert response.status_code == 401 and response.json["error"] == "X-Front-Signature does not match"
    assert _journal_count() == 0


def test_an_event_id_or_type_the_journal_cannot_store_is_400(client, webhook_url):
    # JSON escapes (\u0000, a lone \ud800) make text PostgreSQL refuses and no driver encodes:
    # that was a 503 (Front retrying forever) or a 500.
    for event in (
        {"id": "evt_\x00", "type": "inbound"},
        {"id": "evt_\ud800", "type": "inbound"},
        {"type": "inbound_received", "payload": {"id": "\udfff", "type": "inbound"}},
        {"id": "evt_1", "type": "inbound\x00"},
        {"id": "evt_2", "type": "\ud83d"},
        {"id": "evt_3", "type": "inbound", "conversation": {"id": "cnv_\x00"}},
        {"id": "evt_4", "type": "inbound", "target": {"_meta": {"type": "message"}, "data": {"id": "msg_\udc00"}}},
    ):
        body = json.dumps(event).encode()
        response = client.post(webhook_url, data=body, headers=_signed(body, _stamp(time.time(), milliseconds=True)))
        assert response.status_code == 400 and "NUL character or an unpaired surrogate" in response.json["error"]
    assert _journal_count() == 0


def test_a_webhook_url_token_that_could_never_be_issued_is_404(client, webhook_url):
    # A NUL went into the lookup query, and PostgreSQL refused it: a 503 "database unavailable".
    body = b"{}"
    for token in ("\x00", "hook\x00token", "é", "a" * 65, "hook token"):
        response = client.post(
            f"/webhooks/front/{quote(token, safe='')}", data=body, headers=_signed(body, _stamp(time.time(), True))
        )
        assert response.status_code == 404 and response.json["error"] == "unknown webhook URL"
