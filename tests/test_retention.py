"""Retention: what customers sent is kept only as long as each organization says."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.conftest import csrf_token, run_worker
from webapp import retention
from webapp.db import db
from webapp.models import (
    EventKind,
    JournalEntry,
    JournalStatus,
    MessageFingerprint,
    Organization,
    Role,
    SessionEvent,
    SupportSession,
    utcnow,
)

NOW = utcnow()


def _entry(organization, external_id, *, status=JournalStatus.DONE, age=timedelta(0), processed_age=None) -> int:
    entry = JournalEntry(
        organization_id=organization.id,
        source="front",
        external_id=external_id,
        payload='{"text": "my card number is 4111"}',
        status=status,
        received_at=NOW - age,
        processed_at=None if processed_age is None else NOW - processed_age,
    )
    db.session.add(entry)
    db.session.commit()
    return entry.id


def _reload(model, row_id):
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_raw_bodies_go_a_grace_period_after_processing_and_their_ids_after_a_month(world):
    organization = world.organization()
    fresh = _entry(organization, "evt_fresh", processed_age=timedelta(days=1))
    old = _entry(organization, "evt_old", age=timedelta(days=9), processed_age=timedelta(days=8))
    pending = _entry(organization, "evt_pending", status=JournalStatus.PENDING, age=timedelta(days=40))
    ancient = _entry(organization, "evt_ancient", age=timedelta(days=31), processed_age=timedelta(days=31))

    report = retention.prune(NOW)

    assert _reload(JournalEntry, fresh).payload != ""
    assert _reload(JournalEntry, old).payload == ""  # emptied, but its id still dedups a redelivery
    assert _reload(JournalEntry, pending).payload != ""  # not processed yet: never touched
    assert _reload(JournalEntry, ancient) is None
    assert report.bodies_emptied == 2 and report.journal_rows_deleted == 1


def test_a_redelivery_of_an_event_whose_body_was_pruned_is_still_a_duplicate(world):
    from webapp import journal

    organization = world.organization()
    _entry(organization, "evt_1", age=timedelta(days=9), processed_age=timedelta(days=8))
    retention.prune(NOW)
    assert journal.record_delivery(organization.id, "front", "evt_1", "inbound", "{}") == (None, False)


def test_sessions_go_after_the_organizations_number_of_days_with_their_timeline(world):
    short, forever = world.organization("Short"), world.organization("Forever")
    retention.save(short, retention.RetentionSettings(session_days=30))
    retention.save(forever, retention.RetentionSettings(session_days=0))
    stale = world.session(short)
    stale.record(EventKind.CUSTOMER_MESSAGE, text="my address is 1 Main St")
    stale.last_activity_at = NOW - timedelta(days=31)
    recent = world.session(short)
    kept = world.session(forever)
    kept.last_activity_at = NOW - timedelta(days=3000)
    db.session.commit()
    stale, recent, kept = stale.id, recent.id, kept.id
    failed = _entry(short, "evt_failed", status=JournalStatus.FAILED, age=timedelta(days=31))

    assert retention.prune(NOW).sessions_deleted == 1

    assert _reload(SupportSession, stale) is None
    assert db.session.scalar(select(func.count()).select_from(SessionEvent)) == 0
    assert _reload(SupportSession, recent) is not None and _reload(SupportSession, kept) is not None
    assert _reload(JournalEntry, failed) is None


def test_fingerprints_go_after_their_dedup_window(world):
    organization = world.organization()
    for name, age in (("old", timedelta(hours=26)), ("new", timedelta(hours=2))):
        db.session.add(
            MessageFingerprint(
                organization_id=organization.id,
                conversation_id="cnv_1",
                content_hash=name,
                message_id=f"msg_{name}",
                created_at=NOW - age,
            )
        )
    db.session.commit()
    assert retention.prune(NOW).fingerprints_deleted == 1
    assert db.session.scalars(select(MessageFingerprint.content_hash)).all() == ["new"]


def test_the_defaults_are_safe():
    assert retention.RetentionSettings() == retention.RetentionSettings(webhook_body_days=7, session_days=365)


def test_the_hourly_job_prunes(app, world):
    from webapp.queue import PRUNE_EXPIRED

    organization = world.organization()
    _entry(organization, "evt_old", age=timedelta(days=9), processed_age=timedelta(days=8))
    PRUNE_EXPIRED.enqueue()
    assert run_worker() == []
    assert db.session.scalar(select(JournalEntry.payload)) == ""


def test_admins_set_retention_on_its_page_and_bad_values_are_refused(client, logged_in_owner):
    page = "/settings/retention"
    assert "Keep conversations for" in client.get(page).get_data(as_text=True)
    response = client.post(
        page, data={"session_days": "90", "webhook_body_days": "2", "csrf_token": csrf_token(client, page)}
    )
    assert response.status_code == 302
    organization = db.session.get(Organization, logged_in_owner.organization_id)
    db.session.refresh(organization)
    assert retention.settings_of(organization) == retention.RetentionSettings(session_days=90, webhook_body_days=2)
    for bad in ({"session_days": "-1"}, {"webhook_body_days": "0"}, {"session_days": "1e9"}):
        data = {"session_days": "90", "webhook_body_days": "2", **bad, "csrf_token": csrf_token(client, page)}
        assert client.post(page, data=data).status_code == 400
    db.session.refresh(organization)
    assert retention.settings_of(organization).session_days == 90


@pytest.mark.parametrize("value", [-1, 3651, True, "30"])
def test_values_no_page_could_save_are_never_written(value):
    with pytest.raises(retention.SettingsError):
        retention.RetentionSettings(session_days=value).to_json()


def test_members_read_retention_but_cannot_change_it(client, auth, world, owner):
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    page = "/settings/retention"
    assert client.get(page).status_code == 200
    data = {"session_days": "1", "webhook_body_days": "1", "csrf_token": csrf_token(client, page)}
    assert client.post(page, data=data).status_code == 403
