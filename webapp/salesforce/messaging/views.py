"""Settings → Integrations → Salesforce → Live Messaging: the deployment's six fields and the
rest, Generate a key pair (and the JWK to upload), Remove the keys, and Test connection.

The section is ``templates/salesforce/_live_messaging.html``, included by the settings page;
these views re-render that page with ``render_page(**context)`` when they have something to
show once (the admin's refused input, a new key's JWK, the checks' results).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, abort, current_app, flash, redirect, request, url_for
from flask_login import current_user

from webapp.db import db
from webapp.forms import ButtonForm
from webapp.models import Integration, SettingsError
from webapp.salesforce.integration import get_or_create, salesforce_integration
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.checks import connection_checks
from webapp.salesforce.messaging.forms import LiveMessagingForm, issuer_problem, key_id_problem
from webapp.salesforce.messaging.settings import (
    PRIVATE_KEY,
    LiveMessagingSettings,
    is_configured,
    live_messaging_of,
    update_live_messaging,
)
from webapp.salesforce.views import PAGE, render_page
from webapp.security import admin_required

bp = Blueprint("salesforce_messaging", __name__)

SECTION = f"{PAGE}/live-messaging"
EXPIRED_FORM = "This form expired or was changed. Reload the page and try again."


@dataclass(frozen=True)
class LiveMessagingSection:
    """What the section shows besides the form."""

    settings: LiveMessagingSettings
    configured: bool
    private_key_saved: bool
    key_bits: int | None
    jwk_json: str | None
    certificate_expires: datetime | None

    @property
    def private_key_hint(self) -> str:
        if not self.private_key_saved:
            return "not set"
        return f"saved, RSA {self.key_bits}" if self.key_bits else "saved"


def section_of(integration: Integration | None) -> LiveMessagingSection:
    settings = live_messaging_of(integration)
    private_key_saved = bool(integration and integration.credential(PRIVATE_KEY))
    certificate = keys.load_certificate(settings.certificate_pem) if settings.has_keys else None
    jwk = keys.jwk(certificate, settings.auth_key_id) if certificate and private_key_saved else None
    return LiveMessagingSection(
        settings=settings,
        configured=is_configured(integration),
        private_key_saved=private_key_saved,
        key_bits=keys.bits_of(settings.public_key_pem),
        jwk_json=json.dumps(jwk, indent=2) if jwk else None,
        certificate_expires=certificate.not_valid_after_utc if certificate else None,
    )


@bp.app_context_processor
def _live_messaging_for_templates():
    """``live_messaging_section()`` and ``live_messaging_saved_form()`` for the settings page,
    computed only when the section is rendered."""

    def section() -> LiveMessagingSection:
        return section_of(salesforce_integration(current_user.organization_id))

    def saved_form() -> LiveMessagingForm:
        return LiveMessagingForm.of(live_messaging_of(salesforce_integration(current_user.organization_id)))

    return {"live_messaging_section": section, "live_messaging_saved_form": saved_form}


def _to_section():
    return redirect(url_for("salesforce.settings") + "#live-messaging")


def _button_refused():
    """A button's post whose CSRF token is missing or stale: back to the page, saying so."""
    if ButtonForm().validate_on_submit():
        return None
    flash(EXPIRED_FORM, "error")
    return _to_section()


# -- saving ----------------------------------------------------------------------------------------


@bp.post(SECTION)
@admin_required
def save():
    integration = salesforce_integration(current_user.organization_id)
    form = LiveMessagingForm(saved_private_key_pem=integration.credential(PRIVATE_KEY) if integration else None)
    if not form.validate_on_submit():
        return render_page(live_messaging_form=form, status=400)
    integration = integration or get_or_create(current_user.organization_id)
    before = live_messaging_of(integration)
    changes = form.settings_changes()
    try:
        changes["certificate_pem"] = (
            keys.certificate_for(form.resolved_private_key_pem, before.certificate_pem)
            if form.resolved_private_key_pem
            else None
        )
        after = update_live_messaging(integration, **changes)
    except (SettingsError, keys.KeyProblem) as exc:
        db.session.rollback()
        form.form_errors.append(f"Not saved: {exc}.")
        return render_page(live_messaging_form=form, status=400)
    if form.new_private_key_pem:
        integration.set_credential(PRIVATE_KEY, form.new_private_key_pem)
    db.session.commit()

    flash("Live Messaging settings saved.", "success")
    if form.new_private_key_pem and form.public_key_derived:
        flash("The public key was made from the private key.", "info")
    if after.has_keys and (after.public_key_pem, after.auth_key_id) != (before.public_key_pem, before.auth_key_id):
        flash("Upload the key's JWK in Salesforce as the steps below say, then Test connection.", "info")
    return _to_section()


