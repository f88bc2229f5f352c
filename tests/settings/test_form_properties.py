"""Every settings form, and set-up and login, under hostile input.

Field values are oversized, carry HTML and script, control characters and NUL bytes, arrive as
raw bytes that are not UTF-8, or are missing. Whatever is sent: never a 500; an invalid
submission is answered with a clear error (a 4xx, the form again with its error, or a flashed
error on the page it returns to) and changes nothing in the database; whatever text comes back
is escaped. Front is never called for real: requests-mock answers for it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote_from_bytes

import pytest
import requests_mock as mocking
from flask import g
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from tests.conftest import PASSWORD, csrf_token
from webapp.db import Base, db
from webapp.front import integration as front
from webapp.models import (
    Integration,
    IntegrationKind,
    KnowledgeArticle,
    KnowledgeSource,
    OfficeHours,
    Organization,
    Role,
    SourceKind,
    SyncSchedule,
    User,
)

FRONT_API = "http://127.0.0.1:9"  # never reached: requests-mock answers first
FRONT_TOKEN = "tok_front_valid"
SCRIPT = "<script>alert(1)</script>"
MARKERS = (SCRIPT, "<img src=x onerror=alert(1)>")

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


# -- hostile field values ----------------------------------------------------------------------


class Missing:
    """The field is left out of the body altogether."""

    def __repr__(self):
        return "MISSING"


MISSING = Missing()


@dataclass(frozen=True)
class RawBytes:
    """Bytes put into the body as they are: percent-escaped, or (``escaped=False``) not at all,
    which makes the whole body something other than UTF-8."""

    value: bytes
    escaped: bool = True


hostile_characters = st.one_of(
    st.characters(), st.characters(categories=["Cs"]), st.sampled_from("\x00\x08\x0b\x1b\x7f\x85\u2028\u202e\ufeff")
)
hostile_values = st.one_of(
    st.text(hostile_characters, max_size=30),
    st.sampled_from(
        [
            *MARKERS,
            f'"><{SCRIPT[1:]}',
            f"'{SCRIPT}",
            "\x00",
            "a\x00b",
            "\r\n",
            " ",
            "",
            "\ufeff",
            "{{ 7*7 }}",
            "%s%n",
            "'; DROP TABLE users; --",
            "javascript:alert(1)",
            "https://[::1",
            "http://exa mple.test",
        ]
    ),
    # 100,000 characters, plain, multi-byte, markup or NUL.
    st.builds(lambda fill: fill * (100_000 // len(fill)), st.sampled_from(["x", "é", "<", "\x00", SCRIPT, "\n"])),
    st.builds(RawBytes, st.binary(min_size=1, max_size=16), st.booleans()),
    st.just(MISSING),
)


@st.composite
def decorated(draw, value: str):
    """A valid value with markup or a control character slipped in."""
    extra = draw(st.sampled_from([*MARKERS, "\x00", "\x07", "\u202e", "é", "\t"]))
    at = draw(st.integers(0, len(value)))
    return value[:at] + extra + value[at:]


@st.composite
def submissions(draw, valid: dict, choices: dict | None = None):
    """``valid`` with up to three fields made hostile (or, from ``choices``, another plausible value)."""
    data = dict(valid)
    count = draw(st.integers(0, min(3, len(valid))))  # untouched now and then: the success path is checked too
    for name in draw(st.lists(st.sampled_from(sorted(valid)), min_size=count, max_size=count, unique=True)):
        options = [hostile_values, decorated(valid[name])]
        if choices and name in choices:
            options.append(choices[name])
        data[name] = draw(st.one_of(*options))
    return data


def _body(data: dict) -> bytes:
    parts = []
    for name, value in data.items():
        if value is MISSING:
            continue
        if isinstance(value, RawBytes):
            encoded = quote_from_bytes(value.value).encode() if value.escaped else _unescaped(value.value)
        else:
            encoded = quote_from_bytes(value.encode("utf-8", "surrogatepass")).encode()
        parts.append(quote_from_bytes(name.encode()).encode() + b"=" + encoded)
    return b"&".join(parts)


def _unescaped(raw: bytes) -> bytes:
    """Bytes above 0x7f as they are; ASCII escaped, so the bytes cannot split the body."""
    return b"".join(bytes([byte]) if byte > 0x7F else quote_from_bytes(bytes([byte])).encode() for byte in raw)


def _text(value) -> str | None:
    """What the form receives for ``value``, when that is known text (None when it is not)."""
    if value is MISSING:
        return None
    try:
        return value.value.decode("utf-8") if isinstance(value, RawBytes) else value.encode("utf-8").decode("utf-8")
    except UnicodeError:
        return None


def _has_control_characters(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" and c not in "\t\n\r" for c in text)


def _stored(value) -> bool:
    """A value the database kept must be clean text: no NUL or other control characters."""
    if isinstance(value, str):
        return not _has_control_characters(value)
    if isinstance(value, dict):
        return all(_stored(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(_stored(v) for v in value)
    return True


# -- the database and the answers --------------------------------------------------------------


def _snapshot() -> dict:
    """Every row of every table, read on a connection of its own."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted((tuple(row) for row in connection.execute(table.select())), key=repr)
            for table in Base.metadata.sorted_tables
        }


