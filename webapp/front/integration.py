"""An organization's Front integration: its settings, its client, connecting a token."""

from __future__ import annotations

from dataclasses import dataclass, replace

from flask import current_app

from webapp import redis_server
from webapp.db import db
from webapp.front.client import FrontClient
from webapp.front.errors import FrontAuthError, FrontError, FrontForbidden
from webapp.models import Integration, IntegrationKind, SettingsError, integration_of
from webapp.models.integration import (
    WebhookTarget,
    get_or_create_integration,
    new_webhook_token,
    webhook_target,
)
from webapp.models.types import JSONSettings
from webapp.ratelimit import Priority, RateLimiter

DEFAULT_RATE_LIMIT = 50  # requests a minute: Front's smallest plan; admins raise it to their plan's
# The credentials' names.
API_TOKEN = "api_token"
APP_SECRET = "app_secret"
RULE_SECRET = "rule_webhook_secret"  # the company API secret that signs legacy rule webhooks

# What Switchboard needs the token for, probed in this order on Connect.
PROBES = (
    ("teammates", "list teammates (to choose the AI teammate)", "Shared resources (read)"),
    ("first_conversation", "read conversations", "Shared resources and Private resources (read and write)"),
    ("channels", "list channels", "Shared resources (read)"),
)


class ConnectError(ValueError):
    """Why a token was not saved; shown to the admin as it is."""


@dataclass(frozen=True)
class FrontSettings(JSONSettings):
    """What ``Integration.settings`` holds for Front: what the admin chose, and what Front said
    about the token when it was connected."""

    ai_teammate_id: str | None = None
    ai_teammate_name: str | None = None
    handle_unassigned: bool = False
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT  # the plan's API limit, shared by every call
    teammates: tuple[dict, ...] = ()  # [{id, name, email}], for choosing the AI teammate
    company_name: str | None = None
    company_id: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "teammates", tuple(self.teammates))

    def validate(self) -> None:
        if isinstance(self.rate_limit_per_minute, bool) or not isinstance(self.rate_limit_per_minute, int):
            raise SettingsError("the API limit must be a whole number of requests a minute")
        if self.rate_limit_per_minute < 1:
            raise SettingsError("the API limit must be at least 1 request a minute")
        if self.ai_teammate_id is not None and self.ai_teammate_id not in {t.get("id") for t in self.teammates}:
            raise SettingsError("the AI teammate is not one of this Front company's teammates")


def settings_of(integration: Integration | None) -> FrontSettings:
    return FrontSettings.from_json(integration.settings if integration else None)


def is_connected(integration: Integration | None) -> bool:
    return bool(integration and integration.credential(API_TOKEN))


def front_integration(organization_id: int) -> Integration | None:
    return integration_of(organization_id, IntegrationKind.FRONT)


def get_or_create(organization_id: int) -> Integration:
    return get_or_create_integration(organization_id, IntegrationKind.FRONT)


def by_webhook_token(token: str, *, remembered: bool = False) -> WebhookTarget | None:
    """What a Front webhook delivery needs of the integration (its organization and secrets);
    with ``remembered``, as this process last found it (see ``webhook_target``)."""
    return webhook_target(token, IntegrationKind.FRONT, remembered=remembered)


def webhook_url(integration: Integration) -> str:
    return f"{current_app.config['PUBLIC_URL']}/webhooks/front/{integration.webhook_token}"


def limiter_for(organization_id: int, per_minute: int) -> RateLimiter:
    return RateLimiter(redis_server.connection(), key=f"front:org:{organization_id}", per_minute=per_minute)


def client_with_token(token: str, organization_id: int, per_minute: int = DEFAULT_RATE_LIMIT, **kwargs) -> FrontClient:
    kwargs.setdefault("backoff", current_app.config["FRONT_RETRY_BACKOFF"])
    return FrontClient(
        token,
        base_url=current_app.config["FRONT_API_URL"],
        limiter=limiter_for(organization_id, per_minute),
        **kwargs,
    )


def client_for(integration: Integration, priority: Priority = Priority.CUSTOMER, **kwargs) -> FrontClient:
    token = integration.credential(API_TOKEN)
    if not token:
        raise ConnectError("Front is not connected: add an API token in Settings → Ticketing System → Front.")
    per_minute = settings_of(integration).rate_limit_per_minute
    return client_with_token(token, integration.organization_id, per_minute, priority=priority, **kwargs)


def teammate_name(teammate: dict | None) -> str:
    if not teammate:
        return "nobody"
    name = " ".join(p for p in (teammate.get("first_name"), teammate.get("last_name")) if p)
    return name or teammate.get("username") or teammate.get("email") or teammate.get("id", "a teammate")


