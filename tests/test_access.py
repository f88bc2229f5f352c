"""Who may reach what, checked over every route the app has, so a new page cannot slip through."""

import re

import pytest

from tests.conftest import csrf_token
from webapp.models import Role

PUBLIC_ENDPOINTS = {"static", "auth.setup", "auth.login", "auth.logout", "health.healthz", "front_webhooks.receive"}


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
    ("/settings/organization/members", {"member-name": "Eve", "member-email": "eve@example.com", "member-role": "owner", "member-password": "x" * 12}),
    ("/settings/organization/members/{owner}/role", {"role": "member"}),
    ("/settings/organization/members/{owner}/remove", {}),
]


@pytest.mark.parametrize(("path", "data"), SETTINGS_POSTS)
def test_a_member_cannot_change_settings(client, auth, world, owner, path, data):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    response = client.post(path.format(owner=owner.id), data={**data, "csrf_token": csrf_token(client, "/settings/organization")})
    assert response.status_code == 403
    assert "Only owners and admins" in response.get_data(as_text=True)


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


def test_job_dashboard_actions_must_come_from_this_site(client, logged_in_owner):
    response = client.post("/admin/rq/queue/default/failed/empty", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    response = client.post("/admin/rq/queue/default/failed/empty", headers={"Origin": "http://localhost"})
    assert response.status_code == 200


def test_pages_send_security_headers(client, logged_in_owner):
    response = client.get("/inbox")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
