"""Who may see what: the login gate, role checks, security headers and error pages.

Every view needs a login unless it is explicitly marked :func:`public` (first-run set-up, login,
health, webhooks, OAuth callbacks). Defaulting to closed means a new page cannot be forgotten.
"""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy import exists, select

from webapp.db import db
from webapp.extensions import login_manager
from webapp.models import User

# Every response gets it, the job dashboard's included (its pages are ours, with no inline script
# or style: webapp/admin/rq_dashboard.py): scripts and styles only from files of this site, and
# no page may be framed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Powerful browser features no page of the app uses, off for every page and anything it embeds.
# Only names Chromium knows (it warns in the console about each unknown one). Not clipboard-write:
# the copy buttons use it.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "browsing-topics",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
)
# Browsers keep to https for a year once they have seen it over https; sent only when the app's
# public address is https (behind a TLS proxy the request itself may look like plain http).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def public(view):
    """Mark a view as reachable without a login."""
    view.is_public = True
    return view


def admin_required(view):
    """Only owners and admins may change settings; members get a 403 explaining why."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not current_user.can_manage_settings:
            abort(403, description="Only owners and admins can change settings. Ask an admin of your organization.")
        return view(*args, **kwargs)

    return wrapped


def owned_or_404(model, row_id: int):
    """The row of ``model`` with this id if it belongs to the current user's organization;
    404 otherwise, so another organization's ids reveal nothing."""
    row = db.session.get(model, row_id)
    if row is None or row.organization_id != current_user.organization_id:
        abort(404)
    return row


def any_user_exists() -> bool:
    return db.session.scalar(select(exists().where(User.id.isnot(None))))


def _view_is_public() -> bool:
    if request.endpoint is None or request.endpoint == "static":
        return True
    view = current_app.view_functions.get(request.endpoint)
    return bool(getattr(view, "is_public", False))


def _require_login():
    if _view_is_public():
        return None
    if current_user.is_authenticated:
        # After an admin reset the password, nothing but choosing a new one (or logging out).
        if current_user.must_change_password and request.endpoint != "auth.change_password":
            return redirect(url_for("auth.change_password"))
        return None
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    return login_manager.unauthorized()


def _security_headers(response):
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if str(current_app.config.get("PUBLIC_URL", "")).lower().startswith("https://"):
        response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
    if current_user and getattr(current_user, "is_authenticated", False):
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _error_page(status: int, title: str, default: str):
    def handler(error):
        message = getattr(error, "description", None) or default
        if request.accept_mimetypes.best == "application/json" or request.path.startswith("/webhooks/"):
            return {"error": title, "message": message}, status
        return render_template("error.html", status=status, title=title, message=message), status

    return handler


def _csrf_failed(error: CSRFError):
    message = "This form expired or did not come from this site. Reload the page and try again."
    return render_template("error.html", status=400, title="Form refused", message=message), 400


@login_manager.user_loader
def _load_user(session_token: str):
    """The user whose current session token the session or remember cookie carries (see
    User.get_id). A rotated token, a removed or a deactivated user is nobody."""
    if not isinstance(session_token, str) or not session_token or len(session_token) > 64:
        return None
    user = db.session.scalar(select(User).where(User.session_token == session_token))
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Log in to continue."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"
    app.before_request(_require_login)
    app.after_request(_security_headers)
    app.register_error_handler(CSRFError, _csrf_failed)
    for status, title, default in (
        (400, "Bad request", "The request could not be understood."),
        (403, "Not allowed", "You do not have access to this page."),
        (404, "Not found", "There is nothing at this address."),
        (405, "Method not allowed", "This address does not accept that kind of request."),
        (413, "Too large", "The request was larger than this server accepts."),
        (500, "Something went wrong", "The error was logged. Try again in a moment."),
    ):
        app.register_error_handler(status, _error_page(status, title, default))
