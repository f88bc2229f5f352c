"""Settings → AI: the optional OpenAI-compatible provider (base URL, model, encrypted key).

The base URL is an admin's input and the key goes wherever it points, so: the URL must pass
``webapp.outbound``'s rules (https, a public address unless ``ALLOW_PRIVATE_OUTBOUND``); the
saved key is bound to the server it was saved for (scheme, host and port: another path on it
keeps the key, another server needs the key entered again); and the settings page switches the
provider on only after one test call to it worked (``save_checked``).
"""

from __future__ import annotations

from dataclasses import dataclass

from webapp import outbound
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
        if self.base_url:
            try:
                outbound.check_url_form(self.base_url)
            except outbound.OutboundError as exc:
                raise SettingsError(f"the base URL: {exc}") from exc


class AddressRefused(SettingsError):
    """The base URL may not be called (its host is private, cannot be found…): about the Base
    URL field."""


class ProviderCheckFailed(SettingsError):
    """The test call failed, so nothing was saved; the message is the classified error."""


def llm_integration(organization_id: int) -> Integration | None:
    return integration_of(organization_id, IntegrationKind.LLM)


def settings_of(integration: Integration | None) -> ProviderSettings:
    return ProviderSettings.from_json(integration.settings if integration else None)


def _validated(
    organization_id: int, base_url: str, model: str, api_key: str | None, enabled: bool
) -> tuple[Integration | None, ProviderSettings, str | None, str | None]:
    """The rules that need no network: (the row, the new settings, the new key, the key calls
    would use). Raises SettingsError."""
    settings = ProviderSettings(base_url=base_url.strip().rstrip("/"), model=model.strip())
    settings.validate()
    integration = llm_integration(organization_id)
    api_key = (api_key or "").strip() or None
    saved_key = integration.credential(API_KEY) if integration else None
    if saved_key and not api_key and not outbound.same_origin(settings_of(integration).base_url, settings.base_url):
        host = (outbound.origin(settings.base_url) or ("", "another host"))[1]
        raise SettingsError(
            f"The base URL now points to another server ({host}): enter the API key again to use it there. "
            "The saved key is only ever sent to the server it was saved for."
        )
    if enabled and not (api_key or saved_key):
        raise SettingsError("Enter the API key before switching the provider on.")
    return integration, settings, api_key, api_key or saved_key


def save(organization_id: int, *, base_url: str, model: str, api_key: str | None, enabled: bool) -> Integration:
    """Save the provider; a new key replaces the saved one, none keeps it, unless the base URL
    now points to another server. The provider can be switched on only with a key. No network
    here: the settings page calls ``save_checked``."""
    integration, settings, api_key, _ = _validated(organization_id, base_url, model, api_key, enabled)
    return _write(organization_id, integration, settings, api_key, enabled)


def save_checked(organization_id: int, *, base_url: str, model: str, api_key: str | None, enabled: bool) -> Integration:
    """What the settings page saves with: ``save``'s rules; then, when the provider is switched
    on or its base URL changes, the outbound rules with the host resolved now (AddressRefused);
    then, when it is switched on, one test call with the key it would use
    (``llm.check_provider``). If that fails nothing is saved, so the settings in use (perhaps a
    working provider) stay as they were: ProviderCheckFailed, with the classified error.
    Saved off, nothing is called: switching a failing provider off must always work."""
    from webapp.agent.llm import LLMError, check_provider

    integration, settings, api_key, key = _validated(organization_id, base_url, model, api_key, enabled)
    if enabled or settings.base_url != settings_of(integration).base_url:
        try:
            outbound.check_url(settings.base_url)
        except outbound.AddressNotAllowed as exc:
            raise AddressRefused(f"This address is not allowed: {exc}.") from exc
        except outbound.OutboundError as exc:
            raise AddressRefused(f"{str(exc)[:1].upper()}{str(exc)[1:]}.") from exc
    if enabled:
        try:
            check_provider(settings.base_url, settings.model, key)
        except LLMError as exc:
            raise ProviderCheckFailed(exc.for_admin()) from exc
    return _write(organization_id, integration, settings, api_key, enabled)


def _write(
    organization_id: int,
    integration: Integration | None,
    settings: ProviderSettings,
    api_key: str | None,
    enabled: bool,
) -> Integration:
    if integration is None:
        integration = Integration(organization_id=organization_id, kind=IntegrationKind.LLM, settings={})
        db.session.add(integration)
    integration.settings = settings.to_json()
    if api_key:
        integration.set_credential(API_KEY, api_key)
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
