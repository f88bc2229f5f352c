"""Every model, importable from one place (Alembic's autogenerate reads Base.metadata)."""

from webapp.models.agent_settings import DEFAULT_MESSAGE_CLOSED, DEFAULT_MESSAGE_OPEN, AgentSettings, HandoffMode, OfficeHours
from webapp.models.integration import Integration, IntegrationKind
from webapp.models.knowledge import (
    KnowledgeArticle,
    KnowledgeSource,
    SourceKind,
    SyncSchedule,
    SyncStatus,
    Visibility,
)
from webapp.models.message_fingerprint import MessageFingerprint
from webapp.models.organization import Organization, Role, User
from webapp.models.support_session import (
    Channel,
    EventKind,
    SessionEvent,
    SessionStatus,
    SupportSession,
)
from webapp.models.types import utcnow
from webapp.models.webhook_journal import JournalStatus, WebhookEvent

__all__ = [
    "DEFAULT_MESSAGE_CLOSED",
    "DEFAULT_MESSAGE_OPEN",
    "AgentSettings",
    "HandoffMode",
    "OfficeHours",
    "Channel",
    "EventKind",
    "Integration",
    "IntegrationKind",
    "JournalStatus",
    "KnowledgeArticle",
    "KnowledgeSource",
    "MessageFingerprint",
    "Organization",
    "Role",
    "SessionEvent",
    "SessionStatus",
    "SourceKind",
    "SupportSession",
    "SyncSchedule",
    "SyncStatus",
    "User",
    "Visibility",
    "WebhookEvent",
    "utcnow",
]
