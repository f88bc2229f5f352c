"""The sandbox page (/sandbox): what is left to set up before `switchboard sandbox` can chat with
this Switchboard, step by step, each with the page that fixes it (webapp/sandbox/checklist.py).

It is listed in the header while Switchboard calls a Front on this machine or network, which is
how the sandbox runs it; it can be opened at any time, and then says how to start the sandbox.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_login import current_user

from webapp.public_url import is_local_address
from webapp.sandbox import checklist

bp = Blueprint("sandbox", __name__)


@bp.get("/sandbox")
def index():
    found = checklist.steps(current_user.organization_id)
    return render_template("sandbox/index.html", steps=found, ready=checklist.ready(found), State=checklist.State)


@bp.app_context_processor
def _sandbox_in_use():
    """``sandbox_in_use``: whether the header lists the sandbox page."""
    return {"sandbox_in_use": is_local_address(current_app.config.get("FRONT_API_URL"))}
