"""The fake Front's knobs: a plan's rate limit, random failures and latency, as a person, a test
or a benchmark sees them from outside, over HTTP."""

from __future__ import annotations

import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from webapp.front import events
from webapp.front.client import FrontClient
from webapp.sandbox.front import TOKEN, FakeFront, FrontServer

AUTH = {"Authorization": f"Bearer {TOKEN}"}


class Clock:
    """Epoch seconds that move only when the test moves them."""

    def __init__(self) -> None:
        self.now = float(math.floor(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


def me(fake: FakeFront, headers=AUTH) -> requests.Response:
    return requests.get(f"{fake.url}/me", headers=headers, timeout=10)


def test_beyond_the_limit_front_answers_429_with_retry_after_until_the_window_moves(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=3, clock=clock)) as fake:
        start = clock.now
        for _ in range(3):
            assert me(fake).status_code == 200
            clock.advance(20)
        clock.advance(-15)  # 45 s after the first request: three in the last minute

        refused = me(fake)
        assert refused.status_code == 429
        assert refused.headers["Retry-After"] == "15"  # the first request leaves the window at 60 s
        assert refused.json()["_error"]["status"] == 429

        clock.advance(14.5)
        assert me(fake).headers["Retry-After"] == "1"  # never less than a whole second

        clock.advance(0.5)
        assert me(fake).status_code == 200  # the first request has left the window
        assert clock.now == start + 60

        assert fake.rate_limited == 2
        assert [call.status for call in fake.calls] == [200, 200, 200, 429, 429, 200]
        assert len([call for call in fake.calls if call.succeeded]) == 4


def test_every_answer_carries_front_rate_limit_headers(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=2, clock=clock)) as fake:
        first = me(fake)
        clock.advance(10)
        second = me(fake)
        refused = me(fake)
        assert [r.headers["X-RateLimit-Limit"] for r in (first, second, refused)] == ["2", "2", "2"]
        assert [r.headers["X-RateLimit-Remaining"] for r in (first, second, refused)] == ["1", "0", "0"]
        # An epoch second: when the oldest request leaves the window and a slot frees.
        assert {r.headers["X-RateLimit-Reset"] for r in (first, second, refused)} == {str(int(clock.now - 10 + 60))}
        assert "Retry-After" not in second.headers and refused.headers["Retry-After"] == "50"


def test_requests_without_the_token_do_not_count(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=1, clock=clock)) as fake:
        assert me(fake, headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert me(fake).status_code == 200


def test_no_rate_limit_means_no_rate_limit_headers():
    with FrontServer(FakeFront()) as fake:
        answer = me(fake)
        assert answer.status_code == 200 and "X-RateLimit-Limit" not in answer.headers


def test_concurrent_requests_never_exceed_the_limit(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=10, clock=clock)) as fake:
        with ThreadPoolExecutor(max_workers=15) as pool:
            statuses = list(pool.map(lambda _: me(fake).status_code, range(30)))
        assert statuses.count(200) == 10 and statuses.count(429) == 20
        assert fake.rate_limited == 20


def test_switchboard_client_waits_out_the_limit_and_gets_through(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=2, clock=clock)) as fake:
        fake.add_teammate("tea_1", "Ada")
        # Sleeping moves the fake's clock: the client's waits cost no real time.
        client = FrontClient(TOKEN, base_url=fake.url, sleep=clock.advance)
        for _ in range(3):
            assert client.me()["id"] == fake.company["id"]
        assert fake.rate_limited == 1
        assert [call.status for call in fake.calls] == [200, 200, 429, 200]


def test_a_seeded_error_rate_fails_the_same_requests_every_time():
    def statuses(seed: int) -> tuple[list[int], int]:
        with FrontServer(FakeFront(error_rate=0.3, seed=seed)) as fake:
            answers = [me(fake).status_code for _ in range(40)]
            return answers, fake.random_failures

    first, failures = statuses(seed=7)
    again, _ = statuses(seed=7)
    assert first == again
    assert set(first) <= {200, 500, 502, 503}
    assert 0 < failures < 40 and failures == len([s for s in first if s != 200])


def test_a_random_failure_does_no_work():
    with FrontServer(FakeFront(error_rate=1.0)) as fake:
        fake.add_teammate("tea_1", "Ada")
        fake.add_conversation("cnv_1", assignee="tea_1")
        answer = requests.post(
            f"{fake.url}/conversations/cnv_1/comments",
            json={"author_id": "tea_1", "body": "Hi"},
            headers=AUTH,
            timeout=10,
        )
        assert answer.status_code in (500, 502, 503)
        assert fake.comments["cnv_1"] == [] and not fake.calls[0].succeeded


def test_injected_failures_come_before_random_ones_and_keep_their_headers(clock):
    with FrontServer(FakeFront(rate_limit_per_minute=5, clock=clock)) as fake:
        fake.fail("GET", "^/me$", 429, headers={"Retry-After": "3", "X-RateLimit-Remaining": "0"})
        answer = me(fake)
        assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"
        assert answer.headers["X-RateLimit-Remaining"] == "0" and answer.headers["X-RateLimit-Limit"] == "5"
        assert fake.rate_limited == 0  # the plan's limit did not refuse it; the test did


def test_latency_does_not_hold_up_other_requests():
    """Four requests must all be inside their latency at once to get past this barrier; if the
    latency were spent holding the fake's lock, they would queue and the barrier would break."""
    barrier = threading.Barrier(4)
    fake = FakeFront(latency=0.01, sleep=lambda seconds: barrier.wait(timeout=10))
    with FrontServer(fake):
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(pool.map(lambda _: me(fake).status_code, range(4)))
    assert statuses == [200] * 4


def test_latency_delays_every_answer():
    with FrontServer(FakeFront(latency=0.05)) as fake:
        started = time.monotonic()
        me(fake)
        assert time.monotonic() - started >= 0.05


def test_conversation_events_read_as_front_sends_them():
    fake = FakeFront()
    fake.add_teammate("tea_sam", "Sam")
    fake.add_conversation("cnv_1")
    assign = events.parse(fake.event(event_type="assign", conversation_id="cnv_1", teammate_id="tea_sam", by="tea_sam"))
    assert (assign.type, assign.group, assign.target["id"]) == ("assign", events.EventGroup.ASSIGNMENT, "tea_sam")
    unassign = events.parse(fake.event(event_type="unassign", conversation_id="cnv_1"))
    assert (unassign.type, unassign.target) == ("unassign", {})
    archive = fake.event(event_type="archive", conversation_id="cnv_1", by="tea_sam")
    assert archive["type"] == "conversation_archived" and events.parse(archive).group == events.EventGroup.ARCHIVED
    again = fake.event(event_type="archive", conversation_id="cnv_1", by="tea_sam")
    assert again["payload"]["id"] != archive["payload"]["id"]  # not mistaken for a redelivery
