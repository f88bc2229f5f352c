"""The browser-facing security headers, on every page the app has (the job dashboard included):
a Content-Security-Policy that allows no inline script and no framing, X-Frame-Options, a
Permissions-Policy that turns powerful features off, and HSTS when the public address is https."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from rq import Queue
from rq.job import JobStatus

from tests.conftest import csrf_token

HSTS = "max-age=31536000; includeSubDomains"
FEATURES_OFF = ("camera", "microphone", "geolocation", "payment", "usb")


@pytest.fixture
def failed_job_id(app) -> str:
    """A failed job, so the job dashboard's pages about one job have one to show."""
    queue = Queue("knowledge", connection=app.extensions["redis"])
    job = queue.enqueue("jobs.knowledge.sync_knowledge_source", 1, job_id="knowledge-sync-failed")
    queue.remove(job)
    job.set_status(JobStatus.FAILED)
    queue.failed_job_registry.add(job, exc_string="FrontError: Front answered 503")
    return job.id


def _value(rule, name: str, rows: dict):
    """A real value for a path parameter of a GET route; a route with a new parameter fails here
    until it is given one, so no page is left out of the walk."""
    if name == "filename":
        return "app.css" if rule.endpoint == "static" else "css/main.css"
    if name not in rows:
        pytest.fail(f"{rule.rule}: no value for the path parameter {name}; add one to the walk in {__name__}")
    return rows[name]


def _path(rule, rows: dict) -> str:
    return re.sub(r"<(?:[^:>]+:)?(\w+)>", lambda match: str(_value(rule, match.group(1), rows)), rule.rule)


def _every_page(app, rows: dict) -> list[str]:
    return sorted(_path(rule, rows) for rule in app.url_map.iter_rules() if "GET" in rule.methods)


class _InlineCode(HTMLParser):
    """What a page would need 'unsafe-inline' for: inline scripts, event handler attributes,
    javascript: links and style attributes."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src"):
            self.found.append(f"inline <script> {attrs}")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=...>")
            elif name == "style":
                self.found.append(f"<{tag} style=...>")
            elif name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:...>")


def _check(response, what: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives.get("frame-ancestors") == ["'none'"], f"{what}: {policy!r}"
    assert directives.get("script-src") == ["'self'"], f"{what}: {policy!r}"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, f"{what}: {policy!r}"
    assert response.headers.get("X-Frame-Options") == "DENY", what
    assert response.headers.get("X-Content-Type-Options") == "nosniff", what
    permissions = response.headers.get("Permissions-Policy", "")
    for feature in FEATURES_OFF:
        assert f"{feature}=()" in permissions, f"{what}: {permissions!r}"
    if response.mimetype == "text/html" and response.status_code == 200:
        parser = _InlineCode()
        parser.feed(response.get_data(as_text=True))
        assert parser.found == [], f"{what} needs 'unsafe-inline': {parser.found}"


def test_every_page_sends_the_policy_and_needs_no_inline_code(app, client, logged_in_owner, world, failed_job_id):
    rows = {
        "instance_number": 0,
        "job_id": failed_job_id,
        "queue_name": "knowledge",
        "registry_name": "failed",
        "per_page": 8,
        "order": "asc",
        "page": 1,
        "session_id": world.session(logged_in_owner.organization).id,
        "source_id": 1,  # none: its pages answer 404, an HTML page as well
        "article_id": 1,  # likewise
    }
    pages = _every_page(app, rows)
    assert any(path.startswith("/admin/rq/") for path in pages)
    statuses = {}
    for path in pages:
        response = client.get(path)
        statuses[path] = response.status_code
        _check(response, f"GET {path} ({response.status_code})")
    # The walk reached the pages themselves, the job dashboard's among them.
    assert statuses["/admin/rq/"] == 200
    assert statuses[f"/admin/rq/0/view/job/{failed_job_id}"] == 200
    assert statuses["/admin/rq/0/view/jobs/knowledge/failed/8/asc/1"] == 200
    assert statuses["/admin/rq/0/view/workers"] == 200
    assert statuses["/settings/organization"] == 200
    assert sum(status == 200 for status in statuses.values()) > 20, statuses


def test_pages_without_a_login_send_the_policy_too(client, owner):
    for path in ("/login", "/healthz", "/inbox", "/admin/rq/", "/nowhere", "/static/app.css"):
        _check(client.get(path), f"GET {path} logged out")


def test_refusals_and_json_send_the_policy_too(client, logged_in_owner, failed_job_id):
    _check(client.get("/admin/rq/requeue/knowledge"), "GET on a dashboard action (405)")
    _check(client.post("/admin/rq/queue/knowledge/failed/empty"), "POST without a CSRF token (400)")
    _check(client.get("/admin/rq/0/data/queues.json"), "the dashboard's JSON")
    token = csrf_token(client, "/settings/organization")
    _check(client.post("/admin/rq/job/knowledge-sync-failed/requeue", headers={"X-CSRFToken": token}), "an action")


def test_the_job_dashboard_may_not_be_framed(client, logged_in_owner):
    response = client.get("/admin/rq/")
    assert response.status_code == 200
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_hsts_when_the_public_address_is_https(app, client, logged_in_owner):
    assert app.config["PUBLIC_URL"].startswith("https://")  # the test app's
    for path in ("/inbox", "/admin/rq/", "/healthz"):
        assert client.get(path).headers.get("Strict-Transport-Security") == HSTS, path


def test_no_hsts_when_the_public_address_is_plain_http(app, client, logged_in_owner):
    app.config["PUBLIC_URL"] = "http://localhost:5000"
    for path in ("/inbox", "/admin/rq/", "/healthz", "/login"):
        assert "Strict-Transport-Security" not in client.get(path).headers, path
