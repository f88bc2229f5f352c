"""Settings → Integrations → Salesforce: the credentials, connecting (and the OAuth callback),
the connection's status and API usage, disconnecting.

Other parts of the page (Case options, rep replies) are templates of their own included by
``settings/salesforce.html``; their views re-render the page with ``render_page(**context)``.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask import session as browser_session
from flask_login import current_user
from redis.exceptions import RedisError

from webapp.crypto import secret_hint
from webapp.db import db
from webapp.forms import ButtonForm
from webapp.salesforce import connect_log, oauth
from webapp.salesforce.client import api_usage, client_for
from webapp.salesforce.errors import SalesforceError
from webapp.salesforce.forms import ConnectForm, CredentialsForm
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ConnectionState,
    get_or_create,
    is_connected,
    redirect_uri,
    salesforce_integration,
    settings_of,
    update_settings,
)
from webapp.security import admin_required, public

log = logging.getLogger(__name__)

bp = Blueprint("salesforce", __name__)

PAGE = "/settings/integrations/salesforce"
# A random value in this browser's session cookie, part of what binds a connection attempt to
# the login that started it (oauth.login_binding).
BROWSER_KEY = "salesforce_connect"
REDIS_DOWN = (
    "Switchboard could not start the connection: its Redis server is not reachable. Try again in a moment; if it "
    "persists, check that Redis is running."
)


def render_page(*, credentials_form: CredentialsForm | None = None, status: int = 200, **context):
    """The settings page; ``context`` reaches the included sections too."""
    integration = salesforce_integration(current_user.organization_id)
    settings = settings_of(integration)
    if credentials_form is None:
        credentials_form = CredentialsForm(
            formdata=None, data={"client_id": settings.client_id or "", "login_url": settings.login_url}
        )
    client_secret = integration.credential(CLIENT_SECRET) if integration else None
    return (
        render_template(
            "settings/salesforce.html",
            integration=integration,
            settings=settings,
            connected=is_connected(integration),
            disconnected=settings.state == ConnectionState.DISCONNECTED,
            has_credentials=bool(settings.client_id and client_secret),
            secret_hint=secret_hint(client_secret),
            redirect_uri=redirect_uri(),
            usage=api_usage(integration),
            credentials_form=credentials_form,
            connect_form=ConnectForm(formdata=None),
            action_form=ButtonForm(),
            readonly=not current_user.can_manage_settings,
            **context,
        ),
        status,
    )


def _to_page():
    return redirect(url_for("salesforce.settings"))


@bp.get(PAGE)
def settings():
    return render_page()


@bp.get(f"{PAGE}/status")
def status():
    """For the page's script once the Salesforce window closed: connected yet, or what failed."""
    integration = salesforce_integration(current_user.organization_id)
    settings = settings_of(integration)
    connected = is_connected(integration)
    try:
        error = None if connected else oauth.last_error(current_user.organization_id)
    except RedisError:
        error = None
    return {
        "state": settings.state,
        "connected": connected,
        "username": settings.username if connected else None,
        "error": error,
    }


# -- credentials ---------------------------------------------------------------------------------


@bp.post(f"{PAGE}/credentials")
@admin_required
def save_credentials():
    form = CredentialsForm()
    if not form.validate_on_submit():
        return _credentials_refused(form)
    integration = salesforce_integration(current_user.organization_id)
    client_secret = (form.client_secret.data or "").strip()
    if not client_secret and not (integration and integration.credential(CLIENT_SECRET)):
        form.client_secret.errors.append("Paste the app's Consumer Secret as the Client Secret.")
        return _credentials_refused(form)

    client_id, login_url = form.client_id.data.strip(), form.login_url.normalized
    integration = integration or get_or_create(current_user.organization_id)
    before = settings_of(integration)
    other_app = before.client_id != client_id or before.login_url != login_url
    had_tokens = bool(integration.credential(REFRESH_TOKEN) or integration.credential(ACCESS_TOKEN))
    if other_app and had_tokens:
        # The tokens belong to the previous app or org: revoked there and forgotten here.
        oauth.disconnect(integration)
    update_settings(integration, client_id=client_id, login_url=login_url)
    if client_secret:
        integration.set_credential(CLIENT_SECRET, client_secret)
    db.session.commit()
    connect_log.record(current_user.organization_id, connect_log.Step.SAVED)

    for note in _trimmed(form):
        flash(note, "info")
    flash(
        "Salesforce credentials saved." + (" Now connect to Salesforce." if not is_connected(integration) else ""),
        "success",
    )
    if other_app and had_tokens:
        flash("The connection was to the previous app or org, so it was closed: connect again.", "info")
    return _to_page()


def _credentials_refused(form: CredentialsForm):
    """The form again with its errors; the errors (never what was pasted) kept for the setup checks."""
    said = "; ".join(
        f"{field.label.text}: {error}" for field in form if isinstance(field.errors, list) for error in field.errors
    )
    connect_log.record(current_user.organization_id, connect_log.Step.SAVE_REFUSED, message=said or None)
    return render_page(credentials_form=form, status=400)


def _trimmed(form: CredentialsForm) -> list[str]:
    """What the admin is told about spaces removed around what they pasted."""
    notes = []
    for field in (form.client_id, form.client_secret, form.login_url):
        raw = field.data or ""
        if raw and raw != raw.strip():
            notes.append(f"Removed the spaces around the {field.label.text}.")
    return notes


