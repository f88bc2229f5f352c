"""The RQ dashboard at /admin/rq, for owners and admins only.

rq-dashboard's views serve its data as they are; what its pages run and how its actions are
reached are ours:

- Its pages are rendered from templates/admin/rq_dashboard/, which override the package's
  templates of the same names. The package's own pages wrote job data (an exception's text, a
  job's arguments, its metadata) into the page as HTML, so a job failing with markup in its
  error ran script as the admin who opened it; they also needed inline scripts and eval. Ours
  load static/job_dashboard.js, which sets every value from a job as text, and are served under
  the app's Content-Security-Policy like every other page.
- Its actions (every route of the blueprint that takes a POST: requeue, requeue all, delete,
  empty, compact) answer POST only, with 405 to anything else (the package routes GET to
  requeue-all too, so a link could requeue), and a POST needs the app's CSRF token
  (CSRFProtect), like every form of the app; the dashboard's script sends it in X-CSRFToken.
"""

from __future__ import annotations

import rq_dashboard
from flask import Blueprint, Flask, abort, current_app, request
from flask_login import current_user
from rq.exceptions import NoSuchJobError
from werkzeug.exceptions import NotFound

from webapp import package_folder
from webapp.extensions import login_manager

PREFIX = "/admin/rq"
# The job lists the package's views know; any other name fails inside them.
REGISTRIES = frozenset({"queued", "failed", "deferred", "started", "finished", "canceled", "scheduled"})
# app.extensions key: the dashboard's endpoints that change something.
ACTIONS = "job_dashboard_actions"

# Holds no route: it puts templates/admin/ on the template search path ahead of the package's
# blueprint (blueprints are searched in the order they are registered), so our
# rq_dashboard/*.html are rendered in place of the package's.
dashboard_templates = Blueprint(
    "job_dashboard_templates", __name__, template_folder=str(package_folder("webapp.templates") / "admin")
)


def _admins_only():
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    if not current_user.can_manage_settings:
        abort(403, description="The job dashboard is for owners and admins.")
    if request.endpoint in current_app.extensions[ACTIONS] and request.method != "POST":
        abort(405, valid_methods=["POST"])
    if (request.view_args or {}).get("registry_name", "queued") not in REGISTRIES:
        abort(404, description="There is no such list of jobs.")
    return None


def _no_such_thing(error: Exception):
    """The package's views raise on an unknown job, Redis instance or registry, and on a page size
    that is not a positive number: that is a 404 to the admin, not a server error."""
    return current_app.handle_http_exception(
        NotFound(description="There is no such job, queue or page in the job dashboard.")
    )


def _action_endpoints(app: Flask, blueprint: Blueprint) -> frozenset[str]:
    """Every endpoint of the dashboard that accepts a POST: each of them changes something."""
    return frozenset(
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith(f"{blueprint.name}.") and "POST" in (rule.methods or ())
    )


def init_app(app: Flask) -> None:
    app.config.setdefault("RQ_DASHBOARD_REDIS_URL", app.config["REDIS_URL"])
    app.config.setdefault("RQ_DASHBOARD_POLL_INTERVAL", 5000)
    rq_dashboard.web.setup_rq_connection(app)
    blueprint = rq_dashboard.blueprint
    if not getattr(blueprint, "_switchboard_guarded", False):
        # The blueprint object is module-level and shared by every app in this process.
        blueprint.before_request(_admins_only)
        for error in (NoSuchJobError, LookupError, ValueError, ZeroDivisionError):
            blueprint.register_error_handler(error, _no_such_thing)
        blueprint._switchboard_guarded = True
    app.register_blueprint(dashboard_templates)  # before the package's blueprint: our templates win
    app.register_blueprint(blueprint, url_prefix=PREFIX)
    app.extensions[ACTIONS] = _action_endpoints(app, blueprint)
