"""Settings → Integrations → Salesforce, the part about reps' replies: the generated Apex (shown,
copied, downloaded one by one or as a zip), the webhook URL, and the callout secret.

The secret is shown once, on the page that answers the POST that made it: the admin pastes it
into Salesforce from there. Afterwards only its date is shown, and nothing served here carries
it. Generating or rotating it is for owners and admins; the files hold no secret, so members
may read them like the rest of the settings.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import Blueprint, Response, abort, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from webapp.db import db
from webapp.forms import ButtonForm
from webapp.models import JournalEntry
from webapp.salesforce import apex, callouts
from webapp.salesforce.integration import get_or_create, salesforce_integration, settings_of, webhook_url
from webapp.salesforce.webhooks import SOURCE
from webapp.security import admin_required

PAGE = "/settings/integrations/salesforce"

bp = Blueprint("salesforce_apex", __name__)


@dataclass(frozen=True)
class RepReplies:
    """What the settings page's rep-replies section shows."""

    webhook_url: str | None
    has_secret: bool
    secret_created_at: str | None
    last_callout: JournalEntry | None
    values: apex.ApexValues | None
    not_ready: str | None

    def files(self, group: str) -> list[tuple[apex.ApexFile, str]]:
        if self.values is None:
            return []
        return [(file, apex.render(file, self.values)) for file in apex.shown_files(group)]


def rep_replies() -> RepReplies:
    organization_id = current_user.organization_id
    integration = salesforce_integration(organization_id)
    values, not_ready = None, None
    try:
        values = apex.values_for(integration, current_user.organization)
    except apex.ApexNotReady as exc:
        not_ready = str(exc)
    return RepReplies(
        webhook_url=webhook_url(integration) if integration and integration.webhook_token else None,
        has_secret=callouts.has_secret(integration),
        secret_created_at=settings_of(integration).callout_secret_created_at,
        last_callout=_last_callout(organization_id),
        values=values,
        not_ready=not_ready,
    )


def _last_callout(organization_id: int) -> JournalEntry | None:
    """The latest callout Salesforce delivered: proof the Apex is deployed and signing right."""
    return db.session.scalar(
        select(JournalEntry)
        .where(JournalEntry.organization_id == organization_id, JournalEntry.source == SOURCE)
        .order_by(JournalEntry.received_at.desc(), JournalEntry.id.desc())
        .limit(1)
    )


@bp.app_context_processor
def _rep_replies_for_templates():
    """``salesforce_rep_replies()`` for the settings page's section, computed only there."""
    return {"salesforce_rep_replies": rep_replies, "salesforce_apex_groups": apex.Group}


def _values_or_404() -> apex.ApexValues:
    try:
        return apex.values_for(salesforce_integration(current_user.organization_id), current_user.organization)
    except apex.ApexNotReady:
        abort(404)


def _attachment(content: str | bytes, filename: str, mimetype: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get(f"{PAGE}/apex/<path:filename>")
def download(filename: str):
    """One file, by its path in the project (the zip's layout)."""
    file = apex.file_at(filename)
    if file is None:
        abort(404)
    return _attachment(apex.render(file, _values_or_404()), file.name, "text/plain")


@bp.get(f"{PAGE}/switchboard-apex.zip")
def download_all():
    return _attachment(apex.zip_bytes(_values_or_404()), "switchboard-apex.zip", "application/zip")


@bp.post(f"{PAGE}/callout-secret")
@admin_required
def rotate_secret():
    """Make the callout secret (or a new one, which stops the old one at once) and show it,
    this once, with where it goes in Salesforce."""
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("salesforce.settings"))
    integration = get_or_create(current_user.organization_id)
    rotated = callouts.has_secret(integration)
    secret = callouts.rotate_secret(integration)
    db.session.commit()
    values = None
    try:
        values = apex.values_for(integration, current_user.organization)
    except apex.ApexNotReady:
        pass
    # The legacy set-up's record, filled in, for an admin who deploys it as a file.
    secret_record = (
        apex.render(apex.file_named("secret-record"), replace(values, secret=secret)) if values is not None else None
    )
    return render_template(
        "salesforce/callout_secret.html",
        secret=secret,
        rotated=rotated,
        webhook_url=webhook_url(integration),
        secret_record=secret_record,
        names=apex,
    )