def check_token(client: FrontClient) -> dict:
    """Check a token live: who it belongs to, then that it can do what Switchboard needs.

    Returns the settings learned on the way (company, teammates); raises ConnectError with a
    message that says what to fix.
    """
    try:
        me = client.me()
    except FrontAuthError as exc:
        raise ConnectError(
            "Invalid Front API token. Create a new one in Front → Settings → Developers → API tokens."
        ) from exc
    except FrontForbidden as exc:
        raise ConnectError(_forbidden_message(exc, "read the token's company", "API access")) from exc
    except FrontError as exc:
        raise ConnectError(f"Front could not check the token: {exc}") from exc

    found: dict = {"company_name": me.get("name"), "company_id": me.get("id")}
    for method, action, permission in PROBES:
        try:
            result = getattr(client, method)()
        except FrontForbidden as exc:
            raise ConnectError(_forbidden_message(exc, action, permission)) from exc
        except FrontError as exc:
            raise ConnectError(f"Front could not {action}: {exc}") from exc
        if method == "teammates":
            found["teammates"] = [
                {"id": t["id"], "name": teammate_name(t), "email": t.get("email")}
                for t in result
                if isinstance(t, dict) and t.get("id") and not t.get("is_blocked")
            ]
    return found


def _forbidden_message(exc: FrontForbidden, action: str, permission: str) -> str:
    detail = (exc.detail or "").lower()
    if "plan" in detail or "upgrade" in detail:
        return (
            "Your Front plan does not include API access. An admin can check the plan in "
            "Front → Settings → Company → Billing."
        )
    return (
        f"The token cannot {action}. Edit the token in Front → Settings → Developers → API tokens "
        f"and give it {permission}."
    )


def connect(organization_id: int, token: str) -> Integration:
    """Check the token live and, only if it passes, save it (encrypted) with what was learned."""
    token = token.strip()
    found = check_token(client_with_token(token, organization_id, max_retries=1))
    integration = get_or_create(organization_id)
    integration.set_credential(API_TOKEN, token)
    settings = settings_of(integration)
    known = {t["id"] for t in found.get("teammates", [])}
    if settings.ai_teammate_id not in known:  # the AI teammate is gone, or another company's
        settings = replace(settings, ai_teammate_id=None, ai_teammate_name=None)
    integration.settings = replace(settings, **found).to_json()
    db.session.commit()
    return integration


def save_agent_settings(
    integration: Integration,
    *,
    ai_teammate_id: str | None,
    handle_unassigned: bool,
    enabled: bool,
    rate_limit_per_minute: int,
) -> None:
    """Who the AI answers as, and whether it answers. The AI needs a teammate to answer as
    before it can be switched on."""
    current = settings_of(integration)
    chosen = next((t for t in current.teammates if t["id"] == ai_teammate_id), None) if ai_teammate_id else None
    if ai_teammate_id and chosen is None:
        raise SettingsError("That teammate is not in the list from Front: refresh the list and choose again.")
    if enabled and chosen is None:
        raise SettingsError("Choose the AI teammate before switching the AI on.")
    updated = replace(
        current,
        ai_teammate_id=chosen["id"] if chosen else None,
        ai_teammate_name=chosen["name"] if chosen else None,
        handle_unassigned=handle_unassigned,
        rate_limit_per_minute=rate_limit_per_minute,
    )
    integration.settings = updated.to_json()
    integration.enabled = enabled
    db.session.commit()


def save_app_secret(organization_id: int, app_secret: str) -> Integration:
    integration = get_or_create(organization_id)
    integration.set_credential(APP_SECRET, app_secret.strip())
    db.session.commit()
    return integration


def save_rule_secret(organization_id: int, api_secret: str | None) -> Integration:
    """The company API secret that signs rule webhooks; None forgets it."""
    integration = get_or_create(organization_id)
    integration.set_credential(RULE_SECRET, api_secret.strip() if api_secret else None)
    db.session.commit()
    return integration


def regenerate_webhook_token(organization_id: int) -> Integration:
    """A new webhook URL; the old one stops working at once."""
    integration = get_or_create(organization_id)
    integration.webhook_token = new_webhook_token()
    db.session.commit()
    return integration


def disconnect(integration: Integration) -> None:
    """Forget the token and stop the AI; the app secret and webhook URL stay for a reconnect."""
    integration.set_credential(API_TOKEN, None)
    integration.enabled = False
    db.session.commit()
