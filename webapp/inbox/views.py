from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from webapp import registry
from webapp.db import db
from webapp.forms import ButtonForm
from webapp.inbox import handoff, learning, why
from webapp.inbox.diagnostic_details import diagnostic_text
from webapp.inbox.forms import hand_off_now_form
from webapp.inbox.queries import InboxFilter, case_status, empty_inbox, get_session, list_sessions
from webapp.inbox.search import TermKind
from webapp.knowledge.examples import ExampleError
from webapp.models import Channel, SessionStatus
from webapp.routing import page_number, text_arg
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
    empty = None
    if not page.items and not filters.active:
        empty = empty_inbox(current_user.organization_id)
    search = filters.search
    return render_template(
        "inbox/index.html",
        page=page,
        filters=filters,
        statuses=list(SessionStatus),
        channels=list(Channel),
        empty=empty,
        why_conversation=search.value
        if search and search.kind in (TermKind.FRONT_CONVERSATION, TermKind.FRONT_MESSAGE)
        else None,
        troubleshooting=why.front_troubleshooting_endpoint(),
    )


@bp.get("/inbox/why")
@admin_required
def why_not_answered():
    """Why didn't the AI answer? for a Front conversation, pasted as an id or a link."""
    pasted = text_arg(request.args, "conversation", max_length=2000)
    if not pasted:
        return render_template("inbox/why.html", pasted="", diagnosis=None, error=None)
    try:
        diagnosis = why.diagnose(current_user.organization_id, pasted)
    except why.NotAConversation as exc:
        return render_template("inbox/why.html", pasted=pasted, diagnosis=None, error=str(exc)), 400
    return render_template("inbox/why.html", pasted=pasted, diagnosis=diagnosis, error=None)


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
        diagnostics=diagnostic_text(support_session) if current_user.can_manage_settings else None,
        suggestions=learning.open_suggestions(support_session) if current_user.can_manage_settings else [],
        action_form=ButtonForm(),
    )


@bp.get("/inbox/<int:session_id>/diagnostics.txt")
@admin_required
def diagnostics(session_id: int):
    """The session's diagnostic details as plain text; customer text only when asked for."""
    support_session = get_session(current_user.organization_id, session_id)
    if support_session is None:
        abort(404)
    customer_text = text_arg(request.args, "customer_text") in ("1", "on", "true", "yes")
    text = diagnostic_text(support_session, customer_text=customer_text)
    return Response(text, mimetype="text/plain", headers={"Content-Disposition": "inline"})


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


@bp.post("/inbox/<int:session_id>/suggestions/<int:event_id>/accept")
@admin_required
def accept_suggestion(session_id: int, event_id: int):
    """Adds the customer's question as an example for the article the teammate's answer used."""
    return _answer_suggestion(session_id, event_id, accept=True)


@bp.post("/inbox/<int:session_id>/suggestions/<int:event_id>/dismiss")
@admin_required
def dismiss_suggestion(session_id: int, event_id: int):
    return _answer_suggestion(session_id, event_id, accept=False)


def _answer_suggestion(session_id: int, event_id: int, *, accept: bool):
    support_session = get_session(current_user.organization_id, session_id)
    if support_session is None:
        abort(404)
    if not ButtonForm().validate_on_submit():
        flash("Nothing changed: the form had expired. Try again.", "error")
        return redirect(url_for("inbox.session", session_id=session_id))
    try:
        if accept:
            question, title = learning.accept(support_session, event_id, current_user.name)
            flash(f"Added “{question}” as an example for “{title}”.", "success")
        else:
            learning.dismiss(support_session, event_id, current_user.name)
            flash("Suggestion dismissed.", "success")
    except (learning.SuggestionGone, ExampleError) as exc:
        flash(f"Nothing changed: {exc}", "error")
    except LookupError:
        abort(404)
    db.session.commit()
    return redirect(url_for("inbox.session", session_id=session_id))


@bp.get("/inbox/missing-knowledge")
def missing_knowledge():
    """Questions handed off because no article covered them, grouped by meaning, per week."""
    return render_template(
        "inbox/missing_knowledge.html",
        weeks=learning.missing_knowledge(current_user.organization_id),
        weeks_shown=learning.WEEKS_SHOWN,
    )
