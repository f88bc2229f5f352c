"""Handoff settings (``/settings/handoff``): level or advanced switches, forbidden topics,
destinations per channel, the messages at handoff, office hours, and when the built-in agent
answers, drafts or hands off."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select
from wtforms.fields import SelectChoice

from webapp.agent import destinations, provider
from webapp.agent import settings as agent_settings
from webapp.agent.confidence import AnswerPolicy, PolicyError
from webapp.agent.forms import HandoffForm, OfficeHoursForm, ProviderForm, destination_fields, parse_shift_lines
from webapp.crypto import secret_hint
from webapp.db import db
from webapp.forms import ButtonForm
from webapp.models import CHANNELS, AdvancedSwitches, HandoffMode, OfficeHours, SettingsError
from webapp.security import admin_required, owned_or_404

bp = Blueprint("handoff", __name__, url_prefix="/settings/handoff")


def _schedules() -> list[OfficeHours]:
    return list(
        db.session.scalars(
            select(OfficeHours)
            .where(OfficeHours.organization_id == current_user.organization_id)
            .order_by(OfficeHours.name)
        )
    )


def _handoff_form(from_request: bool) -> HandoffForm:
    form_class = type(
        "HandoffSettingsForm",
        (HandoffForm,),
        destination_fields(lambda channel: [SelectChoice(d.key, d.label) for d in destinations.available(channel)]),
    )
    settings = agent_settings.get_or_create(current_user.organization_id)
    if from_request:
        form = form_class()
    else:
        data = {
            "mode": settings.handoff_mode.value,
            "level": str(settings.handoff_level),
            **_switch_data(settings.switches),
            "forbidden_topics": settings.forbidden_topics,
            "message_open": settings.message_open,
            "message_closed": settings.message_closed,
            "office_hours": str(settings.office_hours_id or ""),
            **_answer_policy_data(agent_settings.answer_policy_of(settings)),
        }
        data.update({f"destination_{c}": settings.destination_for(c) for c in CHANNELS})
        form = form_class(formdata=None, data=data)
    form.office_hours.choices = [SelectChoice("", "None: always inside office hours")] + [
        SelectChoice(str(s.id), f"{s.name} ({s.timezone})") for s in _schedules()
    ]
    return form


def _switch_data(switches: AdvancedSwitches) -> dict:
    return {
        "adv_enabled": switches.enabled,
        "adv_on_frustration": switches.on_frustration,
        "adv_on_unproductive": switches.on_unproductive,
        "adv_unproductive_after": switches.unproductive_after,
        "adv_on_request": switches.on_request,
    }


def _answer_policy_data(policy: AnswerPolicy) -> dict:
    return {
        "reply_at": Decimal(str(policy.reply_at)),
        "draft_at": Decimal(str(policy.draft_at)),
        "drafts": policy.drafts,
    }


def _posted_answer_policy(form: HandoffForm) -> AnswerPolicy | None:
    """The answer policy the form sent, or None when it sent none (the saved one is kept)."""
    if not form.reply_at.raw_data or not form.draft_at.raw_data:
        return None
    return AnswerPolicy(reply_at=float(form.reply_at.data), draft_at=float(form.draft_at.data), drafts=form.drafts.data)


def _show_saved_switches(form: HandoffForm, switches: AdvancedSwitches) -> None:
    """A refused form in preset mode shows the saved switches (the ones kept), not what the
    disabled inputs did not send."""
    for name, value in _switch_data(switches).items():
        form[name].data = value
        form[name].raw_data = None


def _render(form=None, hours_form=None, status=200):
    db.session.commit()  # get_or_create may have added the row
    return (
        render_template(
            "settings/handoff.html",
            form=form or _handoff_form(from_request=False),
            hours_form=hours_form or OfficeHoursForm(formdata=None),
            schedules=_schedules(),
            channels=CHANNELS,
            button=ButtonForm(),
        ),
        status,
    )


@bp.get("")
def settings():
    return _render()


@bp.post("")
@admin_required
def save():
    form = _handoff_form(from_request=True)
    saved_switches = agent_settings.get_or_create(current_user.organization_id).switches
    advanced = form.mode.data == HandoffMode.ADVANCED.value
    if not form.validate_on_submit():
        if not advanced:
            _show_saved_switches(form, saved_switches)
        return _render(form=form, status=400)
    try:
        agent_settings.save(
            current_user.organization_id,
            mode=HandoffMode(form.mode.data),
            level=int(form.level.data),
            # The preset sets the switches: the saved ones are kept for when Advanced is chosen.
            switches=AdvancedSwitches(
                enabled=form.adv_enabled.data,
                on_frustration=form.adv_on_frustration.data,
                on_unproductive=form.adv_on_unproductive.data,
                unproductive_after=form.adv_unproductive_after.data,
                on_request=form.adv_on_request.data,
            )
            if advanced
            else saved_switches,
            forbidden_topics=form.forbidden_topics.data or "",
            message_open=form.message_open.data,
            message_closed=form.message_closed.data,
            office_hours_id=int(form.office_hours.data) if form.office_hours.data else None,
            destination_keys={c: getattr(form, f"destination_{c}").data for c in CHANNELS},
            answer_policy=_posted_answer_policy(form),
        )
    except (SettingsError, PolicyError) as exc:
        db.session.rollback()
        form.form_errors.append(f"Not saved: {exc}.")
        if not advanced:
            _show_saved_switches(form, saved_switches)
        return _render(form=form, status=400)
    flash("Handoff settings saved.", "success")
    return redirect(url_for("handoff.settings"))


@bp.post("/office-hours")
@admin_required
def add_office_hours():
    form = OfficeHoursForm()
    if not form.validate_on_submit():
        return _render(hours_form=form, status=400)
    schedule = OfficeHours(
        organization_id=current_user.organization_id,
        name=form.name.data.strip(),
        timezone=form.timezone.data.strip(),
        shifts=parse_shift_lines(form.shifts.data),
    )
    db.session.add(schedule)
    db.session.commit()
    flash(f"Office hours “{schedule.name}” added. Choose them above to use them.", "success")
    return redirect(url_for("handoff.settings"))


@bp.post("/office-hours/<int:schedule_id>/delete")
@admin_required
def delete_office_hours(schedule_id: int):
    schedule = owned_or_404(OfficeHours, schedule_id)
    if ButtonForm().validate_on_submit():
        db.session.delete(schedule)
        db.session.commit()
        flash(f"Office hours “{schedule.name}” deleted.", "success")
    return redirect(url_for("handoff.settings"))


ai_bp = Blueprint("ai", __name__, url_prefix="/settings/ai")


def _render_provider(form=None, status=200):
    integration = provider.llm_integration(current_user.organization_id)
    if form is None:
        settings = provider.settings_of(integration)
        form = ProviderForm(
            formdata=None,
            data={
                "base_url": settings.base_url,
                "model": settings.model,
                "enabled": bool(integration and integration.enabled),
            },
        )
    key = integration.credential(provider.API_KEY) if integration else None
    return render_template("settings/ai.html", form=form, key_hint=secret_hint(key)), status


@ai_bp.get("")
def provider_settings():
    return _render_provider()


@ai_bp.post("")
@admin_required
def save_provider():
    form = ProviderForm()
    if not form.validate_on_submit():
        return _render_provider(form, 400)
    try:
        integration = provider.save_checked(
            current_user.organization_id,
            base_url=form.base_url.data,
            model=form.model.data,
            api_key=form.api_key.data or None,
            enabled=form.enabled.data,
        )
    except provider.AddressRefused as exc:
        db.session.rollback()
        form.base_url.errors = [*form.base_url.errors, str(exc)]
        return _render_provider(form, 400)
    except provider.ProviderCheckFailed as exc:
        db.session.rollback()
        form.form_errors.append(
            f"Not saved: the test call to the provider failed: {exc}. The settings in use have not changed."
        )
        return _render_provider(form, 400)
    except SettingsError as exc:
        db.session.rollback()
        form.api_key.errors = [*form.api_key.errors, str(exc)]
        return _render_provider(form, 400)
    if integration.enabled:
        flash("AI provider saved. The test call worked: the LLM now answers.", "success")
    else:
        flash("AI provider saved. It is not in use: the built-in agent answers.", "success")
    return redirect(url_for("ai.provider_settings"))