# -- the keys --------------------------------------------------------------------------------------


@bp.post(f"{SECTION}/key-pair")
@admin_required
def generate_key_pair():
    """Make an RSA 2048 key pair, store it, and show its JWK. The Auth Key ID and the issuer typed
    in the form are used (and saved) when they read well; otherwise the saved ones, or new ones."""
    if (refused := _button_refused()) is not None:
        return refused
    integration = get_or_create(current_user.organization_id)
    saved = live_messaging_of(integration)
    kid = _typed("auth_key_id", key_id_problem) or saved.auth_key_id or keys.new_key_id()
    issuer = _typed("issuer", issuer_problem) or saved.issuer or current_app.config["PUBLIC_URL"]
    pair = keys.new_key_pair()
    try:
        update_live_messaging(
            integration,
            auth_key_id=kid,
            issuer=issuer,
            public_key_pem=pair.public_key_pem,
            certificate_pem=pair.certificate_pem,
        )
    except SettingsError as exc:  # the saved settings themselves no longer pass: save the form first
        db.session.rollback()
        flash(f"No key pair was made: {exc}. Correct the settings and save them first.", "error")
        return _to_section()
    integration.set_credential(PRIVATE_KEY, pair.private_key_pem)
    db.session.commit()

    # What the admin typed and has not saved stays in the form; the keys are the new ones.
    form = (
        LiveMessagingForm() if "instance_url" in request.form else LiveMessagingForm.of(live_messaging_of(integration))
    )
    form.auth_key_id.data, form.issuer.data, form.public_key_pem.data = kid, issuer, pair.public_key_pem
    return render_page(live_messaging_form=form, live_messaging_generated=True)


def _typed(name: str, problem) -> str | None:
    value = (request.form.get(name) or "").strip()
    return value if value and problem(value) is None else None


@bp.post(f"{SECTION}/remove-keys")
@admin_required
def remove_keys():
    if (refused := _button_refused()) is not None:
        return refused
    integration = salesforce_integration(current_user.organization_id)
    if integration is not None and integration.credential(PRIVATE_KEY):
        update_live_messaging(integration, public_key_pem=None, certificate_pem=None)
        integration.set_credential(PRIVATE_KEY, None)
        db.session.commit()
    flash(
        "The keys were removed: customers now start anonymous conversations. Delete the key in Salesforce too "
        "(Setup → Enhanced Chat User Verification).",
        "success",
    )
    return _to_section()


@bp.get(f"{SECTION}/jwk.json")
def download_jwk():
    """The JWK as a file, for Salesforce's Upload Key (it holds nothing secret)."""
    section = section_of(salesforce_integration(current_user.organization_id))
    if section.jwk_json is None:
        abort(404)
    filename = re.sub(r"[^A-Za-z0-9._-]", "_", section.settings.auth_key_id or "key")[:100]
    response = Response(section.jwk_json, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}.json"'
    return response


# -- test connection -------------------------------------------------------------------------------


@bp.post(f"{SECTION}/test")
@admin_required
def test_connection():
    """Ask Salesforce, with the saved settings, and show each check."""
    if (refused := _button_refused()) is not None:
        return refused
    integration = salesforce_integration(current_user.organization_id)
    if not is_configured(integration):
        flash("Save the Instance URL, the ES Developer Name and the Org ID first, then test the connection.", "error")
        return _to_section()
    return render_page(live_messaging_checks=connection_checks(integration))
