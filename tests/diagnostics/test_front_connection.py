"""The Front token and webhook checks, against the fake Front: each broken setup is found with
its fix, and the same setup fixed passes."""

import json
import time
import uuid
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import csrf_token
from tests.front.conftest import APP_SECRET, fake_front, integration, no_settle, organization, signed_headers  # noqa: F401
from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics import Context
from webapp.diagnostics.front_connection import CONNECTION_CHECKS
from webapp.front import integration as front
from webapp.models import CheckStatus, DiagnosticResult, JournalEntry, JournalStatus, utcnow

CHECKS = {check.key: check for check in CONNECTION_CHECKS}


def _check(organization_id: int, key: str, context: Context | None = None):
    return CHECKS[key].run(context or Context(organization_id, "front"))


def _journalled(organization_id: int, event_type: str, ago: timedelta) -> None:
    """A Front event accepted ``ago``, as the webhook endpoint journals it."""
    db.session.add(
        JournalEntry(
            organization_id=organization_id,
            source="front",
            external_id=f"evt_{uuid.uuid4().hex}",
            event_type=event_type,
            payload="{}",
            status=JournalStatus.DONE,
            received_at=utcnow() - ago,
        )
    )
    db.session.commit()


def _connected_ago(integration, hours: float) -> None:  # noqa: F811
    integration.created_at = utcnow() - timedelta(hours=hours)
    db.session.commit()


def _customer_wrote(fake_front, conversation_id: str, ago: timedelta, text: str = "Hello?") -> dict:  # noqa: F811
    """A customer message in Front, written ``ago`` (the fake's clock moved back for it)."""
    clock = fake_front.clock
    fake_front.clock = lambda: time.time() - ago.total_seconds()
    try:
        if conversation_id not in fake_front.conversations:
            fake_front.add_conversation(conversation_id, assignee="tea_ai")
        return fake_front.add_message(conversation_id, text)
    finally:
        fake_front.clock = clock


def _deliver(client, integration, event: dict, **options):  # noqa: F811
    body = json.dumps(event).encode()
    return client.post(
        f"/webhooks/front/{integration.webhook_token}", data=body, headers=signed_headers(body, **options)
    )


# -- the token ------------------------------------------------------------------------------


def test_without_front_connected_both_checks_say_not_set_up(organization):  # noqa: F811
    for key in CHECKS:
        finding = _check(organization.id, key)
        assert finding.status == CheckStatus.NOT_SET_UP
        assert finding.link.endpoint == "front.settings"


def test_a_revoked_token_fails_with_how_to_replace_it_and_a_good_token_passes(integration, fake_front):  # noqa: F811
    fake_front.token = "a-token-made-after-the-old-one-was-revoked"
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.FAILING
    assert "rejects the saved API token (401)" in finding.found
    assert "Replace token" in finding.fix and "Shared resources and Private resources" in finding.fix
    assert finding.link.endpoint == "front.settings"

    integration.set_credential(front.API_TOKEN, fake_front.token)
    db.session.commit()
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.OK
    assert "Front accepts the token of Acme Inc" in finding.found


def test_a_plan_without_api_access_is_told_apart_from_a_missing_permission(integration, fake_front):  # noqa: F811
    fake_front.forbidden["/me"] = "Your plan does not include API access. Upgrade to use the API."
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.FAILING
    assert "plan does not include the API" in finding.found and "Billing" in finding.fix

    del fake_front.forbidden["/me"]
    fake_front.forbidden["/conversations"] = "Missing required scope: shared resources (read)"
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.FAILING
    assert "not allowed to read conversations" in finding.found
    assert "Shared resources and Private resources (read and write)" in finding.fix
    assert "plan" not in finding.found

    del fake_front.forbidden["/conversations"]
    assert _check(integration.organization_id, "front_token").status == CheckStatus.OK


def test_fronts_error_text_is_clipped_and_stripped_of_control_characters(integration, fake_front):  # noqa: F811
    fake_front.forbidden["/me"] = "\x1b[31m<b>scope</b> missing\x00" + "x" * 5000
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.FAILING
    (said,) = finding.details
    assert "\x1b" not in said and "\x00" not in said and len(said) < 400


def test_front_down_is_a_warning_not_a_failure(integration, fake_front):  # noqa: F811
    fake_front.fail("GET", "^/me$", 503, times=2)  # the first try and its one retry
    finding = _check(integration.organization_id, "front_token")
    assert finding.status == CheckStatus.WARNING and "could not be asked" in finding.found
    assert _check(integration.organization_id, "front_token").status == CheckStatus.OK


# -- the webhook: refusals ------------------------------------------------------------------


