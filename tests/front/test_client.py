"""The Front client on its own: what it sends (checked against Front's spec) and how it
behaves when Front is slow, busy or broken. requests-mock stands in for Front."""

import json
import re
import time

import pytest
import requests

from tests.fakes import front_spec
from webapp import redis_server
from webapp.front.client import FrontClient
from webapp.front.errors import (
    FrontAuthError,
    FrontForbidden,
    FrontNotFound,
    FrontOutcomeUnknown,
    FrontRateLimited,
    FrontUnavailable,
)
from webapp.ratelimit import Priority, RateLimiter

BASE = "http://front.test"
ANY = re.compile(r"http://front\.test/.*")


class Sleeps(list):
    def __call__(self, seconds):
        self.append(seconds)


@pytest.fixture
def sleeps():
    return Sleeps()


@pytest.fixture
def client(sleeps):
    return FrontClient("tok", base_url=BASE, sleep=sleeps, backoff=0.5)


def _body(request):
    return json.loads(request.body) if request.body else None


EVERY_CALL = [
    ("me", (), {}),
    ("teammates", (), {}),
    ("channels", (), {}),
    ("first_conversation", (), {}),
    ("recent_conversations", (), {}),
    ("conversation", ("cnv_1",), {}),
    ("message", ("msg_1",), {}),
    ("recent_messages", ("cnv_1",), {}),
    ("recent_comments", ("cnv_1",), {}),
    ("reply", ("cnv_1",), {"author_id": "tea_1", "body": "<p>Hi</p>", "text": "Hi"}),
    ("comment", ("cnv_1",), {"author_id": "tea_1", "body": "**Handed off**"}),
    ("create_draft", ("cnv_1",), {"author_id": "tea_1", "channel_id": "alt:address:help@acme.test", "body": "Hi"}),
    ("drafts", ("cnv_1",), {}),
    ("set_assignee", ("cnv_1", None), {}),
    ("set_assignee", ("cnv_1", "tea_2"), {}),
    ("archive", ("cnv_1",), {}),
]


@pytest.mark.parametrize(("method", "args", "kwargs"), EVERY_CALL, ids=[c[0] for c in EVERY_CALL])
def test_every_request_the_client_makes_matches_fronts_spec(requests_mock, client, method, args, kwargs):
    requests_mock.get(ANY, json={"_results": [], "id": "x"})
    for verb in ("POST", "PUT", "PATCH"):
        requests_mock.register_uri(verb, ANY, json={"status": "accepted"}, status_code=202)
    getattr(client, method)(*args, **kwargs)
    for request in requests_mock.request_history:
        assert request.headers["Authorization"] == "Bearer tok"
        assert front_spec.problems(request.method, request.path, _body(request)) == []


def test_a_reply_never_archives(requests_mock, client):
    requests_mock.post(f"{BASE}/conversations/cnv_1/messages", json={"status": "accepted"}, status_code=202)
    client.reply("cnv_1", author_id="tea_1", body="<p>Hi</p>")
    assert _body(requests_mock.last_request)["options"] == {"archive": False}


