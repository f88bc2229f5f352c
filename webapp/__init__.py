"""Switchboard: a self-hosted AI support agent for Front, escalating to Salesforce."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from webapp import config, logs, redis_server
from webapp.crypto import EncryptionNotConfigured, keyring, undecryptable_page
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


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=instance_path or config.instance_path(),
        template_folder=str(package_folder("webapp.templates")),
        static_folder=str(package_folder("webapp.static")),
    )
    # Keys, the SQLite database and the embedded Redis live here: this user's alone.
    Path(app.instance_path).mkdir(mode=0o700, parents=True, exist_ok=True)
    Path(app.instance_path).chmod(0o700)
    app.config.from_mapping(config.from_environment(Path(app.instance_path)))
    if test_config:
        app.config.from_mapping(test_config)
    if hops := app.config.get("TRUSTED_PROXY_HOPS"):  # client address and scheme as the trusted proxies saw them
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)

    logs.configure(app.config["LOG_LEVEL"])
    keyring.configure(app.config["ENCRYPTION_KEYS"], reload=config.reloader_of_encryption_keys(app))
    app.register_error_handler(EncryptionNotConfigured, undecryptable_page)
    db.init_app(app)
    redis_server.init_app(app)
    login_manager.init_app(app)

    # Imported when an app is built, not when the package is: `import webapp.models` (a
    # migration, a job) must not pull in every page.
    from webapp import health, security, templating, wiring
    from webapp.admin import rq_dashboard
    from webapp.agent import views as agent_views
    from webapp.auth import views as auth_views
    from webapp.cli import register_commands
    from webapp.diagnostics import views as diagnostics_views
    from webapp.front import views as front_views
    from webapp.front import webhooks as front_webhooks
    from webapp.inbox import failed as failed_events
    from webapp.inbox import views as inbox_views
    from webapp.knowledge import views as knowledge_views
    from webapp.routing import register_converters
    from webapp.salesforce import apex_views as salesforce_apex_views
    from webapp.salesforce import case_views as salesforce_case_views
    from webapp.salesforce import views as salesforce_views
    from webapp.salesforce import webhooks as salesforce_webhooks
    from webapp.salesforce.messaging import views as salesforce_messaging_views
    from webapp.sandbox import page as sandbox_page
    from webapp.settings import retention as retention_views
    from webapp.settings import views as settings_views

    register_converters(app)  # before any route is added: <int:...> is bounded in all of them
    app.extensions["registry"] = wiring.assemble()
    security.init_app(app)
    csrf.init_app(app)  # after the login gate: an anonymous POST is sent to log in, not refused
    templating.init_app(app)
    for blueprint in (
        auth_views.bp,
        health.bp,
        inbox_views.bp,
        failed_events.bp,
        settings_views.bp,
        retention_views.bp,
        front_views.bp,
        agent_views.bp,
        agent_views.ai_bp,
        front_webhooks.bp,
        salesforce_webhooks.bp,
        salesforce_views.bp,
        salesforce_apex_views.bp,
        salesforce_case_views.bp,
        salesforce_messaging_views.bp,
        knowledge_views.bp,
        sandbox_page.bp,
        diagnostics_views.bp,
    ):
        app.register_blueprint(blueprint)
    rq_dashboard.init_app(app)
    register_commands(app)
    return app