def test_a_wrong_app_secret_fails_naming_the_secret_and_saving_the_right_one_fixes_it(
    client,
    integration,  # noqa: F811
    fake_front,  # noqa: F811
):
    integration.set_credential(front.APP_SECRET, "a-secret-from-another-app")
    db.session.commit()
    fake_front.add_conversation("cnv_1", assignee="tea_ai")
    event = fake_front.event(fake_front.add_message("cnv_1", "Where is my order?"))
    assert _deliver(client, integration, event).status_code == 401  # Front signs with its app's secret
    assert _deliver(client, integration, event).status_code == 401  # and delivers again

    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING
    assert "the app secret saved here is wrong" in finding.found
    assert "2 requests refused in the last 24 hours, the last at " in finding.found
    assert "Copy the app secret from Front" in finding.fix
    assert (finding.link.endpoint, finding.link.anchor) == ("front.settings", "app-secret")
    assert any("Last refusal" in line and "signature did not match" in line for line in finding.details)

    front.save_app_secret(integration.organization_id, APP_SECRET)
    assert _deliver(client, integration, event).status_code == 200  # Front's next redelivery
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.OK
    assert "Front's events arrive: the last, a customer message (inbound)" in finding.found


def test_no_app_secret_saved_fails_until_one_is(integration, fake_front):  # noqa: F811
    integration.credentials = {"api_token": fake_front.token}
    db.session.commit()
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING and "No app secret is saved" in finding.found
    assert finding.link.anchor == "app-secret"

    front.save_app_secret(integration.organization_id, APP_SECRET)
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_stale_timestamps_fail_naming_the_servers_clock(client, integration, fake_front):  # noqa: F811
    fake_front.add_conversation("cnv_1", assignee="tea_ai")
    event = fake_front.event(fake_front.add_message("cnv_1", "Hi"))
    assert _deliver(client, integration, event, timestamp=time.time() - 20 * 60).status_code == 401
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING
    assert "refused as stale" in finding.found and "clock" in finding.fix

    assert _deliver(client, integration, event).status_code == 200  # the clock set right
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


# -- the webhook: events that never came -----------------------------------------------------


def test_nothing_received_since_connecting_while_customers_wrote_in_front_fails_with_the_url(
    client,
    integration,  # noqa: F811
    fake_front,  # noqa: F811
):
    _connected_ago(integration, 3)
    message = _customer_wrote(fake_front, "cnv_1", timedelta(hours=1))
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING
    assert "No webhook event has reached Switchboard since Front was connected" in finding.found
    assert "Front has 1 conversation where a customer wrote since " in finding.found
    assert f"exactly {front.webhook_url(integration)} " in finding.fix
    assert "inbound_received, outbound_sent, assignee_changed, conversation_archived" in finding.fix
    assert (finding.link.endpoint, finding.link.anchor) == ("front.settings", "webhook")
    assert any(line.startswith("Front: a customer wrote in cnv_1 at ") for line in finding.details)

    assert _deliver(client, integration, fake_front.event(message)).status_code == 200  # the webhook added
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_nothing_received_and_nothing_written_in_front_is_fine(integration, fake_front):  # noqa: F811
    _connected_ago(integration, 3)
    _customer_wrote(fake_front, "cnv_old", timedelta(hours=5))  # before Switchboard was connected
    _customer_wrote(fake_front, "cnv_new", timedelta(minutes=2))  # its webhook may still be on the way
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.OK and "none is missing" in finding.found


def test_events_that_stopped_for_hours_while_customers_kept_writing_fail(client, integration, fake_front):  # noqa: F811
    _connected_ago(integration, 24 * 10)
    _journalled(integration.organization_id, "inbound", timedelta(hours=8))
    message = _customer_wrote(fake_front, "cnv_1", timedelta(hours=1))
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING
    assert "No webhook event has reached Switchboard for 8 hours" in finding.found
    assert front.webhook_url(integration) in finding.fix

    assert _deliver(client, integration, fake_front.event(message)).status_code == 200
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_a_quiet_inbox_is_not_a_broken_webhook(integration, fake_front):  # noqa: F811
    _connected_ago(integration, 24 * 10)
    _journalled(integration.organization_id, "inbound", timedelta(hours=8))
    _customer_wrote(fake_front, "cnv_1", timedelta(hours=9))  # already delivered, before the last event
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_other_events_but_never_an_inbound_one_fails_naming_inbound_received(
    client,
    integration,  # noqa: F811
    fake_front,  # noqa: F811
):
    _connected_ago(integration, 3)
    _journalled(integration.organization_id, "outbound", timedelta(hours=2))
    _journalled(integration.organization_id, "assign", timedelta(hours=1))
    message = _customer_wrote(fake_front, "cnv_1", timedelta(minutes=30))
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.FAILING
    assert "never a customer message" in finding.found
    assert finding.fix.startswith("In Front → Settings → Developers → your app → Webhooks, tick inbound_received.")

    assert _deliver(client, integration, fake_front.event(message)).status_code == 200  # ticked
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_a_customer_message_already_answered_in_front_is_found_in_its_messages(
    integration,  # noqa: F811
    fake_front,  # noqa: F811
):
    """A teammate answered in Front, so the conversation waits on nobody: the check reads the
    messages of the most recent conversation, sharing one conversation list with the token check."""
    _connected_ago(integration, 3)
    _customer_wrote(fake_front, "cnv_1", timedelta(hours=1))
    clock = fake_front.clock
    fake_front.clock = lambda: time.time() - 50 * 60
    fake_front.add_message("cnv_1", "Done!", inbound=False, author="tea_bob")
    fake_front.clock = clock

    context = Context(integration.organization_id, "front")
    assert _check(integration.organization_id, "front_token", context).status == CheckStatus.OK
    finding = _check(integration.organization_id, "front_webhook", context)
    assert finding.status == CheckStatus.FAILING and "since Front was connected" in finding.found
    assert len(fake_front.calls_to("GET", "^/conversations$")) == 1
    assert len(fake_front.calls_to("GET", "^/conversations/cnv_1/messages$")) == 1
    assert fake_front.spec_problems == []


