"""Settings → Front → Troubleshooting and Settings → Salesforce → Troubleshooting: each check's
last finding, **Run checks**, and the banner every settings page shows while a check fails.
Salesforce's page adds **Send a test** (``send_test``) under its checks."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics import send_test
from webapp.forms import ButtonForm
from webapp.security import admin_required

bp = Blueprint("diagnostics", __name__)

PAGES = {
    "front": "/settings/ticketing/front/troubleshooting",
    "salesforce": "/settings/integrations/salesforce/troubleshooting",
}
# What a page adds under its checks (Salesforce: Send a test), by integration.
EXTRA_SECTIONS: dict[str, str] = {"salesforce": "diagnostics/_send_test.html"}


def _page(integration_key: str):
    label, _ = diagnostics.INTEGRATIONS[integration_key]
    shown = diagnostics.latest(current_user.organization_id, integration_key)
    ran = [item.result.ran_at for item in shown if item.result]
    return render_template(
        "diagnostics/troubleshooting.html",
        integration_key=integration_key,
        integration_label=label,
        shown=shown,
        last_ran=max(ran) if ran else None,
        settings_endpoint=f"{integration_key}.settings",
        run_endpoint=f"diagnostics.run_{integration_key}",
        extra_section=EXTRA_SECTIONS.get(integration_key),
        action_form=ButtonForm(),
    )


def _run(integration_key: str):
    form = ButtonForm()
    if form.validate_on_submit():
        try:
            results = diagnostics.run_checks(current_user.organization_id, integration_key)
        except SQLAlchemyError:
            db.session.rollback()
            flash("The checks could not be saved: the database is not reachable. Try again in a moment.", "error")
        else:
            failing = sum(1 for row in results if row.status == diagnostics.CheckStatus.FAILING)
            flash(
                f"Checks ran: {failing} failing." if failing else "Checks ran: nothing is failing.",
                "error" if failing else "success",
            )
    else:
        flash("The checks did not run: the form had expired. Try again.", "error")
    return redirect(url_for(f"diagnostics.{integration_key}"))


@bp.get(PAGES["front"])
def front():
    return _page("front")


@bp.post(f"{PAGES['front']}/run")
@admin_required
def run_front():
    return _run("front")


@bp.get(PAGES["salesforce"])
def salesforce():
    return _page("salesforce")


@bp.post(f"{PAGES['salesforce']}/run")
@admin_required
def run_salesforce():
    return _run("salesforce")


@bp.post(f"{PAGES['salesforce']}/send-test")
@admin_required
def send_salesforce_test():
    if not ButtonForm().validate_on_submit():
        flash("The test was not sent: the form had expired. Try again.", "error")
    else:
        try:
            send_test.start(current_user.organization_id, current_user.name)
        except send_test.CannotStart as exc:
            flash(str(exc), "error")
        else:
            flash("Test sent: its steps show below as they happen (up to a minute).", "success")
    return redirect(url_for("diagnostics.salesforce", _anchor="send-test"))


@bp.app_context_processor
def send_test_panel():
    """``salesforce_send_test()`` for the Salesforce page's Send a test section, read when shown."""
    return {"salesforce_send_test": lambda: send_test.panel(current_user.organization_id)}


@bp.app_context_processor
def setup_problems():
    """The failing checks, for the banner on the settings pages (read only when shown)."""

    def problems():
        if not current_user.is_authenticated:
            return []
        try:
            return diagnostics.problems(current_user.organization_id)
        except SQLAlchemyError:
            db.session.rollback()
            return []

    return {"setup_problems": problems}