def test_every_call_has_a_timeout(requests_mock, client, monkeypatch):
    seen = []
    real = requests.Session.request

    def spy(self, *args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    requests_mock.get(ANY, json={"_results": []})
    client.me()
    client.teammates()
    assert seen and all(timeout and all(timeout) for timeout in seen)


def test_lists_follow_pagination_on_the_configured_host(requests_mock, client):
    requests_mock.get(
        f"{BASE}/teammates",
        json={
            "_results": [{"id": "a"}],
            "_pagination": {"next": "https://acme.api.frontapp.com/teammates?page_token=2"},
        },
    )
    requests_mock.get(f"{BASE}/teammates?page_token=2", json={"_results": [{"id": "b"}], "_pagination": {"next": None}})
    assert [t["id"] for t in client.teammates()] == ["a", "b"]
    assert all(r.hostname == "front.test" for r in requests_mock.request_history)


def test_429_waits_for_retry_after_then_succeeds(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/me", [{"status_code": 429, "headers": {"Retry-After": "7"}}, {"json": {"id": "cmp_1"}}])
    assert client.me() == {"id": "cmp_1"}
    assert sleeps == [7.0]


def test_429_retry_after_is_capped_and_retries_are_bounded(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/me", status_code=429, headers={"Retry-After": "3600"})
    with pytest.raises(FrontRateLimited):
        client.me()
    assert requests_mock.call_count == 4 and sleeps == [60.0, 60.0, 60.0]


def test_5xx_is_retried_with_backoff_then_raised(requests_mock, client, sleeps):
    requests_mock.get(f"{BASE}/conversations/cnv_1", status_code=502)
    with pytest.raises(FrontUnavailable, match="502"):
        client.conversation("cnv_1")
    assert requests_mock.call_count == 4
    assert len(sleeps) == 3 and sleeps[0] < sleeps[1] < sleeps[2]


def test_a_timeout_on_a_read_is_retried(requests_mock, client):
    requests_mock.get(f"{BASE}/messages/msg_1", [{"exc": requests.ReadTimeout}, {"json": {"id": "msg_1"}}])
    assert client.message("msg_1") == {"id": "msg_1"}


def test_a_timeout_on_a_send_is_not_retried_blindly(requests_mock, client):
    requests_mock.post(f"{BASE}/conversations/cnv_1/messages", exc=requests.ReadTimeout)
    with pytest.raises(FrontOutcomeUnknown):
        client.reply("cnv_1", author_id="tea_1", body="<p>Hi</p>")
    assert requests_mock.call_count == 1


def test_a_500_on_a_send_is_an_unknown_outcome_but_503_is_retried(requests_mock, client):
    requests_mock.post(f"{BASE}/conversations/cnv_1/comments", status_code=500)
    with pytest.raises(FrontOutcomeUnknown):
        client.comment("cnv_1", author_id="tea_1", body="note")
    assert requests_mock.call_count == 1
    requests_mock.post(
        f"{BASE}/conversations/cnv_2/comments", [{"status_code": 503}, {"json": {"id": "com_1"}, "status_code": 201}]
    )
    assert client.comment("cnv_2", author_id="tea_1", body="note") == {"id": "com_1"}


def test_a_merged_conversation_is_followed_for_reads_and_writes(requests_mock, client):
    requests_mock.get(
        f"{BASE}/conversations/cnv_old",
        status_code=301,
        headers={"Location": "https://acme.api.frontapp.com/conversations/cnv_new"},
    )
    requests_mock.get(f"{BASE}/conversations/cnv_new", json={"id": "cnv_new"})
    assert client.conversation("cnv_old")["id"] == "cnv_new"
    requests_mock.put(
        f"{BASE}/conversations/cnv_old/assignee",
        status_code=301,
        headers={"Location": f"{BASE}/conversations/cnv_new/assignee"},
    )
    requests_mock.put(f"{BASE}/conversations/cnv_new/assignee", status_code=204)
    client.set_assignee("cnv_old", None)
    assert _body(requests_mock.last_request) == {"assignee_id": None}  # the body survives the redirect


@pytest.mark.parametrize(("status", "error"), [(401, FrontAuthError), (403, FrontForbidden), (404, FrontNotFound)])
def test_client_errors_are_not_retried_and_say_what_front_said(requests_mock, client, status, error):
    requests_mock.get(f"{BASE}/teammates", status_code=status, json={"_error": {"status": status, "message": "nope"}})
    with pytest.raises(error):
        client.teammates()
    assert requests_mock.call_count == 1


class RealSleeps(Sleeps):
    def __call__(self, seconds):
        super().__call__(seconds)
        time.sleep(seconds)


def test_the_budget_is_shared_through_redis_and_closed_by_front(app, requests_mock):
    sleeps = RealSleeps()
    limiter = RateLimiter(redis_server.connection(), key="front:org:test", per_minute=50)
    first = FrontClient("tok", base_url=BASE, limiter=limiter, sleep=sleeps)
    second = FrontClient(
        "tok",
        base_url=BASE,
        limiter=RateLimiter(redis_server.connection(), key="front:org:test", per_minute=50),
        sleep=sleeps,
    )
    requests_mock.get(f"{BASE}/me", json={"id": "cmp_1"})
    for _ in range(3):
        first.me()
        second.me()  # a different client (another worker) draws from the same bucket
    assert sleeps, "six calls at once exceed the burst of five: someone waited"
    sleeps.clear()
    requests_mock.get(f"{BASE}/me", status_code=429, headers={"Retry-After": "30"})
    with pytest.raises(FrontRateLimited):
        FrontClient("tok", base_url=BASE, limiter=limiter, sleep=sleeps, max_retries=0).me()
    assert limiter.try_acquire() >= 29  # every process now waits for Front's reset


def test_background_work_leaves_a_reserve_for_customers(app):
    limiter = RateLimiter(redis_server.connection(), key="front:org:reserve", per_minute=100)
    now = 1_000_000.0
    taken = 0
    while limiter.try_acquire(Priority.BACKGROUND, now=now) == 0:
        taken += 1
    assert taken < limiter.capacity
    assert limiter.try_acquire(Priority.CUSTOMER, now=now) == 0  # a reply still gets through


def test_remaining_zero_closes_the_budget_until_fronts_reset(app, requests_mock, sleeps):
    limiter = RateLimiter(redis_server.connection(), key="front:org:reset", per_minute=50)
    reset = int(time.time()) + 20
    requests_mock.get(
        f"{BASE}/me", json={"id": "cmp_1"}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}
    )
    FrontClient("tok", base_url=BASE, limiter=limiter, sleep=sleeps).me()
    assert 15 <= limiter.try_acquire() <= 21


def test_a_draft_without_its_channel_or_with_a_misspelt_field_is_caught():
    """The checker reads ReplyDraft's allOf: channel_id is required, unknown fields are not."""
    path = "/conversations/cnv_1/drafts"
    assert front_spec.problems("POST", path, {"body": "Hi", "channel_id": "cha_1", "mode": "shared"}) == []
    assert front_spec.problems("POST", path, {"body": "Hi"}) != []
    assert front_spec.problems("POST", path, {"body": "Hi", "channel_id": "cha_1", "mood": "shared"}) != []
