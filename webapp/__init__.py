"""Switchboard: a self-hosted AI support agent for Front, escalating to Salesforce."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask

from webapp import config, redis_server
from webapp.crypto import keyring
from webapp.db import db
from webapp.extensions import csrf, login_manager

def package_folder(package: str) -> Path:
    """The folder of one of the data packages (webapp.templates, webapp.static,
    webapp.migration_scripts): the checkout's top-level folder under an editable install, the
    copy inside webapp/ when installed from a wheel. pyproject.toml makes them packages so the
    import system knows where they are in both cases; the package is located, never imported."""
    from importlib.util import find_spec

    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise RuntimeError(
            f"{package} is not installed. Install Switchboard (`pip install -c constraints.txt -e .` "
            "in a checkout) and run it from that environment."
        )
    return Path(spec.origin).parent


def default_instance_path() -> str:
    """INSTANCE_PATH, else where Flask puts an app's instance folder: `instance/` in the checkout
    (an editable install included), `<sys.prefix>/var/webapp-instance` once installed from a
    wheel, so an installed Switchboard never writes into site-packages."""
    return os.environ.get("INSTANCE_PATH") or Flask(__name__, static_folder=None).instance_path


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or default_instance_path(),
        template_folder=str(package_folder("webapp.templates")),
        static_folder=str(package_folder("webapp.static")),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)

    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "INFO"), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    keyring.configure(app.config["ENCRYPTION_KEYS"])
    db.init_app(app)
    redis_server.init_app(app)
    login_manager.init_app(app)

    from webapp import auth, health, inbox, knowledge, security, settings, templating
    from webapp.admin import rq_dashboard
    from webapp.agent import views as agent_views
    from webapp.front import views as front_views
    from webapp.front import webhooks as front_webhooks

    security.init_app(app)
    csrf.init_app(app)  # after the login gate: an anonymous POST is sent to log in, not refused
    templating.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(inbox.bp)
    app.register_blueprint(settings.bp)
    app.register_blueprint(front_views.bp)
    app.register_blueprint(agent_views.bp)
    app.register_blueprint(agent_views.ai_bp)
    app.register_blueprint(front_webhooks.bp)
    app.register_blueprint(knowledge.bp)
    rq_dashboard.init_app(app)

    from webapp.cli import register_commands

    register_commands(app)
    return app
