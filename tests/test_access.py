"""Who may reach what, checked over every route the app has, so a new page cannot slip through."""

import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from rq import Queue
from rq.job import Job, JobStatus

from tests.conftest import csrf_token
from webapp.db import Base, db
from webapp.knowledge import examples, sources
from webapp.models import (
    EventKind,
    Integration,
    IntegrationKind,
    JournalEntry,
    JournalStatus,
    OfficeHours,
    Role,
)

PUBLIC_ENDPOINTS = {
    "static",
    "auth.setup",
    "auth.login",
    "auth.logout",
    "health.healthz",
    "front_webhooks.receive",
    "salesforce_webhooks.receive",
    "salesforce.callback",
}


def _concrete_path(rule) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def _protected_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        yield rule


def test_every_protected_route_redirects_anonymous_users_to_login(app, client, owner):
    checked = 0
    for rule in _protected_rules(app):
        path = _concrete_path(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 302, f"{method} {path} answered {response.status_code}"
            assert "/login" in response.headers["Location"], f"{method} {path}"
            checked += 1
    assert checked > 15  # the RQ dashboard and every settings page are in the map


def test_public_pages_need_no_login(client, owner):
    assert client.get("/login").status_code == 200
    assert client.get("/healthz").status_code == 200


SETTINGS_POSTS = [
    ("/settings/organization", {"name": "Taken over"}),
    (
        "/settings/organization/members",
        {"member-name": "Eve", "member-email": "eve@example.com", "member-role": "owner", "member-password": "x" * 12},
    ),
    ("/settings/organization/members/{owner}/role", {"role": "member"}),
    ("/settings/organization/members/{owner}/remove", {}),
]


@pytest.mark.parametrize(("path", "data"), SETTINGS_POSTS)
def test_a_member_cannot_change_settings(client, auth, world, owner, path, data):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    response = client.post(
        path.format(owner=owner.id), data={**data, "csrf_token": csrf_token(client, "/settings/organization")}
    )
    assert response.status_code == 403
    assert "Only owners and admins" in response.get_data(as_text=True)


STATE_CHANGING_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# What an admin would fill in, for the forms of every settings page at once: were a route's role
# check missing, most of these posts would change something the test would see.
ADMIN_FORM = {
    "name": "Taken over",
    "role": "owner",
    "member-name": "Eve",
    "member-email": "eve@example.com",
    "member-role": "owner",
    "member-password": "a long enough password",
    "title": "Planted article",
    "body": "Refunds are paid in cash to whoever asks.",
    "locale": "en",
    "timezone": "Europe/Paris",
    "shifts": "monday_to_friday 09:00-17:00",
    "mode": "preset",
    "level": "3",
    "message_open": "Planted",
    "message_closed": "Planted",
    "base_url": "https://llm.evil.example/v1",
    "model": "planted",
    "api_key": "sk-planted",
    "enabled": "y",
    "api_token": "planted-token",
    "app_secret": "planted-secret",
    "knowledge_bases": "knb_pub",
    "start_date": "2000-01-01",
    "schedule": "hourly",
}


@dataclass
class MemberOrganization:
    """A member, and real rows of the member's own organization for every kind of path parameter."""

    member_email: str
    owner_id: int
    front_source_id: int
    article_id: int
    office_hours_id: int
    session_id: int
    failed_entry_id: int
    failed_job_id: str
    queue_name: str
    example_id: int
    suggestion_id: int


# Path parameter -> the id of a real row of the member's organization, so that no route can pass
# by answering 404. A new route with a parameter not listed here fails the test until it is added.
ROW_FOR_PARAMETER = {
    "source_id": lambda rows: rows.front_source_id,  # a Front source: a hand-added one has no edit page
    "article_id": lambda rows: rows.article_id,
    "schedule_id": lambda rows: rows.office_hours_id,
    "session_id": lambda rows: rows.session_id,
    "entry_id": lambda rows: rows.failed_entry_id,
    "user_id": lambda rows: rows.owner_id,
    "job_id": lambda rows: rows.failed_job_id,
    "queue_name": lambda rows: rows.queue_name,
    "registry_name": lambda rows: "failed",
    "example_id": lambda rows: rows.example_id,
    "event_id": lambda rows: rows.suggestion_id,
}


@pytest.fixture
def member_organization(app, world, owner) -> MemberOrganization:
    organization = owner.organization
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={"ai_teammate_id": "tea_ai", "ai_teammate_name": "Switchboard AI", "teammates": []},
            credentials={"api_token": "front-token", "app_secret": "front-secret"},
            webhook_token="the-webhook-token",
        )
    )
    front_source = world.front_source(organization)
    office_hours = OfficeHours(
        organization_id=organization.id,
        name="Paris team",
        timezone="Europe/Paris",
        shifts=[{"day_of_week": "monday_to_friday", "start_time": "09:00", "end_time": "17:00"}],
    )
    db.session.add(office_hours)
    db.session.commit()
    article = sources.add_manual_article(
        organization.id, title="Refund policy", body="Refunds within 14 days.", url=None, locale="en", internal=False
    )
    support_session = world.session(organization)
    example = examples.add_example(article, "How long do refunds take?")
    suggestion = support_session.record(
        EventKind.EXAMPLE_SUGGESTION, article_id=article.id, title=article.title, question="Refund?", state="open"
    )
    db.session.commit()
    failed_entry = JournalEntry(
        organization_id=organization.id,
        source="front",
        external_id="evt_failed",
        payload="{}",
        status=JournalStatus.FAILED,
        attempts=4,
        last_error="FrontUnavailable: Front answered 503",
    )
    db.session.add(failed_entry)
    db.session.commit()

    # The job dashboard's rows: a sync of the source waiting in its queue, and one that failed.
    queue = Queue("knowledge", connection=app.extensions["redis"])
    queue.enqueue("jobs.knowledge.sync_knowledge_source", front_source.id, job_id=f"knowledge-sync-{front_source.id}")
    failed = queue.enqueue("jobs.knowledge.sync_knowledge_source", front_source.id, job_id="knowledge-sync-failed")
    queue.remove(failed)
    failed.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(failed, exc_string="FrontError: Front answered 503")

    return MemberOrganization(
        member_email=member.email,
        owner_id=owner.id,
        front_source_id=front_source.id,
        article_id=article.id,
        office_hours_id=office_hours.id,
        session_id=support_session.id,
        failed_entry_id=failed_entry.id,
        failed_job_id=failed.id,
        queue_name=queue.name,
        example_id=example.id,
        suggestion_id=suggestion.id,
    )


