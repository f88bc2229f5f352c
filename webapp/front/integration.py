"""An organization's Front integration: its settings, its client, connecting a token."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select

from webapp import redis_server
from webapp.db import db
from webapp.front.client import FrontClient
from webapp.front.errors import FrontAuthError, FrontError, FrontForbidden
from webapp.models import Integration, IntegrationKind
from webapp.ratelimit import Priority, RateLimiter

# secrets.token_urlsafe's alphabet; 64 characters is far above the 43 it makes.
WEBHOOK_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
DEFAULT_RATE_LIMIT = 50  # requests a minute: Front's smallest plan; admins raise it to their plan's

# What Switchboard needs the token for, probed in this order on Connect.
PROBES = (
    ("teammates", "list teammates (to choose the AI teammate)", "Shared resources (read)"),
    ("first_conversation", "read conversations", "Shared resources and Private resources (read and write)"),
    ("channels", "list channels", "Shared resources (read)"),
)


class ConnectError(ValueError):
    """Why a token was not saved; shown to the admin as it is."""


@dataclass(frozen=True)
class FrontSettings:
    """Typed access to Integration.settings for Front."""

    raw: dict

    @property
    def ai_teammate_id(self) -> str | None:
        return self.raw.get("ai_teammate_id") or None

    @property
    def ai_teammate_name(self) -> str | None:
        return self.raw.get("ai_teammate_name") or None

    @property
    def handle_unassigned(self) -> bool:
        return bool(self.raw.get("handle_unassigned", False))

    @property
    def teammates(self) -> list[dict]:
        return list(self.raw.get("teammates", []))

    @property
    def company_name(self) -> str | None:
        return self.raw.get("company_name")

    @property
    def rate_limit_per_minute(self) -> int:
        return int(self.raw.get("rate_limit_per_minute") or DEFAULT_RATE_LIMIT)


def settings_of(integration: Integration | None) -> FrontSettings:
    return FrontSettings((integration.settings if integration else None) or {})


def is_connected(integration: Integration | None) -> bool:
    return bool(integration and (integration.credentials or {}).get("api_token"))


def front_integration(organization_id: int) -> Integration | None:
    return db.session.scalar(
        select(Integration).where(Integration.organization_id == organization_id, Integration.kind == IntegrationKind.FRONT)
    )


def get_or_create(organization_id: int) -> Integration:
    integration = front_integration(organization_id)
    if integration is None:
        integration = Integration(
            organization_id=organization_id,
            kind=IntegrationKind.FRONT,
            enabled=False,
            settings={},
            webhook_token=new_webhook_token(),
        )
        db.session.add(integration)
        db.session.flush()
    return integration


def by_webhook_token(token: str) -> Integration | None:
    # Only what new_webhook_token makes is looked up: anything else (a NUL, which PostgreSQL
    # refuses in a query) is an unknown URL, not a database error.
    if not WEBHOOK_TOKEN.fullmatch(token):
        return None
    return db.session.scalar(
        select(Integration).where(Integration.webhook_token == token, Integration.kind == IntegrationKind.FRONT)
    )


def new_webhook_token() -> str:
    return secrets.token_urlsafe(32)


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
    token = (integration.credentials or {}).get("api_token")
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
    integration.credentials = {**(integration.credentials or {}), "api_token": token}
    settings = dict(integration.settings or {})
    settings.update(found)
    known = {t["id"] for t in found.get("teammates", [])}
    if settings.get("ai_teammate_id") not in known:
        settings.pop("ai_teammate_id", None)
        settings.pop("ai_teammate_name", None)
    integration.settings = settings
    db.session.commit()
    return integration
