from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from webapp.auth.logins import keep_logged_in
from webapp.db import db
from webapp.forms import ButtonForm
from webapp.models import Role, User
from webapp.security import admin_required, owned_or_404
from webapp.settings import members
from webapp.settings.forms import ROLE_CHOICES, AddMemberForm, OrganizationForm, ResetPasswordForm, RoleForm

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.get("/")
def index():
    return redirect(url_for("front.settings"))


def _render_organization(org_form=None, add_form=None, status=200):
    organization = current_user.organization
    org_form = org_form or OrganizationForm(obj=organization)
    return (
        render_template(
            "settings/organization.html",
            organization=organization,
            org_form=org_form,
            add_form=add_form or AddMemberForm(prefix="member"),
            members=members.members_of(organization.id),
            role_choices=ROLE_CHOICES,
        ),
        status,
    )


@bp.get("/organization")
def organization():
    return _render_organization()


@bp.post("/organization")
@admin_required
def rename_organization():
    form = OrganizationForm()
    if not form.validate_on_submit():
        return _render_organization(org_form=form, status=400)
    current_user.organization.name = form.name.data.strip()
    db.session.commit()
    flash("Organization name saved.", "success")
    return redirect(url_for("settings.organization"))


@bp.post("/organization/members")
@admin_required
def add_member():
    form = AddMemberForm(prefix="member")
    if form.validate_on_submit():
        try:
            user = members.add_member(
                current_user.organization,
                current_user,
                name=form.name.data,
                email=form.email.data,
                role=Role(form.role.data),
                password=form.password.data,
            )
        except members.MembershipError as exc:
            form.email.errors.append(str(exc))
        else:
            flash(f"{user.name} can now log in as {user.email}.", "success")
            return redirect(url_for("settings.organization"))
    return _render_organization(add_form=form, status=400)


@bp.post("/organization/members/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    member = owned_or_404(User, user_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose one of the listed roles.", "error")
        return redirect(url_for("settings.organization"))
    try:
        members.change_role(current_user, member, Role(form.role.data))
    except members.MembershipError as exc:
        flash(str(exc), "error")
    else:
        if member.id == current_user.id:  # their own role: this session goes on, the others end
            keep_logged_in(member)
        flash(f"{member.name} is now {member.role.value}.", "success")
    return redirect(url_for("settings.organization"))


@bp.post("/organization/members/<int:user_id>/password")
@admin_required
def reset_password(user_id: int):
    member = owned_or_404(User, user_id)
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        flash(" ".join(form.password.errors) or "Type a temporary password.", "error")
        return redirect(url_for("settings.organization"))
    try:
        members.reset_password(current_user, member, form.password.data)
    except members.MembershipError as exc:
        flash(str(exc), "error")
    else:
        flash(
            f"{member.name}'s password is reset and they are logged out everywhere. Share the temporary "
            "password with them: they must choose a new one at their next login.",
            "success",
        )
    return redirect(url_for("settings.organization"))


@bp.post("/organization/members/<int:user_id>/remove")
@admin_required
def remove_member(user_id: int):
    member = owned_or_404(User, user_id)
    if not ButtonForm().validate_on_submit():
        abort(400)
    try:
        members.remove_member(current_user, member)
    except members.MembershipError as exc:
        flash(str(exc), "error")
    else:
        flash(f"{member.name} was removed.", "success")
    return redirect(url_for("settings.organization"))
