"""Every model, importable from one place (Alembic's autogenerate reads Base.metadata)."""

from webapp.models.agent_settings import (
    DEFAULT_DESTINATION,
    DEFAULT_MESSAGE_CLOSED,
    DEFAULT_MESSAGE_OPEN,
    AdvancedSwitches,
    AgentSettings,
    HandoffMode,
    OfficeHours,
)
from webapp.models.diagnostic_result import CheckStatus, DiagnosticResult
from webapp.models.integration import Integration, IntegrationKind, integration_of
from webapp.models.journal_entry import JournalEntry, JournalStatus
from webapp.models.knowledge import (
    ArticleExample,
    KnowledgeArticle,
    KnowledgePassage,
    KnowledgeSource,
    SourceKind,
    SourceSettings,
    SyncSchedule,
    SyncStatus,
    Visibility,
)
from webapp.models.message_fingerprint import MessageFingerprint
from webapp.models.messaging import MessagingConversation, MessagingStatus
from webapp.models.organization import Organization, Role, User
from webapp.models.support_session import (
    CHANNELS,
    Channel,
    EventKind,
    SessionEvent,
    SessionStatus,
    SupportSession,
)
from webapp.models.types import SettingsError, utcnow

__all__ = [
    "CHANNELS",
    "CheckStatus",
    "DiagnosticResult",
    "DEFAULT_DESTINATION",
    "DEFAULT_MESSAGE_CLOSED",
    "DEFAULT_MESSAGE_OPEN",
    "AdvancedSwitches",
    "AgentSettings",
    "ArticleExample",
    "KnowledgePassage",
    "Channel",
    "EventKind",
    "HandoffMode",
    "Integration",
    "IntegrationKind",
    "JournalEntry",
    "JournalStatus",
    "KnowledgeArticle",
    "KnowledgeSource",
    "MessageFingerprint",
    "MessagingConversation",
    "MessagingStatus",
    "OfficeHours",
    "Organization",
    "Role",
    "SessionEvent",
    "SessionStatus",
    "SettingsError",
    "SourceKind",
    "SourceSettings",
    "SupportSession",
    "SyncSchedule",
    "SyncStatus",
    "User",
    "Visibility",
    "integration_of",
    "utcnow",
]
