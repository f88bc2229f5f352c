"""Setup checks: every known way a Front or Salesforce setup breaks, looked for by the product
itself and told in the admin's words, with the fix.

A check is a function from a :class:`Context` (the organization, its integration, lazily built
API clients) to a :class:`Finding`. Each integration's checks are declared as data in their own
module (``front_checks``, ``salesforce_checks``), in the order the Troubleshooting page shows
them. :func:`run_checks` runs them (on demand from the page, and every
``DIAGNOSTICS_INTERVAL_SECONDS`` in the ``run_diagnostics`` job) and keeps each one's last
finding in ``diagnostic_results``, which the page, the banner on every settings page and
``/healthz`` read. A check that raises is itself a finding (a warning that it could not run),
so one broken check never hides the others.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from webapp.db import db
from webapp.models import CheckStatus, DiagnosticResult, Integration, IntegrationKind, integration_of, utcnow
from webapp.salesforce.errors import remote_text

log = logging.getLogger(__name__)

# Each integration's checks, and the page that shows them.
INTEGRATIONS: dict[str, tuple[str, str]] = {
    "front": ("Front", "webapp.diagnostics.front_checks"),
    "salesforce": ("Salesforce", "webapp.diagnostics.salesforce_checks"),
}
FOUND_MAX = 2000
DETAILS_MAX = 20


@dataclass(frozen=True)
class Link:
    """Where the fix is made: an endpoint of this app (with an optional #anchor), resolved to a
    URL when a page shows it, so a finding saved by a job needs no request to build it."""

    label: str
    endpoint: str
    anchor: str | None = None
    values: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"label": self.label, "endpoint": self.endpoint, "anchor": self.anchor, "values": dict(self.values)}


@dataclass(frozen=True)
class Finding:
    status: CheckStatus
    found: str  # what the check saw, in the admin's words
    fix: str | None = None  # what to do about it (none when all is well)
    link: Link | None = None
    details: tuple[str, ...] = ()  # the evidence: one line each (when, how many, which)


def ok(found: str, details: tuple[str, ...] | list[str] = ()) -> Finding:
    return Finding(CheckStatus.OK, found, details=tuple(details))


def warning(found: str, fix: str | None = None, link: Link | None = None, details=()) -> Finding:
    return Finding(CheckStatus.WARNING, found, fix, link, tuple(details))


def failing(found: str, fix: str, link: Link | None = None, details=()) -> Finding:
    return Finding(CheckStatus.FAILING, found, fix, link, tuple(details))


def not_set_up(found: str, fix: str | None = None, link: Link | None = None) -> Finding:
    return Finding(CheckStatus.NOT_SET_UP, found, fix, link)


@dataclass
class Context:
    """What a check looks at. Clients are built on first use, so a check that needs none costs
    no call; a check that finds the integration missing says so rather than raising."""

    organization_id: int
    integration_key: str
    now: datetime = field(default_factory=utcnow)

    @cached_property
    def integration(self) -> Integration | None:
        return integration_of(self.organization_id, IntegrationKind(self.integration_key))

    @cached_property
    def cache(self) -> dict:
        """Facts one check fetched that the next may reuse (one live call, not one per check)."""
        return {}


@dataclass(frozen=True)
class Check:
    key: str  # stable: it names the stored result
    title: str
    symptom: str  # what the admin notices when this is broken
    run: Callable[[Context], Finding]


def checks_for(integration_key: str) -> tuple[Check, ...]:
    _, module = INTEGRATIONS[integration_key]
    return importlib.import_module(module).CHECKS


def run_checks(organization_id: int, integration_key: str) -> list[DiagnosticResult]:
    """Run every check of one integration and keep what each found; returns the stored rows."""
    context = Context(organization_id, integration_key)
    findings = {check.key: _run_one(check, context) for check in checks_for(integration_key)}
    return store(organization_id, integration_key, findings, context.now, replace_all=True)


def store(
    organization_id: int,
    integration_key: str,
    findings: dict[str, Finding],
    ran_at: datetime | None = None,
    *,
    replace_all: bool = False,
) -> list[DiagnosticResult]:
    """Keep each check's finding, one row a check (``replace_all``: and drop the rows of checks
    that no longer exist). Two writers storing the same check at once (the periodic job and a
    Send a test finishing) meet at the unique key: the later one stores again over the other's."""
    for attempt in (1, 2):
        try:
            rows = _write(organization_id, integration_key, findings, ran_at or utcnow(), replace_all)
            db.session.commit()
            return rows
        except IntegrityError:
            db.session.rollback()
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _write(organization_id, integration_key, findings, ran_at, replace_all) -> list[DiagnosticResult]:
    existing = {
        row.check_key: row
        for row in db.session.scalars(
            select(DiagnosticResult).where(
                DiagnosticResult.organization_id == organization_id,
                DiagnosticResult.integration == integration_key,
            )
        )
    }
    rows = []
    for check_key, finding in findings.items():
        row = existing.pop(check_key, None)
        if row is None:
            row = DiagnosticResult(organization_id=organization_id, integration=integration_key, check_key=check_key)
            db.session.add(row)
        row.status = finding.status
        row.found = remote_text(finding.found, FOUND_MAX)
        row.fix = finding.fix
        row.fix_link = finding.link.as_dict() if finding.link else None
        row.details = [remote_text(line, 500) for line in finding.details[:DETAILS_MAX]]
        row.ran_at = ran_at
        rows.append(row)
    if replace_all:
        for stale in existing.values():  # a check that no longer exists
            db.session.delete(stale)
    db.session.flush()
    return rows