def _post(client, path: str, data: dict, csrf: str):
    return client.post(path, data=_body({**data, "csrf_token": csrf}), content_type="application/x-www-form-urlencoded")


def _page(response) -> str:
    page = response.get_data(as_text=True)
    for marker in MARKERS:
        assert marker not in page, f"unescaped {marker!r} in the answer"
    return page


VISIBLE_ERROR = re.compile(r'<p class="error"(?![^>]*\bhidden\b)[^>]*>')


def _shows_an_error(page: str) -> bool:
    """A field error on show, a form's error summary, a flashed error, or the error page
    (refused form, too large)."""
    return bool(VISIBLE_ERROR.search(page)) or any(
        sign in page for sign in ("data-error-summary", "flash-error", "<h1>Form refused</h1>", "<h1>Too large</h1>")
    )


def check(client, path: str, data: dict, csrf: str, saved) -> bool:
    """Post ``data`` and hold the answer to the rules above. Returns whether it was accepted;
    when it was, ``saved()`` checks what was stored."""
    db.session.rollback()
    before = _snapshot()
    response = _post(client, path, data, csrf)
    assert response.status_code < 500, response.get_data(as_text=True)[:2000]
    page = _page(response)
    accepted = False
    if response.status_code == 302:
        follow = client.get(response.headers["Location"])
        assert follow.status_code < 500
        accepted = "flash-error" not in _page(follow)  # refusals that go back to the list say so there
    else:
        assert response.status_code in (200, 400, 413), response.status_code
        assert _shows_an_error(page), page[:2000]
    db.session.rollback()
    db.session.expire_all()
    if accepted:
        saved()
        assert all(_stored(row) for rows in _snapshot().values() for row in rows)
    else:
        assert _snapshot() == before, "a refused submission changed the database"
    return accepted


def _stripped(data: dict, name: str):
    text = _text(data.get(name))
    return None if text is None else text.strip()


def _same(stored, data: dict, name: str, normalize=str.strip) -> bool:
    """Whether ``stored`` is what was submitted for ``name`` (always, when that is not known text)."""
    text = _text(data.get(name))
    return text is None or stored == normalize(text)


# -- fixtures ----------------------------------------------------------------------------------


