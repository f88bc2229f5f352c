"""Settings → Team → Data retention (``/settings/retention``): how long what customers sent is
kept. The rules and the pruning are in ``webapp.retention``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms import IntegerField
from wtforms.validators import InputRequired, NumberRange

from webapp import retention
from webapp.db import db
from webapp.forms import Form
from webapp.models import SettingsError
from webapp.security import admin_required

bp = Blueprint("retention", __name__, url_prefix="/settings/retention")


class RetentionForm(Form):
    session_days = IntegerField(
        "Keep conversations for (days after their last activity)",
        validators=[InputRequired(), NumberRange(min=0, max=retention.MAX_DAYS)],
        description="Sessions in the Inbox, with every message and decision. 0 keeps them forever.",
    )
    webhook_body_days = IntegerField(
        "Keep raw webhook bodies for (days after they were processed)",
        validators=[InputRequired(), NumberRange(min=1, max=retention.MAX_DAYS)],
        description=(
            "Each webhook as Front delivered it, kept for investigating a problem. Its event id is kept "
            "30 days whatever this says, so a late redelivery is still recognized."
        ),
    )


def _render(form=None, status=200):
    settings = retention.settings_of(current_user.organization)
    form = form or RetentionForm(formdata=None, data=settings.to_json())
    return render_template("settings/retention.html", form=form), status


@bp.get("")
def settings():
    return _render()


@bp.post("")
@admin_required
def save():
    form = RetentionForm()
    if not form.validate_on_submit():
        return _render(form, 400)
    try:
        retention.save(
            current_user.organization,
            retention.RetentionSettings(
                session_days=form.session_days.data, webhook_body_days=form.webhook_body_days.data
            ),
        )
    except SettingsError as exc:
        db.session.rollback()
        form.form_errors.append(f"Not saved: {exc}.")
        return _render(form, 400)
    flash("Data retention saved. Older data is removed within the hour.", "success")
    return redirect(url_for("retention.settings"))