# -- connecting ----------------------------------------------------------------------------------


def _browser_secret() -> str:
    if not isinstance(browser_session.get(BROWSER_KEY), str):
        browser_session[BROWSER_KEY] = secrets.token_urlsafe(24)
    return browser_session[BROWSER_KEY]


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


@bp.post(f"{PAGE}/connect")
@admin_required
def connect():
    """Start connecting: the page's script gets the authorize URL as JSON and opens it in a
    popup (or, blocked, in this window); without the script, a link to it."""
    form = ConnectForm()
    if not form.validate_on_submit():
        return _connect_failed("This form expired or was changed. Reload the page and try again.")
    integration = salesforce_integration(current_user.organization_id)
    if integration is None:
        return _connect_failed("Save the Client ID and the Client Secret first, then connect.")
    try:
        url = oauth.start_connect(
            integration, current_user, browser_secret=_browser_secret(), mode=oauth.Mode(form.mode.data)
        )
    except oauth.ConnectError as exc:
        connect_log.record(current_user.organization_id, connect_log.Step.START_FAILED, message=str(exc))
        return _connect_failed(str(exc))
    except RedisError as exc:
        log.warning("could not start a Salesforce connection: %s", exc)
        return _connect_failed(REDIS_DOWN, status=503)
    if _wants_json():
        return {"authorize_url": url}
    return render_page(authorize_url=url)


def _connect_failed(message: str, status: int = 400):
    if _wants_json():
        return {"error": "Could not connect", "message": message}, status
    flash(message, "error")
    return _to_page()


@bp.post(f"{PAGE}/connect/closed")
@admin_required
def connect_closed():
    """The page's script saw the Salesforce window close without a word from the callback. If the
    attempt is indeed still unfinished (the callback never ran), that is kept for the setup checks:
    Salesforce showed its own error page, or the admin gave up."""
    if not ButtonForm().validate_on_submit():
        return {"error": "This form expired. Reload the page."}, 400
    try:
        pending = oauth.pending_attempt(request.form.get("state"))
    except RedisError:
        return "", 204
    if pending is not None and pending.organization_id == current_user.organization_id:
        connect_log.record(
            current_user.organization_id, connect_log.Step.CLOSED, attempt=pending.attempt or None, mode=pending.mode
        )
    return "", 204


@bp.get("/oauth/salesforce/callback")
@public
def callback():
    """Where Salesforce sends the browser back. Public (the login is checked against the
    attempt, not by the login gate, so that a logged-out browser gets a clear page too)."""
    try:
        pending = oauth.take_pending(request.args.get("state"))
    except oauth.StateRefused as exc:
        return _callback_page(str(exc), connected=False, status=400)
    except RedisError as exc:
        log.warning("could not read a Salesforce connection attempt: %s", exc)
        return _callback_page(REDIS_DOWN, connected=False, status=503)
    try:
        oauth.check_same_login(pending, current_user, browser_session.get(BROWSER_KEY))
        integration = oauth.finish_connect(
            pending,
            code=request.args.get("code"),
            error=request.args.get("error"),
            description=request.args.get("error_description"),
        )
    except oauth.ConnectError as exc:
        return _callback_page(str(exc), connected=False, status=400)
    settings = settings_of(integration)
    message = f"Connected to Salesforce as {settings.username} (org {settings.org_id})."
    flash(message, "success")  # shown by the settings page, in this window or the popup's opener
    if pending.mode == oauth.Mode.WINDOW:
        return _to_page()
    return _callback_page(message, connected=True, status=200)


def _callback_page(message: str, *, connected: bool, status: int):
    return (
        render_template(
            "salesforce/callback.html",
            connected=connected,
            message=message,
            settings_url=url_for("salesforce.settings"),
        ),
        status,
    )


# -- the connection ------------------------------------------------------------------------------


@bp.post(f"{PAGE}/usage")
@admin_required
def check_usage():
    """Ask Salesforce for its limits now; the answer's usage header is recorded as with any call."""
    if not ButtonForm().validate_on_submit():
        abort(400)
    integration = salesforce_integration(current_user.organization_id)
    try:
        client_for(integration).limits()
    except SalesforceError as exc:
        db.session.rollback()
        flash(f"Could not read the API usage: {exc}", "error")
        return _to_page()
    usage = api_usage(integration)
    if usage:
        flash(f"API usage: {usage.used:,} of {usage.limit:,} calls in the last 24 hours.", "success")
    else:
        flash("Salesforce answered without reporting the API usage.", "info")
    return _to_page()


@bp.post(f"{PAGE}/disconnect")
@admin_required
def disconnect():
    if not ButtonForm().validate_on_submit():
        abort(400)
    integration = salesforce_integration(current_user.organization_id)
    if integration is None or not (integration.credential(REFRESH_TOKEN) or integration.credential(ACCESS_TOKEN)):
        flash("Salesforce is not connected.", "info")
        return _to_page()
    if oauth.disconnect(integration):
        flash("Disconnected from Salesforce; the token was revoked there too.", "success")
    else:
        flash(
            "Disconnected: Switchboard forgot the tokens. Salesforce did not confirm the revocation; to be sure, "
            "revoke the app's access in Salesforce (Setup → Connected Apps OAuth Usage).",
            "success",
        )
    return _to_page()