def _answer_as_front(request, context):
    """Front's answers for the one token it knows. Header values are encoded the way
    http.client does before anything is sent, so a header no real request could carry fails here too."""
    for value in request.headers.values():
        if isinstance(value, str):
            value.encode("latin-1")
    if request.headers.get("Authorization") != f"Bearer {FRONT_TOKEN}":
        context.status_code = 401
        return {"_error": {"status": 401, "title": "Unauthenticated", "message": "Invalid token"}}
    path = request.path
    if path == "/me":
        return {"id": "cmp_1", "name": "Acme Inc"}
    if path == "/teammates":
        return {
            "_results": [{"id": "tea_ai", "first_name": "Switchboard", "last_name": "AI", "email": "ai@acme.test"}],
            "_pagination": {},
        }
    if path in ("/conversations", "/channels"):
        return {"_results": [], "_pagination": {}}
    if path == "/knowledge_bases":
        return {"_results": [{"id": "knb_pub", "type": "external", "locales": ["en"]}], "_pagination": {}}
    if path == "/knowledge_bases/knb_pub":
        return {"id": "knb_pub", "name": "Acme Help Center", "locale": "en"}
    context.status_code = 404
    return {"_error": {"status": 404, "message": "Not found"}}


@pytest.fixture
def front_api(app, requests_mock, monkeypatch):
    app.config["FRONT_API_URL"] = FRONT_API
    requests_mock.register_uri(mocking.ANY, mocking.ANY, json=_answer_as_front)
    # The shared budget has its own tests; here it would only make examples wait for tokens.
    monkeypatch.setattr(front, "limiter_for", lambda organization_id, per_minute: None)
    return requests_mock


@pytest.fixture
def admin(client, logged_in_owner, front_api):
    return client


@pytest.fixture
def csrf(admin) -> str:
    """The owner's CSRF token: one per session, good for every form."""
    return csrf_token(admin, ORGANIZATION_PAGE)


