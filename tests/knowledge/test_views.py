"""Data Sources and the Knowledge list, as an admin uses them."""

import pytest
from sqlalchemy import func, select, text

from tests.conftest import csrf_token
from webapp.db import db
from webapp.knowledge import sync
from webapp.models import KnowledgeArticle, KnowledgeSource, SyncStatus


@pytest.fixture
def admin(client, auth, organization):
    auth.login("owner@example.com")
    return client


def _post(client, path, page="/data-sources", **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_valid_key_lists_the_help_centers_with_type_and_locale(admin, help_centers):
    response = admin.post(
        "/data-sources/front/help-centers",
        data={"api_token": help_centers.token},
        headers={"X-CSRFToken": csrf_token(admin, "/data-sources")},
    )
    assert response.status_code == 200
    assert response.json["help_centers"] == [
        {"id": "knb_pub", "name": "Acme Help Center", "type": "external", "locales": ["en", "fr"]},
        {"id": "knb_int", "name": "Support Playbook", "type": "internal", "locales": ["en"]},
    ]


def test_a_wrong_key_says_failed_to_load_help_centers(admin, help_centers):
    response = admin.post(
        "/data-sources/front/help-centers",
        data={"api_token": "nope"},
        headers={"X-CSRFToken": csrf_token(admin, "/data-sources")},
    )
    assert response.status_code == 400
    assert response.json["error"] == "Failed to load Help Centers: Front rejected the API key."


def test_a_key_without_the_knowledge_scope_says_so(admin, help_centers):
    help_centers.forbidden["/knowledge_bases"] = "Token lacks the required knowledge_bases:read scope"
    response = admin.post(
        "/data-sources/front/help-centers",
        data={"api_token": help_centers.token},
        headers={"X-CSRFToken": csrf_token(admin, "/data-sources")},
    )
    assert "cannot read knowledge bases" in response.json["error"]


def test_the_help_center_list_needs_the_csrf_header(admin, help_centers):
    assert admin.post("/data-sources/front/help-centers", data={"api_token": help_centers.token}).status_code == 400


def test_connect_saves_the_source_encrypted_and_starts_the_first_sync(admin, help_centers):
    response = _post(
        admin,
        "/data-sources/front",
        name="Help",
        api_token=help_centers.token,
        knowledge_bases=["knb_pub"],
        start_date="2025-11-21",
        schedule="hourly",
        allow_internal="y",
    )
    assert response.status_code == 302
    source = db.session.scalar(select(KnowledgeSource))
    assert source.selected_ids == ["knb_pub"] and source.status == SyncStatus.QUEUED
    assert source.settings["start_date"] == "2025-11-21" and source.schedule.value == "hourly"
    raw = db.session.execute(text("SELECT credentials FROM knowledge_sources")).scalar_one()
    assert help_centers.token not in raw
    page = admin.get("/data-sources").get_data(as_text=True)
    assert "Help" in page and "Queued" in page and help_centers.token not in page


def test_the_ticketing_token_can_be_reused(admin, help_centers, integration):
    response = _post(
        admin,
        "/data-sources/front",
        name="Help",
        use_ticketing_token="y",
        knowledge_bases=["knb_pub"],
        start_date="2025-01-01",
        schedule="daily",
    )
    assert response.status_code == 302
    source = db.session.scalar(select(KnowledgeSource))
    assert source.use_ticketing_token and source.credentials is None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"api_token": "wrong"}, "Front rejected the API key"),
        ({}, "Enter an API key, or reuse the Front ticketing token."),
        ({"knowledge_bases": []}, "Choose at least one Help Center."),
        ({"knowledge_bases": ["knb_forged"]}, "&#39;knb_forged&#39; is not a valid choice"),
        ({"start_date": "not a date"}, "Not a valid date value"),
        ({"help_center_url": "ftp://help.acme.test"}, "Enter a web address starting with https://"),
    ],
)
def test_a_bad_form_is_refused_with_a_clear_error_and_saves_nothing(admin, help_centers, data, message):
    form = {
        "name": "Help",
        "api_token": help_centers.token,
        "knowledge_bases": ["knb_pub"],
        "start_date": "2025-01-01",
        "schedule": "daily",
    }
    form.update(data)
    if "api_token" in data or data == {}:
        form["api_token"] = data.get("api_token", "")
    response = _post(admin, "/data-sources/front", **form)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert _count(KnowledgeSource) == 0


