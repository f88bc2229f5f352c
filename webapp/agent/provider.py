"""Settings → AI: the optional OpenAI-compatible provider (base URL, model, encrypted key)."""

from __future__ import annotations

from dataclasses import dataclass

from webapp.db import db
from webapp.models import Integration, IntegrationKind, SettingsError, integration_of
from webapp.models.types import JSONSettings

API_KEY = "api_key"  # the credential's name


@dataclass(frozen=True)
class ProviderSettings(JSONSettings):
    """What ``Integration.settings`` holds for the LLM provider."""

    base_url: str = ""
    model: str = ""

    def validate(self) -> None:
        if self.base_url and not self.base_url.lower().startswith(("https://", "http://")):
            raise SettingsError("the base URL must be a full http(s) address")


def llm_integration(organization_id: int) -> Integration | None:
    return integration_of(organization_id, IntegrationKind.LLM)


def settings_of(integration: Integration | None) -> ProviderSettings:
    return ProviderSettings.from_json(integration.settings if integration else None)


def save(organization_id: int, *, base_url: str, model: str, api_key: str | None, enabled: bool) -> Integration:
    """Save the provider; a new key replaces the saved one, none keeps it. The provider can be
    switched on only with a key."""
    settings = ProviderSettings(base_url=base_url.strip().rstrip("/"), model=model.strip())
    integration = llm_integration(organization_id)
    if enabled and not (api_key or (integration and integration.credential(API_KEY))):
        raise SettingsError("Enter the API key before switching the provider on.")
    if integration is None:
        integration = Integration(organization_id=organization_id, kind=IntegrationKind.LLM, settings={})
        db.session.add(integration)
    integration.settings = settings.to_json()
    if api_key:
        integration.set_credential(API_KEY, api_key.strip())
    integration.enabled = enabled
    db.session.commit()
    return integration


def configured_llm(organization_id: int):
    integration = llm_integration(organization_id)
    if integration is None or not integration.enabled:
        return None
    settings = settings_of(integration)
    api_key = integration.credential(API_KEY)
    if not (settings.base_url and settings.model and api_key):
        return None
    from webapp.agent.llm import LLMAgent

    return LLMAgent(settings.base_url, settings.model, api_key)
