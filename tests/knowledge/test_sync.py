"""Syncing Front Help Centers against the fake Front: first sync, incremental, deletions,
deselection, visibility, resume after a crash, the shared budget."""

import pytest
from sqlalchemy import select

from webapp.db import db
from webapp.front.errors import FrontUnavailable
from webapp.knowledge import sources, sync
from webapp.models import KnowledgeArticle, KnowledgeSource, SyncStatus, Visibility
from webapp.ratelimit import Priority


def _articles(source_id=None) -> dict:
    db.session.expire_all()
    query = select(KnowledgeArticle)
    if source_id:
        query = query.where(KnowledgeArticle.source_id == source_id)
    return {(a.external_id, a.locale): a for a in db.session.scalars(query)}


def _content_calls(fake):
    return [c.path for c in fake.calls if c.path.startswith("/knowledge_base_articles/")]


def test_the_first_sync_imports_every_article_and_locale_as_clean_text(source, help_centers):
    report = sync.run(source.id)
    articles = _articles()
    assert set(articles) == {
        ("kba_ship", "en"),
        ("kba_ship", "fr"),
        ("kba_refund", "en"),
        ("kba_draft", "en"),
        ("kba_escalate", "en"),
    }
    shipping = articles[("kba_ship", "en")]
    assert shipping.title == "Shipping times"
    assert shipping.body == "Shipping times\n\nOrders ship within 2 business days. Tracking numbers arrive by email."
    assert shipping.url == "https://help.acme.test/en/articles/kba_ship"
    assert articles[("kba_ship", "fr")].title == "Délais de livraison"
    assert report.fetched == 5 and report.unchanged == 0
    db.session.refresh(source)
    assert (
        source.status == SyncStatus.OK and source.last_synced_at and source.progress_done == source.progress_total == 5
    )
    assert help_centers.spec_problems == []


def test_visibility_rules(source, help_centers):
    sync.run(source.id)
    articles = _articles()
    assert articles[("kba_ship", "en")].visibility == Visibility.PUBLIC
    assert articles[("kba_draft", "en")].visibility == Visibility.INTERNAL  # a draft in an external Help Center
    assert articles[("kba_escalate", "en")].visibility == Visibility.INTERNAL  # an internal Help Center


def test_an_incremental_sync_fetches_only_what_changed(source, help_centers):
    sync.run(source.id)
    help_centers.calls.clear()
    help_centers.edit_article("kba_refund", "<p>Refunds are now issued within 7 days.</p>")

    report = sync.run(source.id)

    assert report.fetched == 1 and report.unchanged == 4
    assert _content_calls(help_centers) == ["/knowledge_base_articles/kba_refund/locales/en/content"]
    assert _articles()[("kba_refund", "en")].body == "Refunds are now issued within 7 days."
    db.session.refresh(source)
    assert source.last_api_calls == report.api_calls


def test_articles_gone_upstream_are_removed(source, help_centers):
    sync.run(source.id)
    del help_centers.kb_articles["kba_refund"]
    report = sync.run(source.id)
    assert report.removed == 1 and ("kba_refund", "en") not in _articles()


def test_a_deselected_help_center_stops_syncing_and_loses_its_articles(source, help_centers):
    sync.run(source.id)
    source.settings = {**source.settings, "selected": ["knb_pub"]}
    assert sources.remove_deselected(source) == 1  # what saving the edit page does at once
    db.session.commit()
    help_centers.calls.clear()
    sync.run(source.id)
    assert ("kba_escalate", "en") not in _articles()
    assert not [c for c in help_centers.calls if "knb_int" in c.path]


def test_articles_older_than_the_start_date_are_not_imported(source, help_centers):
    help_centers.kb_articles["kba_refund"]["updated_at"] = 946_000_000  # 1999
    sync.run(source.id)
    assert ("kba_refund", "en") not in _articles()


def test_a_crashed_sync_resumes_without_refetching_what_it_stored(source, help_centers):
    help_centers.fail("GET", "/knowledge_base_articles/kba_draft/", 500, times=100)
    with pytest.raises(FrontUnavailable):
        sync.run(source.id)
    db.session.refresh(source)
    assert source.status == SyncStatus.FAILED and "500" in source.last_error
    stored_before = set(_articles())
    assert stored_before and ("kba_draft", "en") not in stored_before

    help_centers.failures.clear()
    help_centers.calls.clear()
    report = sync.run(source.id)
    fetched = _content_calls(help_centers)
    assert all(f"/{ext}/locales/{loc}/" not in path for ext, loc in stored_before for path in fetched)
    assert report.fetched == 5 - len(stored_before)
    assert len(_articles()) == 5