def test_front_unreachable_when_events_are_quiet_is_a_warning(integration, fake_front):  # noqa: F811
    _connected_ago(integration, 3)
    fake_front.fail("GET", "^/conversations$", 503, times=5)
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.WARNING
    assert "could not be asked whether customers wrote" in finding.found


def test_a_kind_of_event_never_seen_while_others_were_warns_naming_the_event_to_tick(integration, fake_front):  # noqa: F811
    _connected_ago(integration, 24 * 10)
    for hours in range(9, 0, -1):
        for event_type in ("inbound", "outbound", "assign" if hours % 2 else "unassign"):
            _journalled(integration.organization_id, event_type, timedelta(hours=hours))
    finding = _check(integration.organization_id, "front_webhook")
    assert finding.status == CheckStatus.WARNING
    assert "27 events arrived but no conversation_archived event" in finding.found
    assert finding.fix == "In Front → Settings → Developers → your app → Webhooks, tick conversation_archived."
    assert finding.link.anchor == "webhook"

    _journalled(integration.organization_id, "archive", timedelta(minutes=5))
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK


def test_a_quiet_start_is_not_taken_for_missing_subscriptions(integration, fake_front):  # noqa: F811
    _connected_ago(integration, 24 * 10)
    for hours in (2, 1):  # only inbound events, but only an hour's worth
        for _ in range(10):
            _journalled(integration.organization_id, "inbound", timedelta(hours=hours))
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.OK
    _journalled(integration.organization_id, "inbound", timedelta(hours=9))  # the same, over longer
    assert _check(integration.organization_id, "front_webhook").status == CheckStatus.WARNING


# -- on the pages ---------------------------------------------------------------------------


def test_run_checks_shows_the_wrong_secret_on_troubleshooting_and_the_banner(
    client,
    auth,
    integration,  # noqa: F811
    fake_front,  # noqa: F811
):
    integration.set_credential(front.APP_SECRET, "a-secret-from-another-app")
    db.session.commit()
    fake_front.add_conversation("cnv_1", assignee="tea_ai")
    assert _deliver(client, integration, fake_front.event(fake_front.add_message("cnv_1", "Hi"))).status_code == 401

    diagnostics.run_checks(integration.organization_id, "front")
    rows = {
        row.check_key: row
        for row in db.session.scalars(
            select(DiagnosticResult).where(DiagnosticResult.organization_id == integration.organization_id)
        )
    }
    assert rows["front_token"].status == CheckStatus.OK
    assert rows["front_webhook"].status == CheckStatus.FAILING

    auth.login("owner@example.com")
    page = client.get("/settings/ticketing/front/troubleshooting").get_data(as_text=True)
    assert "Front&#39;s webhook events reach Switchboard" in page
    assert "the app secret saved here is wrong" in page
    assert 'href="/settings/ticketing/front#app-secret"' in page
    settings = client.get("/settings/ticketing/front").get_data(as_text=True)
    assert "setup check" in settings and 'id="app-secret"' in settings

    client.post(
        "/settings/ticketing/front/webhook-secret",
        data={"app_secret": APP_SECRET, "csrf_token": csrf_token(client, "/settings/ticketing/front")},
    )
    assert _deliver(client, integration, fake_front.event(fake_front.add_message("cnv_1", "Again"))).status_code == 200
    diagnostics.run_checks(integration.organization_id, "front")
    db.session.expire_all()
    assert (
        db.session.scalar(select(DiagnosticResult.status).where(DiagnosticResult.check_key == "front_webhook"))
        == CheckStatus.OK
    )
