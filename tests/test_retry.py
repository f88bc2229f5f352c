"""Waiting before a retry, shared by every remote API's client."""

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from webapp.retry import backoff_seconds, parse_retry_after, retry_after_seconds


def _response(retry_after: str | None) -> requests.Response:
    response = requests.Response()
    response.status_code = 429
    if retry_after is not None:
        response.headers["Retry-After"] = retry_after
    return response


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0.5", 0.5),
        ("3600", 60.0),
        ("-3", 0.0),
        (None, 2.0),
        ("", 2.0),
        ("soon", 2.0),
        ("Mon, 32 Foo 2026", 2.0),
    ],
)
def test_retry_after_in_seconds_is_honoured_within_bounds(header, expected):
    assert retry_after_seconds(_response(header), default=2.0, cap=60.0) == expected


def test_retry_after_as_an_http_date_is_the_time_until_then():
    now = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp()) == pytest.approx(42.0)
    assert parse_retry_after(format_datetime(now - timedelta(seconds=5), usegmt=True), now=now.timestamp()) < 0


def test_backoff_doubles_with_jitter_below_the_full_step():
    for attempt in range(4):
        step = 0.5 * 2**attempt
        assert all(step / 2 <= backoff_seconds(attempt, 0.5) <= step for _ in range(50))


def test_the_front_client_and_the_llm_client_read_retry_after_the_same_way(requests_mock):
    """An HTTP-date Retry-After used to be ignored by one client and misread by the other."""
    from webapp.agent.llm import LLMAgent
    from webapp.front.client import FrontClient

    later = format_datetime(datetime.now(UTC) + timedelta(seconds=20), usegmt=True)
    front_sleeps, llm_sleeps = [], []
    requests_mock.get("https://front.test/me", [{"status_code": 429, "headers": {"Retry-After": later}}, {"json": {}}])
    FrontClient("tok", base_url="https://front.test", sleep=front_sleeps.append).me()
    requests_mock.post(
        "https://llm.test/v1/chat/completions",
        [
            {"status_code": 429, "headers": {"Retry-After": later}},
            {"json": {"choices": [{"message": {"content": "Hi"}}]}},
        ],
    )
    LLMAgent("https://llm.test/v1", "m", "k", sleep=llm_sleeps.append)._complete([])
    assert 15 < front_sleeps[0] <= 20 and 15 < llm_sleeps[0] <= 20
