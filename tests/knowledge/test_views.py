"""Data Sources and the Knowledge list, as an admin uses them."""

from dataclasses import replace

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
        ({}, "Enter an API key first: the Help Centers listed are those it can read."),
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


def test_a_help_center_another_source_syncs_is_refused_by_name_and_nothing_is_saved(admin, source, help_centers):
    """A second source of the same Help Center would hold and sync every article twice."""
    fields = {"api_token": help_centers.token, "start_date": "2000-01-01", "schedule": "manual"}
    response = _post(admin, "/data-sources/front", name="Again", knowledge_bases=["knb_pub"], **fields)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Acme Help Center is synced by “Front Help Center” already: edit that source" in page
    assert _count(KnowledgeSource) == 1

    other = _post(admin, "/data-sources/front", name="Playbook", knowledge_bases=["knb_int"], **fields)
    assert other.status_code == 400  # the first source syncs the internal one too
    source.options = replace(source.options, selected=("knb_pub",))
    db.session.commit()
    added = _post(admin, "/data-sources/front", name="Playbook", knowledge_bases=["knb_int"], **fields)
    assert added.status_code == 302
    playbook = db.session.scalar(select(KnowledgeSource).where(KnowledgeSource.name == "Playbook"))

    edit = f"/data-sources/{playbook.id}/edit"
    response = _post(admin, edit, page=edit, name="Playbook", knowledge_bases=["knb_int", "knb_pub"], **fields)
    assert response.status_code == 400 and "Acme Help Center is synced by" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(KnowledgeSource, playbook.id).selected_ids == ["knb_int"]
    # Saving a source with its own Help Centers is not a clash with itself.
    assert _post(admin, edit, page=edit, name="Playbook v2", knowledge_bases=["knb_int"], **fields).status_code == 302


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
    assert response.status_code == 400 and "was not added" in response.get_data(as_text=True)


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


# -- refused forms, hand-added articles, replacing a source's key ------------------------------


def _summary(page: str) -> str:
    return page.split("data-error-summary>", 1)[1].split("</div>", 1)[0]


def _article(**fields) -> KnowledgeArticle:
    from webapp.knowledge import sources

    organization_id = db.session.scalar(select(KnowledgeSource.organization_id)) or fields.pop("organization_id")
    return sources.add_manual_article(
        organization_id,
        **{
            "title": "Opening hours",
            "body": "We are open from nine to five.",
            "url": None,
            "locale": "en",
            "internal": False,
            **fields,
        },
    )


def _search(organization_id: int, query: str) -> list[str]:
    from webapp.knowledge import search

    return [hit.title for hit in search.search(organization_id, query)]


def test_an_article_refused_keeps_what_was_typed_and_says_why_at_the_top_of_its_form(admin, organization):
    body = "A long text typed today.\nSecond line, **bold**."
    response = _post(admin, "/knowledge", page="/knowledge", title="", body=body, url="not a link", locale="fr")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = _summary(page)
    assert "The article was not added" in summary
    assert '<a href="#title">Title</a>: This field is required.' in summary and '<a href="#url">' in summary
    assert page.index("data-error-summary") < page.index('name="body"')
    assert "A long text typed today.\nSecond line, **bold**." in page and 'value="not a link"' in page
    assert 'value="fr"' in page
    assert _count(KnowledgeArticle) == 0


def test_a_hand_added_article_can_be_edited_and_the_search_follows(admin, organization):
    article = _post(
        admin, "/knowledge", page="/knowledge", title="Opening hours", body="Open from nine to five.", locale="en"
    )
    assert article.status_code == 302
    article = db.session.scalar(select(KnowledgeArticle))
    assert _search(organization.id, "nine") == ["Opening hours"]
    page = admin.get("/knowledge").get_data(as_text=True)
    assert f'href="/knowledge/{article.id}/edit"' in page and f'action="/knowledge/{article.id}/delete"' in page

    form = admin.get(f"/knowledge/{article.id}/edit").get_data(as_text=True)
    assert "Open from nine to five." in form and 'value="Opening hours"' in form
    response = _post(
        admin,
        f"/knowledge/{article.id}/edit",
        page=f"/knowledge/{article.id}/edit",
        title="Holiday hours",
        body="Closed on public holidays.",
        url="https://help.acme.test/holidays",
        locale="en",
        internal="y",
    )
    assert response.status_code == 302
    db.session.expire_all()
    article = db.session.get(KnowledgeArticle, article.id)
    assert (article.title, article.body, article.url) == (
        "Holiday hours",
        "Closed on public holidays.",
        "https://help.acme.test/holidays",
    )
    assert article.visibility.value == "internal"
    assert _search(organization.id, "nine") == [] and _search(organization.id, "holidays") == ["Holiday hours"]
    assert "Saved “Holiday hours”." in admin.get("/knowledge").get_data(as_text=True)


