"""Settings → Ticketing System → Front, against the fake Front on loopback."""

import pytest
from sqlalchemy import select, text

from tests.conftest import csrf_token
from tests.front.conftest import AI
from webapp.db import db
from webapp.front.integration import settings_of
from webapp.models import Integration

PAGE = "/settings/ticketing/front"


def _post(client, path, **data):
    return client.post(f"{PAGE}{path}", data={**data, "csrf_token": csrf_token(client, PAGE)})


def _front() -> Integration | None:
    db.session.expire_all()
    return db.session.scalar(select(Integration))


@pytest.fixture
def admin(client, auth, organization):
    auth.login("owner@example.com")
    return client


def test_connecting_checks_the_token_live_then_saves_it_encrypted(admin, fake_front):
    response = _post(admin, "/connect", api_token=f"  {fake_front.token} ")
    assert response.status_code == 302
    integration = _front()
    assert integration.credentials["api_token"] == fake_front.token
    assert [t["id"] for t in integration.settings["teammates"]] == ["tea_ai", "tea_bob"]  # both pages
    assert integration.settings["company_name"] == "Acme Inc"
    raw = db.session.execute(text("SELECT credentials FROM integrations")).scalar_one()
    assert fake_front.token not in raw
    assert [c.path for c in fake_front.calls][:1] == ["/me"]
    page = admin.get(PAGE).get_data(as_text=True)
    assert "Connected" in page and "Acme Inc" in page
    assert fake_front.token not in page and f"ends in …{fake_front.token[-4:]}" in page


def test_a_wrong_token_says_so_and_saves_nothing(admin, fake_front):
    response = _post(admin, "/connect", api_token="not-the-token")
    assert response.status_code == 400
    assert "Invalid Front API token" in response.get_data(as_text=True)
    assert _front() is None


def test_a_token_missing_a_permission_says_which(admin, fake_front):
    fake_front.forbidden["/teammates"] = "Token lacks the required teammates:read scope"
    response = _post(admin, "/connect", api_token=fake_front.token)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "cannot list teammates" in page and "Shared resources" in page
    assert _front() is None


def test_a_plan_without_api_access_says_so(admin, fake_front):
    fake_front.forbidden["/me"] = "API access is not available on your current plan"
    response = _post(admin, "/connect", api_token=fake_front.token)
    assert "plan does not include API access" in response.get_data(as_text=True)


def test_choosing_the_ai_teammate_and_the_switches(admin, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    response = _post(admin, "/agent", ai_teammate=AI, handle_unassigned="y", enabled="y", rate_limit="100")
    assert response.status_code == 302
    integration = _front()
    assert integration.enabled is True
    assert integration.settings["ai_teammate_id"] == AI and integration.settings["handle_unassigned"] is True
    assert integration.settings["rate_limit_per_minute"] == 100
    _post(admin, "/agent", ai_teammate=AI, rate_limit="100")  # unchecked boxes switch off
    integration = _front()
    assert integration.enabled is False and integration.settings["handle_unassigned"] is False


def test_switching_the_ai_on_without_a_teammate_is_refused(admin, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    response = _post(admin, "/agent", ai_teammate="", enabled="y", rate_limit="50")
    assert response.status_code == 400
    assert "Choose the AI teammate before switching the AI on." in response.get_data(as_text=True)
    assert _front().enabled is False


def test_a_teammate_not_in_fronts_list_is_refused(admin, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    response = _post(admin, "/agent", ai_teammate="tea_forged", rate_limit="50")
    assert response.status_code == 400
    assert settings_of(_front()).ai_teammate_id is None


def test_the_webhook_url_and_app_secret(app, admin, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    integration = _front()
    page = admin.get(PAGE).get_data(as_text=True)
    assert f"https://switchboard.example.test/webhooks/front/{integration.webhook_token}" in page
    assert "inbound_received" in page and "assignee_changed" in page
    assert len(integration.webhook_token) >= 32

    _post(admin, "/webhook-secret", app_secret="s3cret-app-secret-value-9f3a")
    assert _front().credentials["app_secret"] == "s3cret-app-secret-value-9f3a"
    page = admin.get(PAGE).get_data(as_text=True)
    assert "s3cret-app-secret-value" not in page and "ends in …9f3a" in page


def test_a_new_webhook_url_retires_the_old_one(admin, client, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    old = _front().webhook_token
    _post(admin, "/webhook-token")
    new = _front().webhook_token
    assert new != old
    assert client.post(f"/webhooks/front/{old}", data=b"{}").status_code == 404


def test_disconnect_removes_the_token_and_switches_off(admin, fake_front):
    _post(admin, "/connect", api_token=fake_front.token)
    _post(admin, "/agent", ai_teammate=AI, enabled="y", rate_limit="50")
    _post(admin, "/disconnect")
    integration = _front()
    assert "api_token" not in (integration.credentials or {}) and integration.enabled is False


def test_a_member_sees_the_page_but_cannot_connect(client, auth, world, organization, fake_front):
    from webapp.models import Role

    world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    assert client.get(PAGE).status_code == 200
    assert _post(client, "/connect", api_token=fake_front.token).status_code == 403
    assert fake_front.calls == []