def test_running_it_again_is_harmless(source, help_centers):
    sync.run(source.id)
    before = {k: (a.id, a.body) for k, a in _articles().items()}
    report = sync.run(source.id)
    assert report.fetched == 0 and {k: (a.id, a.body) for k, a in _articles().items()} == before


def test_one_sync_per_source_at_a_time(app, source, help_centers):
    from webapp import redis_server

    lock = redis_server.connection().lock(f"switchboard:knowledge:sync:{source.id}", timeout=60)
    assert lock.acquire()
    try:
        assert sync.run(source.id) is None
        assert help_centers.calls == []
    finally:
        lock.release()


def test_a_revoked_key_fails_the_source_with_a_message_and_no_retry(source, help_centers):
    source.credentials = {"api_token": "revoked"}
    db.session.commit()
    sync.run(source.id)  # does not raise: retrying would not help
    db.session.refresh(source)
    assert source.status == SyncStatus.FAILED and "rejected the token" in source.last_error


def test_the_sync_draws_on_the_organizations_budget_at_background_priority(source, help_centers, integration):
    client = sources.client_for(source.organization_id, help_centers.token)
    assert client.priority == Priority.BACKGROUND
    replies = sources.front.client_for(integration)
    assert client.limiter.key == replies.limiter.key  # one bucket for the organization
    assert replies.priority == Priority.CUSTOMER


def test_the_sync_job_runs_in_a_real_worker(source, help_centers):
    from tests.conftest import run_worker

    assert sources.request_sync(source)
    assert db.session.get(KnowledgeSource, source.id).status == SyncStatus.QUEUED
    run_worker()
    db.session.expire_all()
    assert db.session.get(KnowledgeSource, source.id).status == SyncStatus.OK
    assert len(_articles()) == 5


def test_scheduled_sources_are_queued_when_due(source, help_centers):
    from datetime import timedelta

    from jobs.knowledge import dispatch_due_syncs
    from webapp.models import SyncSchedule, utcnow

    source.last_started_at = utcnow() - timedelta(hours=25)
    source.status = SyncStatus.OK
    db.session.commit()
    assert dispatch_due_syncs() == [source.id]  # the periodic job asks the domain
    assert sources.request_due_syncs() == []  # queued already
    source.status, source.last_started_at = SyncStatus.OK, utcnow()
    db.session.commit()
    assert sources.request_due_syncs() == []  # not due yet
    source.schedule = SyncSchedule.MANUAL
    source.last_started_at = utcnow() - timedelta(days=3)
    db.session.commit()
    assert sources.request_due_syncs() == []


@pytest.mark.parametrize(
    ("schedule", "status", "started_hours_ago", "due"),
    [
        ("daily", "ok", None, True),  # never synced
        ("daily", "ok", 25, True),
        ("daily", "ok", 23, False),
        ("hourly", "failed", 2, True),
        ("hourly", "ok", 0.5, False),
        ("manual", "ok", 1000, False),
        ("hourly", "syncing", 2, False),  # still running
        ("hourly", "syncing", 4, True),  # outlived the job's time limit: its worker died
        ("daily", "syncing", 4, False),  # dead too, but a day has not passed
    ],
)
def test_which_sources_are_due(source, schedule, status, started_hours_ago, due):
    from datetime import timedelta

    from webapp.models import SyncSchedule, utcnow

    now = utcnow()
    source.schedule = SyncSchedule(schedule)
    source.status = SyncStatus(status)
    source.last_started_at = None if started_hours_ago is None else now - timedelta(hours=started_hours_ago)
    assert sources.is_due(source, now) is due


def test_429s_during_a_sync_are_waited_out_and_the_sync_completes(source, help_centers):
    help_centers.fail("GET", "/knowledge_bases/knb_pub/articles", 429, times=1, headers={"Retry-After": "1"})
    help_centers.fail("GET", "/knowledge_base_articles/kba_refund/", 429, times=2, headers={"Retry-After": "1"})
    report = sync.run(source.id)
    assert report.fetched == 5 and len(_articles()) == 5
    db.session.refresh(source)
    assert source.status == SyncStatus.OK


def test_listing_follows_pagination(source, help_centers):
    for n in range(7):
        help_centers.add_article("knb_pub", f"kba_extra{n}", f"Extra {n}", "<p>More.</p>")
    help_centers.page_size = 3
    sync.run(source.id)
    assert len(_articles()) == 12