def test_a_refused_edit_keeps_what_was_typed_and_changes_nothing(admin, organization):
    article = _article(organization_id=organization.id)
    response = _post(
        admin,
        f"/knowledge/{article.id}/edit",
        page=f"/knowledge/{article.id}/edit",
        title="New title",
        body=" ",
        locale="en",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and '<a href="#body">' in _summary(page) and 'value="New title"' in page
    db.session.expire_all()
    assert db.session.get(KnowledgeArticle, article.id).title == "Opening hours"


def test_a_hand_added_article_can_be_deleted_and_leaves_the_search(admin, organization):
    article = _article(organization_id=organization.id)
    assert _search(organization.id, "nine") == ["Opening hours"]
    page = admin.get("/knowledge").get_data(as_text=True)
    assert 'data-confirm="Delete “Opening hours”?' in page
    response = _post(admin, f"/knowledge/{article.id}/delete", page="/knowledge")
    assert response.status_code == 302
    assert _count(KnowledgeArticle) == 0 and _search(organization.id, "nine") == []
    assert "Deleted “Opening hours”." in admin.get("/knowledge").get_data(as_text=True)
    if db.session.get_bind().dialect.name == "sqlite":  # nothing is left in the full-text table
        assert db.session.execute(text("SELECT count(*) FROM knowledge_articles_fts")).scalar_one() == 0


def test_deleting_needs_the_csrf_token(admin, organization):
    article = _article(organization_id=organization.id)
    assert admin.post(f"/knowledge/{article.id}/delete").status_code == 400
    assert _count(KnowledgeArticle) == 1


def test_a_synced_article_can_be_hidden_but_not_edited_or_deleted_here(admin, source, help_centers):
    sync.run(source.id)
    synced = db.session.scalar(select(KnowledgeArticle).where(KnowledgeArticle.external_id == "kba_refund"))
    page = admin.get("/knowledge").get_data(as_text=True)
    assert f"/knowledge/{synced.id}/edit" not in page and f"/knowledge/{synced.id}/delete" not in page
    for path in (f"/knowledge/{synced.id}/delete", f"/knowledge/{synced.id}/edit"):
        response = _post(admin, path, page="/knowledge", title="Mine now", body="Changed.", locale="en")
        assert response.status_code == 302
        assert "comes from Front Help Center: change or delete it there" in admin.get("/knowledge").get_data(
            as_text=True
        )
    db.session.expire_all()
    assert db.session.get(KnowledgeArticle, synced.id).title == "Refund policy"


def test_a_member_cannot_edit_or_delete_an_article(client, auth, world, organization):
    from webapp.models import Role

    article = _article(organization_id=organization.id)
    world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    page = client.get("/knowledge").get_data(as_text=True)
    assert "Opening hours" in page and f"/knowledge/{article.id}/edit" not in page
    assert client.get(f"/knowledge/{article.id}/edit").status_code == 403
    assert _post(client, f"/knowledge/{article.id}/delete", page="/knowledge").status_code == 403
    assert _post(client, f"/knowledge/{article.id}/edit", page="/knowledge", title="x", body="y").status_code == 403
    assert _count(KnowledgeArticle) == 1


def test_another_organizations_article_is_out_of_reach(admin, world):
    theirs = _article(organization_id=world.organization("Other").id)
    assert admin.get(f"/knowledge/{theirs.id}/edit").status_code == 404
    assert _post(admin, f"/knowledge/{theirs.id}/delete", page="/knowledge").status_code == 404
    assert _count(KnowledgeArticle) == 1


def test_load_help_centers_without_a_key_says_a_key_is_needed(admin, help_centers):
    response = admin.post(
        "/data-sources/front/help-centers",
        data={"api_token": "  "},
        headers={"X-CSRFToken": csrf_token(admin, "/data-sources")},
    )
    assert response.status_code == 400
    assert response.json["error"] == "Enter an API key first: the Help Centers listed are those it can read."
    page = admin.get("/data-sources").get_data(as_text=True)
    assert 'data-key-needed="Enter an API key first: the Help Centers listed are those it can read."' in page


def test_with_ticketing_connected_the_key_needed_message_offers_reuse(admin, help_centers, integration):
    response = admin.post(
        "/data-sources/front/help-centers", data={}, headers={"X-CSRFToken": csrf_token(admin, "/data-sources")}
    )
    assert response.json["error"].startswith("Enter an API key first, or reuse the Front ticketing token")


def test_a_refused_source_is_summed_up_and_keeps_the_typed_key_and_help_centers(admin, help_centers):
    response = _post(
        admin,
        "/data-sources/front",
        name="Help",
        api_token=help_centers.token,
        knowledge_bases=[],
        start_date="2025-01-01",
        schedule="daily",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choose at least one Help Center." in _summary(page)
    assert f'type="password" value="{help_centers.token}"' in page  # typed, not saved: no need to type it again
    assert "Acme Help Center · external · en, fr" in page


def _edit(client, source, **data):
    form = {
        "name": "Help",
        "knowledge_bases": ["knb_pub", "knb_int"],
        "start_date": "2000-01-01",
        "schedule": "daily",
        "allow_internal": "y",
    }
    form.update(data)
    return _post(client, f"/data-sources/{source.id}/edit", page=f"/data-sources/{source.id}/edit", **form)


def test_the_edit_page_offers_a_new_key_and_shows_the_saved_one_by_its_end(admin, source, help_centers):
    page = admin.get(f"/data-sources/{source.id}/edit").get_data(as_text=True)
    assert f"API key: saved, ends in …{help_centers.token[-4:]}" in page and help_centers.token not in page
    assert '<label for="api_token">New API key</label>' in page and "Leave empty to keep the saved key." in page


def test_a_blank_key_keeps_the_saved_one(admin, source, help_centers):
    assert _edit(admin, source, api_token="").status_code == 302
    db.session.expire_all()
    assert db.session.get(KnowledgeSource, source.id).credential("api_token") == help_centers.token


def test_a_new_key_is_checked_with_front_and_replaces_the_old_one(admin, source, help_centers):
    new_key = help_centers.token + "-rotated"
    help_centers.token = new_key  # Front now accepts only the new key
    response = _edit(admin, source, api_token=f"  {new_key} ")
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(KnowledgeSource, source.id)
    assert saved.credential("api_token") == new_key and not saved.use_ticketing_token
    raw = db.session.execute(text("SELECT credentials FROM knowledge_sources")).scalar_one()
    assert new_key not in raw
    page = admin.get("/data-sources").get_data(as_text=True)
    assert "It now reads Front with the new API key." in page
    assert f"ends in …{new_key[-4:]}" in admin.get(f"/data-sources/{source.id}/edit").get_data(as_text=True)
    sync.run(source.id)
    assert db.session.get(KnowledgeSource, source.id).status == SyncStatus.OK


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("wrong-key", "Failed to load Help Centers: Front rejected the API key."),
        ("clé-accentuée", "This is not an API token"),
    ],
)
def test_a_new_key_front_refuses_keeps_the_old_one_and_says_why(admin, source, help_centers, key, message):
    response = _edit(admin, source, api_token=key, name="Renamed")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in _summary(page) and '<a href="#api_token">New API key</a>' in _summary(page)
    assert f'value="{key}"' in page  # what was typed stays
    db.session.expire_all()
    saved = db.session.get(KnowledgeSource, source.id)
    assert saved.credential("api_token") == help_centers.token and saved.name == "Front Help Center"


def test_a_new_key_must_read_the_help_centers_chosen(admin, source, help_centers):
    del help_centers.knowledge_bases["knb_int"]
    response = _edit(admin, source, api_token=help_centers.token)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "This key cannot read Support Playbook: enter a key that can, or deselect it." in _summary(page)
    assert _edit(admin, source, api_token=help_centers.token, knowledge_bases=["knb_pub"]).status_code == 302
    db.session.expire_all()
    assert [kb["id"] for kb in db.session.get(KnowledgeSource, source.id).knowledge_bases] == ["knb_pub"]


def test_a_source_on_the_ticketing_token_can_be_given_a_key_of_its_own(admin, source, help_centers, integration):
    source.use_ticketing_token, source.credentials = True, None
    db.session.commit()
    page = admin.get(f"/data-sources/{source.id}/edit").get_data(as_text=True)
    assert "API key: the Front ticketing token" in page and "keep using the Front ticketing token" in page
    assert _edit(admin, source, api_token=help_centers.token).status_code == 302
    db.session.expire_all()
    saved = db.session.get(KnowledgeSource, source.id)
    assert not saved.use_ticketing_token and saved.credential("api_token") == help_centers.token