@pytest.fixture
def connected(logged_in_owner) -> Integration:
    integration = Integration(
        organization_id=logged_in_owner.organization_id,
        kind=IntegrationKind.FRONT,
        enabled=False,
        settings={
            "teammates": [{"id": "tea_ai", "name": "Switchboard AI", "email": "ai@acme.test"}],
            "company_name": "Acme Inc",
        },
        credentials={"api_token": FRONT_TOKEN, "app_secret": "front-app-secret"},
        webhook_token="hook-token-for-form-properties",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def _front() -> Integration:
    return db.session.scalar(select(Integration).where(Integration.kind == IntegrationKind.FRONT))


# -- Settings → Ticketing System → Front -------------------------------------------------------

FRONT_PAGE = "/settings/ticketing/front"


@PROPERTY
@given(
    data=submissions(
        {"api_token": FRONT_TOKEN},
        {"api_token": st.sampled_from([f" {FRONT_TOKEN} ", f"{FRONT_TOKEN}\n", "tok_other"])},
    )
)
def test_connecting_front(admin, csrf, data):
    def saved():
        assert _front().credentials["api_token"] == _stripped(data, "api_token") == FRONT_TOKEN

    check(admin, f"{FRONT_PAGE}/connect", data, csrf, saved)


@PROPERTY
@given(
    data=submissions(
        {"ai_teammate": "tea_ai", "handle_unassigned": "y", "enabled": "y", "rate_limit": "100"},
        {
            "ai_teammate": st.just(""),
            "rate_limit": st.sampled_from(["50", "200", "0", "-1", "1e9"]),
            "enabled": st.just("false"),
        },
    )
)
def test_the_ai_teammate_and_switches(admin, csrf, connected, data):
    def saved():
        settings = _front().settings
        assert settings["ai_teammate_id"] in ("tea_ai", None) and settings["rate_limit_per_minute"] in (50, 100, 200)

    check(admin, f"{FRONT_PAGE}/agent", data, csrf, saved)


@PROPERTY
@given(data=submissions({"app_secret": "front-app-secret-2"}))
def test_the_app_secret(admin, csrf, connected, data):
    def saved():
        assert _same(_front().credentials["app_secret"], data, "app_secret")

    check(admin, f"{FRONT_PAGE}/webhook-secret", data, csrf, saved)


# -- Handoff settings and office hours ---------------------------------------------------------

HANDOFF_PAGE = "/settings/handoff"
HANDOFF = {
    "mode": "preset",
    "level": "2",
    "adv_unproductive_after": "2",
    "forbidden_topics": "legal advice\npricing negotiation\n",
    "message_open": "A teammate will reply shortly.",
    "message_closed": "We're back {next_opening}.",
    "office_hours": "",
    "destination_email": "front_teammates",
    "destination_web": "front_teammates",
    "destination_sms": "front_teammates",
    "destination_phone": "front_teammates",
    "adv_enabled": "y",
}


@settings(PROPERTY, max_examples=50)
@given(
    data=submissions(
        HANDOFF,
        {
            "mode": st.sampled_from(["advanced", "Advanced", ""]),
            "level": st.sampled_from(["0", "3", "4", "-1", "01"]),
            "adv_unproductive_after": st.sampled_from(["1", "20", "21", "0", "٣", " 5 ", "9" * 5000, "1.5"]),
            "office_hours": st.sampled_from(["1", "999999", "abc", "-1"]),
            "forbidden_topics": st.builds(lambda n: "topic\n" * n, st.integers(1, 3000)),
        },
    )
)
def test_handoff_settings(admin, csrf, data):
    from webapp.models import AgentSettings

    admin.get(HANDOFF_PAGE)  # the page makes the organization's settings row, as a visit would

    def saved():
        settings = db.session.scalar(select(AgentSettings))
        assert _same(settings.message_open, data, "message_open")
        assert _same(settings.forbidden_topics, data, "forbidden_topics", normalize=str)
        assert 1 <= settings.advanced["unproductive_after"] <= 20

    check(admin, HANDOFF_PAGE, data, csrf, saved)


@settings(PROPERTY, max_examples=50)
@given(
    data=submissions(
        {
            "name": "Paris team",
            "timezone": "Europe/Paris",
            "shifts": "monday_to_friday 09:00-17:00\nsaturday 10:00-14:00",
        },
        {
            "timezone": st.sampled_from(
                [
                    "America",
                    "Europe/",
                    "/etc/localtime",
                    "../../etc/passwd",
                    "Europe/Paris\x00",
                    "UTC",
                    "posixrules",
                    "Etc/GMT+5",
                    ".",
                    "..",
                    "__init__",
                    "zoneinfo",
                    "tzdata",
                    "Europe//Paris",
                    "a" * 300,
                    "EUROPE/PARIS",
                ]
            ),
            "shifts": st.sampled_from(
                [
                    "monday 24:00-24:00",
                    "sunday_to_sunday 00:00-00:00",
                    "monday 9:0-17:0",
                    "monday 09:00-17:00-18:00",
                    "everyday ٠٩:٠٠-١٧:٠٠",
                    "friday 22:00-06:00",
                    "monday_to_ 09:00-17:00",
                    "monday 09:00-99:99",
                    "\n\n",
                    "weekends 00:00-24:00",
                ]
            ),
        },
    )
)
def test_adding_office_hours(admin, csrf, data):
    def saved():
        schedule = db.session.scalars(select(OfficeHours).order_by(OfficeHours.id.desc())).first()
        assert _same(schedule.name, data, "name") and _same(schedule.timezone, data, "timezone")

    check(admin, f"{HANDOFF_PAGE}/office-hours", data, csrf, saved)


# -- Settings → AI -----------------------------------------------------------------------------


LLM_KEY = "sk-test-key"


@pytest.fixture
def llm_provider(front_api, monkeypatch):
    """Every host name resolves to one public address (a fake: no real lookup), and the
    provider at llm.example.test answers the test call on save for its one key (requests-mock)."""
    from webapp import outbound

    monkeypatch.setattr(outbound, "resolve", lambda host: ["93.184.215.14"])

    def answer(request, context):
        if request.headers.get("Authorization") != f"Bearer {LLM_KEY}":
            context.status_code = 401
            return {"error": {"message": f"{SCRIPT} bad key"}}
        return {"choices": [{"message": {"role": "assistant", "content": "OK"}}]}

    front_api.post("https://llm.example.test/v1/chat/completions", json=answer)
    return front_api


@PROPERTY
@given(
    data=submissions(
        {"base_url": "https://llm.example.test/v1/", "model": "gpt-test", "api_key": LLM_KEY, "enabled": "y"},
        {
            "api_key": st.sampled_from(["", "sk-wrong-key"]),
            "base_url": st.sampled_from(
                [
                    "http://127.0.0.1:9",
                    "ftp://x",
                    "https://",
                    "https://169.254.169.254/v1",
                    "https://[::ffff:10.0.0.1]/v1",
                    "https://other.example.test/v1",
                    "https://llm.example.test/v2",
                ]
            ),
        },
    )
)
def test_the_ai_provider(admin, csrf, llm_provider, data):
    def saved():
        integration = db.session.scalar(select(Integration).where(Integration.kind == IntegrationKind.LLM))
        assert _same(integration.settings["base_url"], data, "base_url", lambda text: text.strip().rstrip("/"))
        assert _same(integration.settings["model"], data, "model")
        assert integration.settings["base_url"].startswith("https://")
        if _stripped(data, "api_key"):
            assert _same(integration.credentials["api_key"], data, "api_key")
        # Switched on only after the test call worked, which takes the one key at the one address.
        if integration.enabled:
            assert integration.credentials["api_key"] == LLM_KEY
            assert integration.settings["base_url"] == "https://llm.example.test/v1"

    check(admin, "/settings/ai", data, csrf, saved)


# -- Data Sources and Knowledge ----------------------------------------------------------------

SOURCE = {
    "name": "Front Help Center",
    "knowledge_bases": "knb_pub",
    "start_date": "2024-01-01",
    "help_center_url": "https://help.acme.test",
    "allow_internal": "y",
    "schedule": "daily",
}
SOURCE_CHOICES = {
    "knowledge_bases": st.sampled_from(["knb_forged", ""]),
    "start_date": st.sampled_from(["0001-01-01", "9999-12-31", "2024-02-30", "2024-1-5", "20240101", "-2024-01-01"]),
    "help_center_url": st.sampled_from(
        ["", "http://localhost", "https://help.acme.test/" + "x" * 600, "javascript:alert(1)"]
    ),
    "schedule": st.sampled_from(["hourly", "manual", "weekly"]),
}


@settings(PROPERTY, max_examples=50)
@given(
    data=submissions(
        {**SOURCE, "api_token": FRONT_TOKEN},
        {**SOURCE_CHOICES, "api_token": st.sampled_from(["", "tok_other", f" {FRONT_TOKEN} "])},
    )
)
def test_adding_a_front_data_source(admin, csrf, data):
    def saved():
        source = db.session.scalars(select(KnowledgeSource).order_by(KnowledgeSource.id.desc())).first()
        assert _same(source.name, data, "name") and source.credentials == {"api_token": FRONT_TOKEN}

    check(admin, "/data-sources/front", data, csrf, saved)


@PROPERTY
@given(api_token=st.one_of(hostile_values, decorated(FRONT_TOKEN), st.just(FRONT_TOKEN)))
def test_listing_help_centers_for_a_key(admin, csrf, api_token):
    before = _snapshot()
    response = admin.post(
        "/data-sources/front/help-centers",
        data=_body({"api_token": api_token}),
        content_type="application/x-www-form-urlencoded",
        headers={"X-CSRFToken": csrf},
    )
    assert response.status_code in (200, 400, 413), response.get_data(as_text=True)[:2000]
    _page(response)
    if response.status_code == 200:
        assert [center["id"] for center in response.json["help_centers"]] == ["knb_pub"]
    elif response.is_json:
        assert response.json["error"]
    db.session.rollback()
    assert _snapshot() == before


@pytest.fixture
def front_source(logged_in_owner) -> KnowledgeSource:
    source = KnowledgeSource(
        organization_id=logged_in_owner.organization_id,
        kind=SourceKind.FRONT,
        name="Front Help Center",
        credentials={"api_token": FRONT_TOKEN},
        schedule=SyncSchedule.DAILY,
        settings={
            "knowledge_bases": [{"id": "knb_pub", "name": "Acme Help Center", "type": "external", "locales": ["en"]}],
            "selected": ["knb_pub"],
            "start_date": "2000-01-01",
        },
    )
    db.session.add(source)
    db.session.commit()
    return source


@PROPERTY
@given(data=submissions(SOURCE, SOURCE_CHOICES))
def test_editing_a_data_source(admin, csrf, front_source, data):
    path = f"/data-sources/{front_source.id}/edit"

    def saved():
        source = db.session.get(KnowledgeSource, front_source.id)
        assert _same(source.name, data, "name") and source.selected_ids == ["knb_pub"]

    check(admin, path, data, csrf, saved)


@PROPERTY
@given(
    data=submissions(
        {
            "title": "Returns",
            "body": "Send it back within **30 days**.",
            "url": "https://help.acme.test/returns",
            "locale": "en",
            "internal": "",
        },
        {
            "url": st.sampled_from(["", "javascript:alert(1)", "http://localhost/x", "https://[::1]/"]),
            "internal": st.just("y"),
        },
    )
)
def test_adding_an_article(admin, csrf, data):
    def saved():
        article = db.session.scalars(select(KnowledgeArticle).order_by(KnowledgeArticle.id.desc())).first()
        assert _same(article.title, data, "title") and _same(article.body, data, "body")

    check(admin, "/knowledge", data, csrf, saved)


# -- Organization and members ------------------------------------------------------------------

ORGANIZATION_PAGE = "/settings/organization"


@PROPERTY
@given(data=submissions({"name": "Acme Care"}))
def test_renaming_the_organization(admin, csrf, logged_in_owner, data):
    def saved():
        assert _same(db.session.get(Organization, logged_in_owner.organization_id).name, data, "name")

    check(admin, ORGANIZATION_PAGE, data, csrf, saved)


@settings(PROPERTY, max_examples=50)
@given(
    data=submissions(
        {"member-name": "Mo", "member-email": "mo@example.com", "member-role": "member", "member-password": PASSWORD},
        {
            "member-role": st.sampled_from(["admin", "owner", "superuser", "MEMBER"]),
            "member-email": st.sampled_from(
                ["OWNER@example.com", "mo@example", "mo@@example.com", "é@exämple.com", "mo@" + "x" * 300 + ".com"]
            ),
            "member-password": st.sampled_from(["short", "x" * 12, "x" * 256, "x" * 257]),
        },
    )
)
def test_adding_a_member(admin, csrf, data):
    db.session.execute(delete(User).where(User.email != "owner@example.com"))
    db.session.commit()

    def saved():
        member = db.session.scalars(select(User).order_by(User.id.desc())).first()
        assert _same(member.email, data, "member-email", lambda text: text.strip().lower()) and _same(
            member.name, data, "member-name"
        )

    check(admin, f"{ORGANIZATION_PAGE}/members", data, csrf, saved)


@PROPERTY
@given(role=st.one_of(hostile_values, st.sampled_from(["member", "admin", "owner", "Admin"])))
def test_changing_a_role(admin, csrf, world, logged_in_owner, role):
    member = db.session.scalar(select(User).where(User.email == "mo@example.com")) or world.user(
        logged_in_owner.organization, Role.MEMBER, email="mo@example.com", name="Mo"
    )

    def saved():
        assert _same(db.session.get(User, member.id).role.value, {"role": role}, "role", normalize=str)

    check(admin, f"{ORGANIZATION_PAGE}/members/{member.id}/role", {"role": role}, csrf, saved)


# -- First-run set-up and login, as nobody ------------------------------------------------------


def _anonymous(app):
    """A browser of its own. The test's app context outlives requests, and Flask-Login and
    Flask-WTF keep the last request's user and CSRF token in it: forget both, as a new request would."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    return app.test_client()


@settings(PROPERTY, max_examples=50)
@given(
    data=submissions(
        {
            "organization": "Acme Support",
            "name": "Ada Lovelace",
            "email": "Ada@Example.com",
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
        {
            "confirm": st.just(PASSWORD + "x"),
            "email": st.sampled_from(["ada@example", "ada", "@example.com", "ada@" + "x" * 300 + ".com"]),
        },
    )
)
def test_first_run_set_up(app, data):
    db.session.execute(delete(User))
    db.session.execute(delete(Organization))
    db.session.commit()
    client = _anonymous(app)

    def saved():
        owner = db.session.scalar(select(User))
        assert owner.role == Role.OWNER and _same(owner.email, data, "email", lambda text: text.strip().lower())
        assert _same(db.session.scalar(select(Organization)).name, data, "organization")

    csrf = csrf_token(client, "/setup")  # the page writes the one-time set-up token into the instance folder
    with open(f"{app.instance_path}/setup_token") as token_file:
        token = token_file.read().strip()
    check(client, "/setup", {**data, "setup_token": token}, csrf, saved)


@PROPERTY  # each example checks a password hash, on purpose slow
@given(
    data=submissions(
        {"email": "owner@example.com", "password": PASSWORD, "remember": ""},
        {
            "email": st.sampled_from(["OWNER@example.com", " owner@example.com ", "nobody@example.com"]),
            "remember": st.just("y"),
        },
    )
)
def test_logging_in(app, owner, data):
    app.extensions["redis"].flushdb()  # no lockout carried over from an earlier example
    client = _anonymous(app)

    def saved():
        assert _same("owner@example.com", data, "email", lambda text: text.strip().lower())
        assert _same(PASSWORD, data, "password", normalize=str)

    check(client, "/login", data, csrf_token(client, "/login"), saved)


# -- Forms that are only a button --------------------------------------------------------------


@pytest.fixture
def buttons(admin, connected, front_source, world, logged_in_owner) -> list[str]:
    """Every form that is only a button (its target in the URL), with a row to act on."""
    hours = OfficeHours(
        organization_id=logged_in_owner.organization_id, name="Paris team", timezone="Europe/Paris", shifts=[]
    )
    article = KnowledgeArticle(
        organization_id=logged_in_owner.organization_id,
        source_id=front_source.id,
        external_id="kba_1",
        title="Returns",
        body="Within 30 days.",
    )
    member = world.user(logged_in_owner.organization, Role.MEMBER, email="mo@example.com", name="Mo")
    db.session.add_all([hours, article])
    db.session.commit()
    return [
        f"{FRONT_PAGE}/webhook-token",
        f"{FRONT_PAGE}/teammates",
        f"{FRONT_PAGE}/disconnect",
        f"{HANDOFF_PAGE}/office-hours/{hours.id}/delete",
        f"/data-sources/{front_source.id}/sync",
        f"/data-sources/{front_source.id}/delete",
        f"/knowledge/{article.id}/hidden",
        f"{ORGANIZATION_PAGE}/members/{member.id}/remove",
        "/logout",
    ]


@PROPERTY
@given(
    target=st.integers(0, 8),
    token=st.one_of(hostile_values, st.sampled_from(["flip", "another session"])),
    junk=st.dictionaries(
        st.sampled_from(["name", "id", "organization_id", "role", "csrf_token2"]), hostile_values, max_size=2
    ),
)
def test_a_button_with_a_bad_csrf_token_changes_nothing(app, admin, csrf, buttons, target, token, junk):
    if token == "flip":
        # Not the last character: its low bits are base64 padding, and A and B there decode to
        # the same signature.
        token = csrf[:-5] + ("A" if csrf[-5] != "A" else "B") + csrf[-4:]
    elif token == "another session":
        token = csrf_token(_anonymous(app), "/login")
        _anonymous(app)  # and forget that visitor again before the admin's request
    db.session.rollback()
    before = _snapshot()
    response = (
        _post(admin, buttons[target], junk, token) if token is not MISSING else _post(admin, buttons[target], junk, "")
    )
    assert response.status_code == 400 and "<h1>Form refused</h1>" in _page(response)
    db.session.rollback()
    assert _snapshot() == before


# -- what the properties found -----------------------------------------------------------------


def test_a_token_no_http_header_can_carry_is_refused_before_front_is_called(admin, csrf, front_api):
    # It went out in the Authorization header: http.client refuses non-latin-1 text, requests
    # a line break, and either was a 500.
    for token in ("tokĀ", "tok\nen", "tok\x00en", "tok€n"):
        for path in (f"{FRONT_PAGE}/connect", "/data-sources/front"):
            response = _post(admin, path, {**SOURCE, "api_token": token}, csrf)
            assert response.status_code == 400 and "This is not an API token" in response.get_data(as_text=True)
        response = admin.post(
            "/data-sources/front/help-centers", data={"api_token": token}, headers={"X-CSRFToken": csrf}
        )
        assert response.status_code == 400 and "This is not an API token" in response.json["error"]
        ai = {"base_url": "https://llm.example.test/v1", "model": "m", "api_key": token, "enabled": "y"}
        response = _post(admin, "/settings/ai", ai, csrf)
        assert response.status_code == 400 and "This is not an API token" in response.get_data(as_text=True)
    assert front_api.call_count == 0
    assert db.session.scalar(select(Integration)) is None and db.session.scalar(select(KnowledgeSource)) is None


def test_control_characters_are_a_form_error_not_a_database_error(admin, csrf, logged_in_owner):
    # PostgreSQL refuses NUL in text: the organization name was a 500 there, and saved as typed on SQLite.
    for name in ("Acme\x00Care", "\x00", "Acme\x1bCare", "Acme\x7f"):
        response = _post(admin, ORGANIZATION_PAGE, {"name": name}, csrf)
        assert response.status_code == 400 and "Remove the control characters" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Organization, logged_in_owner.organization_id).name == "Acme Support"


def test_a_time_zone_folder_or_an_overlong_name_is_a_form_error(admin, csrf):
    # ZoneInfo raised IsADirectoryError for a folder, OSError for a name too long for a file,
    # and RecursionError for one with thousands of "/": each was a 500.
    for zone in ("America", "Etc", "a" * 300, "Europe/" * 3000):
        hours = {"name": "Paris team", "timezone": zone, "shifts": "monday 09:00-17:00"}
        response = _post(admin, f"{HANDOFF_PAGE}/office-hours", hours, csrf)
        assert response.status_code == 400 and "is not an IANA time zone" in response.get_data(as_text=True)
    assert db.session.scalar(select(OfficeHours)) is None


def test_an_address_of_only_whitespace_is_no_address(admin, csrf, front_source):
    # Optional() let whitespace of any length through, past Length(max=1000): a 500 on
    # PostgreSQL's VARCHAR(1000), and an address of blanks on SQLite.
    response = _post(
        admin, "/knowledge", {"title": "Returns", "body": "Within 30 days.", "url": "\n" * 2000, "locale": "en"}, csrf
    )
    assert response.status_code == 302
    assert db.session.scalar(select(KnowledgeArticle)).url is None
    path = f"/data-sources/{front_source.id}/edit"
    response = _post(admin, path, {**SOURCE, "help_center_url": " \t\n" * 500}, csrf)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(KnowledgeSource, front_source.id).settings["help_center_url"] is None


def test_a_nul_in_the_login_email_is_a_form_error(app, owner):
    # The email went into the user lookup as typed: PostgreSQL refused the NUL with a 500.
    client = _anonymous(app)
    response = _post(
        client, "/login", {"email": "owner@example.com\x00", "password": PASSWORD}, csrf_token(client, "/login")
    )
    assert response.status_code == 400 and "Remove the control characters" in response.get_data(as_text=True)


def test_the_login_password_is_compared_whatever_it_holds(app, owner):
    # Set before control characters were refused: it must still let its owner in.
    owner.set_password(PASSWORD + "\x07")
    db.session.commit()
    client = _anonymous(app)
    response = _post(
        client, "/login", {"email": owner.email, "password": PASSWORD + "\x07"}, csrf_token(client, "/login")
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox")
