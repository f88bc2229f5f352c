"""An organization's Salesforce integration: what is stored, where it points, whether it works.

``Integration.settings`` (shown on the page) holds the Connected App / External Client App's
Client ID, the Login URL, what Salesforce said about the connection (user, org id, instance URL,
API usage) and the Case options. ``Integration.credentials`` (encrypted, never rendered) holds
the client secret, the OAuth tokens and the secret that signs the Apex callouts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from urllib.parse import urlsplit

from flask import current_app

from webapp.db import db
from webapp.models import Integration, IntegrationKind, SettingsError, integration_of, utcnow
from webapp.models.integration import WebhookTarget, get_or_create_integration, webhook_target
from webapp.models.types import JSONSettings

PRODUCTION_LOGIN_URL = "https://login.salesforce.com"
SANDBOX_LOGIN_URL = "https://test.salesforce.com"

# The credentials' names.
CLIENT_SECRET = "client_secret"
ACCESS_TOKEN = "access_token"
REFRESH_TOKEN = "refresh_token"
CALLOUT_SECRET = "callout_secret"  # signs the Apex callouts that carry reps' replies

# Salesforce's own limits on the Case fields Switchboard fills (field reference, Case).
ORIGIN_MAX = 40
PRIORITY_MAX = 40
EXTERNAL_ID_FIELD_MAX = 80
API_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*")
CUSTOM_API_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*__c")


class ConnectionState(StrEnum):
    NOT_CONNECTED = "not_connected"
    CONNECTED = "connected"
    # Salesforce refused the refresh token (revoked, rotated, over the five-grant cap, the user
    # deactivated): only an admin connecting again brings it back, so it is never retried.
    DISCONNECTED = "disconnected"


class AfterCase(StrEnum):
    """What happens to the Front conversation once its Case is created."""

    KEEP = "keep"  # stays with the AI teammate, which stays quiet: nobody in Front answers over the rep
    UNASSIGN = "unassign"


@dataclass(frozen=True)
class SalesforceSettings(JSONSettings):
    client_id: str | None = None
    login_url: str = PRODUCTION_LOGIN_URL
    state: str = ConnectionState.NOT_CONNECTED.value
    disconnected_reason: str | None = None
    disconnected_at: str | None = None  # when Salesforce refused the refresh token
    # Who and where, from the token response and the identity service.
    username: str | None = None
    user_id: str | None = None
    org_id: str | None = None
    instance_url: str | None = None
    connected_at: str | None = None
    # The API usage Salesforce reports with every call is kept in Redis (client.api_usage), not
    # here: a job writing it would overwrite settings an admin saved meanwhile.
    # Case options.
    case_origin: str = "Email"
    case_priority: str = "Medium"
    frustrated_priority: str = "High"
    external_id_field: str | None = None  # a unique External ID text field on Case, if the org added one
    after_case: str = AfterCase.KEEP.value
    # When the callout secret was made, shown so an admin knows which one Salesforce holds.
    callout_secret_created_at: str | None = None
    # Messaging for In-App and Web, read and checked by webapp.salesforce.messaging.settings.
    live_messaging: dict = field(default_factory=dict)

    def validate(self) -> None:
        if self.state not in {s.value for s in ConnectionState}:
            raise SettingsError("unknown connection state")
        if self.after_case not in {a.value for a in AfterCase}:
            raise SettingsError("choose what happens to the Front conversation after the Case is created")
        for value, name, limit in (
            (self.case_origin, "Case Origin", ORIGIN_MAX),
            (self.case_priority, "Case Priority", PRIORITY_MAX),
            (self.frustrated_priority, "Priority for frustrated customers", PRIORITY_MAX),
        ):
            if not isinstance(value, str) or not value.strip() or len(value) > limit:
                raise SettingsError(f"{name} must be a picklist value of 1 to {limit} characters")
        if self.external_id_field is not None and not is_api_name(self.external_id_field, custom=True):
            raise SettingsError(
                "The External ID field must be the API name of a custom field on Case, such as Switchboard_Key__c"
            )

    @property
    def connected(self) -> bool:
        return self.state == ConnectionState.CONNECTED

    @property
    def my_domain(self) -> str | None:
        """The org's My Domain host, from its instance URL."""
        return urlsplit(self.instance_url).hostname if self.instance_url else None


def is_api_name(name: str, *, custom: bool = False) -> bool:
    """A Salesforce API name: letters, digits and single underscores, starting with a letter;
    a custom field's ends in ``__c``."""
    pattern = CUSTOM_API_NAME if custom else API_NAME
    return isinstance(name, str) and len(name) <= EXTERNAL_ID_FIELD_MAX and bool(pattern.fullmatch(name))


def settings_of(integration: Integration | None) -> SalesforceSettings:
    return SalesforceSettings.from_json(integration.settings if integration else None)


def salesforce_integration(organization_id: int) -> Integration | None:
    return integration_of(organization_id, IntegrationKind.SALESFORCE)


def get_or_create(organization_id: int) -> Integration:
    return get_or_create_integration(organization_id, IntegrationKind.SALESFORCE)


def by_webhook_token(token: str) -> WebhookTarget | None:
    """What a callout from the org's Apex needs of the integration (its organization and secrets)."""
    return webhook_target(token, IntegrationKind.SALESFORCE)


def is_connected(integration: Integration | None) -> bool:
    """Connected and usable: tokens stored and never refused since."""
    return bool(integration and settings_of(integration).connected and integration.credential(REFRESH_TOKEN))


def update_settings(integration: Integration, **changes) -> SalesforceSettings:
    """Change some settings (validated; the caller commits)."""
    updated = replace(settings_of(integration), **changes)
    integration.settings = updated.to_json()
    return updated


def mark_disconnected(integration: Integration, reason: str) -> None:
    """Salesforce refused the refresh token: keep what is needed to reconnect, forget the
    tokens, and say why. Commits."""
    integration.set_credential(ACCESS_TOKEN, None)
    integration.set_credential(REFRESH_TOKEN, None)
    update_settings(
        integration,
        state=ConnectionState.DISCONNECTED.value,
        disconnected_reason=reason[:500],
        disconnected_at=now_text(),
    )
    db.session.commit()


def redirect_uri() -> str:
    """What the admin pastes as the app's Callback URL; sent, unchanged, with every OAuth call."""
    return f"{current_app.config['PUBLIC_URL']}/oauth/salesforce/callback"


def webhook_url(integration: Integration) -> str:
    """Where the org's Apex posts reps' replies (the Named Credential's URL)."""
    return f"{current_app.config['PUBLIC_URL']}/webhooks/salesforce/{integration.webhook_token}"


def case_url(settings: SalesforceSettings, case_id: str | None) -> str | None:
    """The Case in Lightning Experience, for links in Front's note and the Inbox."""
    if not (settings.instance_url and case_id):
        return None
    return f"{settings.instance_url.rstrip('/')}/lightning/r/Case/{case_id}/view"


def now_text() -> str:
    return utcnow().isoformat(timespec="seconds")
