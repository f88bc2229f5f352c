"""How long Switchboard keeps what customers sent, and the pruning that enforces it.

Raw webhook bodies (every message a customer wrote, as Front delivered it) are needed only
until they are processed: they are emptied a grace period after that. The journal row itself,
with its event id, stays long enough that a late redelivery is still recognized as one, then
goes. Content fingerprints live as long as their 24-hour dedup window. Sessions (the Inbox, with
every message and decision) are kept for a number of days each organization chooses.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from webapp.db import db
from webapp.front.sessions import DEDUP_WINDOW
from webapp.models import JournalEntry, JournalStatus, MessageFingerprint, Organization, SupportSession, utcnow
from webapp.models.types import JSONSettings, SettingsError

log = logging.getLogger(__name__)

# A journal row's event id answers a redelivery as a duplicate for this long (Front redelivers
# within hours; a month covers any backlog), whatever happens to its body.
JOURNAL_IDS_KEPT = timedelta(days=30)
MAX_DAYS = 3650


@dataclass(frozen=True)
class RetentionSettings(JSONSettings):
    """What ``Organization.retention`` holds. Safe defaults: bodies a week after processing,
    sessions a year after their last activity."""

    webhook_body_days: int = 7  # after the event was processed
    session_days: int = 365  # after the session's last activity; 0 keeps them forever

    def validate(self) -> None:
        for name, low in (("webhook_body_days", 1), ("session_days", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_DAYS:
                raise SettingsError(f"{name.replace('_', ' ')} must be a whole number from {low} to {MAX_DAYS}")


def settings_of(organization: Organization) -> RetentionSettings:
    return RetentionSettings.from_json(organization.retention)


def save(organization: Organization, settings: RetentionSettings) -> None:
    organization.retention = settings.to_json()
    db.session.commit()


@dataclass
class PruneReport:
    bodies_emptied: int = 0
    journal_rows_deleted: int = 0
    fingerprints_deleted: int = 0
    sessions_deleted: int = 0


def prune(now: datetime | None = None) -> PruneReport:
    """Apply every organization's retention once. Each step is one statement per organization,
    committed on its own, so a run that dies halfway leaves nothing half-done."""
    now = now or utcnow()
    report = PruneReport()
    done = JournalEntry.status == JournalStatus.DONE
    for organization in db.session.scalars(select(Organization)).all():
        settings = settings_of(organization)
        mine = JournalEntry.organization_id == organization.id
        report.bodies_emptied += _run(
            update(JournalEntry)
            .where(mine, done, JournalEntry.payload != "")
            .where(JournalEntry.processed_at < now - timedelta(days=settings.webhook_body_days))
            .values(payload="")
        )
        if settings.session_days:
            kept_since = now - timedelta(days=settings.session_days)
            report.sessions_deleted += _run(
                delete(SupportSession).where(
                    SupportSession.organization_id == organization.id, SupportSession.last_activity_at < kept_since
                )
            )
            report.journal_rows_deleted += _run(
                delete(JournalEntry).where(
                    mine, JournalEntry.status == JournalStatus.FAILED, JournalEntry.received_at < kept_since
                )
            )
    # Rows whose body is gone and whose id no redelivery needs any more; failed rows stay (an
    # admin may retry them) until their organization's session retention says otherwise.
    report.journal_rows_deleted += _run(
        delete(JournalEntry).where(done, JournalEntry.payload == "", JournalEntry.received_at < now - JOURNAL_IDS_KEPT)
    )
    report.fingerprints_deleted = _run(
        delete(MessageFingerprint).where(MessageFingerprint.created_at < now - DEDUP_WINDOW - timedelta(hours=1))
    )
    if any(vars(report).values()):
        log.info("retention: %s", report)
    return report


def _run(statement) -> int:
    count = db.session.execute(statement.execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return count
