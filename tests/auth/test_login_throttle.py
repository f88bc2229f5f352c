"""Password guessing is slowed by growing delays per account and per address, never refused
for good; an unknown email costs a password hash like a known one; the client's address comes
from X-Forwarded-For only past the configured number of trusted proxies."""

import pytest
import redis
from flask import request
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.auth.devices import device
from tests.conftest import PASSWORD
from webapp import create_app
from webapp.auth import passwords, throttle
from webapp.config import from_environment
from webapp.db import db
from webapp.security import public

WRONG = "not the password at all"


class Clock:
    """Time that moves only when the test says so."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(throttle, "clock", clock)
    return clock


def redis_down() -> redis.Redis:
    """A client for a port nothing listens on, that gives up at once instead of retrying."""
    return redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))


def _attempt(app, email: str, password: str, address: str = "192.0.2.10"):
    browser = device(app)
    browser.environ_base["REMOTE_ADDR"] = address
    return browser.log_in(email, password)


def _page(response) -> str:
    return response.get_data(as_text=True)


def test_delays_grow_after_the_free_failures_and_the_right_password_works_after_the_wait(app, owner, clock):
    free = throttle.FREE_FAILURES["account"]
    for _ in range(free - 1):
        response = _attempt(app, owner.email, WRONG)
        assert response.status_code == 400 and "Wait" not in _page(response)

    response = _attempt(app, owner.email, WRONG)  # the last free failure: from now on, waits
    assert response.status_code == 400
    assert "do not match an active user. Wait 2 seconds before trying again." in _page(response)

    response = _attempt(app, owner.email, PASSWORD)  # even the right password must wait...
    assert response.status_code == 429
    assert "Too many failed attempts. Wait 2 seconds, then try again." in _page(response)
    assert response.headers["Retry-After"] == "2"

    clock.advance(1.5)
    response = _attempt(app, owner.email, PASSWORD)
    assert response.status_code == 429 and "Wait 1 second, then" in _page(response)

    clock.advance(0.5)
    response = _attempt(app, owner.email, WRONG)  # ...and each failure doubles the next wait
    assert response.status_code == 400 and "Wait 4 seconds before trying again." in _page(response)
    clock.advance(4)
    response = _attempt(app, owner.email, WRONG)
    assert "Wait 8 seconds before trying again." in _page(response)

    clock.advance(8)
    assert _attempt(app, owner.email, PASSWORD).status_code == 302  # the right password, after the wait
    response = _attempt(app, owner.email, WRONG)  # and the account's failures are forgotten
    assert response.status_code == 400 and "Wait" not in _page(response)


def test_the_delay_stops_growing_at_its_maximum(app, owner, clock):
    free = throttle.FREE_FAILURES["account"]
    for _ in range(free + 12):
        clock.advance(throttle.MAX_DELAY_SECONDS)
        _attempt(app, owner.email, WRONG)
    response = _attempt(app, owner.email, PASSWORD)
    assert response.status_code == 429 and "Wait 15 minutes" in _page(response)
    clock.advance(throttle.MAX_DELAY_SECONDS)
    assert _attempt(app, owner.email, PASSWORD).status_code == 302


def test_failures_are_forgotten_an_hour_after_the_last(app, owner, clock):
    app.extensions["redis"] = redis_down()  # Redis forgets on its own clock; this one is the test's
    for _ in range(throttle.FREE_FAILURES["account"] + 2):
        clock.advance(60)
        _attempt(app, owner.email, WRONG)
    clock.advance(throttle.FORGET_AFTER_SECONDS)
    response = _attempt(app, owner.email, WRONG)
    assert response.status_code == 400 and "Wait" not in _page(response)


def test_redis_forgets_the_counters_an_hour_after_the_last_failure(app, owner, clock):
    _attempt(app, owner.email, WRONG)
    redis_client = app.extensions["redis"]
    keys = redis_client.keys("switchboard:login:*")
    assert len(keys) == 2  # the account and the address
    assert all(0 < redis_client.pttl(key) <= throttle.FORGET_AFTER_SECONDS * 1000 for key in keys)


def test_an_account_is_limited_across_addresses(app, owner, clock):
    for number in range(throttle.FREE_FAILURES["account"]):
        _attempt(app, owner.email, WRONG, address=f"198.51.100.{number}")
    response = _attempt(app, owner.email, PASSWORD, address="203.0.113.99")
    assert response.status_code == 429


def test_an_address_is_limited_across_accounts(app, owner, clock):
    for number in range(throttle.FREE_FAILURES["address"]):
        _attempt(app, f"guess{number}@example.com", WRONG, address="198.51.100.7")
    response = _attempt(app, owner.email, PASSWORD, address="198.51.100.7")
    assert response.status_code == 429 and "Wait 2 seconds" in _page(response)
    assert _attempt(app, owner.email, PASSWORD, address="198.51.100.8").status_code == 302


def test_an_unknown_email_is_counted_like_a_known_one(app, owner, clock):
    for _ in range(throttle.FREE_FAILURES["account"]):
        _attempt(app, "nobody@example.com", WRONG, address="198.51.100.1")
    assert _attempt(app, "Nobody@Example.com", WRONG, address="198.51.100.2").status_code == 429


def test_the_limit_holds_while_redis_is_down(app, owner, clock):
    app.extensions["redis"] = redis_down()
    free = throttle.FREE_FAILURES["account"]
    for _ in range(free):
        response = _attempt(app, owner.email, WRONG)
        assert response.status_code == 400
    assert "Wait 2 seconds before trying again." in _page(response)
    response = _attempt(app, owner.email, PASSWORD)
    assert response.status_code == 429
    clock.advance(2)
    assert _attempt(app, owner.email, PASSWORD).status_code == 302
    response = _attempt(app, owner.email, WRONG)
    assert response.status_code == 400 and "Wait" not in _page(response)


def test_parallel_guesses_cannot_slip_in_before_the_first_failure_is_counted(app, owner, clock):
    """An attempt is counted when it starts: once the free ones are started, the next must wait,
    even if none of them has failed yet."""
    attempts = [throttle.Attempt("owner@example.com", "192.0.2.1") for _ in range(6)]
    with app.test_request_context():
        waits = [attempt.start() for attempt in attempts]
    assert waits[:5] == [0.0] * 5 and waits[5] == 2.0


@pytest.fixture
def hash_checks(monkeypatch) -> list[str]:
    """The password hashes checked at login, in order."""
    checked: list[str] = []
    real = passwords.check_password_hash

    def spy(pwhash: str, password: str) -> bool:
        checked.append(pwhash)
        return real(pwhash, password)

    monkeypatch.setattr(passwords, "check_password_hash", spy)
    return checked


def test_an_unknown_email_costs_a_password_hash_like_a_known_one(app, owner, hash_checks):
    assert _attempt(app, "nobody@example.com", WRONG).status_code == 400
    assert hash_checks == [passwords.dummy_hash()]
    # The stand-in is made like every user's hash, so checking it takes as long.
    assert passwords.dummy_hash().split("$")[0] == owner.password_hash.split("$")[0]

    hash_checks.clear()
    assert _attempt(app, owner.email, WRONG).status_code == 400
    assert hash_checks == [owner.password_hash]


def test_an_inactive_user_costs_a_password_hash_too_and_is_refused(app, owner, hash_checks):
    owner.active = False
    db.session.commit()
    assert _attempt(app, owner.email, PASSWORD).status_code == 400
    assert hash_checks == [owner.password_hash]


# -- the client's address behind proxies -------------------------------------------------------


@pytest.fixture
def app_behind(database_url, redis_url, encryption_keys, tmp_path):
    """An app trusting ``hops`` proxies, with a page that shows the client address it sees."""
    made = []

    def build(hops: int):
        behind = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": database_url,
                "REDIS_URL": redis_url,
                "SECRET_KEY": "test-secret",
                "ENCRYPTION_KEYS": encryption_keys,
                "TRUSTED_PROXY_HOPS": hops,
            },
            instance_path=str(tmp_path / f"instance-{hops}"),
        )
        behind.add_url_rule("/client-address", "client_address", public(lambda: request.remote_addr))
        made.append(behind)
        return behind

    yield build
    for behind in made:
        with behind.app_context():
            db.engine.dispose()


def _client_address(app, forwarded_for: str | None) -> str:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    response = app.test_client().get("/client-address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    return response.get_data(as_text=True)


def test_x_forwarded_for_is_ignored_unless_proxies_are_trusted(app_behind):
    untrusting = app_behind(0)
    assert _client_address(untrusting, "203.0.113.5") == "10.0.0.2"


def test_the_client_address_is_taken_the_trusted_number_of_hops_back(app_behind):
    one = app_behind(1)
    assert _client_address(one, "203.0.113.5") == "203.0.113.5"
    # A client's own X-Forwarded-For is kept by the proxy, in front of the address it saw.
    assert _client_address(one, "198.51.100.66, 203.0.113.5") == "203.0.113.5"
    assert _client_address(app_behind(2), "198.51.100.66, 203.0.113.5") == "198.51.100.66"
    assert _client_address(one, None) == "10.0.0.2"


def test_trusted_proxy_hops_is_read_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("TRUSTED_PROXY_HOPS", raising=False)
    assert from_environment(tmp_path)["TRUSTED_PROXY_HOPS"] == 0
    monkeypatch.setenv("TRUSTED_PROXY_HOPS", "2")
    assert from_environment(tmp_path)["TRUSTED_PROXY_HOPS"] == 2
