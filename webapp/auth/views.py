from __future__ import annotations

import math
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from webapp.auth import passwords, setup_token, throttle
from webapp.auth.forms import ChangePasswordForm, LoginForm, SetupForm
from webapp.auth.logins import keep_logged_in
from webapp.db import db
from webapp.models import Organization, Role, User, utcnow
from webapp.models.organization import Installation
from webapp.security import any_user_exists, public

bp = Blueprint("auth", __name__)


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalize_email(email)))


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths: never let ?next= send a user to another host."""
    # Control characters never: a line break would end the Location header (Werkzeug refuses it
    # with a 500), and a browser drops tabs and breaks when it reads "/\t/evil.example".
    if target and target.isprintable():
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith(("//", "/\\")):
            return target
    return url_for("inbox.index")


@bp.route("/setup", methods=["GET", "POST"])
@public
def setup():
    """First run only: create the organization and its owner while no user exists, given the
    one-time set-up token that `switchboard serve` printed."""
    if any_user_exists():
        abort(404)
    setup_token.issue()  # under a web server other than `switchboard serve`, the first visit makes it
    form = SetupForm()
    if request.method == "GET" and request.args.get("token"):
        form.setup_token.data = request.args["token"]
    if form.validate_on_submit():
        if not setup_token.matches(form.setup_token.data):
            form.setup_token.errors.append(
                "That is not this server's set-up token. Use the link `switchboard serve` printed, "
                "or the token in the file setup_token in the instance folder."
            )
        else:
            return _create_first_organization(form)
    return render_template("auth/setup.html", form=form)


def _create_first_organization(form: SetupForm):
    organization = Organization(name=form.organization.data.strip())
    owner = User(
        organization=organization,
        email=normalize_email(form.email.data),
        name=form.name.data.strip(),
        role=Role.OWNER,
    )
    owner.set_password(form.password.data)
    # The single installation row is the claim: of simultaneous set-ups, one commits and the
    # others fail on its key, so there is never a second organization.
    db.session.add_all([organization, owner, Installation(organization=organization)])
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        flash("Switchboard has just been set up by someone else. Log in with that account.", "error")
        return redirect(url_for("auth.login"))
    setup_token.discard()
    session.permanent = True
    login_user(owner)
    flash(f"Welcome to Switchboard, {owner.name}. Connect Front to start answering.", "success")
    return redirect(url_for("front.settings"))


def _wait_message(seconds: float) -> str:
    return f"Too many failed attempts. Wait {throttle.describe_wait(seconds)}, then try again."


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if not any_user_exists():
        return redirect(url_for("auth.setup"))
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    wait = 0.0
    if form.validate_on_submit():
        attempt = throttle.Attempt(form.email.data, request.remote_addr)
        wait = attempt.start()
        if wait:
            form.password.errors.append(_wait_message(wait))
        else:
            user = find_user(form.email.data)
            # One password hash is checked whether or not the email is anyone's (passwords.check).
            if passwords.check(user, form.password.data):
                attempt.succeeded()
                user.last_login_at = utcnow()
                db.session.commit()
                session.permanent = True  # it ends SESSION_LIFETIME_HOURS after the last request
                login_user(user, remember=form.remember.data)
                return redirect(_safe_next(request.args.get("next")))
            message = "That email and password do not match an active user."
            if retry := attempt.retry_after():
                message += f" Wait {throttle.describe_wait(retry)} before trying again."
            form.password.errors.append(message)
    return _form_page("auth/login.html", form, wait)


def _form_page(template: str, form, wait: float):
    """The form again: 400 with its errors, 429 (with Retry-After) while attempts must wait."""
    response = make_response(render_template(template, form=form), 400 if form.errors else 200)
    if wait:
        response.status_code = 429
        response.headers["Retry-After"] = str(math.ceil(wait))
    return response


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Log out. The user's session token is replaced, so no copy of this login's cookies (nor of
    any other device's) works any more; "Log out everywhere" (``everywhere``) says so."""
    everywhere = bool(request.form.get("everywhere"))
    if current_user.is_authenticated:
        current_user.rotate_session_token()
        db.session.commit()
    logout_user()
    if everywhere:
        flash("You are logged out everywhere: every browser and device must log in again.", "info")
    else:
        flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    """Change one's own password (required first after an admin reset it). Every other device
    is logged out; this one stays logged in."""
    form = ChangePasswordForm()
    wait = 0.0
    if form.validate_on_submit():
        user = current_user._get_current_object()
        attempt = throttle.Attempt(user.email, request.remote_addr)
        wait = attempt.start()
        if wait:
            form.current_password.errors.append(_wait_message(wait))
        elif not passwords.check(user, form.current_password.data):
            message = "That is not your current password."
            if retry := attempt.retry_after():
                message += f" Wait {throttle.describe_wait(retry)} before trying again."
            form.current_password.errors.append(message)
        elif form.new_password.data == form.current_password.data:
            attempt.succeeded()
            form.new_password.errors.append("Choose a password different from the current one.")
        else:
            attempt.succeeded()
            user.change_password(form.new_password.data)
            db.session.commit()
            keep_logged_in(user)
            flash("Your password is changed. Every other browser and device was logged out.", "success")
            return redirect(url_for("inbox.index"))
    return _form_page("auth/change_password.html", form, wait)
