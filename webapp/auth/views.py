from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select

from webapp.auth import throttle
from webapp.auth.forms import LoginForm, SetupForm
from webapp.db import db
from webapp.models import Organization, Role, User, utcnow
from webapp.security import any_user_exists, public

bp = Blueprint("auth", __name__)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never let ?next= send a user to another host."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("inbox.index")


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run only: create the organization and its owner while no user exists."""
    if any_user_exists():
        abort(404)
    form = SetupForm()
    if form.validate_on_submit():
        organization = Organization(name=form.organization.data.strip())
        owner = User(
            organization=organization,
            email=normalize_email(form.email.data),
            name=form.name.data.strip(),
            role=Role.OWNER,
        )
        owner.set_password(form.password.data)
        db.session.add_all([organization, owner])
        db.session.commit()
        session.permanent = True
        login_user(owner)
        flash(f"Welcome to Switchboard, {owner.name}. Connect Front to start answering.", "success")
        return redirect(url_for("front.settings"))
    return render_template("auth/setup.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        key = throttle.key_for(form.email.data, request.remote_addr)
        if throttle.is_locked(key):
            form.password.errors.append("Too many failed attempts. Wait 15 minutes and try again.")
        else:
            user = find_user(form.email.data)
            if user is not None and user.active and user.check_password(form.password.data):
                throttle.clear(key)
                user.last_login_at = utcnow()
                db.session.commit()
                session.permanent = True  # it ends SESSION_LIFETIME_HOURS after the last request
                login_user(user, remember=form.remember.data)
                return redirect(_safe_next(request.args.get("next")))
            throttle.record_failure(key)
            form.password.errors.append("That email and password do not match an active user.")
    return render_template("auth/login.html", form=form), (400 if form.errors else 200)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