def _run_one(check: Check, context: Context) -> Finding:
    try:
        return check.run(context)
    except Exception as exc:  # one broken check must not hide the others
        db.session.rollback()
        log.exception("setup check %s/%s could not run", context.integration_key, check.key)
        return warning(
            f"This check could not run: {remote_text(exc) or type(exc).__name__}.",
            "Run the checks again in a minute; if this stays, the error above says what is in the way.",
        )


def run_all(organization_id: int) -> None:
    for integration_key in INTEGRATIONS:
        run_checks(organization_id, integration_key)


@dataclass(frozen=True)
class Shown:
    """A check with its last result (None until it first ran), as the page shows it."""

    check: Check
    result: DiagnosticResult | None

    @property
    def status(self) -> CheckStatus | None:
        return self.result.status if self.result else None


def latest(organization_id: int, integration_key: str) -> list[Shown]:
    rows = {
        row.check_key: row
        for row in db.session.scalars(
            select(DiagnosticResult).where(
                DiagnosticResult.organization_id == organization_id,
                DiagnosticResult.integration == integration_key,
            )
        )
    }
    return [Shown(check, rows.get(check.key)) for check in checks_for(integration_key)]


def latest_results(organization_id: int) -> dict[str, list[Shown]]:
    return {key: latest(organization_id, key) for key in INTEGRATIONS}


@dataclass(frozen=True)
class Problem:
    integration_key: str
    integration_label: str
    title: str
    found: str


def problems(organization_id: int) -> list[Problem]:
    """The failing checks of an organization, for the banner on the settings pages."""
    rows = db.session.execute(
        select(DiagnosticResult.integration, DiagnosticResult.check_key, DiagnosticResult.found)
        .where(
            DiagnosticResult.organization_id == organization_id,
            DiagnosticResult.status == CheckStatus.FAILING,
        )
        .order_by(DiagnosticResult.integration, DiagnosticResult.id)
    ).all()
    titles = {}
    for integration_key in {row.integration for row in rows} & set(INTEGRATIONS):
        titles.update({(integration_key, c.key): c.title for c in checks_for(integration_key)})
    return [
        Problem(row.integration, INTEGRATIONS[row.integration][0], titles[(row.integration, row.check_key)], row.found)
        for row in rows
        if (row.integration, row.check_key) in titles
    ]


def counts() -> dict[str, int] | None:
    """Failing and warning checks across every organization, for ``/healthz``."""
    try:
        rows = db.session.execute(
            select(DiagnosticResult.status, func.count())
            .where(DiagnosticResult.status.in_((CheckStatus.FAILING, CheckStatus.WARNING)))
            .group_by(DiagnosticResult.status)
        ).all()
    except SQLAlchemyError:
        db.session.rollback()
        return None
    found = {CheckStatus(status): count for status, count in rows}
    return {"failing": found.get(CheckStatus.FAILING, 0), "warning": found.get(CheckStatus.WARNING, 0)}


def organizations_due(interval_seconds: int) -> list[int]:
    """Organizations with an integration set up whose checks last ran longer ago than the
    interval (or never): the periodic job runs theirs."""
    last_run = (
        select(DiagnosticResult.organization_id, func.min(DiagnosticResult.ran_at).label("ran_at"))
        .group_by(DiagnosticResult.organization_id)
        .subquery()
    )
    cutoff = utcnow() - timedelta(seconds=interval_seconds)
    return list(
        db.session.scalars(
            select(Integration.organization_id)
            .distinct()
            .outerjoin(last_run, last_run.c.organization_id == Integration.organization_id)
            .where((last_run.c.ran_at.is_(None)) | (last_run.c.ran_at <= cutoff))
            .order_by(Integration.organization_id)
        )
    )
