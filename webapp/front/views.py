"""Settings → Ticketing System → Front."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from wtforms.fields import SelectChoice

from webapp.crypto import secret_hint
from webapp.db import db
from webapp.forms import ButtonForm
from webapp.front import activity
from webapp.front import integration as front
from webapp.front.events import APPLICATION_TYPES
from webapp.front.forms import AgentForm, ConnectForm, RuleSecretForm, WebhookSecretForm
from webapp.models import SettingsError, utcnow
from webapp.security import admin_required

bp = Blueprint("front", __name__, url_prefix="/settings/ticketing/front")

# The application webhook events to subscribe, in Front's words.
WEBHOOK_EVENTS = [name for name in APPLICATION_TYPES if name != "outbound_reply"]


def _agent_form(integration, from_request: bool) -> AgentForm:
    """The form as posted, or filled from what is saved; its teammate choices come from Front."""
    settings = front.settings_of(integration)
    if from_request:
        form = AgentForm()
    else:
        form = AgentForm(
            formdata=None,
            data={
                "ai_teammate": settings.ai_teammate_id or "",
                "handle_unassigned": settings.handle_unassigned,
                "enabled": integration.enabled,
                "rate_limit": str(settings.rate_limit_per_minute),
            },
        )
    form.ai_teammate.choices = [SelectChoice("", "Choose a teammate…")] + [
        SelectChoice(t["id"], f"{t['name']} ({t['email']})" if t.get("email") else t["name"])
        for t in settings.teammates
    ]
    return form


def _render(connect_form=None, agent_form=None, secret_form=None, rule_form=None, status=200):
    integration = front.front_integration(current_user.organization_id)
    app_secret = integration.credential(front.APP_SECRET) if integration else None
    return (
        render_template(
            "settings/front.html",
            integration=integration,
            settings=front.settings_of(integration) if integration else None,
            token_hint=secret_hint(integration.credential(front.API_TOKEN) if integration else None),
            secret_hint=secret_hint(app_secret),
            has_app_secret=bool(app_secret),
            webhook_url=front.webhook_url(integration) if integration else None,
            webhook_events=WEBHOOK_EVENTS,
            connect_form=connect_form or ConnectForm(),
            connected=front.is_connected(integration),
            agent_form=agent_form or (_agent_form(integration, from_request=False) if integration else None),
            secret_form=secret_form or WebhookSecretForm(),
            rule_form=rule_form or RuleSecretForm(),
            rule_secret_hint=secret_hint(integration.credential(front.RULE_SECRET) if integration else None),
            action_form=ButtonForm(),
            webhook_activity=activity.webhook_activity(integration.organization_id, utcnow()) if integration else None,
        ),
        status,
    )


@bp.get("")
def settings():
    return _render()


@bp.post("/connect")
@admin_required
def connect():
    form = ConnectForm()
    if form.validate_on_submit():
        try:
            integration = front.connect(current_user.organization_id, form.api_token.data)
        except front.ConnectError as exc:
            form.api_token.errors.append(str(exc))
        else:
            flash(
                f"Connected to Front ({front.settings_of(integration).company_name}). Now choose the AI teammate.",
                "success",
            )
            return redirect(url_for("front.settings"))
    return _render(connect_form=form, status=400)


@bp.post("/agent")
@admin_required
def save_agent():
    integration = front.front_integration(current_user.organization_id)
    if not front.is_connected(integration):
        flash("Connect a Front API token first.", "error")
        return redirect(url_for("front.settings"))
    form = _agent_form(integration, from_request=True)
    if form.validate_on_submit():
        try:
            front.save_agent_settings(
                integration,
                ai_teammate_id=form.ai_teammate.data or None,
                handle_unassigned=form.handle_unassigned.data,
                enabled=form.enabled.data,
                rate_limit_per_minute=int(form.rate_limit.data),
            )
        except SettingsError as exc:
            db.session.rollback()
            form.ai_teammate.errors.append(str(exc))
        else:
            flash("Front settings saved.", "success")
            return redirect(url_for("front.settings"))
    return _render(agent_form=form, status=400)


@bp.post("/webhook-secret")
@admin_required
def save_webhook_secret():
    form = WebhookSecretForm()
    if form.validate_on_submit():
        front.save_app_secret(current_user.organization_id, form.app_secret.data)
        flash("App secret saved. Webhooks signed with it are accepted.", "success")
        return redirect(url_for("front.settings"))
    return _render(secret_form=form, status=400)


@bp.post("/rule-secret")
@admin_required
def save_rule_secret():
    form = RuleSecretForm()
    if form.validate_on_submit():
        front.save_rule_secret(current_user.organization_id, form.api_secret.data)
        flash("API secret saved. Rule webhooks signed with it are accepted.", "success")
        return redirect(url_for("front.settings"))
    return _render(rule_form=form, status=400)


@bp.post("/rule-secret/forget")
@admin_required
def forget_rule_secret():
    if ButtonForm().validate_on_submit():
        front.save_rule_secret(current_user.organization_id, None)
        flash("API secret removed. Rule webhooks signed with it are refused from now on.", "success")
    return redirect(url_for("front.settings"))


@bp.post("/webhook-token")
@admin_required
def regenerate_webhook_token():
    if ButtonForm().validate_on_submit():
        front.regenerate_webhook_token(current_user.organization_id)
        flash("New webhook URL made; the old one stops working now. Update it in Front.", "success")
    return redirect(url_for("front.settings"))


@bp.post("/teammates")
@admin_required
def refresh_teammates():
    integration = front.front_integration(current_user.organization_id)
    if ButtonForm().validate_on_submit() and front.is_connected(integration):
        try:
            front.connect(current_user.organization_id, integration.credential(front.API_TOKEN))
        except front.ConnectError as exc:
            flash(str(exc), "error")
        else:
            flash("Teammate list refreshed from Front.", "success")
    return redirect(url_for("front.settings"))


@bp.post("/disconnect")
@admin_required
def disconnect():
    integration = front.front_integration(current_user.organization_id)
    if ButtonForm().validate_on_submit() and integration is not None:
        front.disconnect(integration)
        flash("Front token removed; the AI stopped answering.", "success")
    return redirect(url_for("front.settings"))
