from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import registry
from webapp.inbox import handoff
from webapp.inbox.forms import hand_off_now_form
from webapp.inbox.queries import InboxFilter, case_status, get_session, list_sessions
from webapp.models import Channel, SessionStatus
from webapp.routing import page_number
from webapp.salesforce.integration import case_url, salesforce_integration, settings_of
from webapp.security import admin_required

bp = Blueprint("inbox", __name__)


@bp.get("/")
@bp.get("/inbox")
def index():
    filters = InboxFilter.from_args(request.args)
    page = list_sessions(
        current_user.organization_id,
        filters,
        page=page_number(request.args),
        per_page=current_app.config["INBOX_PAGE_SIZE"],
    )
    return render_template(
        "inbox/index.html", page=page, filters=filters, statuses=list(SessionStatus), channels=list(Channel)
    )


@bp.get("/inbox/<int:session_id>")
def session(session_id: int):
    support_session = get_session(current_user.organization_id, session_id)
    if support_session is None:
        abort(404)
    salesforce = settings_of(salesforce_integration(current_user.organization_id))
    return render_template(
        "inbox/session.html",
        session=support_session,
        case_url=case_url(salesforce, support_session.salesforce_case_id),
        case_status=case_status(support_session),
        handoff_form=hand_off_now_form(formdata=None) if current_user.can_manage_settings else None,
    )


@bp.post("/inbox/<int:session_id>/handoff")
@admin_required
def hand_off(session_id: int):
    support_session = get_session(current_user.organization_id, session_id)
    if support_session is None:
        abort(404)
    form = hand_off_now_form()
    if not form.validate_on_submit():
        flash("Not handed off: choose one of the handoff destinations.", "error")
    else:
        try:
            handoff.request_handoff(support_session, form.destination.data, current_user.name)
        except handoff.CannotHandOff as exc:
            flash(f"Not handed off: {exc}", "error")
        else:
            label = registry.current().destinations[form.destination.data].label
            flash(f"Handing off to {label} now: the timeline shows it once done.", "success")
    return redirect(url_for("inbox.session", session_id=session_id))
