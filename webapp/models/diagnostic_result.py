from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from webapp.db import Base
from webapp.models.types import JSONDocument, UTCDateTime, enum_column, utcnow


class CheckStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILING = "failing"
    NOT_SET_UP = "not_set_up"  # nothing to check yet (the integration is not connected)

    @property
    def label(self) -> str:
        return {"ok": "OK", "warning": "Warning", "failing": "Failing", "not_set_up": "Not set up"}[self.value]


class DiagnosticResult(Base):
    """The last outcome of one setup check (``webapp.diagnostics``) for an organization: what it
    found, how to fix it, and when it ran. One row a check, replaced each time the check runs."""

    __tablename__ = "diagnostic_results"
    __table_args__ = (UniqueConstraint("organization_id", "integration", "check_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    integration: Mapped[str] = mapped_column(String(32))  # "front", "salesforce"
    check_key: Mapped[str] = mapped_column(String(64))
    status: Mapped[CheckStatus] = mapped_column(enum_column(CheckStatus))
    found: Mapped[str] = mapped_column(Text)
    fix: Mapped[str | None] = mapped_column(Text)
    # {"label": ..., "endpoint": ..., "anchor": ...}: resolved to a URL when the page renders
    fix_link: Mapped[dict | None] = mapped_column(JSONDocument)
    details: Mapped[list] = mapped_column(JSONDocument, default=list)
    ran_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
