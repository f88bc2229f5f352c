"""Salesforce → Troubleshooting → Send a test, against the fake org with the generated Apex
"deployed" in it: a test Case is created, its signed callout arrives (or not, or signed wrong),
the Case is deleted, and the check "Reps' replies come back from Salesforce" says how it went,
with the fix."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token, run_worker, unreachable_redis
from tests.salesforce.case_fixtures import connect_salesforce, fake_salesforce  # noqa: F401
from webapp.db import db
from webapp.diagnostics import Context, send_test
from webapp.diagnostics.salesforce_messaging import rep_replies
from webapp.models import CheckStatus, DiagnosticResult, JournalEntry, Role
from webapp.salesforce import callouts
from webapp.sandbox.salesforce_callouts import DeployedApex, deploy_apex

PAGE = "/settings/integrations/salesforce/troubleshooting"
APEX_STEPS = 'href="/settings/integrations/salesforce#salesforce-rep-replies"'


@pytest.fixture
def connected(app, logged_in_owner, fake_salesforce):  # noqa: F811
    """The owner's organization connected to the fake org, with a callout secret."""
    integration = connect_salesforce(logged_in_owner.organization, fake_salesforce)
    secret = callouts.rotate_secret(integration)
    db.session.commit()
    app.config["DIAGNOSTICS_SEND_TEST_WAIT_SECONDS"] = 5
    return integration, secret


@pytest.fixture
def webhook(connected, live_server) -> str:
    integration, _ = connected
    return f"{live_server}/webhooks/salesforce/{integration.webhook_token}"


def _send(client):
    return client.post(f"{PAGE}/send-test", data={"csrf_token": csrf_token(client, PAGE)})


