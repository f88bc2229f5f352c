"""The Live Messaging settings as stored: defaults, the derived messaging host, what may be saved,
and when a handoff can be tried."""

from __future__ import annotations

import pytest

from tests.salesforce.messaging.settings_helpers import ISSUER, KID, key_pair
from webapp.db import db
from webapp.models import SettingsError
from webapp.salesforce.integration import get_or_create, settings_of
from webapp.salesforce.messaging.settings import (
    DEFAULT_ROUTING_ATTRIBUTES,
    PRIVATE_KEY,
    LiveMessagingSettings,
    is_configured,
    live_messaging_of,
    org_id_checksum_fits,
    update_live_messaging,
    verifies_customers,
)


def test_the_defaults():
    settings = LiveMessagingSettings()
    assert settings.routing_attributes == {
        "session_id": "SwitchboardSessionId",
        "consumer_type": "Chat_Consumer_Type",
        "origin": "Origin",
        "priority": "Priority",
        "language": "Chat_language",
    }
    assert settings.rep_wait_seconds == 300
    assert settings.closing_message is None and settings.scrt_url is None and not settings.has_keys
    settings.to_json()  # the defaults can be saved


@pytest.mark.parametrize(
    ("instance_url", "scrt_url"),
    [
        ("https://acme.my.salesforce.com", "https://acme.my.salesforce-scrt.com"),
        ("https://Acme.My.Salesforce.com/", "https://acme.my.salesforce-scrt.com"),
        ("https://acme--uat.sandbox.my.salesforce.com", "https://acme--uat.sandbox.my.salesforce-scrt.com"),
        ("https://acme.my.salesforce-scrt.com", "https://acme.my.salesforce-scrt.com"),
        ("http://127.0.0.1:5123", "http://127.0.0.1:5123"),
    ],
)
def test_the_messaging_host_is_derived_from_my_domain_and_kept_otherwise(instance_url, scrt_url):
    assert LiveMessagingSettings(instance_url=instance_url).scrt_url == scrt_url


def test_an_attribute_saved_before_its_role_existed_takes_its_default_and_a_cleared_one_stays_cleared():
    settings = LiveMessagingSettings.from_json({"routing_attributes": {"origin": "Channel__c", "priority": ""}})
    assert settings.routing_attributes == {**DEFAULT_ROUTING_ATTRIBUTES, "origin": "Channel__c", "priority": ""}
    assert "priority" not in settings.attribute_names()
    assert settings.attribute_names()["origin"] == "Channel__c"
    assert (
        LiveMessagingSettings.from_json({"routing_attributes": "garbage"}).routing_attributes
        == DEFAULT_ROUTING_ATTRIBUTES
    )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"instance_url": "ftp://acme.my.salesforce.com"}, "https://"),
        ({"instance_url": " "}, "Instance URL must be text"),
        ({"es_developer_name": "Switchboard Chat"}, "API name"),
        ({"es_developer_name": "Chat_"}, "API name"),
        ({"org_id": "00Dshort"}, "00D followed by 12 or 15"),
        ({"org_id": "005SB0000000001AAA"}, "00D followed by 12 or 15"),
        ({"auth_key_id": "key id"}, "without spaces"),
        ({"auth_key_id": "k" * 256}, "1 to 255"),
        ({"rep_wait_seconds": 5}, "30 to 3600"),
        ({"rep_wait_seconds": "300"}, "30 to 3600"),
        ({"closing_message": "x" * 1001}, "1 to 1000"),
        ({"routing_attributes": {"origin": "Two Words"}}, "pre-chat field's API name"),
        ({"routing_attributes": {"origin": "Priority"}}, "a name of its own"),
        ({"routing_attributes": {"planted": "X"}}, "unknown routing attribute roles"),
    ],
)
def test_what_cannot_be_saved_is_refused(changes, message):
    with pytest.raises(SettingsError, match=message):
        LiveMessagingSettings(**changes).to_json()


def test_org_id_checksums():
    # Worked examples of Salesforce's 15 → 18 conversion from public write-ups of the algorithm.
    assert org_id_checksum_fits("a0D30000001n7PiEAI")
    assert org_id_checksum_fits("0019000000B98deAAB")
    assert not org_id_checksum_fits("0019000000b98deAAB")  # a letter's case changed
    assert org_id_checksum_fits("00D5e000000AbCd")  # 15 characters: nothing to check


def test_configured_and_verifying_customers(app, world):
    integration = get_or_create(world.organization().id)
    db.session.commit()
    assert not is_configured(integration) and not is_configured(None)

    update_live_messaging(
        integration, instance_url="https://acme.my.salesforce.com", es_developer_name="Chat", org_id="00D5e000000AbCd"
    )
    db.session.commit()
    assert is_configured(integration) and not verifies_customers(integration)
    assert settings_of(integration).live_messaging["es_developer_name"] == "Chat"

    update_live_messaging(integration, auth_key_id=KID, issuer=ISSUER, public_key_pem=key_pair().public_key_pem)
    assert not verifies_customers(integration)  # the private key is still missing
    integration.set_credential(PRIVATE_KEY, key_pair().private_key_pem)
    db.session.commit()
    assert verifies_customers(integration)
    assert live_messaging_of(integration).has_keys
    assert key_pair().private_key_pem not in str(settings_of(integration).live_messaging)