# Routes any logged-in user may post to about themselves alone (their own password, tested in
# tests/auth and tests/settings/test_members.py): a member is not refused these.
SELF_SERVICE_ENDPOINTS = {"auth.change_password"}


def _state_changing_rules(app):
    for rule in _protected_rules(app):
        methods = sorted(rule.methods & STATE_CHANGING_METHODS)
        if methods and rule.endpoint not in SELF_SERVICE_ENDPOINTS:
            yield rule, methods


def _path_with_real_rows(rule, rows: MemberOrganization) -> str:
    unknown = sorted(name for name in rule.arguments if name not in ROW_FOR_PARAMETER)
    if unknown:
        pytest.fail(
            f"{rule.rule}: no row for the path parameter(s) {', '.join(unknown)}. Add a real row of the member's "
            "organization for each to the member_organization fixture and ROW_FOR_PARAMETER in tests/test_access.py."
        )
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda m: str(ROW_FOR_PARAMETER[m.group(1)](rows)), rule.rule)


def _database_rows() -> dict[str, list]:
    """Every row of every table as stored (secrets still encrypted), in a stable order."""
    with db.engine.connect() as connection:
        return {
            table.name: sorted(
                (tuple(row) for row in connection.exec_driver_sql(f'SELECT * FROM "{table.name}"')), key=repr
            )
            for table in Base.metadata.sorted_tables
        }


def _redis_contents(redis_client) -> dict[bytes, bytes]:
    """Every key in Redis (queues, jobs, registries, rate limits) with its serialized value."""
    return {key: redis_client.dump(key) for key in sorted(redis_client.keys("*"))}


def test_a_member_is_refused_every_state_changing_route(app, client, auth, member_organization):
    rows = member_organization
    assert auth.login(rows.member_email).status_code == 302
    token = csrf_token(client, "/settings/organization")
    redis_client = app.extensions["redis"]
    database_before, redis_before = _database_rows(), _redis_contents(redis_client)
    assert redis_before, "the job dashboard's queue and failed job are missing"

    checked = []
    for rule, methods in _state_changing_rules(app):
        path = _path_with_real_rows(rule, rows)
        for method in methods:
            response = client.open(
                path,
                method=method,
                data={**ADMIN_FORM, "csrf_token": token},
                # The token as the job dashboard's script sends it too: only the role may refuse.
                headers={"X-CSRFToken": token},
            )
            assert response.status_code == 403, f"a member's {method} {path} answered {response.status_code}"
            assert "owners and admins" in response.get_data(as_text=True), f"{method} {path} refused for another reason"
            assert _database_rows() == database_before, f"a member's {method} {path} changed the database"
            assert _redis_contents(redis_client) == redis_before, f"a member's {method} {path} changed Redis"
            checked.append(f"{method} {rule.rule}")

    # 26 today: the job dashboard's 5 actions and every settings, data source and knowledge form.
    assert len(checked) > 20, checked
    assert any(route.startswith("POST /admin/rq/") for route in checked)


