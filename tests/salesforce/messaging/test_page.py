"""Settings → Integrations → Salesforce → Live Messaging: saving the fields (each refused with its
own message), the private key's redaction, Generate a key pair and its JWK, Test connection
against the fake, and a member who may look but not change anything."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from tests.conftest import AuthActions, csrf_token
from tests.salesforce.messaging.settings_helpers import (
    ISSUER,
    KID,
    PAGE,
    SECTION,
    configure,
    fake_miaw,
    key_pair,
    upload_key,
    weak_private_key_pem,
)
from webapp.db import db
from webapp.models import Role
from webapp.salesforce import integration as salesforce
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.client import MessagingClient
from webapp.salesforce.messaging.identity import identity_token
from webapp.salesforce.messaging.settings import PRIVATE_KEY, live_messaging_of
from webapp.sandbox.miaw import form_field

__all__ = ["fake_miaw"]  # the fixture, used by name

GOOD = {
    "instance_url": "https://acme.my.salesforce.com",
    "es_developer_name": "Switchboard_Chat",
    "org_id": "00D5e000000AbCd",
    "auth_key_id": "",
    "issuer": "",
    "public_key_pem": "",
    "private_key_pem": "",
    "routing_session_id": "SwitchboardSessionId",
    "routing_consumer_type": "Chat_Consumer_Type",
    "routing_origin": "Origin",
    "routing_priority": "Priority",
    "routing_language": "Chat_language",
    "rep_wait_seconds": "300",
    "closing_message": "",
}
WITH_KEYS = {
    "auth_key_id": KID,
    "issuer": ISSUER,
    "public_key_pem": key_pair().public_key_pem,
    "private_key_pem": key_pair().private_key_pem,
}


def _post(client, path: str, data: dict):
    return client.post(f"{SECTION}{path}", data={**data, "csrf_token": csrf_token(client, PAGE)})


def _save(client, **fields):
    return _post(client, "", {**GOOD, **fields})


def _rows():
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT settings, credentials FROM integrations")).all()


def _integration(organization_id: int):
    db.session.expire_all()
    return salesforce.salesforce_integration(organization_id)


def _private_body(pem: str) -> str:
    """One full line from the private half of the key. Its first lines hold the public modulus,
    which the certificate in the JWK shows too, in the same base64 whenever the two happen to
    line up."""
    return pem.strip().splitlines()[-3]


def _checks(page: str) -> dict[str, str]:
    """Check name → outcome, from the Test connection results."""
    found = re.findall(r'<li data-outcome="(\w+)">\s*<span[^>]*>[^<]*</span>\s*<strong>([^<]+)</strong>', page)
    return {name: outcome for outcome, name in found}


# -- the section -----------------------------------------------------------------------------------


def test_the_section_shows_the_fields_the_defaults_and_generate(client, logged_in_owner):
    page = client.get(PAGE).get_data(as_text=True)
    assert 'id="live-messaging"' in page and "Not set up" in page
    for label in ("Instance URL", "ES Developer Name", "Org ID", "Auth Key ID", "Public key", "Private key", "Issuer"):
        assert f">{label}</label>" in page
    for name in ("SwitchboardSessionId", "Chat_Consumer_Type", "Origin", "Priority", "Chat_language"):
        assert f'value="{name}"' in page
    assert 'value="300"' in page
    assert ">Generate a key pair</button>" in page and ">Test connection</button>" in page
    assert "Private key: not set" in page
    assert page.index('id="salesforce-rep-replies"') < page.index('id="live-messaging"')


# -- saving ----------------------------------------------------------------------------------------


def test_saving_the_deployment_shows_the_messaging_host(client, logged_in_owner):
    response = _save(client, instance_url=" https://Acme.my.salesforce.com/ ", closing_message="  Thanks!  ")
    assert response.status_code == 302 and response.headers["Location"].endswith("#live-messaging")
    settings = live_messaging_of(_integration(logged_in_owner.organization_id))
    assert settings.instance_url == "https://acme.my.salesforce.com"
    assert settings.scrt_url == "https://acme.my.salesforce-scrt.com"
    assert (settings.es_developer_name, settings.org_id) == ("Switchboard_Chat", "00D5e000000AbCd")
    assert settings.closing_message == "Thanks!" and settings.rep_wait_seconds == 300
    assert not settings.has_keys

    page = client.get(PAGE).get_data(as_text=True)
    assert "Live Messaging settings saved." in page and "Set up" in page
    assert '<code id="live-messaging-host">https://acme.my.salesforce-scrt.com</code>' in page
    assert "anonymous (no keys)" in page


def test_the_scrt_url_of_the_code_snippet_is_kept_as_it_is(client, logged_in_owner):
    _save(client, instance_url="https://acme.my.salesforce-scrt.com")
    assert live_messaging_of(_integration(logged_in_owner.organization_id)).scrt_url == (
        "https://acme.my.salesforce-scrt.com"
    )


def test_the_private_key_is_stored_encrypted_and_never_shown_again(client, logged_in_owner):
    response = _save(client, **WITH_KEYS)
    assert response.status_code == 302
    integration = _integration(logged_in_owner.organization_id)
    assert integration.credential(PRIVATE_KEY) == key_pair().private_key_pem
    settings = live_messaging_of(integration)
    assert settings.public_key_pem == key_pair().public_key_pem
    assert (settings.auth_key_id, settings.issuer) == (KID, ISSUER)
    assert _private_body(key_pair().private_key_pem) not in str(_rows())  # encrypted at rest

    page = client.get(PAGE).get_data(as_text=True)
    assert "Private key: saved, RSA 2048" in page
    assert _private_body(key_pair().private_key_pem) not in page
    assert "verified by email when it is known" in page
    jwk = json.loads(re.search(r'<pre id="live-messaging-jwk">(.*?)</pre>', page, re.S).group(1).replace("&#34;", '"'))
    assert jwk["kid"] == KID and jwk["kty"] == "RSA"


def test_an_empty_private_key_keeps_the_saved_one(client, logged_in_owner):
    _save(client, **WITH_KEYS)
    response = _save(client, **{**WITH_KEYS, "private_key_pem": "", "es_developer_name": "Other_Chat"})
    assert response.status_code == 302
    integration = _integration(logged_in_owner.organization_id)
    assert integration.credential(PRIVATE_KEY) == key_pair().private_key_pem
    assert live_messaging_of(integration).es_developer_name == "Other_Chat"


def test_a_new_public_key_alone_does_not_match_the_saved_private_key(client, logged_in_owner):
    _save(client, **WITH_KEYS)
    before = _rows()
    response = _save(client, **{**WITH_KEYS, "private_key_pem": "", "public_key_pem": key_pair(1).public_key_pem})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The public key and the private key are not a pair" in page
    assert "The saved private key was kept" in page
    assert _rows() == before


def test_a_private_key_alone_brings_its_public_key(client, logged_in_owner):
    response = _save(client, **{**WITH_KEYS, "public_key_pem": ""})
    assert response.status_code == 302
    assert live_messaging_of(_integration(logged_in_owner.organization_id)).public_key_pem == key_pair().public_key_pem
    assert "The public key was made from the private key." in client.get(PAGE).get_data(as_text=True)


def test_a_pasted_key_pair_gets_a_jwk_salesforce_takes(client, logged_in_owner, fake_miaw):
    other = key_pair(2)
    _save(client, **{**WITH_KEYS, "public_key_pem": other.public_key_pem, "private_key_pem": other.private_key_pem})
    jwk = json.loads(client.get(f"{SECTION}/jwk.json").get_data(as_text=True))
    fake_miaw.register_key(jwk, ISSUER)  # no ValueError: a certificate was made from the pasted key
    assert (
        fake_miaw.keys[KID].public_key.public_numbers() == keys.load_public_key(other.public_key_pem).public_numbers()
    )


PUBLIC = key_pair().public_key_pem


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"instance_url": ""}, "Enter the Instance URL: your My Domain URL"),
        ({"instance_url": "http://acme.my.salesforce.com"}, "This Instance URL cannot be used: use https://"),
        ({"instance_url": "acme.my.salesforce.com"}, "enter a full https:// address"),
        ({"instance_url": "https://acme.my.salesforce.com/lightning/page/home"}, "without a path"),
        ({"instance_url": "https://acme.lightning.force.com"}, "https://acme.my.salesforce.com (Setup → My Domain)"),
        ({"instance_url": "https://acme.my.site.com"}, "This is the address of a Salesforce site."),
        ({"instance_url": "https://login.salesforce.com"}, "must be your My Domain URL"),
        ({"instance_url": "https://evil.example"}, "must be your My Domain URL"),
        ({"instance_url": "https://127.0.0.1:9000"}, "must be your My Domain URL"),
        ({"es_developer_name": ""}, "Enter the ES Developer Name"),
        ({"es_developer_name": "Switchboard Chat"}, "The ES Developer Name is the deployment&#39;s API Name"),
        ({"es_developer_name": "Switchboard__Chat"}, "The ES Developer Name is the deployment&#39;s API Name"),
        ({"org_id": ""}, "Enter the Org ID: it starts with 00D."),
        ({"org_id": "00D5e000"}, "The Org ID is 00D followed by 12 or 15 letters and digits"),
        ({"org_id": "0055e000000AbCd"}, "The Org ID is 00D followed by 12 or 15 letters and digits"),
        ({"org_id": "00DSB0000000001AAA"}, "This Org ID&#39;s last three characters do not match the first fifteen"),
        ({"auth_key_id": "my key"}, "The Auth Key ID has a space or line break inside it"),
        ({"auth_key_id": "clé"}, "The Auth Key ID may hold letters, digits and punctuation only."),
        ({"issuer": "a\u2028b"}, "The issuer must be on one line"),
        ({"public_key_pem": PUBLIC.replace("-----BEGIN PUBLIC KEY-----", "")}, "The public key has no header line"),
        (
            {"private_key_pem": weak_private_key_pem()},
            "This private key is RSA 1024 bits: Salesforce needs at least 2048.",
        ),
        ({"public_key_pem": key_pair(1).public_key_pem}, "The public key and the private key are not a pair"),
        ({"private_key_pem": ""}, "Paste the private key of this pair too"),
        ({"auth_key_id": ""}, "Enter the Auth Key ID: the kid of the key uploaded in Salesforce"),
        ({"issuer": ""}, "Enter the issuer: exactly the JSON Web Key Issuer of the keyset"),
        ({"routing_origin": "Two Words"}, "A routing attribute is the API name of a pre-chat field"),
        ({"routing_origin": "Priority"}, "already uses Priority: give each routing attribute its own field."),
        ({"rep_wait_seconds": "soon"}, "Enter how long to wait for a rep: 30 to 3600 seconds."),
        ({"rep_wait_seconds": "5"}, "Enter how long to wait for a rep: 30 to 3600 seconds."),
        ({"rep_wait_seconds": "99999999999999999999"}, "Enter how long to wait for a rep: 30 to 3600 seconds."),
        ({"closing_message": "x" * 1001}, "Field cannot be longer than 1000 characters."),
        ({"es_developer_name": "Chat\x00"}, "Remove the control characters"),
    ],
)
def test_each_field_says_what_is_wrong_and_nothing_is_saved(client, logged_in_owner, fields, message):
    response = _save(client, **{**WITH_KEYS, **fields})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    assert _rows() == []
    assert _private_body(key_pair().private_key_pem) not in page  # never sent back, even refused


def test_a_private_key_pasted_as_the_public_key_is_not_shown_back(client, logged_in_owner):
    response = _save(client, **{**WITH_KEYS, "public_key_pem": key_pair(1).private_key_pem})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This is a private key: paste it as the private key" in page
    assert _private_body(key_pair(1).private_key_pem) not in page


def test_a_loopback_instance_url_is_for_the_tests_and_the_sandbox_only(app, client, logged_in_owner):
    assert _save(client, instance_url="http://127.0.0.1:9000").status_code == 400
    app.config["ALLOW_PRIVATE_OUTBOUND"] = True
    assert _save(client, instance_url="http://127.0.0.1:9000").status_code == 302
    assert live_messaging_of(_integration(logged_in_owner.organization_id)).scrt_url == "http://127.0.0.1:9000"


def test_hostile_input_comes_back_escaped(client, logged_in_owner):
    response = _save(client, instance_url='https://x.example/"><script>alert(1)</script>', es_developer_name="<b>x</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<script>alert(1)" not in page and "<b>x</b>" not in page
    assert _rows() == []


def test_a_malformed_post_or_one_without_the_csrf_token_is_refused(client, logged_in_owner):
    token = csrf_token(client, PAGE)
    for data in (
        {},
        {**GOOD, "org_id": ["a", "b"]},
        {**GOOD, "rep_wait_seconds": "1e309"},
        {**GOOD, "private_key_pem": "x" * 20_000},
    ):
        response = client.post(SECTION, data={**data, "csrf_token": token})
        assert response.status_code == 400
    assert client.post(SECTION, data=GOOD).status_code == 400
    assert _rows() == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    field=st.sampled_from(sorted(GOOD)),
    value=st.one_of(st.text(max_size=300), st.binary(max_size=200).map(lambda raw: raw.decode("latin-1"))),
)
def test_whatever_is_posted_gets_a_page_never_a_500(client, logged_in_owner, field, value):
    response = _save(client, **{field: value})
    assert response.status_code in (302, 400)


# -- generate a key pair ---------------------------------------------------------------------------


def test_generate_makes_a_key_pair_and_shows_the_jwk_with_the_steps(client, logged_in_owner, fake_miaw):
    response = _post(client, "/key-pair", {**GOOD, "instance_url": "https://typed.my.salesforce.com", "issuer": ""})
    assert response.status_code == 200
    page = response.get_data(as_text=True)

    integration = _integration(logged_in_owner.organization_id)
    settings = live_messaging_of(integration)
    private_key_pem = integration.credential(PRIVATE_KEY)
    assert keys.load_private_key(private_key_pem).key_size == 2048
    assert settings.auth_key_id.startswith("switchboard-") and settings.issuer == "https://switchboard.example.test"
    assert settings.instance_url is None  # typed, not saved: still in the form to save
    assert 'value="https://typed.my.salesforce.com"' in page
    assert "A new key pair was made" in page and 'data-copy="live-messaging-jwk"' in page
    assert "Enhanced Chat User Verification" in page and "New Keyset" in page and "Add User Verification" in page
    assert f"<code>{settings.issuer}</code>" in page
    assert _private_body(private_key_pem) not in page

    jwk = json.loads(client.get(f"{SECTION}/jwk.json").get_data(as_text=True))
    assert jwk["kid"] == settings.auth_key_id and jwk["alg"] == "RS256"
    fake_miaw.register_key(jwk, settings.issuer)
    scrt = MessagingClient(fake_miaw.url, fake_miaw.org_id, fake_miaw.es_developer_name)
    grant = scrt.authenticated_token(identity_token(settings, private_key_pem, "ada@example.com"))
    assert grant.subject.endswith("uid:ada@example.com")


def test_generate_uses_the_auth_key_id_and_issuer_typed(client, logged_in_owner):
    _post(client, "/key-pair", {**GOOD, "auth_key_id": "acme-key-1", "issuer": "acme-switchboard"})
    settings = live_messaging_of(_integration(logged_in_owner.organization_id))
    assert (settings.auth_key_id, settings.issuer) == ("acme-key-1", "acme-switchboard")
    # A kid that does not read well is not used: the saved one is.
    _post(client, "/key-pair", {"auth_key_id": "bad kid"})
    assert live_messaging_of(_integration(logged_in_owner.organization_id)).auth_key_id == "acme-key-1"


def test_the_jwk_download_and_removing_the_keys(client, logged_in_owner):
    assert client.get(f"{SECTION}/jwk.json").status_code == 404
    _save(client, **WITH_KEYS)
    download = client.get(f"{SECTION}/jwk.json")
    assert download.headers["Content-Disposition"] == f'attachment; filename="{KID}.json"'
    assert json.loads(download.get_data(as_text=True))["kid"] == KID

    assert _post(client, "/remove-keys", {}).status_code == 302
    integration = _integration(logged_in_owner.organization_id)
    assert integration.credential(PRIVATE_KEY) is None
    assert not live_messaging_of(integration).has_keys
    assert "The keys were removed" in client.get(PAGE).get_data(as_text=True)
    assert client.get(f"{SECTION}/jwk.json").status_code == 404


# -- test connection -------------------------------------------------------------------------------


def _test_connection(client) -> tuple[str, dict[str, str]]:
    response = _post(client, "/test", {})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return page, _checks(page)


def test_every_check_passes_against_a_deployment_set_up_right(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw)
    upload_key(fake_miaw)
    page, checks = _test_connection(client)
    assert checks == {
        "Messaging host and deployment": "pass",
        "Customer verification": "pass",
        "Routing attributes": "pass",
    }
    assert "uid:switchboard-connection-test" in page
    assert "What to do" not in page


def test_a_wrong_org_id_fails_the_first_check_and_skips_the_others(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw, org_id="00D5e000000AbCd")
    page, checks = _test_connection(client)
    assert checks == {
        "Messaging host and deployment": "fail",
        "Customer verification": "skip",
        "Routing attributes": "skip",
    }
    assert "Specify a valid orgId." in page and "Check the Org ID (00D5e000000AbCd)" in page


def test_a_wrong_deployment_name_says_case_matters(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw, es_developer_name="switchboard_chat")
    page, checks = _test_connection(client)
    assert checks["Messaging host and deployment"] == "fail"
    assert "the name with the same upper and lower case" in page


def test_a_key_uploaded_under_another_kid_fails_verification(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw)
    upload_key(fake_miaw, kid="not-the-auth-key-id")
    page, checks = _test_connection(client)
    assert checks["Messaging host and deployment"] == "pass" and checks["Customer verification"] == "fail"
    assert "No key with kid" in page
    assert f"its kid must be the Auth Key ID, {KID}" in page and f"exactly {ISSUER}" in page


def test_an_anonymous_answer_to_a_signed_token_fails_verification(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw)
    upload_key(fake_miaw, issuer="https://someone-else.example")
    fake_miaw.anonymous_on_bad_jwt = True
    page, checks = _test_connection(client)
    assert checks["Customer verification"] == "fail"
    assert "Salesforce answered with an anonymous customer" in page


def test_without_keys_verification_is_skipped(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw, with_keys=False)
    page, checks = _test_connection(client)
    assert checks["Customer verification"] == "skip" and checks["Routing attributes"] == "pass"
    assert "No keys: customers start anonymous conversations." in page


def test_routing_attributes_the_pre_chat_form_lacks_are_warned_about(client, logged_in_owner, fake_miaw):
    fake_miaw.form_fields = [form_field(name) for name in ("SwitchboardSessionId", "Chat_Consumer_Type", "priority")]
    configure(logged_in_owner.organization_id, fake_miaw, with_keys=False)
    page, checks = _test_connection(client)
    assert checks["Routing attributes"] == "warn"
    assert "Salesforce will drop Origin (the channel)" in page
    assert "Priority (from sentiment) (the form has priority: names are case-sensitive)" in page
    assert "Chat_language" in page and "Parameter Mapping" in page


def test_test_connection_wants_the_deployment_saved_first(client, logged_in_owner):
    response = _post(client, "/test", {})
    assert response.status_code == 302
    assert "Save the Instance URL, the ES Developer Name and the Org ID first" in client.get(PAGE).get_data(
        as_text=True
    )


# -- a member --------------------------------------------------------------------------------------


@pytest.fixture
def member_client(app, client, world, owner, fake_miaw):
    """A member of an organization whose admin set Live Messaging up with keys, logged in."""
    configure(owner.organization_id, fake_miaw)
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    assert AuthActions(client).login(member.email).status_code == 302
    return client


def test_a_member_sees_the_section_read_only(member_client):
    page = member_client.get(PAGE).get_data(as_text=True)
    section = page[page.index('id="live-messaging"') :]
    for button in (
        "Save Live Messaging",
        "Generate a key pair",
        "Test connection",
        "Make a new key pair",
        "Remove the keys",
    ):
        assert f">{button}</button>" not in section
    assert re.search(r'<input[^>]*disabled[^>]*name="org_id"|<input[^>]*name="org_id"[^>]*disabled', section)
    assert 'id="live-messaging-jwk"' in section  # public: nothing secret in it


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("", {**GOOD, "instance_url": "https://evil.my.salesforce.com"}),
        ("/key-pair", {}),
        ("/remove-keys", {}),
        ("/test", {}),
    ],
)
def test_a_member_cannot_change_or_test_any_of_it(member_client, fake_miaw, path, data):
    before = _rows()
    response = _post(member_client, path, data)
    assert response.status_code == 403
    assert "Only owners and admins" in response.get_data(as_text=True)
    assert _rows() == before
    assert fake_miaw.calls == []
