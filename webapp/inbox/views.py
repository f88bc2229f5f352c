from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from webapp.inbox.queries import InboxFilter, get_session, list_sessions
from webapp.models import Channel, SessionStatus
from webapp.routing import page_number

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
    return render_template("inbox/session.html", session=support_session)
