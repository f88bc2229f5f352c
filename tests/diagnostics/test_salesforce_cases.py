"""The Salesforce setup checks for connecting and for Cases, against the fake org: each put into
the state a broken setup leaves (the check fails or warns, with the fix), then fixed (it passes)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import csrf_token, free_port
from tests.fakes.salesforce import problems as request_problems
from tests.salesforce.case_fixtures import hand_off_to_cases
from tests.salesforce.connecting import PAGE, callback, connected, fake, integration_of, save_credentials, start
from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics import Context
from webapp.diagnostics.salesforce_cases import CASE_CHECKS
from webapp.models import CheckStatus, EventKind, JournalEntry, Organization, utcnow
from webapp.salesforce import apex, apex_status, connect_log
from webapp.salesforce.client import client_for
from webapp.salesforce.errors import SalesforceNotConnected
from webapp.salesforce.integration import CLIENT_SECRET, redirect_uri, webhook_url
from webapp.sandbox import salesforce_setup

__all__ = ["fake"]  # the fixture, used by name

CHECKS = {check.key: check for check in CASE_CHECKS}
REDIRECT_URI = "https://switchboard.example.test/oauth/salesforce/callback"


def run(organization_id: int, key: str, *, later: timedelta = timedelta(0)):
    db.session.expire_all()
    context = Context(organization_id, "salesforce")
    context.now = context.now + later
    return CHECKS[key].run(context)


@pytest.fixture
def admin(logged_in_owner, fake):
    return logged_in_owner


def test_the_checks_come_first_on_the_salesforce_page_in_order():
    keys = [check.key for check in diagnostics.checks_for("salesforce")]
    assert keys[:3] == ["salesforce_credentials", "salesforce_connect", "salesforce_cases"]


# -- 8. the app's credentials ---------------------------------------------------------------------


def _save_form(client, **fields):
    data = {"csrf_token": csrf_token(client, PAGE), **fields}
    return client.post(f"{PAGE}/credentials", data=data)


def test_credentials_refused_by_the_form_fail_with_what_was_wrong_and_pass_once_saved(client, admin, fake):
    assert run(admin.organization_id, "salesforce_credentials").status == CheckStatus.NOT_SET_UP

    response = _save_form(client, client_id="3MVG9 broken", client_secret="s3cret", login_url=fake.url)
    assert response.status_code == 400
    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.FAILING
    assert "Save Credentials was refused at" in finding.found
    assert "has a space or line break inside it" in finding.found
    assert "s3cret" not in finding.found  # what was pasted is never kept
    assert finding.link.endpoint == "salesforce.settings"

    response = _save_form(client, client_id=fake.client_id, client_secret=fake.client_secret, login_url=fake.url)
    assert response.status_code == 302
    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.OK
    assert "Salesforce accepted the Client ID and the Client Secret" in finding.found
    assert any("credentials saved" in line for line in finding.details)


def test_a_wrong_secret_fails_with_the_fix_and_the_error_connecting_saw(client, admin, fake):
    integration = save_credentials(admin.organization_id, fake)
    integration.set_credential(CLIENT_SECRET, "not-the-secret")
    db.session.commit()
    response = callback(client, fake.approve(start(client)))  # the code exchange is refused
    assert response.status_code == 400

    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.FAILING
    assert "refused the Client Secret" in finding.found
    assert "invalid_client: invalid client credentials" in finding.found
    assert "Copy the Consumer Secret again" in finding.fix
    assert any("Salesforce refused the connection" in line for line in finding.details)
    # The check itself asked the token endpoint with a made-up refresh token, as the spec has it.
    probe = [
        c for c in fake.calls_to("POST", r"/services/oauth2/token$") if c.body.get("grant_type") == "refresh_token"
    ]
    assert probe and probe[-1].body["refresh_token"] == "switchboard-credentials-check"

    save_credentials(admin.organization_id, fake)
    assert run(admin.organization_id, "salesforce_credentials").status == CheckStatus.OK


def test_a_new_app_not_active_yet_fails_saying_to_wait_then_passes(admin, fake):
    save_credentials(admin.organization_id, fake)
    fake.active = False
    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.FAILING
    assert "does not recognize the Client ID" in finding.found
    assert "takes 2 to 10 minutes to become active" in finding.fix

    fake.active = True
    assert run(admin.organization_id, "salesforce_credentials").status == CheckStatus.OK


def test_an_app_not_installed_in_the_org_fails_with_the_permission_to_give(admin, fake):
    save_credentials(admin.organization_id, fake)
    fake.installed = False
    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.FAILING
    assert "app must be installed into org" in finding.found
    assert "Approve Uninstalled Connected Apps" in finding.fix

    fake.installed = True
    assert run(admin.organization_id, "salesforce_credentials").status == CheckStatus.OK


def test_a_token_endpoint_that_does_not_answer_is_a_warning_not_a_failure(admin, fake):
    save_credentials(admin.organization_id, fake, login_url=f"http://127.0.0.1:{free_port()}")
    finding = run(admin.organization_id, "salesforce_credentials")
    assert finding.status == CheckStatus.WARNING
    assert "could not be confirmed" in finding.found and "could not be reached" in finding.found


# -- 9. connecting ------------------------------------------------------------------------------


def _close_window(client, authorize_url: str):
    """What the page's script does when the Salesforce window closes without the callback."""
    state = oauth_state(authorize_url)
    return client.post(
        f"{PAGE}/connect/closed", data={"csrf_token": csrf_token(client, PAGE), "state": state, "mode": "popup"}
    )


