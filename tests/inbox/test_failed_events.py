"""Failed events: what failed for good is visible to admins, with its error, and can be retried."""

from sqlalchemy import select

from tests.conftest import csrf_token, run_worker
from webapp import journal, redis_server, registry
from webapp.db import db
from webapp.models import JournalEntry, JournalStatus, Role

PAGE = "/inbox/failed"
HOSTILE = 'FrontError: <img src=x onerror="alert(1)"> answered 503'


def _failed(organization, external_id="evt_1", error=HOSTILE) -> JournalEntry:
    entry = JournalEntry(
        organization_id=organization.id,
        source="counted",
        external_id=external_id,
        event_type="inbound",
        payload="{}",
        status=JournalStatus.FAILED,
        attempts=journal.MAX_ATTEMPTS,
        last_error=error,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def _handled(key: str) -> int:
    return int(redis_server.connection().get(key) or 0)


def test_admins_see_failed_events_with_their_error_escaped_and_the_inbox_says_how_many(client, logged_in_owner, world):
    _failed(logged_in_owner.organization)
    _failed(world.organization("Other"), "evt_theirs", "Their error")
    page = client.get(PAGE).get_data(as_text=True)
    assert "evt_1" in page and "&lt;img src=x" in page and "<img src=x" not in page
    assert "evt_theirs" not in page and "Their error" not in page
    inbox = client.get("/inbox").get_data(as_text=True)
    assert "1 failed event: see why" in inbox


def test_a_retried_event_is_processed_once_and_leaves_the_list(app, client, logged_in_owner):
    from webapp.journal import JournalSource

    registry.current().add_journal_source(
        JournalSource("counted", lambda entry: redis_server.connection().incr(f"handled:{entry.external_id}"))
    )
    entry = _failed(logged_in_owner.organization)
    response = client.post(f"{PAGE}/{entry.id}/retry", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302
    assert run_worker() == []
    db.session.expire_all()
    row = db.session.get(JournalEntry, entry.id)
    assert row.status == JournalStatus.DONE and row.attempts == 1
    assert _handled("handled:evt_1") == 1
    # Asking again does nothing: it is no longer failed.
    client.post(f"{PAGE}/{entry.id}/retry", data={"csrf_token": csrf_token(client, PAGE)})
    run_worker()
    assert _handled("handled:evt_1") == 1
    assert "No failed events" in client.get(PAGE).get_data(as_text=True)


def test_retry_all_queues_every_failed_event_of_this_organization_only(client, logged_in_owner, world):
    mine = [_failed(logged_in_owner.organization, f"evt_{n}") for n in range(3)]
    theirs = _failed(world.organization("Other"), "evt_theirs")
    client.post(f"{PAGE}/retry", data={"csrf_token": csrf_token(client, PAGE)})
    statuses = dict(db.session.execute(select(JournalEntry.id, JournalEntry.status)).all())
    assert all(statuses[entry.id] == JournalStatus.PENDING for entry in mine)
    assert statuses[theirs.id] == JournalStatus.FAILED


def test_members_do_not_see_failed_events(client, auth, world, owner):
    _failed(owner.organization)
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    assert client.get(PAGE).status_code == 403
    assert "failed event" not in client.get("/inbox").get_data(as_text=True)
