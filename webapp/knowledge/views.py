"""Data Sources (``/data-sources``) and the Knowledge list (``/knowledge``)."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import func, select
from wtforms.fields import SelectChoice

from webapp.crypto import secret_hint
from webapp.db import db
from webapp.forms import API_TOKEN_MESSAGE, ButtonForm, is_api_token
from webapp.front import integration as front
from webapp.knowledge import examples, search, sources
from webapp.knowledge.forms import ArticleForm, EditSourceForm, ExampleForm, FrontSourceForm
from webapp.models import (
    ArticleExample,
    KnowledgeArticle,
    KnowledgeSource,
    SettingsError,
    SourceKind,
    SourceSettings,
    SyncSchedule,
    SyncStatus,
    Visibility,
)
from webapp.routing import last_page_at_most, page_number, text_arg
from webapp.security import admin_required, owned_or_404

bp = Blueprint("knowledge", __name__)


def _center_choices(centers: list[dict]) -> list[SelectChoice]:
    return [SelectChoice(c["id"], f"{c['name']} · {c['type']} · {', '.join(c['locales'])}") for c in centers]


def _sources() -> list[KnowledgeSource]:
    return list(
        db.session.scalars(
            select(KnowledgeSource)
            .where(KnowledgeSource.organization_id == current_user.organization_id)
            .order_by(KnowledgeSource.id)
        )
    )


def _ticketing_connected() -> bool:
    return front.is_connected(front.front_integration(current_user.organization_id))


def _key_needed() -> str:
    """Said (by the page's script, and by the server) when Help Centers are asked for with no key."""
    reuse = ", or reuse the Front ticketing token" if _ticketing_connected() else ""
    return f"Enter an API key first{reuse}: the Help Centers listed are those it can read."


def _render_sources(form: FrontSourceForm | None = None, centers: list[dict] | None = None, status: int = 200):
    if form is None:
        form = FrontSourceForm(formdata=None, data={"start_date": sources.default_start_date(), "allow_internal": True})
    form.knowledge_bases.choices = _center_choices(centers or [])
    rows = [(s, sources.article_count(s.id)) for s in _sources()]
    return (
        render_template(
            "knowledge/data_sources.html",
            rows=rows,
            form=form,
            ticketing_connected=_ticketing_connected(),
            key_needed=_key_needed(),
            action_form=ButtonForm(),
        ),
        status,
    )


@bp.get("/data-sources")
def data_sources():
    return _render_sources()


def _token_from(form) -> str:
    """The key to list Help Centers with; read before the form is validated, so checked here."""
    if form.use_ticketing_token.data:
        return sources.ticketing_token(current_user.organization_id)
    token = (form.api_token.data or "").strip()
    if not token:
        raise sources.SourceError(_key_needed())
    if not is_api_token(token):
        raise sources.SourceError(API_TOKEN_MESSAGE)
    return token


@bp.post("/data-sources/front/help-centers")
@admin_required
def load_help_centers():
    """The Help Centers a key can read, for the Add source form (called as the key is entered)."""
    form = FrontSourceForm()  # CSRFProtect has checked the X-CSRFToken header already
    try:
        centers = sources.list_help_centers(sources.client_for(current_user.organization_id, _token_from(form)))
    except sources.SourceError as exc:
        return jsonify({"error": str(exc)}), 400
    return jsonify({"help_centers": centers})


@bp.post("/data-sources/front")
@admin_required
def add_front_source():
    form = FrontSourceForm()
    centers: list[dict] = []
    try:
        token = _token_from(form)
        centers = sources.list_help_centers(sources.client_for(current_user.organization_id, token))
    except sources.SourceError as exc:
        form.validate_on_submit()
        form.api_token.errors = [*form.api_token.errors, str(exc)]
        return _render_sources(form, centers, 400)
    form.knowledge_bases.choices = _center_choices(centers)
    if not form.validate_on_submit():
        return _render_sources(form, centers, 400)
    if taken := _synced_elsewhere(form.knowledge_bases.data, centers):
        form.knowledge_bases.errors.extend(taken)
        return _render_sources(form, centers, 400)
    try:
        settings = SourceSettings(
            knowledge_bases=centers,
            selected=form.knowledge_bases.data,
            start_date=form.start_date.data.isoformat(),
            help_center_url=form.help_center_url.data or None,
        ).to_json()
    except SettingsError as exc:
        form.form_errors.append(f"Not saved: {exc}.")
        return _render_sources(form, centers, 400)
    source = KnowledgeSource(
        organization_id=current_user.organization_id,
        kind=SourceKind.FRONT,
        name=form.name.data.strip(),
        credentials=None if form.use_ticketing_token.data else {sources.API_KEY: token},
        use_ticketing_token=form.use_ticketing_token.data,
        allow_internal=form.allow_internal.data,
        schedule=SyncSchedule(form.schedule.data),
        status=SyncStatus.NEVER,
        settings=settings,
    )
    db.session.add(source)
    db.session.commit()
    queued = sources.request_sync(source)
    flash(
        f"{source.name} connected. "
        + ("The first sync has started." if queued else "The first sync will start shortly."),
        "success",
    )
    return redirect(url_for("knowledge.data_sources"))


@bp.route("/data-sources/<int:source_id>/edit", methods=["GET", "POST"])
def edit_source(source_id: int):
    source = owned_or_404(KnowledgeSource, source_id)
    if source.kind != SourceKind.FRONT:
        abort(404)
    if request.method == "POST":
        return _save_source(source)
    form = EditSourceForm(
        formdata=None,
        data={
            "name": source.name,
            "knowledge_bases": source.selected_ids,
            "start_date": source.options.start or sources.default_start_date(),
            "help_center_url": source.options.help_center_url,
            "allow_internal": source.allow_internal,
            "schedule": source.schedule.value,
        },
    )
    return _render_edit(source, form)


def _render_edit(source, form, status=200, centers: list[dict] | None = None):
    form.knowledge_bases.choices = _center_choices(source.knowledge_bases if centers is None else centers)
    if source.use_ticketing_token:
        form.api_token.description = "Leave empty to keep using the Front ticketing token, or enter a key of its own."
    return (
        render_template(
            "knowledge/edit_source.html",
            source=source,
            form=form,
            counts=sources.counts_by_knowledge_base(source.id),
            key_hint=secret_hint(source.credential(sources.API_KEY)),
        ),
        status,
    )


def _centers_of_new_key(source: KnowledgeSource, token: str | None) -> tuple[list[dict] | None, str | None]:
    """The Help Centers a newly entered key can read, checked with Front as when the source was
    connected, or why Front refused it; (None, None) when no key was entered, or one whose
    characters the field's own check refuses."""
    if not token or not is_api_token(token):
        return None, None
    try:
        return sources.list_help_centers(sources.client_for(source.organization_id, token)), None
    except sources.SourceError as exc:
        return None, str(exc)


def _unreadable(selected: list[str], choices: list[dict], readable: list[dict]) -> list[str]:
    names = {c["id"]: c["name"] for c in choices}
    ids = {c["id"] for c in readable}
    return [names.get(kb_id, kb_id) for kb_id in selected if kb_id not in ids]


def _synced_elsewhere(selected: list[str], centers: list[dict], but: KnowledgeSource | None = None) -> list[str]:
    """Why each of these Help Centers cannot be chosen: another source of the organization
    syncs it already (a second would hold every article twice and sync it twice)."""
    names = {center["id"]: center.get("name") or center["id"] for center in centers}
    others = db.session.scalars(
        select(KnowledgeSource).where(
            KnowledgeSource.organization_id == current_user.organization_id,
            KnowledgeSource.kind == SourceKind.FRONT,
        )
    ).all()
    return [
        f"{names.get(kb_id, kb_id)} is synced by “{other.name}” already: edit that source, or deselect it here."
        for other in others
        if but is None or other.id != but.id
        for kb_id in selected
        if kb_id in other.selected_ids
    ]


@admin_required
def _save_source(source: KnowledgeSource):
    form = EditSourceForm()
    new_centers, key_error = _centers_of_new_key(source, form.api_token.data)
    # Offered: what the new key reads, and what was selected before (to deselect what it cannot read).
    centers = source.knowledge_bases
    if new_centers is not None:
        known = {c["id"] for c in new_centers}
        centers = new_centers + [c for c in source.knowledge_bases if c["id"] not in known]
    form.knowledge_bases.choices = _center_choices(centers)
    valid = form.validate_on_submit()
    if key_error:
        form.api_token.errors.append(key_error)
    if valid and new_centers is not None and (lost := _unreadable(form.knowledge_bases.data, centers, new_centers)):
        them = "it" if len(lost) == 1 else "them"
        form.api_token.errors.append(
            f"This key cannot read {', '.join(lost)}: enter a key that can, or deselect {them}."
        )
    if valid and (taken := _synced_elsewhere(form.knowledge_bases.data, centers, but=source)):
        form.knowledge_bases.errors.extend(taken)
        valid = False
    if not valid or form.api_token.errors:
        return _render_edit(source, form, 400, centers)
    try:
        source.options = replace(
            source.options,
            knowledge_bases=tuple(new_centers if new_centers is not None else source.knowledge_bases),
            selected=tuple(form.knowledge_bases.data),
            start_date=form.start_date.data.isoformat(),
            help_center_url=form.help_center_url.data or None,
        )
    except SettingsError as exc:
        form.form_errors.append(f"Not saved: {exc}.")
        return _render_edit(source, form, 400, centers)
    if new_centers is not None:
        source.credentials = {sources.API_KEY: form.api_token.data}
        source.use_ticketing_token = False
    source.name = form.name.data.strip()
    source.allow_internal = form.allow_internal.data
    source.schedule = SyncSchedule(form.schedule.data)
    removed = sources.remove_deselected(source)
    db.session.commit()
    flash(
        f"{source.name} saved."
        + (" It now reads Front with the new API key." if new_centers is not None else "")
        + (f" Removed {removed} articles of deselected Help Centers." if removed else ""),
        "success",
    )
    return redirect(url_for("knowledge.data_sources"))


@bp.post("/data-sources/<int:source_id>/sync")
@admin_required
def sync_now(source_id: int):
    source = owned_or_404(KnowledgeSource, source_id)
    if ButtonForm().validate_on_submit() and source.kind == SourceKind.FRONT:
        if sources.request_sync(source):
            flash(f"Syncing {source.name}.", "success")
        else:
            flash("The job queue cannot be reached right now; try again in a moment.", "error")
    return redirect(url_for("knowledge.data_sources"))


@bp.post("/data-sources/<int:source_id>/delete")
@admin_required
def delete_source(source_id: int):
    source = owned_or_404(KnowledgeSource, source_id)
    if ButtonForm().validate_on_submit():
        count = sources.article_count(source.id)
        db.session.delete(source)
        db.session.commit()
        flash(f"{source.name} and its {count} articles were deleted.", "success")
    return redirect(url_for("knowledge.data_sources"))


@bp.get("/data-sources/<int:source_id>/status")
def source_status(source_id: int):
    source = owned_or_404(KnowledgeSource, source_id)
    return jsonify(
        {
            "status": source.status.value,
            "done": source.progress_done,
            "total": source.progress_total,
            "articles": sources.article_count(source.id),
            "last_synced_at": source.last_synced_at.isoformat() if source.last_synced_at else None,
            "last_error": source.last_error,
        }
    )


# -- the Knowledge list -----------------------------------------------------------------------


@bp.get("/knowledge")
def articles():
    return _render_articles(ArticleForm(formdata=None))


def _render_articles(form: ArticleForm, status: int = 200):
    query = text_arg(request.args, "q")  # no NUL or other control character reaches a query
    page = page_number(request.args)
    per_page = current_app.config["INBOX_PAGE_SIZE"]
    mine = KnowledgeArticle.organization_id == current_user.organization_id
    hits: dict[int, search.Hit] = {}
    if query:
        # Best matches first, then titles containing the text (for words the index skips).
        hits = {hit.article_id: hit for hit in search.search(current_user.organization_id, query, limit=200)}
        titled = db.session.scalars(
            select(KnowledgeArticle.id).where(mine, KnowledgeArticle.title.icontains(query, autoescape=True)).limit(200)
        ).all()
        ordered = list(hits) + [article_id for article_id in titled if article_id not in hits]
        total = len(ordered)
        page = last_page_at_most(page, total, per_page)
        wanted = ordered[(page - 1) * per_page : page * per_page]
        by_id = {a.id: a for a in db.session.scalars(select(KnowledgeArticle).where(KnowledgeArticle.id.in_(wanted)))}
        items = [by_id[article_id] for article_id in wanted if article_id in by_id]
    else:
        total = db.session.scalar(select(func.count()).where(mine))
        page = last_page_at_most(page, total, per_page)
        items = list(
            db.session.scalars(
                select(KnowledgeArticle)
                .where(mine)
                .order_by(KnowledgeArticle.updated_at.desc(), KnowledgeArticle.id.desc())
                .limit(per_page)
                .offset((page - 1) * per_page)
            )
        )
    return (
        render_template(
            "knowledge/articles.html",
            items=items,
            hits=hits,
            query=query,
            page=page,
            pages=max(1, -(-total // per_page)),
            total=total,
            form=form,
            action_form=ButtonForm(),
            example_counts=examples.counts([article.id for article in items]),
        ),
        status,
    )


def _article_fields(form: ArticleForm) -> dict:
    return {
        "title": form.title.data,
        "body": form.body.data,
        "url": form.url.data,
        "locale": form.locale.data.strip().lower(),
        "internal": form.internal.data,
    }


@bp.post("/knowledge")
@admin_required
def add_article():
    form = ArticleForm()
    if not form.validate_on_submit():
        return _render_articles(form, 400)  # what was typed stays in the form
    article = sources.add_manual_article(current_user.organization_id, **_article_fields(form))
    flash(f"Added “{article.title}”.", "success")
    return redirect(url_for("knowledge.articles"))


def _hand_added_or_refused(article: KnowledgeArticle):
    """A synced article belongs to its source: the admin is told where to change it."""
    if article.hand_added:
        return None
    flash(
        f"“{article.title}” comes from {article.source.name}: change or delete it there. "
        "Here it can only be hidden from the AI.",
        "error",
    )
    return redirect(url_for("knowledge.articles"))


@bp.route("/knowledge/<int:article_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_article(article_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    if (refused := _hand_added_or_refused(article)) is not None:
        return refused
    if request.method == "GET":
        form = ArticleForm(
            formdata=None,
            data={
                "title": article.title,
                "body": article.body,
                "url": article.url,
                "locale": article.locale,
                "internal": article.visibility == Visibility.INTERNAL,
            },
        )
        return _render_edit_article(article, form)
    form = ArticleForm()
    if not form.validate_on_submit():
        return _render_edit_article(article, form, 400)
    sources.update_manual_article(article, **_article_fields(form))
    flash(f"Saved “{article.title}”.", "success")
    return redirect(url_for("knowledge.articles"))


def _render_edit_article(article: KnowledgeArticle, form: ArticleForm, status: int = 200):
    return (
        render_template("knowledge/edit_article.html", article=article, form=form, action_form=ButtonForm()),
        status,
    )


@bp.post("/knowledge/<int:article_id>/delete")
@admin_required
def delete_article(article_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    if (refused := _hand_added_or_refused(article)) is not None:
        return refused
    if ButtonForm().validate_on_submit():
        title = article.title
        sources.delete_manual_article(article)
        flash(f"Deleted “{title}”.", "success")
    return redirect(url_for("knowledge.articles"))


@bp.post("/knowledge/<int:article_id>/hidden")
@admin_required
def toggle_hidden(article_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    if ButtonForm().validate_on_submit():
        article.hidden = not article.hidden
        db.session.commit()
        flash(f"“{article.title}” is {'hidden from' if article.hidden else 'available to'} the AI.", "success")
    return redirect(
        request.referrer
        if request.referrer and request.referrer.startswith(request.host_url)
        else url_for("knowledge.articles")
    )


# -- example questions on an article ----------------------------------------------------------


@bp.get("/knowledge/<int:article_id>/examples")
@admin_required
def article_examples(article_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    return _render_examples(article, ExampleForm(formdata=None))


def _render_examples(article: KnowledgeArticle, form: ExampleForm, status: int = 200):
    return (
        render_template(
            "knowledge/article_examples.html",
            article=article,
            examples=examples.examples_of(article),
            form=form,
            action_form=ButtonForm(),
        ),
        status,
    )


@bp.post("/knowledge/<int:article_id>/examples")
@admin_required
def add_example(article_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    form = ExampleForm()
    if not form.validate_on_submit():
        return _render_examples(article, form, 400)  # what was typed stays in the form
    try:
        example = examples.add_example(article, form.question.data)
    except examples.ExampleError as exc:
        form.question.errors = [*form.question.errors, str(exc)]
        return _render_examples(article, form, 400)
    db.session.commit()
    flash(f"Added “{example.question}” as an example.", "success")
    return redirect(url_for("knowledge.article_examples", article_id=article.id))


@bp.post("/knowledge/<int:article_id>/examples/<int:example_id>/delete")
@admin_required
def remove_example(article_id: int, example_id: int):
    article = owned_or_404(KnowledgeArticle, article_id)
    example = owned_or_404(ArticleExample, example_id)
    if example.article_id != article.id:
        abort(404)
    if ButtonForm().validate_on_submit():
        question = example.question
        examples.remove_example(example)
        db.session.commit()
        flash(f"Removed the example “{question}”.", "success")
    return redirect(url_for("knowledge.article_examples", article_id=article.id))
