"""The Live Messaging setup checks against the fake MIAW: each one with the deployment put into a
broken state (failing, or warning where that is the honest level, with its fix), then fixed
(passing). Also: not set up until Live Messaging is, one anonymous token for a whole run, and
Salesforce's words shown escaped."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token
from tests.salesforce.messaging.settings_helpers import (
    ISSUER,
    KID,
    configure,
    fake_miaw,
    key_pair,
    org_id_for,
    upload_key,
)
from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics import Context
from webapp.diagnostics.salesforce_messaging import MESSAGING_CHECKS
from webapp.models import CheckStatus, DiagnosticResult
from webapp.salesforce.integration import get_or_create
from webapp.sandbox.miaw import form_field

__all__ = ["fake_miaw"]  # the fixture, used by name

PAGE = "/settings/integrations/salesforce/troubleshooting"
LIVE_MESSAGING = "live-messaging"
CHECKS = {check.key: check for check in MESSAGING_CHECKS}


@pytest.fixture
def organization_id(app, world):
    app.config["DIAGNOSTICS_ROUTING_WAIT_SECONDS"] = 0.5
    return world.organization().id


def run(organization_id: int, key: str, context: Context | None = None):
    return CHECKS[key].run(context or Context(organization_id, "salesforce"))


def test_the_checks_come_in_the_symptoms_order():
    assert list(CHECKS) == [
        "salesforce_rep_replies",
        "live_messaging_settings",
        "live_messaging_tokens",
        "live_messaging_routing",
        "live_messaging_attributes",
    ]


def test_every_live_messaging_check_is_not_set_up_until_a_deployment_is_saved(organization_id):
    for key in (
        "live_messaging_settings",
        "live_messaging_tokens",
        "live_messaging_routing",
        "live_messaging_attributes",
    ):
        finding = run(organization_id, key)
        assert finding.status == CheckStatus.NOT_SET_UP, key
        assert finding.link.anchor == LIVE_MESSAGING
    get_or_create(organization_id)  # Salesforce saved, Live Messaging not
    db.session.commit()
    assert run(organization_id, "live_messaging_tokens").status == CheckStatus.NOT_SET_UP


# -- 12. the saved settings --------------------------------------------------------------------------


def test_saved_settings_the_form_refuses_are_named_with_the_fix(organization_id, fake_miaw):
    wrong_suffix = org_id_for(fake_miaw)[:15] + "AAA"  # a letter's case changed in the copy
    configure(organization_id, fake_miaw, org_id=wrong_suffix, public_key_pem=key_pair(1).public_key_pem)
    finding = run(organization_id, "live_messaging_settings")
    assert finding.status == CheckStatus.FAILING
    assert "2 problems the settings form refuses" in finding.found
    assert any(line.startswith("Org ID: This Org ID's last three characters") for line in finding.details)
    assert any(line.startswith("Public key:") for line in finding.details)
    assert finding.link.anchor == LIVE_MESSAGING and "save" in finding.fix

    configure(organization_id, fake_miaw)
    finding = run(organization_id, "live_messaging_settings")
    assert finding.status == CheckStatus.OK


def test_a_lightning_address_saved_as_instance_url_is_named(organization_id, fake_miaw):
    configure(organization_id, fake_miaw, with_keys=False, instance_url="https://acme.lightning.force.com")
    finding = run(organization_id, "live_messaging_settings")
    assert finding.status == CheckStatus.FAILING
    assert "https://acme.my.salesforce.com" in finding.details[0]


# -- 13. access tokens -----------------------------------------------------------------------------


def test_a_wrong_org_id_fails_the_tokens_with_the_org_id_fix(organization_id, fake_miaw):
    configure(organization_id, fake_miaw, org_id="00D5e000000AbCd")
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.FAILING
    assert "Specify a valid orgId." in finding.found
    assert "The Org ID 00D5e000000AbCd is not the deployment's org" in finding.fix

    configure(organization_id, fake_miaw)
    upload_key(fake_miaw)
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.OK and "verified a test customer" in finding.found


def test_an_unknown_deployment_fails_tokens_and_routing(organization_id, fake_miaw):
    configure(organization_id, fake_miaw, with_keys=False)
    fake_miaw.unpublish_deployment()
    context = Context(organization_id, "salesforce")
    tokens, routing = run(organization_id, "live_messaging_tokens", context), run(0, "live_messaging_routing", context)
    for finding in (tokens, routing):
        assert finding.status == CheckStatus.FAILING
        assert "does not know a published deployment named Switchboard_Chat" in finding.fix
    assert run(organization_id, "live_messaging_attributes", context).status == CheckStatus.WARNING

    fake_miaw.publish_deployment()
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.OK and "no keys" in finding.found


@pytest.mark.parametrize(
    ("arrange", "reason", "fix"),
    [
        (lambda fake: upload_key(fake, kid="another-kid"), "not uploaded", f"its kid must be the Auth Key ID, {KID}"),
        (lambda fake: upload_key(fake, issuer="https://elsewhere.example"), "issuer", f"exactly {ISSUER}"),
        (lambda fake: upload_key(fake, number=1), "another key pair's", "not this key pair's"),
    ],
    ids=["jwk-not-uploaded", "issuer", "another-key-pair"],
)
def test_a_refused_identity_token_names_the_exact_reason(organization_id, fake_miaw, arrange, reason, fix):
    configure(organization_id, fake_miaw)
    arrange(fake_miaw)
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.FAILING
    assert any(reason in line for line in finding.details), finding.details
    assert fix in finding.fix

    fake_miaw.keys.clear()
    upload_key(fake_miaw)
    assert run(organization_id, "live_messaging_tokens").status == CheckStatus.OK


def test_an_anonymous_answer_to_a_signed_token_says_verification_is_off(organization_id, fake_miaw):
    configure(organization_id, fake_miaw)
    fake_miaw.anonymous_on_bad_jwt = True  # no key uploaded: Salesforce answers 200 with ANON
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.FAILING
    assert "anonymous customer" in finding.found and "turn on user verification" in finding.fix


def test_saved_keys_that_are_not_one_pair_fail_before_salesforce_is_asked(organization_id, fake_miaw):
    configure(organization_id, fake_miaw, public_key_pem=key_pair(1).public_key_pem)
    finding = run(organization_id, "live_messaging_tokens")
    assert finding.status == CheckStatus.FAILING and "cannot sign" in finding.found
    assert finding.fix.startswith("Generate a key pair again")
    assert not fake_miaw.calls_to("POST", "/authenticated/access-token$")


# -- 14. routing -----------------------------------------------------------------------------------


def test_a_conversation_omni_channel_cannot_route_fails_with_the_channel_fix(organization_id, fake_miaw):
    configure(organization_id, fake_miaw, with_keys=False)
    fake_miaw.break_routing("RoutingError", "No route found")
    finding = run(organization_id, "live_messaging_routing")
    assert finding.status == CheckStatus.FAILING
    assert "could not route it (RoutingError: No route found)" in finding.found
    assert "Omni-Channel routing" in finding.fix and "Messaging channel" in finding.fix
    assert "Routing status: NEEDS_ROUTING" in finding.details
    (conversation,) = fake_miaw.conversations.values()
    assert conversation["closed"]  # the test conversation does not stay open

    fake_miaw.fix_routing()
    finding = run(organization_id, "live_messaging_routing")
    assert finding.status == CheckStatus.OK
    assert "The test conversation was closed." in finding.details
    newest = list(fake_miaw.conversations.values())[-1]
    assert newest["closed"] and newest["routing_attributes"]["SwitchboardSessionId"] == "switchboard-setup-check"
    assert newest["routing_attributes"]["Chat_Consumer_Type"] == "anonymous" and newest["language"] == "en_US"


def test_a_conversation_left_unrouted_is_a_warning_not_a_failure(organization_id, fake_miaw, monkeypatch):
    configure(organization_id, fake_miaw, with_keys=False)
    real = fake_miaw._new_session

    def no_routing_result(conversation):  # Salesforce still deciding: no routing result yet
        conversation.update(session_record="0MwSB0000000001", status="Waiting", routingStatus="INITIAL", agent=None)

    monkeypatch.setattr(fake_miaw, "_new_session", no_routing_result)
    finding = run(organization_id, "live_messaging_routing")
    assert finding.status == CheckStatus.WARNING and "had not routed it" in finding.found
    monkeypatch.setattr(fake_miaw, "_new_session", real)
    assert run(organization_id, "live_messaging_routing").status == CheckStatus.OK


def test_the_checks_running_on_their_own_open_a_test_conversation_at_most_every_few_hours(
    app, organization_id, fake_miaw
):
    configure(organization_id, fake_miaw, with_keys=False)

    def routing_status():
        diagnostics.run_checks(organization_id, "salesforce")  # no request: as the periodic job runs them
        return db.session.query(DiagnosticResult).filter_by(check_key="live_messaging_routing").one().status

    assert routing_status() == CheckStatus.OK and len(fake_miaw.conversations) == 1
    fake_miaw.break_routing()
    assert routing_status() == CheckStatus.OK and len(fake_miaw.conversations) == 1  # the last finding, kept

    with app.test_request_context():  # an admin's Run checks asks Salesforce again
        assert routing_status() == CheckStatus.FAILING and len(fake_miaw.conversations) == 2
    assert routing_status() == CheckStatus.FAILING and len(fake_miaw.conversations) == 2

    fake_miaw.fix_routing()
    configure(organization_id, fake_miaw, with_keys=False, routing_attributes={"language": ""})
    assert routing_status() == CheckStatus.OK and len(fake_miaw.conversations) == 3  # other settings: asked again


# -- 15. routing attributes ------------------------------------------------------------------------


def test_routing_attributes_the_pre_chat_form_lacks_are_each_listed(organization_id, fake_miaw):
    fake_miaw.form_fields = [form_field(name) for name in ("SwitchboardSessionId", "Chat_Consumer_Type", "priority")]
    configure(organization_id, fake_miaw, with_keys=False)
    finding = run(organization_id, "live_messaging_attributes")
    assert finding.status == CheckStatus.WARNING
    assert "Missing from the pre-chat form: Origin (the channel)" in finding.details
    assert any("Priority (from sentiment) (the form has priority" in line for line in finding.details)
    assert "hidden pre-chat field" in finding.fix and "change the name here" in finding.fix
    assert finding.link.anchor == LIVE_MESSAGING

    configure(organization_id, fake_miaw, with_keys=False, routing_attributes={"origin": "", "priority": "priority"})
    fake_miaw.form_fields.append(form_field("Chat_language"))
    assert run(organization_id, "live_messaging_attributes").status == CheckStatus.OK


# -- a whole run -------------------------------------------------------------------------------------


def test_a_run_asks_for_one_anonymous_token_and_the_page_escapes_salesforces_words(client, logged_in_owner, fake_miaw):
    configure(logged_in_owner.organization_id, fake_miaw, with_keys=False)
    context = Context(logged_in_owner.organization_id, "salesforce")
    for key in ("live_messaging_tokens", "live_messaging_routing", "live_messaging_attributes"):
        assert run(0, key, context).status == CheckStatus.OK, key
    assert len(fake_miaw.calls_to("POST", "unauthenticated/access-token$")) == 1

    fake_miaw.fail("POST", "unauthenticated/access-token$", 400, body={"message": "<b>orgId</b> \x1b[31mbad"}, times=5)
    client.post(f"{PAGE}/run", data={"csrf_token": csrf_token(client, PAGE)})
    page = client.get(PAGE).get_data(as_text=True)
    assert "&lt;b&gt;orgId&lt;/b&gt;" in page and "<b>orgId</b>" not in page and "\x1b" not in page
    row = db.session.query(DiagnosticResult).filter_by(check_key="live_messaging_tokens").one()
    assert row.status == CheckStatus.FAILING and row.fix_link["anchor"] == LIVE_MESSAGING
    assert 'href="/settings/integrations/salesforce#live-messaging"' in page
    assert diagnostics.counts()["failing"] >= 1