def _send_and_run(client) -> str:
    response = _send(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("#send-test")
    run_worker()
    return client.get(PAGE).get_data(as_text=True)


def _stored(organization_id: int) -> DiagnosticResult:
    db.session.expire_all()
    return db.session.scalar(
        select(DiagnosticResult).where(
            DiagnosticResult.organization_id == organization_id,
            DiagnosticResult.check_key == "salesforce_rep_replies",
        )
    )


def _steps(organization_id: int) -> dict[str, str]:
    return {step.key: step.outcome for step in send_test.latest(organization_id).steps}


def test_a_test_goes_through_end_to_end_and_leaves_nothing_behind(
    client,
    logged_in_owner,
    connected,
    webhook,
    fake_salesforce,  # noqa: F811
):
    # A Queueable runs a moment after the insert commits. (Had the callout come before the job
    # knew the Case's id, it would be journalled as any case_created, and relayed to nobody.)
    apex = DeployedApex(fake_salesforce, webhook, connected[1], delay=0.3).deploy()
    page = _send_and_run(client)
    organization_id = logged_in_owner.organization_id

    assert _steps(organization_id) == {"case": "ok", "callout": "ok", "delete": "ok"}
    assert "with a valid signature" in page and 'data-status="done"' in page
    assert 'http-equiv="refresh"' not in page
    row = _stored(organization_id)
    assert row.status == CheckStatus.OK and "went through" in row.found and "valid signature" in row.found
    # The Case was made as a test, then deleted; nothing was relayed or kept for relaying.
    created = fake_salesforce.calls_to("POST", r"/sobjects/Case$")[0].body
    assert created["Subject"].startswith("Switchboard test ") and created["Origin"] == "Email"
    assert fake_salesforce.cases == {}
    apex.wait()
    assert apex.deliveries == [200]
    test_case = fake_salesforce.calls_to("DELETE", r"/sobjects/Case/")[0].path.rsplit("/", 1)[1]
    assert not db.session.scalars(select(JournalEntry).where(JournalEntry.external_id.contains(test_case[:15]))).all()
    assert fake_salesforce.spec_problems == []
    # The check, run again, keeps saying what the last test found.
    assert rep_replies(Context(organization_id, "salesforce")).status == CheckStatus.OK


def test_no_callout_points_at_the_triggers_and_named_credential_then_passes_once_fixed(
    app,
    client,
    logged_in_owner,
    connected,
    webhook,
    fake_salesforce,  # noqa: F811
):
    apex = DeployedApex(fake_salesforce, webhook, connected[1]).deploy()
    fake_salesforce.apex.deactivate_trigger("SwitchboardCaseTrigger")
    app.config["DIAGNOSTICS_SEND_TEST_WAIT_SECONDS"] = 1
    page = _send_and_run(client)
    organization_id = logged_in_owner.organization_id

    assert _steps(organization_id) == {"case": "ok", "callout": "failed", "delete": "ok"}
    row = _stored(organization_id)
    assert row.status == CheckStatus.FAILING
    assert "no callout reached Switchboard within 1 s" in row.found
    assert (
        "triggers or the Named Credential are the likely cause" in row.fix and webhook.split("/webhooks/")[1] in row.fix
    )
    assert row.fix_link["anchor"] == "salesforce-rep-replies"
    assert fake_salesforce.cases == {}  # deleted even so
    client.post(f"{PAGE}/run", data={"csrf_token": csrf_token(client, PAGE)})
    page = client.get(PAGE).get_data(as_text=True)
    assert APEX_STEPS in page and "setup check" in page  # the banner

    fake_salesforce.apex.activate_trigger("SwitchboardCaseTrigger")
    app.config["DIAGNOSTICS_SEND_TEST_WAIT_SECONDS"] = 5
    _send_and_run(client)
    assert _stored(organization_id).status == CheckStatus.OK
    apex.wait()


def test_a_wrong_secret_in_salesforce_says_rotate_then_passes_with_the_right_one(
    client,
    logged_in_owner,
    connected,
    webhook,
    fake_salesforce,  # noqa: F811
):
    apex = deploy_apex(fake_salesforce, webhook, "the-secret-pasted-last-year")
    page = _send_and_run(client)
    organization_id = logged_in_owner.organization_id

    assert _steps(organization_id) == {"case": "ok", "callout": "failed", "delete": "ok"}
    row = _stored(organization_id)
    assert row.status == CheckStatus.FAILING and "signature does not match" in row.found
    assert "The callout secret in Salesforce differs from Switchboard's" in row.fix
    assert "Make a new callout secret" in row.fix_link["label"]
    assert "does not match the callout secret" in page
    apex.wait()
    assert apex.deliveries == [401]  # refused as any wrongly signed callout is
    failed = [job for job in fake_salesforce.apex.rows("AsyncApexJob") if job["Status"] == "Failed"]
    assert failed and "401" in failed[0]["ExtendedStatus"]

    apex = deploy_apex(fake_salesforce, webhook, connected[1])
    _send_and_run(client)
    assert _stored(organization_id).status == CheckStatus.OK
    apex.wait()


def test_a_case_salesforce_refuses_shows_salesforces_words_escaped(
    client,
    logged_in_owner,
    connected,
    webhook,
    fake_salesforce,  # noqa: F811
):
    DeployedApex(fake_salesforce, webhook, connected[1]).deploy()
    refusal = [
        {"message": "Subject <b>must</b> name a product\x1b[31m", "errorCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION"}
    ]
    fake_salesforce.fail("POST", r"/sobjects/Case$", 400, body=refusal)
    page = _send_and_run(client)
    organization_id = logged_in_owner.organization_id

    assert _steps(organization_id) == {"case": "failed", "callout": "skipped", "delete": "skipped"}
    row = _stored(organization_id)
    assert row.status == CheckStatus.FAILING
    assert (
        "Salesforce refused to create the test Case" in row.found and "FIELD_CUSTOM_VALIDATION_EXCEPTION" in row.found
    )
    assert "\x1b" not in row.found and row.fix_link["anchor"] == "case-options"
    assert "Subject &lt;b&gt;must&lt;/b&gt; name a product" in page and "<b>must</b>" not in page
    assert fake_salesforce.cases == {} and not fake_salesforce.calls_to("DELETE", r"/sobjects/Case/")

    _send_and_run(client)  # the validation rule was fixed (the failure was armed once)
    assert _stored(organization_id).status == CheckStatus.OK


def test_a_test_case_salesforce_will_not_delete_is_a_warning_naming_it(
    client,
    logged_in_owner,
    connected,
    webhook,
    fake_salesforce,  # noqa: F811
):
    DeployedApex(fake_salesforce, webhook, connected[1]).deploy()
    locked = [{"message": "unable to obtain exclusive access to this record", "errorCode": "UNABLE_TO_LOCK_ROW"}]
    fake_salesforce.fail("DELETE", r"/sobjects/Case/", 400, body=locked)
    _send_and_run(client)
    organization_id = logged_in_owner.organization_id

    assert _steps(organization_id) == {"case": "ok", "callout": "ok", "delete": "failed"}
    row = _stored(organization_id)
    assert row.status == CheckStatus.WARNING and "could not be deleted" in row.found
    (case,) = fake_salesforce.cases.values()
    assert case["Subject"] in row.fix and "UNABLE_TO_LOCK_ROW" in " ".join(row.details)


def test_not_set_up_until_a_test_ran_and_a_running_test_refreshes_the_page(
    client,
    logged_in_owner,
    connected,  # noqa: F811
):
    organization_id = logged_in_owner.organization_id
    finding = rep_replies(Context(organization_id, "salesforce"))
    assert finding.status == CheckStatus.NOT_SET_UP and "Send a test" in finding.fix
    assert finding.link.anchor == "send-test"

    _send(client)  # queued; no worker yet
    page = client.get(PAGE).get_data(as_text=True)
    assert 'http-equiv="refresh"' in page and "Running" in page and 'data-status="running"' in page
    assert "disabled>Send a test" in page.replace("\n", "").replace(" disabled", "disabled")
    assert rep_replies(Context(organization_id, "salesforce")).status == CheckStatus.NOT_SET_UP
    _send(client)
    assert "A test is running" in client.get(PAGE).get_data(as_text=True)


def test_without_a_connection_or_secret_no_test_is_sent_and_the_check_says_what_first(
    client,
    logged_in_owner,
    fake_salesforce,  # noqa: F811
):
    organization_id = logged_in_owner.organization_id
    finding = rep_replies(Context(organization_id, "salesforce"))
    assert finding.status == CheckStatus.NOT_SET_UP and finding.link.anchor == "salesforce-connection"
    _send(client)
    assert "Connect to Salesforce first" in client.get(PAGE).get_data(as_text=True)

    connect_salesforce(logged_in_owner.organization, fake_salesforce)  # connected, no secret yet
    finding = rep_replies(Context(organization_id, "salesforce"))
    assert finding.status == CheckStatus.NOT_SET_UP and "callout secret" in finding.found
    _send(client)
    assert "Make the callout secret first" in client.get(PAGE).get_data(as_text=True)
    assert not fake_salesforce.calls_to("POST", r"/sobjects/Case$")


def test_members_see_the_last_test_but_cannot_send_one(client, auth, world, logged_in_owner, connected):
    member = world.user(logged_in_owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.logout()
    auth.login(member.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Send a test</h2>" in page and "Send a test</button>" not in page
    assert _send(client).status_code == 403


def test_without_redis_the_page_says_so_and_nothing_breaks(app, client, logged_in_owner, connected):
    page = client.get(PAGE)  # a CSRF token while Redis is up
    token = csrf_token(client, PAGE)
    app.extensions["redis"] = unreachable_redis()
    assert page.status_code == 200
    response = client.post(f"{PAGE}/send-test", data={"csrf_token": token}, follow_redirects=True)
    assert response.status_code == 200
    assert "Redis is not reachable" in response.get_data(as_text=True)
