"""Settings → AI: the optional OpenAI-compatible provider (base URL, model, encrypted key)."""

from __future__ import annotations

from sqlalchemy import select

from webapp.db import db
from webapp.models import Integration, IntegrationKind


def llm_integration(organization_id: int) -> Integration | None:
    return db.session.scalar(
        select(Integration).where(Integration.organization_id == organization_id, Integration.kind == IntegrationKind.LLM)
    )


def configured_llm(organization_id: int):
    integration = llm_integration(organization_id)
    if integration is None or not integration.enabled:
        return None
    settings = integration.settings or {}
    api_key = (integration.credentials or {}).get("api_key")
    if not (settings.get("base_url") and settings.get("model") and api_key):
        return None
    from webapp.agent.llm import LLMAgent

    return LLMAgent(settings["base_url"], settings["model"], api_key)