def test_a_member_sees_settings_read_only(client, auth, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    page = client.get("/settings/organization").get_data(as_text=True)
    assert "only owners and admins can change them" in page
    assert "Add a member" not in page


def test_a_member_cannot_open_the_job_dashboard(client, auth, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    assert client.get("/admin/rq/").status_code == 403


def test_an_admin_opens_the_job_dashboard(client, logged_in_owner):
    assert client.get("/admin/rq/").status_code == 200
    queues = client.get("/admin/rq/0/data/queues.json")
    assert queues.status_code == 200
    assert "queues" in queues.json


# Every route of the job dashboard that changes something. Each must answer POST only and need the
# CSRF token: a link (GET) or a cross-site form must not requeue, delete or empty anything.
DASHBOARD_ACTIONS = {
    "rq_dashboard.delete_job_view",
    "rq_dashboard.requeue_job_view",
    "rq_dashboard.requeue_all",
    "rq_dashboard.empty_queue",
    "rq_dashboard.compact_queue",
}


@pytest.fixture
def dashboard_jobs(app) -> SimpleNamespace:
    """The job dashboard's rows: a sync waiting in its queue, and one that failed."""
    queue = Queue("knowledge", connection=app.extensions["redis"])
    waiting = queue.enqueue("jobs.knowledge.sync_knowledge_source", 1, job_id="knowledge-sync-waiting")
    failed = queue.enqueue("jobs.knowledge.sync_knowledge_source", 1, job_id="knowledge-sync-failed")
    queue.remove(failed)
    failed.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(failed, exc_string="FrontError: Front answered 503")
    return SimpleNamespace(queue=queue, waiting_id=waiting.id, failed_job_id=failed.id, queue_name=queue.name)


def _dashboard_action_rules(app) -> list:
    rules = app.url_map.iter_rules()
    return [rule for rule in rules if rule.endpoint.startswith("rq_dashboard.") and "POST" in rule.methods]


def _dashboard_csrf_token(client) -> str:
    """The token the dashboard's own pages carry for their script to send."""
    match = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/admin/rq/").get_data(as_text=True))
    assert match, "the job dashboard's pages carry no CSRF token"
    return match.group(1)


def test_the_job_dashboard_actions_are_the_known_ones(app):
    """A new action in a new rq-dashboard shows up here, to be added to the tests below."""
    assert {rule.endpoint for rule in _dashboard_action_rules(app)} == DASHBOARD_ACTIONS
    adapter = app.url_map.bind("localhost")
    assert {adapter.match(path, method="POST")[0] for path, _ in DASHBOARD_ACTIONS_AT_WORK} == DASHBOARD_ACTIONS


def test_job_dashboard_actions_refuse_get(app, client, logged_in_owner, dashboard_jobs):
    redis_client = app.extensions["redis"]
    redis_before = _redis_contents(redis_client)
    for rule in _dashboard_action_rules(app):
        path = _path_with_real_rows(rule, dashboard_jobs)
        for method in ("GET", "HEAD"):
            response = client.open(path, method=method)
            assert response.status_code == 405, f"an admin's {method} {path} answered {response.status_code}"
    assert _redis_contents(redis_client) == redis_before


def test_job_dashboard_actions_need_the_csrf_token(app, client, logged_in_owner, dashboard_jobs):
    redis_client = app.extensions["redis"]
    redis_before = _redis_contents(redis_client)
    for rule in _dashboard_action_rules(app):
        path = _path_with_real_rows(rule, dashboard_jobs)
        # A cross-site form, a same-origin request without the token, a made-up token.
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "http://localhost"}, {"X-CSRFToken": "forged"}):
            response = client.post(path, headers=headers)
            assert response.status_code == 400, f"POST {path} with {headers} answered {response.status_code}"
            assert "did not come from this site" in response.get_data(as_text=True)
            assert _redis_contents(redis_client) == redis_before, f"POST {path} with {headers} changed Redis"


def _requeued(jobs) -> bool:
    return jobs.failed_job_id in jobs.queue.get_job_ids() and jobs.queue.failed_job_registry.count == 0


def _failed_job_gone(jobs) -> bool:
    return not Job.exists(jobs.failed_job_id, connection=jobs.queue.connection)


DASHBOARD_ACTIONS_AT_WORK = [
    ("/admin/rq/job/knowledge-sync-failed/requeue", _requeued),
    ("/admin/rq/requeue/knowledge", _requeued),
    ("/admin/rq/job/knowledge-sync-failed/delete", _failed_job_gone),
    ("/admin/rq/queue/knowledge/failed/empty", _failed_job_gone),
    ("/admin/rq/queue/knowledge/queued/empty", lambda jobs: jobs.queue.count == 0),
    ("/admin/rq/queue/knowledge/compact", lambda jobs: jobs.queue.get_job_ids() == [jobs.waiting_id]),
]


@pytest.mark.parametrize(("path", "done"), DASHBOARD_ACTIONS_AT_WORK)
def test_job_dashboard_actions_work_with_the_csrf_token(client, logged_in_owner, dashboard_jobs, path, done):
    response = client.post(path, headers={"X-CSRFToken": _dashboard_csrf_token(client)})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["status"] == "OK"
    assert done(dashboard_jobs)


def test_pages_send_security_headers(client, logged_in_owner):
    response = client.get("/inbox")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
