"""Failed events (``/inbox/failed``): webhook deliveries whose processing failed for good, with
their error, for admins to see and retry once the cause is fixed."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import journal
from webapp.forms import ButtonForm
from webapp.routing import last_page_at_most, page_number
from webapp.security import admin_required

bp = Blueprint("failed_events", __name__, url_prefix="/inbox/failed")


@bp.get("")
@admin_required
def index():
    per_page = current_app.config["INBOX_PAGE_SIZE"]
    total = journal.count_failed(current_user.organization_id)
    page = last_page_at_most(page_number(request.args), total, per_page)
    entries = journal.failed_entries(current_user.organization_id, limit=per_page, offset=(page - 1) * per_page)
    return render_template(
        "inbox/failed.html",
        entries=entries,
        total=total,
        page=page,
        pages=max(1, -(-total // per_page)),
        button=ButtonForm(),
    )


@bp.post("/<int:entry_id>/retry")
@admin_required
def retry_one(entry_id: int):
    if ButtonForm().validate_on_submit():
        retried = journal.retry(current_user.organization_id, [entry_id])
        flash("Queued again." if retried else "That event is no longer failed.", "success" if retried else "info")
    return redirect(url_for("failed_events.index"))


@bp.post("/retry")
@admin_required
def retry_all():
    if ButtonForm().validate_on_submit():
        retried = journal.retry(current_user.organization_id)
        flash(f"{len(retried)} event(s) queued again.", "success")
    return redirect(url_for("failed_events.index"))


@bp.app_context_processor
def _failed_count():
    """``failed_events_count()`` for templates: asked only where a page shows it."""

    def failed_events_count() -> int:
        if not (current_user.is_authenticated and current_user.can_manage_settings):
            return 0
        return journal.count_failed(current_user.organization_id)

    return {"failed_events_count": failed_events_count}
