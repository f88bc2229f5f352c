"""The RQ dashboard at /admin/rq, for owners and admins only.

The dashboard's own pages post with jQuery and no CSRF token, so its blueprint is exempt from
CSRFProtect; instead its POSTs must come from this origin (the session cookie is SameSite=Lax
as well, so a cross-site form cannot carry a login).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import rq_dashboard
from flask import Flask, abort, request
from flask_login import current_user

from webapp.extensions import csrf, login_manager

PREFIX = "/admin/rq"


def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.can_manage_settings:
        abort(403, description="The job dashboard is for owners and admins.")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        origin = request.headers.get("Origin") or request.headers.get("Referer") or ""
        if urlsplit(origin).netloc != request.host:
            abort(403, description="Dashboard actions must come from this site.")
    return None


def init_app(app: Flask) -> None:
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    rq_dashboard.web.setup_rq_connection(app)
    blueprint = rq_dashboard.blueprint
    if not getattr(blueprint, "_switchboard_guarded", False):
        # The blueprint object is module-level and shared by every app in this process.
        blueprint.before_request(_admins_only)
        blueprint._switchboard_guarded = True
    csrf.exempt(blueprint)
    app.register_blueprint(blueprint, url_prefix=PREFIX)
