"""Connecting an org through the OAuth web server flow, against the fake Salesforce: the state,
PKCE, the signature, the tokens kept encrypted, and each OAuth error in the admin's words."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import text

from tests.conftest import PASSWORD, csrf_token, wait_for
from tests.salesforce.connecting import PAGE, callback, fake, integration_of, save_credentials, start, state_of
from webapp import redis_server
from webapp.db import db
from webapp.models import Role
from webapp.salesforce import oauth
from webapp.salesforce.integration import ACCESS_TOKEN, REFRESH_TOKEN, settings_of
from webapp.sandbox import salesforce as fake_salesforce
from webapp.sandbox.salesforce import pkce_challenge

__all__ = ["fake"]  # the fixture, used by name


@pytest.fixture
def admin(logged_in_owner, fake):
    save_credentials(logged_in_owner.organization_id, fake)
    return logged_in_owner


def _tokens_stored(organization_id: int) -> bool:
    integration = integration_of(organization_id)
    return bool(integration and (integration.credential(ACCESS_TOKEN) or integration.credential(REFRESH_TOKEN)))


def _token_calls(fake) -> list:
    return fake.calls_to("POST", r"^/services/oauth2/token$")


# -- the happy path --------------------------------------------------------------------------------


def test_connect_approve_and_the_callback_stores_who_connected(client, admin, fake):
    authorize_url = start(client)
    assert authorize_url.startswith(f"{fake.url}/services/oauth2/authorize?")
    query = dict(part.split("=", 1) for part in authorize_url.split("?", 1)[1].split("&"))
    assert query["display"] == "popup"
    assert query["code_challenge_method"] == "S256"
    assert query["scope"] == "api+id+refresh_token"

    response = callback(client, fake.approve(authorize_url))

    assert response.status_code == 200  # the popup's page, which tells the opener and closes
    page = response.get_data(as_text=True)
    assert 'data-outcome="connected"' in page
    assert "<script" in page and "js/salesforce_connect.js" in page
    settings = settings_of(integration_of(admin.organization_id))
    assert settings.connected
    assert (settings.username, settings.org_id, settings.user_id) == (fake.username, fake.org_id, fake.user_id)
    assert settings.instance_url == fake.url
    assert settings.connected_at

    settings_page = client.get(PAGE).get_data(as_text=True)
    assert "Connected to Salesforce as admin@sandbox.example" in settings_page  # the flash, for the opener
    assert "Connected</span> as <strong>admin@sandbox.example</strong>" in settings_page
    assert fake.org_id in settings_page


def test_in_the_main_window_the_callback_goes_back_to_the_settings_page(client, admin, fake):
    authorize_url = start(client, mode="window")
    assert "display=page" in authorize_url

    response = callback(client, fake.approve(authorize_url))

    assert response.status_code == 302 and response.headers["Location"].endswith(PAGE)
    assert "Connected to Salesforce as admin@sandbox.example" in client.get(PAGE).get_data(as_text=True)


def test_without_the_script_connect_offers_a_link_to_salesforce(client, admin, fake):
    response = client.post(f"{PAGE}/connect", data={"mode": "window", "csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 200
    assert "Continue to Salesforce" in response.get_data(as_text=True)
    assert f'href="{fake.url}/services/oauth2/authorize?' in response.get_data(as_text=True)


def test_the_pkce_verifier_is_sent_and_checked(client, admin, fake):
    fake.require_pkce = True
    authorize_url = start(client)
    challenge = dict(p.split("=", 1) for p in authorize_url.split("?", 1)[1].split("&"))["code_challenge"]

    callback(client, fake.approve(authorize_url))

    (token_call,) = _token_calls(fake)
    assert token_call.body["grant_type"] == "authorization_code"
    assert pkce_challenge(token_call.body["code_verifier"]) == challenge
    assert len(token_call.body["code_verifier"]) == 48
    assert token_call.body["client_secret"] == fake.client_secret
    assert token_call.body["redirect_uri"] == "https://switchboard.example.test/oauth/salesforce/callback"
    assert settings_of(integration_of(admin.organization_id)).connected


def test_a_wrong_verifier_is_refused_by_salesforce_and_nothing_is_stored(client, admin, fake):
    authorize_url = start(client)
    key = oauth.STATE_KEY.format(state_of(authorize_url))
    pending = json.loads(redis_server.connection().get(key))
    pending["code_verifier"] = "x" * 48
    redis_server.connection().set(key, json.dumps(pending), ex=600)

    response = callback(client, fake.approve(authorize_url))

    assert response.status_code == 400
    assert "PKCE code verifier" in response.get_data(as_text=True)
    assert "invalid code verifier" in response.get_data(as_text=True)
    assert not _tokens_stored(admin.organization_id)


def test_tokens_are_stored_encrypted(client, admin, fake):
    callback(client, fake.approve(start(client)))
    integration = integration_of(admin.organization_id)
    access, refresh = integration.credential(ACCESS_TOKEN), integration.credential(REFRESH_TOKEN)
    assert access in fake.access_tokens and refresh in fake.refresh_tokens

    with db.engine.connect() as connection:
        raw = connection.execute(text("SELECT credentials, settings FROM integrations")).one()
    stored = " ".join(str(column) for column in raw)
    for secret in (access, refresh, fake.client_secret):
        assert secret not in stored
        assert secret[-20:] not in stored


def test_a_tampered_signature_is_refused_and_nothing_is_stored(client, admin, fake, monkeypatch):
    forged = base64.b64encode(b"\x00" * 32).decode()
    monkeypatch.setattr(fake_salesforce, "sign", lambda *args: forged)

    response = callback(client, fake.approve(start(client)))

    assert response.status_code == 400
    assert "signature" in response.get_data(as_text=True)
    assert not _tokens_stored(admin.organization_id)
    assert not settings_of(integration_of(admin.organization_id)).connected


def test_a_missing_signature_is_refused(client, admin, fake, monkeypatch):
    original = fake._token_response

    def unsigned(*args, **kwargs):
        answer = original(*args, **kwargs)
        answer.pop("signature")
        return answer

    monkeypatch.setattr(fake, "_token_response", unsigned)
    response = callback(client, fake.approve(start(client)))
    assert response.status_code == 400
    assert "not signed" in response.get_data(as_text=True)
    assert not _tokens_stored(admin.organization_id)


def test_connecting_again_revokes_the_previous_refresh_token(client, admin, fake):
    callback(client, fake.approve(start(client)))
    first = integration_of(admin.organization_id).credential(REFRESH_TOKEN)

    callback(client, fake.approve(start(client)))

    second = integration_of(admin.organization_id).credential(REFRESH_TOKEN)
    assert second != first
    assert fake.refresh_tokens[first]["alive"] is False
    assert fake.refresh_tokens[second]["alive"] is True


# -- the state -------------------------------------------------------------------------------------


def test_the_state_lives_ten_minutes_in_redis_and_holds_no_session_token(client, admin, fake):
    state = state_of(start(client))
    key = oauth.STATE_KEY.format(state)
    assert 0 < redis_server.connection().ttl(key) <= 600
    pending = json.loads(redis_server.connection().get(key))
    assert pending["organization_id"] == admin.organization_id and pending["user_id"] == admin.id
    assert admin.session_token not in json.dumps(pending)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "has no state"),
        ("state=forged", "unknown, was already used, or has expired"),
        (f"state={'A' * 43}&code=aPrxforged", "unknown, was already used, or has expired"),
        ("state=%00%0a<script>&code=x", "unknown, was already used, or has expired"),
    ],
)
def test_a_missing_or_forged_state_is_refused(client, admin, fake, query, message):
    response = client.get("/oauth/salesforce/callback", query_string=query)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert "<script>" not in response.get_data(as_text=True)
    assert _token_calls(fake) == []
    assert not _tokens_stored(admin.organization_id)


def test_a_state_is_used_once(client, admin, fake):
    redirect = fake.approve(start(client))
    assert callback(client, redirect).status_code == 200
    integration = integration_of(admin.organization_id)
    tokens = integration.credential(ACCESS_TOKEN), integration.credential(REFRESH_TOKEN)

    again = callback(client, redirect)

    assert again.status_code == 400
    assert "already used" in again.get_data(as_text=True)
    assert len(_token_calls(fake)) == 1
    integration = integration_of(admin.organization_id)
    assert (integration.credential(ACCESS_TOKEN), integration.credential(REFRESH_TOKEN)) == tokens


def test_an_expired_state_is_refused(client, admin, fake):
    authorize_url = start(client)
    connection = redis_server.connection()
    key = oauth.STATE_KEY.format(state_of(authorize_url))
    connection.pexpire(key, 1)  # what Redis does after the ten minutes
    wait_for(lambda: not connection.exists(key), timeout=5, what="the state to expire")

    response = callback(client, fake.approve(authorize_url))

    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert _token_calls(fake) == []
    assert not _tokens_stored(admin.organization_id)


def test_another_organizations_admin_cannot_finish_the_attempt(app, client, admin, fake, world):
    redirect = fake.approve(start(client))
    other_org = world.organization("Globex")
    other_admin = world.user(other_org, Role.ADMIN, email="admin@globex.example")
    save_credentials(other_org.id, fake)
    with app.app_context():  # a request of its own: not the first browser's cached login
        other_client = app.test_client()
        _log_in(other_client, other_admin.email)
        response = callback(other_client, redirect)

    assert response.status_code == 400
    assert "started by another login" in response.get_data(as_text=True)
    assert _token_calls(fake) == []
    assert not _tokens_stored(admin.organization_id) and not _tokens_stored(other_org.id)
    assert callback(client, redirect).status_code == 400  # and it is gone for the first admin too


def test_the_same_user_in_another_browser_cannot_finish_the_attempt(app, client, admin, fake):
    redirect = fake.approve(start(client))
    with app.app_context():  # a request of its own: not the first browser's cached login
        other_browser = app.test_client()
        _log_in(other_browser, admin.email)
        response = callback(other_browser, redirect)

    assert response.status_code == 400
    assert "started by another login" in response.get_data(as_text=True)
    assert not _tokens_stored(admin.organization_id)


def test_after_logging_out_the_attempt_cannot_be_finished(client, admin, fake, auth):
    redirect = fake.approve(start(client))
    auth.logout()

    response = callback(client, redirect)

    assert response.status_code == 400
    assert "not logged in" in response.get_data(as_text=True)
    assert not _tokens_stored(admin.organization_id)


def test_after_logging_out_and_in_again_the_attempt_cannot_be_finished(client, admin, fake, auth):
    redirect = fake.approve(start(client))
    auth.logout()  # the session token is replaced
    _log_in(client, admin.email)

    response = callback(client, redirect)

    assert response.status_code == 400
    assert not _tokens_stored(admin.organization_id)


def test_changing_the_credentials_while_connecting_refuses_the_callback(client, admin, fake):
    redirect = fake.approve(start(client))
    save_credentials(admin.organization_id, fake, client_id="another-client-id")

    response = callback(client, redirect)

    assert response.status_code == 400
    assert "changed while connecting" in response.get_data(as_text=True)
    assert _token_calls(fake) == []


def _log_in(client, email):
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": csrf_token(client, "/login")}
    )
    assert response.status_code == 302


# -- each OAuth error, in the admin's words ----------------------------------------------------------


@pytest.mark.parametrize("spelling", ["access_denied", "access-denied"])
def test_denied_on_the_authorize_page(client, admin, fake, spelling):
    redirect = fake.deny(start(client)).replace("access_denied", spelling)

    response = callback(client, redirect)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The connection was denied in Salesforce" in page
    assert "click Allow" in page
    assert f"{spelling}: end-user denied authorization" in page
    assert _token_calls(fake) == []
    assert not _tokens_stored(admin.organization_id)


def _exchange_fails(client, fake, arrange):
    """Approve, break something as Salesforce would see it, then let the callback exchange."""
    redirect = fake.approve(start(client))
    arrange()
    response = callback(client, redirect)
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_invalid_client_id_says_the_app_may_not_be_active_yet(client, admin, fake):
    page = _exchange_fails(client, fake, lambda: setattr(fake, "active", False))
    assert "takes 2 to 10 minutes to become active" in page
    assert "copy the Consumer Key again" in page
    assert "invalid_client_id: client identifier invalid" in page
    assert not _tokens_stored(admin.organization_id)


def test_invalid_client_says_the_secret_is_wrong(client, admin, fake):
    def wrong_secret():
        save_credentials(admin.organization_id, fake)
        integration = integration_of(admin.organization_id)
        integration.set_credential("client_secret", "not-the-secret")
        db.session.commit()

    page = _exchange_fails(client, fake, wrong_secret)
    assert "Salesforce refused the Client Secret" in page
    assert "installed in the org" in page
    assert "invalid_client: invalid client credentials" in page


def test_invalid_client_for_an_uninstalled_app_says_how_to_install_or_approve_it(client, admin, fake):
    page = _exchange_fails(client, fake, lambda: setattr(fake, "installed", False))
    assert "not installed in this Salesforce org" in page
    assert "Approve Uninstalled Connected Apps" in page
    assert "app must be installed into org" in page


def test_redirect_uri_mismatch_shows_the_exact_redirect_uri(app, client, admin, fake):
    def moved():
        app.config["PUBLIC_URL"] = "https://support.example.test"

    page = _exchange_fails(client, fake, moved)
    assert "Set it to exactly https://support.example.test/oauth/salesforce/callback" in page
    assert "redirect_uri_mismatch: redirect_uri must match configuration" in page


def test_a_reused_authorization_code_is_invalid_grant(client, admin, fake):
    first = fake.approve(start(client))
    callback(client, first)
    code = first.split("code=", 1)[1].split("&", 1)[0]
    second_state = state_of(start(client))

    response = client.get("/oauth/salesforce/callback", query_string={"code": code, "state": second_state})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already used or has expired" in page
    assert "invalid_grant: invalid authorization code" in page


def test_the_error_text_from_salesforce_is_escaped_and_clipped(client, admin, fake):
    hostile = "<img src=x onerror=alert(1)>\u202e" + "y" * 2000
    state = state_of(fake.deny(start(client)))
    response = client.get(
        "/oauth/salesforce/callback",
        query_string={"error": "access_denied", "error_description": hostile, "state": state},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<img src=x" not in page and "&lt;img src=x" in page
    assert "\u202e" not in page
    assert "y" * 400 not in page


def test_a_configuration_error_page_never_reaches_the_callback_and_the_status_says_nothing_yet(client, admin, fake):
    fake.callback_url = "https://elsewhere.example/callback"
    authorize_url = start(client)

    where = fake.approve(authorize_url)

    assert "/setup/secur/RemoteAccessErrorPage.apexp" in where and "redirect_uri_mismatch" in where
    status = client.get(f"{PAGE}/status").json
    assert status == {"state": "not_connected", "connected": False, "username": None, "error": None}
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="connect-hints"' in page and "https://switchboard.example.test/oauth/salesforce/callback" in page


def test_the_status_endpoint_reports_the_last_failure(client, admin, fake):
    _exchange_fails(client, fake, lambda: setattr(fake, "active", False))
    status = client.get(f"{PAGE}/status").json
    assert status["connected"] is False
    assert "takes 2 to 10 minutes" in status["error"]


def test_connect_before_saving_credentials_says_so(client, logged_in_owner, fake):
    response = client.post(
        f"{PAGE}/connect",
        data={"mode": "popup", "csrf_token": csrf_token(client, PAGE)},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "Save the Client ID and the Client Secret first" in response.json["message"]


def test_connect_needs_the_csrf_token(client, admin, fake):
    response = client.post(f"{PAGE}/connect", data={"mode": "popup"}, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert redis_server.connection().keys(oauth.STATE_KEY.format("*")) == []
