"""Settings → Integrations → Salesforce: saving the credentials (with whatever an admin pastes),
the status, API usage, Disconnect, and a member who may look but not change anything."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from tests.conftest import AuthActions, csrf_token
from tests.salesforce.connecting import PAGE, callback, connected, fake, integration_of, start
from webapp.db import db
from webapp.models import Role
from webapp.salesforce import oauth
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ConnectionState,
    mark_disconnected,
    settings_of,
)

__all__ = ["fake"]  # the fixture, used by name

GOOD = {"client_id": "3MVG9consumer.key_1234", "client_secret": "A1B2C3D4E5F6secret9876", "login_url": ""}


def _post(client, path, data):
    return client.post(f"{PAGE}{path}", data={**data, "csrf_token": csrf_token(client, PAGE)})


def _save(client, **fields):
    return _post(client, "/credentials", {**GOOD, "login_url": "https://login.salesforce.com", **fields})


def _rows():
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT settings, credentials FROM integrations")).all()


# -- the page --------------------------------------------------------------------------------------


def test_the_page_shows_the_fields_the_redirect_uri_and_the_setup_steps(client, logged_in_owner):
    page = client.get(PAGE).get_data(as_text=True)
    for label in ("Client ID", "Client Secret", "Login URL", "Redirect URI", "Save Credentials"):
        assert label in page
    assert 'value="https://switchboard.example.test/oauth/salesforce/callback"' in page
    assert 'data-copy="redirect-uri"' in page
    assert "External Client App Manager" in page and "An existing Connected App" in page
    assert "Require secret for Web Server Flow" in page and "Require secret for Refresh Token Flow" in page
    assert "Proof Key for Code Exchange" in page and "Refresh token is valid until revoked" in page
    assert "Perform requests at any time (<code>refresh_token</code>" in page
    assert "Consumer Key and Secret" in page
    assert "Not connected" in page
    assert "js/salesforce_connect.js" in page


def test_the_nav_links_to_the_page(client, logged_in_owner):
    page = client.get("/settings/ticketing/front").get_data(as_text=True)
    assert f'href="{PAGE}"' in page


# -- saving the credentials ------------------------------------------------------------------------


def test_saving_the_credentials_keeps_the_secret_encrypted_and_shows_only_its_end(client, logged_in_owner):
    response = _save(client)
    assert response.status_code == 302
    integration = integration_of(logged_in_owner.organization_id)
    settings = settings_of(integration)
    assert settings.client_id == GOOD["client_id"]
    assert settings.login_url == "https://login.salesforce.com"
    assert integration.credential(CLIENT_SECRET) == GOOD["client_secret"]
    assert GOOD["client_secret"] not in str(_rows())

    page = client.get(PAGE).get_data(as_text=True)
    assert "Salesforce credentials saved." in page
    assert "saved, ends in …9876" in page
    assert GOOD["client_secret"] not in page
    assert "Connect to Salesforce" in page


def test_spaces_around_what_was_pasted_are_removed_and_the_admin_told(client, logged_in_owner):
    _save(
        client,
        client_id=f"  {GOOD['client_id']}\t",
        client_secret=f" {GOOD['client_secret']} \n",
        login_url=" https://Acme.my.salesforce.com/ ",
    )
    integration = integration_of(logged_in_owner.organization_id)
    assert settings_of(integration).client_id == GOOD["client_id"]
    assert integration.credential(CLIENT_SECRET) == GOOD["client_secret"]
    assert settings_of(integration).login_url == "https://acme.my.salesforce.com"
    page = client.get(PAGE).get_data(as_text=True)
    assert "Removed the spaces around the Client ID." in page
    assert "Removed the spaces around the Client Secret." in page
    assert "Removed the spaces around the Login URL." in page


def test_an_empty_secret_keeps_the_saved_one(client, logged_in_owner):
    _save(client)
    _save(client, client_secret="", login_url="https://test.salesforce.com")
    integration = integration_of(logged_in_owner.organization_id)
    assert integration.credential(CLIENT_SECRET) == GOOD["client_secret"]
    assert settings_of(integration).login_url == "https://test.salesforce.com"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"client_id": ""}, "Paste the app&#39;s Consumer Key as the Client ID."),
        ({"client_secret": ""}, "Paste the app&#39;s Consumer Secret as the Client Secret."),
        ({"client_id": "3MVG9 consumer key"}, "The Client ID has a space or line break inside it."),
        ({"client_secret": "abc\ndef"}, "The Client Secret has a space or line break inside it."),
        ({"client_id": "clé"}, "letters, digits and punctuation only"),
        ({"client_id": "key\x00"}, "control characters"),
        ({"client_id": "k" * 300}, "Field cannot be longer than 255 characters."),
        ({"login_url": ""}, "Enter the Login URL"),
        ({"login_url": "javascript:alert(1)"}, "enter a full https:// address"),
        ({"login_url": "login.salesforce.com"}, "enter a full https:// address"),
        ({"login_url": "http://login.salesforce.com"}, "use https://"),
        ({"login_url": "https://user:pw@login.salesforce.com"}, "user name or password"),
        ({"login_url": "https://login.salesforce.com/services/oauth2/authorize"}, "without a path"),
        ({"login_url": "https://login.salesforce.com/?next=x"}, "without a path"),
        ({"login_url": "https://[::1"}, "enter a full https:// address"),
        ({"login_url": "https://acme.lightning.force.com"}, "https://acme.my.salesforce.com"),
        ({"login_url": "https://" + "a" * 300 + ".com"}, "Field cannot be longer than 255 characters."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, logged_in_owner, fields, message):
    response = _save(client, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert integration_of(logged_in_owner.organization_id) is None
    assert _rows() == []


def test_plain_http_is_allowed_only_to_this_machine_and_only_when_private_addresses_are(app, client, logged_in_owner):
    app.config["ALLOW_PRIVATE_OUTBOUND"] = True
    response = _save(client, login_url="http://salesforce.example.com")
    assert response.status_code == 400
    assert "only to this machine" in response.get_data(as_text=True)
    assert _save(client, login_url="http://127.0.0.1:8123").status_code == 302
    assert settings_of(integration_of(logged_in_owner.organization_id)).login_url == "http://127.0.0.1:8123"


def test_hostile_input_comes_back_escaped(client, logged_in_owner):
    response = _save(client, client_id='"><script>alert(1)</script>', login_url="https://x.example/<b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page
    assert "<b>" not in page
    assert _rows() == []


def test_a_malformed_post_is_refused_without_a_500(client, logged_in_owner):
    token = csrf_token(client, PAGE)
    for data in ({}, {"client_id": ["a", "b"]}, {"client_id": "\u0085key"}):
        response = client.post(f"{PAGE}/credentials", data={**data, "csrf_token": token})
        assert response.status_code == 400
    assert _rows() == []


def test_a_post_without_the_csrf_token_is_refused(client, logged_in_owner):
    response = client.post(f"{PAGE}/credentials", data={**GOOD, "login_url": "https://login.salesforce.com"})
    assert response.status_code == 400
    assert _rows() == []


def test_another_app_or_org_closes_the_connection(client, logged_in_owner, fake):
    integration = connected(logged_in_owner.organization_id, fake)
    refresh = integration.credential(REFRESH_TOKEN)

    response = _save(client, client_id="another-app-key", client_secret="", login_url=fake.url)

    assert response.status_code == 302
    stored = integration_of(logged_in_owner.organization_id)
    assert stored.credential(REFRESH_TOKEN) is None and stored.credential(ACCESS_TOKEN) is None
    assert settings_of(stored).state == ConnectionState.NOT_CONNECTED
    assert fake.refresh_tokens[refresh]["alive"] is False
    assert "connect again" in client.get(PAGE).get_data(as_text=True)


def test_a_new_secret_for_the_same_app_keeps_the_connection(client, logged_in_owner, fake):
    connected(logged_in_owner.organization_id, fake)
    _save(client, client_id=fake.client_id, client_secret="rotated-secret-1234", login_url=fake.url)
    stored = integration_of(logged_in_owner.organization_id)
    assert settings_of(stored).connected and stored.credential(CLIENT_SECRET) == "rotated-secret-1234"


# -- the status ------------------------------------------------------------------------------------


def test_connected_shows_who_where_and_the_api_usage_after_check_now(client, logged_in_owner, fake):
    connected(logged_in_owner.organization_id, fake)
    page = client.get(PAGE).get_data(as_text=True)
    assert "admin@sandbox.example" in page and fake.org_id in page and fake.url in page
    assert "not reported yet" in page

    response = _post(client, "/usage", {})

    assert response.status_code == 302
    assert fake.calls_to("GET", r"/limits$")
    page = client.get(PAGE).get_data(as_text=True)
    assert f"API usage: {fake.api_used:,} of {fake.api_limit:,} calls in the last 24 hours." in page
    assert f"<strong>{fake.api_used:,} of {fake.api_limit:,}</strong> calls in the last 24 hours" in page


def test_check_now_when_salesforce_fails_says_why(client, logged_in_owner, fake):
    connected(logged_in_owner.organization_id, fake)
    fake.fail("GET", r"/limits$", 503)
    _post(client, "/usage", {})
    assert "Could not read the API usage: Salesforce answered 503" in client.get(PAGE).get_data(as_text=True)


def test_a_refused_refresh_shows_disconnected_reconnect_with_the_reason(client, logged_in_owner, fake):
    integration = connected(logged_in_owner.organization_id, fake)
    mark_disconnected(integration, "Salesforce refused the saved refresh token <b>: reconnect")
    page = client.get(PAGE).get_data(as_text=True)
    assert "Disconnected: reconnect" in page
    assert "Salesforce refused the saved refresh token &lt;b&gt;" in page
    assert "Connect to Salesforce" in page
    assert "Check API usage now" not in page


def test_disconnect_revokes_the_token_and_forgets_it(client, logged_in_owner, fake):
    integration = connected(logged_in_owner.organization_id, fake)
    refresh = integration.credential(REFRESH_TOKEN)

    response = _post(client, "/disconnect", {})

    assert response.status_code == 302
    (revoke,) = fake.calls_to("POST", r"/services/oauth2/revoke$")
    assert revoke.body["token"] == refresh
    assert fake.refresh_tokens[refresh]["alive"] is False
    stored = integration_of(logged_in_owner.organization_id)
    assert stored.credential(REFRESH_TOKEN) is None and stored.credential(ACCESS_TOKEN) is None
    assert stored.credential(CLIENT_SECRET) == fake.client_secret  # to connect again
    assert settings_of(stored).state == ConnectionState.NOT_CONNECTED
    page = client.get(PAGE).get_data(as_text=True)
    assert "the token was revoked there too" in page and "Not connected" in page


def test_disconnect_forgets_the_token_even_when_salesforce_does_not_answer(client, logged_in_owner, fake):
    connected(logged_in_owner.organization_id, fake)
    fake.fail("POST", r"/services/oauth2/revoke$", 503)

    _post(client, "/disconnect", {})

    stored = integration_of(logged_in_owner.organization_id)
    assert stored.credential(REFRESH_TOKEN) is None and stored.credential(ACCESS_TOKEN) is None
    assert "Salesforce did not confirm the revocation" in client.get(PAGE).get_data(as_text=True)


def test_the_whole_round_trip_from_the_page(client, logged_in_owner, fake):
    _save(client, client_id=fake.client_id, client_secret=fake.client_secret, login_url=fake.url)
    callback(client, fake.approve(start(client)))
    assert settings_of(integration_of(logged_in_owner.organization_id)).connected
    assert client.get(f"{PAGE}/status").json == {
        "state": "connected",
        "connected": True,
        "username": fake.username,
        "error": None,
    }


# -- a member --------------------------------------------------------------------------------------


@pytest.fixture
def member_client(app, client, world, owner, fake):
    """A member of an organization whose admin connected Salesforce, logged in."""
    connected(owner.organization_id, fake)
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    assert AuthActions(client).login(member.email).status_code == 302
    return client


def test_a_member_sees_the_page_read_only(member_client, fake):
    page = member_client.get(PAGE).get_data(as_text=True)
    assert "only owners and admins can change them" in page
    assert "admin@sandbox.example" in page
    for button in ("Save Credentials", "Connect to Salesforce", "Reconnect", "Disconnect", "Check API usage now"):
        assert f">{button}</button>" not in page
    assert 'name="client_id"' in page and "disabled" in page


@pytest.mark.parametrize(
    ("path", "data"),
    [
        (
            "/credentials",
            {"client_id": "planted", "client_secret": "planted-secret", "login_url": "https://evil.example"},
        ),
        ("/connect", {"mode": "popup"}),
        ("/disconnect", {}),
        ("/usage", {}),
    ],
)
def test_a_member_cannot_change_any_of_it(app, member_client, fake, path, data):
    before = _rows()
    redis_before = sorted(app.extensions["redis"].keys("*"))

    response = _post(member_client, path, data)

    assert response.status_code == 403
    assert "Only owners and admins" in response.get_data(as_text=True)
    assert _rows() == before
    assert sorted(app.extensions["redis"].keys("*")) == redis_before
    assert [c for c in fake.calls if not c.path.startswith("/services/oauth2/token")] == []


def test_a_member_cannot_finish_an_attempt_either(app, member_client, fake, owner):
    # Even with a state of the organization's (an admin's attempt), the callback wants that admin's login.
    db.session.expire_all()
    state = "B" * 43
    pending = {
        "organization_id": owner.organization_id,
        "user_id": owner.id,
        "login": "x",
        "code_verifier": "v",
        "login_url": fake.url,
        "client_id": fake.client_id,
        "mode": "popup",
    }
    app.extensions["redis"].set(oauth.STATE_KEY.format(state), json.dumps(pending))
    response = member_client.get("/oauth/salesforce/callback", query_string={"state": state, "code": "abc"})
    assert response.status_code == 400
    assert fake.calls_to("POST", "/services/oauth2/token") == []