def test_editing_to_deselect_a_help_center_removes_its_articles(admin, source, help_centers):
    sync.run(source.id)
    page = admin.get(f"/data-sources/{source.id}/edit").get_data(as_text=True)
    assert 'data-article-count="1"' in page  # the warning knows how many articles go
    response = _post(
        admin,
        f"/data-sources/{source.id}/edit",
        page=f"/data-sources/{source.id}/edit",
        name="Help",
        knowledge_bases=["knb_pub"],
        start_date="2000-01-01",
        schedule="manual",
        allow_internal="y",
    )
    assert response.status_code == 302
    assert "Removed 1 articles" in admin.get("/data-sources").get_data(as_text=True)
    assert db.session.scalar(select(func.count()).where(KnowledgeArticle.knowledge_base_id == "knb_int")) == 0


def test_sync_now_status_and_delete(admin, source, help_centers):
    assert _post(admin, f"/data-sources/{source.id}/sync").status_code == 302
    assert admin.get(f"/data-sources/{source.id}/status").json["status"] == "queued"
    sync.run(source.id)
    state = admin.get(f"/data-sources/{source.id}/status").json
    assert state["status"] == "ok" and state["done"] == state["total"] == 5 and state["articles"] == 5
    _post(admin, f"/data-sources/{source.id}/delete")
    assert _count(KnowledgeSource) == 0 and _count(KnowledgeArticle) == 0


def test_other_organizations_sources_are_out_of_reach(admin, world, help_centers):
    other = KnowledgeSource(organization_id=world.organization("Other").id, kind="front", name="Theirs", settings={})
    db.session.add(other)
    db.session.commit()
    assert admin.get(f"/data-sources/{other.id}/status").status_code == 404
    assert _post(admin, f"/data-sources/{other.id}/delete").status_code == 404


def test_the_knowledge_list_search_hide_and_add(admin, source, help_centers):
    sync.run(source.id)
    page = admin.get("/knowledge").get_data(as_text=True)
    assert "Shipping times" in page and "Délais de livraison" in page and "Front Help Center" in page
    found = admin.get("/knowledge?q=refund").get_data(as_text=True)
    assert "Refund policy" in found and "Shipping times" not in found

    article = db.session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.external_id == "kba_refund"))
    _post(admin, f"/knowledge/{article.id}/hidden", page="/knowledge")
    db.session.refresh(article)
    assert article.hidden is True

    _post(admin, "/knowledge", page="/knowledge", title="Opening hours", body="We are open **9 to 5**.", locale="en")
    assert "Opening hours" in admin.get("/knowledge").get_data(as_text=True)
    response = _post(admin, "/knowledge", page="/knowledge", title="", body="")
    assert response.status_code == 302 and "was not added" in admin.get("/knowledge").get_data(as_text=True)


def test_a_member_can_look_but_not_change(client, auth, world, organization, source):
    from webapp.models import Role

    world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    assert client.get("/data-sources").status_code == 200
    assert client.get("/knowledge").status_code == 200
    assert _post(client, f"/data-sources/{source.id}/delete").status_code == 403


def test_a_source_id_past_the_database_integers_is_not_found(admin, source):
    for source_id in ("99999999999999999999", "9223372036854775808", "2147483648", "0"):
        assert admin.get(f"/data-sources/{source_id}/status").status_code == 404, source_id
        assert admin.get(f"/data-sources/{source_id}/edit").status_code == 404, source_id
    assert admin.get(f"/data-sources/{source.id}/status").status_code == 200


def test_nul_and_control_characters_in_the_search_are_not_an_error(admin, source, help_centers):
    """PostgreSQL refuses NUL in text: the search drops control characters before any query."""
    sync.run(source.id)
    for query in ("%00", "refund%00", "%00refund%01%1b%7f", "%00" * 600):
        response = admin.get(f"/knowledge?q={query}")
        assert response.status_code == 200, query
    assert "Refund policy" in admin.get("/knowledge?q=refund%00").get_data(as_text=True)
    assert "Refund policy" in admin.get("/knowledge?q=%00refund%01%1b").get_data(as_text=True)


def test_the_search_treats_like_wildcards_as_text(admin, source, help_centers):
    sync.run(source.id)
    assert "Refund policy" not in admin.get("/knowledge?q=%25").get_data(as_text=True)  # "%"
    assert "Refund policy" not in admin.get("/knowledge?q=_").get_data(as_text=True)


def test_a_knowledge_page_number_past_any_integer_is_the_last_page(admin, source, help_centers):
    sync.run(source.id)
    for page in ("99999999999999999999", "2147483648", "-5", "0", "abc"):
        response = admin.get(f"/knowledge?page={page}")
        assert response.status_code == 200, page
        assert "Refund policy" in response.get_data(as_text=True), page
        assert "Refund policy" in admin.get(f"/knowledge?q=refund&page={page}").get_data(as_text=True), page