def oauth_state(url: str) -> str:
    from tests.salesforce.connecting import state_of

    return state_of(url)


def test_a_callback_url_mismatch_fails_with_the_exact_redirect_uri_then_passes_once_connected(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    fake.callback_url = "https://old-host.example.test/oauth/salesforce/callback"
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.WARNING  # foreseen, not tried yet

    authorize_url = start(client)
    assert "RemoteAccessErrorPage" in fake.approve(authorize_url)  # Salesforce's own page: no callback
    assert _close_window(client, authorize_url).status_code == 204

    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.FAILING
    assert "never came back from Salesforce" in finding.found
    assert "Callback URL does not match" in finding.found
    assert f"set the Callback URL to exactly {REDIRECT_URI}" in finding.fix
    assert redirect_uri() == REDIRECT_URI
    assert any("redirect_uri_mismatch" in line for line in finding.details)
    assert finding.link.anchor == "salesforce-connection"

    fake.callback_url = REDIRECT_URI
    callback(client, fake.approve(start(client)))
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.OK
    assert f"Connected as {fake.username}" in finding.found


def test_a_denied_connection_fails_with_its_cause_then_passes(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    callback(client, fake.deny(start(client)))
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.FAILING
    assert "Deny was clicked" in finding.found and "hasn't approved this consumer" in finding.found
    assert "Permitted Users" in finding.fix

    callback(client, fake.approve(start(client)))
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.OK


def test_an_app_not_installed_shows_as_salesforce_error_page_and_fails_with_the_fix(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    fake.installed = False
    authorize_url = start(client)
    _close_window(client, authorize_url)
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.FAILING
    assert "OAUTH_APPROVAL_ERROR_GENERIC" in finding.found
    assert "Approve Uninstalled" in finding.fix


def test_a_blocked_popup_left_unanswered_fails_saying_to_allow_popups(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    start(client, mode="window")  # the browser blocked the popup: Salesforce opened in the settings window
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.WARNING and "still waiting" in finding.found

    finding = run(admin.organization_id, "salesforce_connect", later=timedelta(minutes=11))
    assert finding.status == CheckStatus.FAILING
    assert "blocked the popup" in finding.found
    assert "Allow popups for this site" in finding.fix

    callback(client, fake.approve(start(client, mode="window")))
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.OK


def test_a_window_closed_after_the_callback_ran_is_not_recorded(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    authorize_url = start(client)
    callback(client, fake.approve(authorize_url))
    assert _close_window(client, authorize_url).status_code == 204
    assert [e.step for e in connect_log.recent(admin.organization_id)][:2] == ["connected", "started"]
    # Without the form's CSRF token nothing is recorded either.
    assert client.post(f"{PAGE}/connect/closed", data={"state": oauth_state(authorize_url)}).status_code == 400


def test_disconnected_by_a_refused_refresh_token_fails_with_reconnect_then_passes(client, admin, fake):
    integration = connected(admin.organization_id, fake)
    fake.revoke_refresh_tokens()
    with pytest.raises(SalesforceNotConnected):
        client_for(integration).limits()  # the session expired, the refresh is refused

    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.FAILING
    assert finding.found.startswith("Disconnected since ")
    assert "refused the saved refresh token" in finding.found
    assert "Click Reconnect" in finding.fix and finding.link.anchor == "salesforce-connection"

    callback(client, fake.approve(start(client)))
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.OK


def test_a_failed_reconnect_while_connected_is_a_warning_naming_its_cause(client, admin, fake):
    integration = connected(admin.organization_id, fake)
    integration.set_credential(CLIENT_SECRET, "not-the-secret")
    db.session.commit()
    callback(client, fake.approve(start(client)))  # the code exchange is refused: invalid_client
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.WARNING
    assert "A later attempt to reconnect" in finding.found
    assert "Salesforce refused the Client Secret." in finding.found and "not installed" not in finding.found
    assert "The existing connection still works." in finding.found

    save_credentials(admin.organization_id, fake)
    callback(client, fake.approve(start(client)))
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.OK


def test_not_connected_and_never_tried_is_not_set_up(admin, fake):
    assert run(admin.organization_id, "salesforce_connect").status == CheckStatus.NOT_SET_UP
    save_credentials(admin.organization_id, fake)
    finding = run(admin.organization_id, "salesforce_connect")
    assert finding.status == CheckStatus.NOT_SET_UP and "Connect to Salesforce" in finding.fix


# -- 10. Cases and the Apex -----------------------------------------------------------------------


@pytest.fixture
def org_with_cases(admin, fake):
    """Connected, email and web chat handing off to Cases, the generated Apex deployed."""
    integration = connected(admin.organization_id, fake)
    hand_off_to_cases(db.session.get(Organization, admin.organization_id))
    fake.apex.deploy_apex(webhook_url(integration))
    return admin.organization_id


def _handoff(world, organization_id: int, *, error: str | None = None, case_id="500SB0000000042AAA", ago=None):
    """A Case handoff as the timeline records it: the Case made, or the error and the fallback."""
    support_session = world.session(db.session.get(Organization, organization_id))
    if error is None:
        event = support_session.record(
            EventKind.SALESFORCE_CASE,
            message="Salesforce Case 00001001 created with the transcript.",
            handoff_key=f"key-{support_session.id}",
            case_id=case_id,
            case_number="00001001",
            created=True,
        )
    else:
        event = support_session.record(
            EventKind.ERROR,
            message="Could not create a Salesforce Case; handed off to Front teammates instead.",
            detail=error,
            case_handoff_for=f"message-{support_session.id}",
        )
    if ago is not None:
        event.created_at = utcnow() - ago
    db.session.commit()
    return support_session


def _reported(organization_id: int, case_id: str) -> None:
    """The Apex's case_created callout for the Case, as the Salesforce webhook journals it."""
    db.session.add(
        JournalEntry(
            organization_id=organization_id,
            source="salesforce",
            external_id=f"case_created:{case_id}",
            event_type="case_created",
            payload="{}",
        )
    )
    db.session.commit()


def test_cases_need_a_connection_and_a_channel_that_hands_off_to_cases(admin, fake):
    assert run(admin.organization_id, "salesforce_cases").status == CheckStatus.NOT_SET_UP
    connected(admin.organization_id, fake)
    finding = run(admin.organization_id, "salesforce_cases")
    assert finding.status == CheckStatus.NOT_SET_UP and finding.link.endpoint == "handoff.settings"


def test_a_handoff_salesforce_refused_fails_with_its_error_then_passes_after_a_case(world, org_with_cases, fake):
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK
    _handoff(world, org_with_cases, ago=timedelta(hours=2))
    _reported(org_with_cases, "500SB0000000042AAA")
    refused = (
        "Salesforce refused POST /composite (400): CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY: OtherCaseTrigger: execution "
        "of AfterInsert caused by: System.CalloutException: Callout from triggers are currently not supported."
    )
    _handoff(world, org_with_cases, error=refused)

    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.FAILING
    assert "made no Case" in finding.found and "Callout from triggers are currently not supported" in finding.found
    assert "1 of 2 Case handoffs in the last 7 days" in finding.found
    assert "Queueable" in finding.fix

    _handoff(world, org_with_cases, case_id="500SB0000000043AAA")
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.OK
    assert any("1 failed" in line for line in finding.details)


def test_apex_not_deployed_is_a_warning_and_passes_once_deployed(org_with_cases, fake):
    fake.apex.undeploy_apex()
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.WARNING
    assert "not deployed" in finding.found and finding.link.anchor == "salesforce-rep-replies"

    fake.apex.deploy_apex(webhook_url(integration_of(org_with_cases)))
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_an_inactive_trigger_fails_and_passes_once_active_again(org_with_cases, fake):
    fake.apex.deactivate_trigger("SwitchboardCaseTrigger")
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.FAILING
    assert "SwitchboardCaseTrigger (Status Inactive)" in finding.found
    assert "Active again" in finding.fix

    fake.apex.activate_trigger("SwitchboardCaseTrigger")
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_a_missing_trigger_fails(org_with_cases, fake):
    fake.apex.remove_trigger("SwitchboardCaseCommentTrigger")
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.FAILING and "SwitchboardCaseCommentTrigger" in finding.found


def test_a_named_credential_pointing_elsewhere_fails_with_the_webhook_url(org_with_cases, fake):
    fake.apex.point_named_credential("https://old-host.example.test/webhooks/salesforce/old-token")
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.FAILING
    assert "points at https://old-host.example.test/webhooks/salesforce/old-token" in finding.found
    expected = webhook_url(integration_of(org_with_cases))
    assert f"set the URL to exactly {expected}" in finding.fix

    fake.apex.point_named_credential(expected)
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_failed_callouts_fail_with_the_first_error_clipped(org_with_cases, fake):
    detail = (
        "System.CalloutException: We couldn't access the credential(s). You might not have the required "
        'permissions, or the external credential "Switchboard_Callout" might not exist.\x1b[31m' + " more" * 100
    )
    fake.apex.add_failed_job(detail)
    fake.apex.add_failed_job("old failure", at=utcnow().timestamp() - 30 * 86400)  # outside the 7 days
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.FAILING
    assert "1 callout of SwitchboardCallout failed in the last 7 days" in finding.found
    assert "\x1b" not in finding.found and "…" in finding.found and len(finding.found) < 1000
    assert apex.PERMISSION_SET_LABEL in finding.fix

    fake.apex.records["AsyncApexJob"].clear()  # Salesforce keeps jobs 7 days
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_without_permission_to_read_the_setup_it_warns_and_lists_what_to_confirm(org_with_cases, fake):
    fake.apex.tooling_access = False
    fake.apex.view_setup = False
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.WARNING
    assert "the user lacks permission" in finding.found
    assert "INSUFFICIENT_ACCESS" in finding.found and "INVALID_TYPE" in finding.found
    assert "Confirm by hand in Setup" in finding.fix
    assert "SwitchboardCaseTrigger" in finding.fix and webhook_url(integration_of(org_with_cases)) in finding.fix

    fake.apex.tooling_access = fake.apex.view_setup = True
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_cases_the_apex_never_reported_are_a_warning(world, org_with_cases, fake):
    _handoff(world, org_with_cases, case_id="500SB0000000044AAA", ago=timedelta(minutes=30))
    finding = run(org_with_cases, "salesforce_cases")
    assert finding.status == CheckStatus.WARNING
    assert "did not report 1 of the 1 Cases" in finding.found

    _reported(org_with_cases, "500SB0000000044AAA")
    assert run(org_with_cases, "salesforce_cases").status == CheckStatus.OK


def test_the_setup_is_read_in_two_requests_shared_by_the_run(org_with_cases, fake):
    before = len(fake.data_calls())
    context = Context(org_with_cases, "salesforce")
    CHECKS["salesforce_cases"].run(context)
    CHECKS["salesforce_cases"].run(context)
    calls = fake.data_calls()[before:]
    assert [c.path.split("/v68.0", 1)[-1] for c in calls] == ["/tooling/query", "/composite"]


def test_the_troubleshooting_page_shows_the_findings(client, admin, fake):
    save_credentials(admin.organization_id, fake)
    fake.active = False
    page_url = "/settings/integrations/salesforce/troubleshooting"
    response = client.post(f"{page_url}/run", data={"csrf_token": csrf_token(client, page_url)})
    assert response.status_code == 302
    page = client.get(page_url).get_data(as_text=True)
    assert "App credentials" in page and "does not recognize the Client ID" in page
    assert "Connecting to Salesforce" in page and "Cases and the Apex that reports on them" in page


# -- the fake org and the request checker ---------------------------------------------------------


def test_the_fake_deploys_the_names_switchboard_generates():
    assert set(salesforce_setup.TRIGGERS) == set(apex_status.TRIGGERS)
    assert salesforce_setup.CALLOUT_CLASS == apex_status.CALLOUT_CLASS
    assert salesforce_setup.NAMED_CREDENTIAL == apex.NAMED_CREDENTIAL


def test_the_fake_answers_tooling_queries_like_salesforce(org_with_cases, fake):
    client = client_for(integration_of(org_with_cases))
    answer = client.tooling_query(
        "SELECT Name, Status, TableEnumOrId FROM ApexTrigger WHERE Name = 'SwitchboardCaseTrigger'"
    )
    assert answer["size"] == answer["totalSize"] == 1 and answer["entityTypeName"] == "ApexTrigger"
    record = answer["records"][0]
    assert record["attributes"]["url"].startswith("/services/data/v68.0/tooling/sobjects/ApexTrigger/01q")
    assert (record["Name"], record["Status"], record["TableEnumOrId"]) == ("SwitchboardCaseTrigger", "Active", "Case")
    fake.apex.add_failed_job("boom")
    jobs = client.query("SELECT ApexClass.Name, Status FROM AsyncApexJob WHERE Status = 'Failed'")["records"]
    assert jobs[0]["ApexClass"]["Name"] == "SwitchboardCallout"


@pytest.mark.parametrize(
    ("path", "query", "expected"),
    [
        (
            "/services/data/v68.0/tooling/query",
            "SELECT Endpoint FROM NamedCredential WHERE DeveloperName = 'x'",
            "/query",
        ),
        ("/services/data/v68.0/tooling/query", "SELECT Name FROM ApexTrigger", "without WHERE"),
        ("/services/data/v68.0/query", "SELECT Id FROM AsyncApexJob", "without WHERE"),
        ("/services/data/v68.0/tooling/sobjects/ApexTrigger", None, "GET /tooling/query only"),
    ],
)
def test_the_request_checker_flags_setup_reads_the_spec_does_not_support(path, query, expected):
    found = request_problems("GET", path, None, {"q": query} if query else {}, {"Authorization": "Bearer x"})
    assert found and expected in found[0]
