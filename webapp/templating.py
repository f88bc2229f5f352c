"""Template filters and the navigation every page shares."""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit

from flask import Flask

from webapp import public_url
from webapp.agent.wording import mood_in_words, reason_in_words
from webapp.crypto import secret_hint

# Settings → ..., named as the product's documentation names them.
SETTINGS_NAV = (
    ("Ticketing System", (("Front", "front.settings"), ("Front troubleshooting", "diagnostics.front"))),
    (
        "Integrations",
        (("Salesforce", "salesforce.settings"), ("Salesforce troubleshooting", "diagnostics.salesforce")),
    ),
    (
        "Agent",
        (
            ("Handoff settings", "handoff.settings"),
            ("Data Sources", "knowledge.data_sources"),
            ("Knowledge", "knowledge.articles"),
            ("AI provider", "ai.provider_settings"),
        ),
    ),
    ("Team", (("Organization and members", "settings.organization"), ("Data retention", "retention.settings"))),
)


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return value.strftime("%Y-%m-%d %H:%M UTC")


def pretty_json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def http_url(value) -> str:
    """Only http(s) links are rendered as links: a ``javascript:`` URL from synced data is text."""
    if not isinstance(value, str):
        return ""
    try:
        scheme = urlsplit(value.strip()).scheme
    except ValueError:  # "http://[": a broken address from synced data is not a link either
        return ""
    return value.strip() if scheme in ("http", "https") else ""


def init_app(app: Flask) -> None:
    app.jinja_env.filters["datetime"] = format_datetime
    app.jinja_env.filters["pretty_json"] = pretty_json
    app.jinja_env.filters["secret_hint"] = secret_hint
    app.jinja_env.filters["http_url"] = http_url
    app.jinja_env.filters["handoff_reason"] = reason_in_words
    app.jinja_env.filters["handoff_mood"] = mood_in_words
    app.jinja_env.globals["SETTINGS_NAV"] = SETTINGS_NAV
    # templates/_public_url_warning.html: next to every URL Front or Salesforce must reach.
    app.jinja_env.globals["public_url_unreachable_by"] = public_url.unreachable_by
