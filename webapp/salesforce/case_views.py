"""The Case options of Settings → Integrations → Salesforce: the Origin and Priorities a Case
gets, the optional External ID field, and what happens to the Front conversation after."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, url_for
from flask_login import current_user

from webapp.db import db
from webapp.models import SettingsError
from webapp.salesforce.case_forms import CaseOptionsForm
from webapp.salesforce.integration import get_or_create, salesforce_integration, settings_of, update_settings
from webapp.salesforce.views import PAGE, render_page
from webapp.security import admin_required

bp = Blueprint("salesforce_cases", __name__)


@bp.post(f"{PAGE}/case-options")
@admin_required
def save_case_options():
    form = CaseOptionsForm()
    if not form.validate_on_submit():
        return render_page(case_form=form, status=400)
    integration = get_or_create(current_user.organization_id)
    try:
        update_settings(
            integration,
            case_origin=form.case_origin.data,
            case_priority=form.case_priority.data,
            frustrated_priority=form.frustrated_priority.data,
            external_id_field=form.external_id_field.data or None,
            after_case=form.after_case.data,
        )
    except SettingsError as exc:
        db.session.rollback()
        form.form_errors.append(f"Not saved: {exc}.")
        return render_page(case_form=form, status=400)
    db.session.commit()
    flash("Case options saved.", "success")
    return redirect(url_for("salesforce.settings"))


@bp.app_context_processor
def _case_options():
    """``case_options_form()`` for the settings page: the saved options, when the page was not
    re-rendered with the admin's input."""

    def case_options_form() -> CaseOptionsForm:
        return CaseOptionsForm.of(settings_of(salesforce_integration(current_user.organization_id)))

    return {"case_options_form": case_options_form}
