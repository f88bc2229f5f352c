"""Setup checks for connecting Salesforce and handing off as Cases: the app's credentials, the
connection itself, and the Cases with the Apex that reports back on them.

What an admin saw on the settings page (a refused form, Salesforce's error page in the popup, a
callback error, a window closed without an answer) is kept by ``webapp.salesforce.connect_log``
and read here, with its time. Live calls, each made once per run: the token endpoint (the
credentials); the authorize page, only while not connected; two reads of the org's setup, only
when connected (``webapp.salesforce.apex_status``, kept in ``ctx.cache``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from redis.exceptions import RedisError
from sqlalchemy import select

from webapp import outbound
from webapp.agent import settings as agent_settings
from webapp.db import db
from webapp.diagnostics import Check, Context, Finding, Link, failing, not_set_up, ok, warning
from webapp.models import CheckStatus, EventKind, JournalEntry, SessionEvent, SupportSession
from webapp.salesforce import apex, apex_status, connect_log, probes
from webapp.salesforce.callouts import EventType
from webapp.salesforce.cases import SalesforceCase
from webapp.salesforce.client import client_for
from webapp.salesforce.connect_log import Attempt, Entry, Step
from webapp.salesforce.errors import SalesforceError, SalesforceNotConnected, remote_text
from webapp.salesforce.integration import (
    CLIENT_SECRET,
    ConnectionState,
    is_connected,
    redirect_uri,
    settings_of,
    webhook_url,
)
from webapp.salesforce.relay import SOURCE as CALLOUT_SOURCE
from webapp.templating import format_datetime

log = logging.getLogger(__name__)

CONNECTION = Link("Settings → Integrations → Salesforce", "salesforce.settings", anchor="salesforce-connection")
CREDENTIALS = Link("Settings → Integrations → Salesforce", "salesforce.settings")
CASE_OPTIONS = Link("Case options", "salesforce.settings", anchor="case-options")
REP_REPLIES = Link("Rep replies (the Apex to deploy)", "salesforce.settings", anchor="salesforce-rep-replies")
HANDOFF = Link("Handoff settings", "handoff.settings")

# How far back Case handoffs and failed callouts are looked at.
CASE_WINDOW = timedelta(days=7)
# How long the Apex has to report a new Case before its silence counts.
CALLBACK_GRACE = timedelta(minutes=10)
EVENTS_LOOKED_AT = 500
LOG_CACHE = "salesforce.connect_log"
DEPLOYMENT_CACHE = "salesforce.apex_deployment"


def when(moment: datetime | None) -> str:
    return format_datetime(moment)


def _parsed(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _log(ctx: Context) -> list[Entry] | None:
    """The organization's connection log, read once per run (None when Redis cannot be read)."""
    if LOG_CACHE not in ctx.cache:
        try:
            ctx.cache[LOG_CACHE] = connect_log.recent(ctx.organization_id)
        except RedisError as exc:
            log.warning("could not read the Salesforce connection log: %s", exc)
            ctx.cache[LOG_CACHE] = None
    return ctx.cache[LOG_CACHE]


def _client_secret(ctx: Context) -> str | None:
    return ctx.integration.credential(CLIENT_SECRET) if ctx.integration else None


def _line(entry: Entry) -> str:
    """One log entry as an evidence line."""
    words = {
        Step.SAVED: "credentials saved",
        Step.SAVE_REFUSED: "saving the credentials was refused",
        Step.STARTED: "Connect to Salesforce clicked"
        + (" (the browser blocked the popup: Salesforce opened in the settings window)" if entry.in_window else ""),
        Step.START_FAILED: "connecting could not start",
        Step.CONNECTED: "connected",
        Step.REFUSED: "Salesforce refused the connection",
        Step.CLOSED: "the Salesforce window was closed before Salesforce sent it back to Switchboard",
        Step.REFRESH_REFUSED: "Salesforce refused the saved refresh token",
    }[Step(entry.step)]
    said = f": {entry.message}" if entry.message else ""
    return f"{when(entry.at)}: {words}{said}"


# -- 8. the app's credentials ---------------------------------------------------------------------

CREDENTIAL_ERRORS = {"invalid_client_id", "invalid_client", "app_not_found"}


def check_credentials(ctx: Context) -> Finding:
    settings = settings_of(ctx.integration)
    secret = _client_secret(ctx)
    entries = _log(ctx) or []
    last_saved = connect_log.latest(entries, Step.SAVED)
    refused_save = connect_log.latest(entries, Step.SAVE_REFUSED)
    refused_since_save = refused_save if refused_save and (not last_saved or refused_save.at > last_saved.at) else None
    if not settings.client_id or not secret:
        if refused_since_save:
            return failing(
                f"The app's credentials are not saved: Save Credentials was refused at {when(refused_since_save.at)}"
                + (f" ({refused_since_save.message})." if refused_since_save.message else "."),
                "Copy the Consumer Key and the Consumer Secret again from the app in Salesforce (each in one piece, "
                "without spaces inside), check the Login URL, and press Save Credentials.",
                CREDENTIALS,
            )
        return not_set_up(
            "No app credentials are saved yet.",
            "Create the External Client App in Salesforce as the settings page describes, then save its Consumer "
            "Key as the Client ID and its Consumer Secret as the Client Secret.",
            CREDENTIALS,
        )

    # What the settings page saw since the credentials were last saved, for the evidence.
    seen = [
        entry
        for entry in entries
        if (not last_saved or entry.at >= last_saved.at)
        and (
            entry.step == Step.SAVE_REFUSED
            or (entry.step in (Step.REFUSED, Step.REFRESH_REFUSED) and entry.error in CREDENTIAL_ERRORS)
        )
    ]
    details = [_line(entry) for entry in seen[:5]]
    if last_saved:
        details.append(f"{when(last_saved.at)}: credentials saved")
    answer = probes.check_credentials(settings, secret)
    where = f"the token endpoint of {settings.login_url}"
    if answer.verdict == probes.Verdict.ACCEPTED:
        return ok(f"Salesforce accepted the Client ID and the Client Secret at {where}.", details)
    if answer.verdict == probes.Verdict.UNKNOWN_CLIENT:
        return failing(
            f"Salesforce does not recognize the Client ID at {where}. Salesforce said: {answer.said}.",
            "If you created the app in the last 10 minutes, wait: a new External Client App (or Connected App) "
            "takes 2 to 10 minutes to become active; then run the checks again. Otherwise copy the Consumer Key "
            "again and save it as the Client ID, and check that the Login URL is the org that holds the app "
            "(https://test.salesforce.com for a sandbox).",
            CREDENTIALS,
            details,
        )
    if answer.verdict == probes.Verdict.NOT_INSTALLED:
        return failing(
            f"Salesforce knows the app but it is not installed in the org at {settings.login_url}. "
            f"Salesforce said: {answer.said}.",
            "Create or install the app in the org you connect to; since September 2025 an app that is not installed "
            'may only be used by users with the "Approve Uninstalled Connected Apps" (or "Use Any API Client") '
            "permission.",
            CREDENTIALS,
            details,
        )
    if answer.verdict == probes.Verdict.WRONG_SECRET:
        return failing(
            f"Salesforce recognizes the Client ID but refused the Client Secret at {where}. "
            f"Salesforce said: {answer.said}.",
            "Copy the Consumer Secret again (External Client App Manager → the app → Settings → OAuth Settings → "
            "Consumer Key and Secret) and save it as the Client Secret.",
            CREDENTIALS,
            details,
        )
    said = answer.note or f"Salesforce said: {answer.said}."
    return warning(
        f"The credentials could not be confirmed at {where}. {said}",
        "Run the checks again in a minute; if this stays, check the Login URL.",
        CREDENTIALS,
        details,
    )


# -- 9. connecting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cause:
    found: str
    fix: str


def connect_cause(error: str | None, description: str | None = None) -> Cause:
    """What a Salesforce OAuth error means for connecting, and the fix."""
    lowered = (description or "").lower()
    if error == "redirect_uri_mismatch":
        return Cause(
            "The app's Callback URL does not match the Redirect URI Switchboard sends.",
            f"In the app's OAuth settings in Salesforce, set the Callback URL to exactly {redirect_uri()} (one URL "
            "per line if it holds several), save, wait a few minutes for the change to reach Salesforce, then "
            "connect again.",
        )
    if error == "invalid_client_id":
        return Cause(
            "Salesforce does not recognize the Client ID.",
            "A new app takes 2 to 10 minutes to become active: wait, then connect again. Otherwise save the app's "
            "Consumer Key again as the Client ID.",
        )
    if error == "app_not_found" or (error == "invalid_client" and "install" in lowered) or "approval" in lowered:
        return Cause(
            "The app is not installed in the org you logged in to, or your Salesforce user may not use it "
            "(OAUTH_APPROVAL_ERROR_GENERIC).",
            'Create or install the app in this org, or give the user who connects the "Approve Uninstalled '
            'Connected Apps" permission; on the app\'s Policies, set Permitted Users to "All users may '
            "self-authorize\" (or approve the user's profile), then connect again.",
        )
    if error == "invalid_client":
        return Cause(
            "Salesforce refused the Client Secret.",
            "Save the app's Consumer Secret again as the Client Secret, then connect again.",
        )
    if error in ("access_denied", "access-denied"):
        return Cause(
            "The connection was denied in Salesforce: Deny was clicked, or this user may not use the app "
            "(the user hasn't approved this consumer).",
            "Connect again and click Allow; if nobody clicked Deny, check the app's Permitted Users policy.",
        )
    if error == "invalid_scope":
        return Cause(
            "The app does not allow the scopes Switchboard asks for.",
            'Select "Manage user data via APIs (api)", "Access the identity URL service" and "Perform requests at '
            "any time (refresh_token, offline_access)\" in the app's OAuth settings, then connect again.",
        )
    return Cause(
        "Salesforce refused the connection.",
        "Check the app's OAuth settings as the settings page describes, then connect again.",
    )


def check_connect(ctx: Context) -> Finding:
    integration = ctx.integration
    settings = settings_of(integration)
    secret = _client_secret(ctx)
    if not settings.client_id or not secret:
        return not_set_up("Connecting needs the app's credentials, which are not saved yet.", None, CREDENTIALS)
    entries = _log(ctx)
    history = connect_log.attempts(entries or [])
    details = [_line(entry) for entry in (entries or []) if entry.step != Step.SAVED][:10]
    if entries is None:
        details.append("The record of connection attempts could not be read (Redis is not reachable).")

    if settings.state == ConnectionState.DISCONNECTED:
        at = _parsed(settings.disconnected_at)
        reason = settings.disconnected_reason or "Salesforce refused the saved refresh token."
        return failing(
            f"Disconnected{f' since {when(at)}' if at else ''}: {reason}",
            "Click Reconnect and allow access again; until then, handoffs go to your Front teammates. If it "
            'happens again, set the app\'s Refresh Token Policy to "Refresh token is valid until revoked".',
            CONNECTION,
            details,
        )

    latest = history[0] if history else None
    if is_connected(integration):
        since = _parsed(settings.connected_at)
        found = f"Connected as {settings.username} (org {settings.org_id})" + (
            f" since {when(since)}." if since else "."
        )
        if latest and latest.failed and (since is None or latest.started.at > since):
            cause = _attempt_cause(ctx, latest)
            return warning(
                f"{found} A later attempt to reconnect, at {when(latest.started.at)}, failed: {cause.found} "
                "The existing connection still works.",
                cause.fix,
                CONNECTION,
                details,
            )
        return ok(found, details)

    refusal, preflight_note = _preflight(ctx)
    if refusal is not None:
        details.append(f"Salesforce's authorize page answers: {refusal.said}")
    if latest is None or (latest.outcome is not None and latest.outcome.step == Step.CONNECTED):
        # Never connected, or connected once and disconnected by an admin since.
        if refusal is not None:
            cause = connect_cause(refusal.error, refusal.description)
            return warning(
                f"Not connected yet, and connecting will fail: Salesforce's authorize page refuses the request "
                f"Switchboard sends. {cause.found}",
                cause.fix,
                CONNECTION,
                details,
            )
        return not_set_up(
            "Not connected: nobody has finished Connect to Salesforce"
            + (f" since the connection made at {when(latest.outcome.at)} was closed." if latest else "."),
            "Click Connect to Salesforce and allow access as the user Switchboard should act as.",
            CONNECTION,
        )
    if latest.open_at(ctx.now) and refusal is None:
        return warning(
            f"A connection attempt started at {when(latest.started.at)} is still waiting for Salesforce to send the "
            "browser back.",
            "Finish it in the Salesforce window (log in and click Allow), or close that window and connect again.",
            CONNECTION,
            details,
        )
    if latest.failed and latest.outcome.step == Step.REFUSED:
        cause = _attempt_cause(ctx, latest)
        return failing(
            f"The last connection attempt, at {when(latest.started.at)}, failed: {cause.found}",
            cause.fix,
            CONNECTION,
            details,
        )
    # The callback was never reached: Salesforce kept the browser on its own error page.
    blocked = (
        " The browser had blocked the popup, so Salesforce opened in the settings window."
        if latest.started.in_window
        else ""
    )
    allow_popups = " Allow popups for this site so the page can watch the Salesforce window." if blocked else ""
    if refusal is not None:
        cause = connect_cause(refusal.error, refusal.description)
        return failing(
            f"The last connection attempt, at {when(latest.started.at)}, never came back from Salesforce.{blocked} "
            f"Salesforce shows its own error page instead: {cause.found}",
            cause.fix + allow_popups,
            CONNECTION,
            details,
        )
    return failing(
        f"The last connection attempt, at {when(latest.started.at)}, never came back from Salesforce: the window "
        f"was closed (or left) before Salesforce sent it back to Switchboard.{blocked}"
        + (f" {preflight_note}" if preflight_note else ""),
        "Connect again and read the page Salesforce shows. redirect_uri_mismatch: set the app's Callback URL to "
        f'exactly {redirect_uri()}. OAUTH_APPROVAL_ERROR_GENERIC or "app must be installed into org": install '
        'the app in the org you log in to, or give your user "Approve Uninstalled Connected Apps". A login page '
        "that does not know your user: use https://test.salesforce.com for a sandbox, or your My Domain URL."
        + allow_popups,
        CONNECTION,
        details,
    )


def _attempt_cause(ctx: Context, attempt: Attempt) -> Cause:
    outcome = attempt.outcome
    if outcome is not None and outcome.step == Step.REFUSED and outcome.error:
        return connect_cause(outcome.error, outcome.description)
    if outcome is not None and outcome.step == Step.REFUSED:
        return Cause(outcome.message or "Salesforce refused the connection.", "Connect again.")
    refusal, _ = _preflight(ctx)
    return connect_cause(refusal.error, refusal.description) if refusal else connect_cause(None)


def _preflight(ctx: Context) -> tuple[probes.AuthorizeRefusal | None, str | None]:
    """Salesforce's authorize page asked once per run: its refusal, or why it could not be asked."""
    if "salesforce.authorize" not in ctx.cache:
        settings = settings_of(ctx.integration)
        try:
            ctx.cache["salesforce.authorize"] = (probes.authorize_refusal(settings, _client_secret(ctx)), None)
        except (requests.RequestException, outbound.OutboundError) as exc:
            note = f"Salesforce's authorize page could not be asked ({remote_text(str(exc), 200)})."
            ctx.cache["salesforce.authorize"] = (None, note)
    return ctx.cache["salesforce.authorize"]


# -- 10. Cases and the Apex -----------------------------------------------------------------------


@dataclass(frozen=True)
class CaseHandoff:
    at: datetime
    ticket_number: int
    case_id: str | None = None  # made: the Case's id
    created: bool = False  # a new Case (not added to an open one)
    error: str | None = None  # failed: what Salesforce (or the connection) said


@dataclass(frozen=True)
class Problem:
    status: CheckStatus
    found: str
    fix: str
    link: Link


def case_handoffs(organization_id: int, since: datetime) -> list[CaseHandoff]:
    """The Case handoffs since ``since``, newest first: each Case made or found, and each one that
    failed and went to Front teammates instead (as the timeline recorded them)."""
    rows = db.session.execute(
        select(SessionEvent.kind, SessionEvent.payload, SessionEvent.created_at, SupportSession.ticket_number)
        .join(SupportSession, SupportSession.id == SessionEvent.session_id)
        .where(
            SupportSession.organization_id == organization_id,
            SessionEvent.created_at >= since,
            SessionEvent.kind.in_((EventKind.SALESFORCE_CASE, EventKind.ERROR)),
        )
        .order_by(SessionEvent.created_at.desc(), SessionEvent.id.desc())
        .limit(EVENTS_LOOKED_AT)
    ).all()
    found = []
    for kind, payload, created_at, ticket in rows:
        payload = payload or {}
        if kind == EventKind.SALESFORCE_CASE and payload.get("handoff_key") and payload.get("case_id"):
            found.append(
                CaseHandoff(created_at, ticket, case_id=str(payload["case_id"]), created=bool(payload.get("created")))
            )
        elif kind == EventKind.ERROR and payload.get("case_handoff_for"):
            found.append(CaseHandoff(created_at, ticket, error=remote_text(payload.get("detail") or "no detail", 300)))
    return found


def handoff_fix(error: str) -> tuple[str, Link]:
    """What to do about a Case Salesforce refused, from what it said."""
    if "Callout from triggers are currently not supported" in error:
        return (
            "A trigger on Case makes a callout while the Case is being saved, which Salesforce forbids, so every Case "
            "is refused. Deploy the Apex Switchboard generates (its callouts run in a Queueable, after the Case is "
            "saved) and remove or fix the trigger the error names.",
            REP_REPLIES,
        )
    if "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY" in error:
        return (
            "A trigger or flow on Case in your org failed, so Salesforce refused the Case; the error names it. Fix "
            "or deactivate it, then hand off a test conversation.",
            REP_REPLIES,
        )
    if "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST" in error:
        return ("Case Origin or Priority is not a value of your org's picklist: choose one it has.", CASE_OPTIONS)
    if "FIELD_CUSTOM_VALIDATION_EXCEPTION" in error or "REQUIRED_FIELD_MISSING" in error:
        return (
            "A validation rule or a required field on Case refused the Case Switchboard makes: let the connected user "
            "pass it (or give the field a default), or adjust the Case options.",
            CASE_OPTIONS,
        )
    if "disconnected" in error.lower() or "not connected" in error.lower():
        return ("Reconnect Salesforce.", CONNECTION)
    if "REQUEST_LIMIT_EXCEEDED" in error:
        return ("Your org used up its daily API requests; they come back over 24 hours.", CONNECTION)
    return ("Fix what Salesforce said, then hand off a test conversation.", CASE_OPTIONS)


def check_cases(ctx: Context) -> Finding:
    integration = ctx.integration
    if not is_connected(integration):
        return not_set_up(
            "Salesforce is not connected, so handoffs cannot make Cases.", "Connect to Salesforce.", CONNECTION
        )
    since = ctx.now - CASE_WINDOW
    handoffs = case_handoffs(ctx.organization_id, since)
    settings = agent_settings.settings_for(ctx.organization_id)
    chosen = sorted(
        c for c, key in ((settings.destinations if settings else None) or {}).items() if key == SalesforceCase.key
    )
    if not chosen and not handoffs:
        return not_set_up(
            "No channel hands off to a Salesforce Case.",
            "In Handoff settings, choose Salesforce Case for the channels whose handoffs should become Cases.",
            HANDOFF,
        )

    problems: list[Problem] = []
    details: list[str] = []
    made = [h for h in handoffs if h.error is None]
    failed = [h for h in handoffs if h.error is not None]
    if handoffs:
        details.append(
            f"Last 7 days: {len(made)} Case handoff{'s' * (len(made) != 1)} made, {len(failed)} failed "
            f"(went to Front teammates)."
        )
    if failed:
        last = failed[0]
        details.append(f"Last failure: {when(last.at)}, ticket #{last.ticket_number}: {last.error}")
    if made:
        details.append(f"Last Case: {when(made[0].at)}, ticket #{made[0].ticket_number}, Case {made[0].case_id}")
    if failed and (not made or failed[0].at > made[0].at):
        last = failed[0]
        fix, link = handoff_fix(last.error or "")
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"The last Case handoff, at {when(last.at)} (ticket #{last.ticket_number}), made no Case: "
                f"{last.error} It went to your Front teammates instead; {len(failed)} of {len(handoffs)} Case "
                "handoffs in the last 7 days did.",
                fix,
                link,
            )
        )

    try:
        deployment = _deployment(ctx, since)
    except SalesforceNotConnected as exc:
        return not_set_up(f"Salesforce is not connected: {exc}", "Reconnect Salesforce.", CONNECTION)
    except SalesforceError as exc:
        problems.append(
            Problem(
                CheckStatus.WARNING,
                f"Switchboard could not read the org's Apex setup: {remote_text(str(exc), 300)}.",
                "Run the checks again in a few minutes.",
                REP_REPLIES,
            )
        )
        deployment = None
    if deployment is not None:
        problems += _deployment_problems(ctx, deployment, details)
        if not any(p.status == CheckStatus.FAILING for p in problems):
            problems += _silent_apex(ctx, made, deployment, details)

    if not problems:
        found = (
            f"Cases are made ({len(made)} in the last 7 days) and the Apex that reports on them is deployed, active "
            "and pointed at this organization's webhook URL, with no failed callouts."
            if made
            else "The Apex that reports on Cases is deployed, active and pointed at this organization's webhook URL, "
            "with no failed callouts. No Case was handed off in the last 7 days."
        )
        return ok(found, details)
    worst = CheckStatus.FAILING if any(p.status == CheckStatus.FAILING for p in problems) else CheckStatus.WARNING
    first = next(p for p in problems if p.status == worst)
    found = " ".join(p.found for p in problems)
    fix = " ".join(dict.fromkeys(p.fix for p in problems))
    if worst == CheckStatus.FAILING:
        return failing(found, fix, first.link, details)
    return warning(found, fix, first.link, details)


def _deployment(ctx: Context, since: datetime) -> apex_status.Deployment:
    """The org's Apex setup, read once per run."""
    if DEPLOYMENT_CACHE not in ctx.cache:
        ctx.cache[DEPLOYMENT_CACHE] = apex_status.read(client_for(ctx.integration), failed_since=since)
    return ctx.cache[DEPLOYMENT_CACHE]


def _deployment_problems(ctx: Context, deployment: apex_status.Deployment, details: list[str]) -> list[Problem]:
    expected_url = webhook_url(ctx.integration)
    problems = []
    if deployment.nothing_deployed:
        return [
            Problem(
                CheckStatus.WARNING,
                "The Apex Switchboard generates is not deployed in your org: Cases are made, but reps' replies and "
                "closed Cases never come back to Switchboard.",
                "Deploy the generated Apex and Named Credential (Rep replies on the settings page), then run the "
                "checks again.",
                REP_REPLIES,
            )
        ]
    if deployment.missing_triggers:
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"Not deployed: the trigger{'s' * (len(deployment.missing_triggers) > 1)} "
                f"{', '.join(deployment.missing_triggers)}.",
                "Deploy all of the generated Apex again (the zip on the settings page holds every file).",
                REP_REPLIES,
            )
        )
    if deployment.inactive_triggers:
        names = ", ".join(deployment.inactive_triggers)
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"Switched off in Salesforce: {names} (Status Inactive), so those events never reach Switchboard.",
                f"Make {names} Active again (deploy it with <status>Active</status>, from a sandbox in production).",
                REP_REPLIES,
            )
        )
    if deployment.named_credential_found is False:
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"The Named Credential {apex_status.NAMED_CREDENTIAL} does not exist in your org, so every callout "
                "fails.",
                f"Deploy the generated Named Credential (its URL is {expected_url}).",
                REP_REPLIES,
            )
        )
    elif deployment.named_credential_found and (deployment.named_credential_url or "").rstrip("/") != expected_url:
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"The Named Credential {apex_status.NAMED_CREDENTIAL} points at "
                f"{deployment.named_credential_url or 'no URL'}, not at this organization's webhook URL.",
                f"In Setup → Named Credentials → {apex_status.NAMED_CREDENTIAL}, set the URL to exactly "
                f"{expected_url}.",
                REP_REPLIES,
            )
        )
    if deployment.failed_callouts:
        latest = deployment.failed_callouts[0]
        count = len(deployment.failed_callouts)
        shown = f"{count}+" if count >= apex_status.FAILED_CALLOUTS_SHOWN else str(count)
        problems.append(
            Problem(
                CheckStatus.FAILING,
                f"{shown} callout{'s' * (count != 1)} of {apex_status.CALLOUT_CLASS} failed in the last 7 days, the "
                f"last at {when(latest.at)}: {latest.status_detail}",
                _callout_fix(latest.status_detail),
                REP_REPLIES,
            )
        )
        details += [f"Failed callout at {when(job.at)}: {job.status_detail}" for job in deployment.failed_callouts[:5]]
    if deployment.unreadable:
        no_access = any(part.no_access for part in deployment.unreadable)
        what = ", ".join(part.what for part in deployment.unreadable)
        said = "; ".join(part.said for part in deployment.unreadable)
        settings = settings_of(ctx.integration)
        problems.append(
            Problem(
                CheckStatus.WARNING,
                f"Switchboard could not read {what} as {settings.username}"
                + (" (the user lacks permission)" if no_access else "")
                + f". Salesforce said: {said}.",
                "Confirm by hand in Setup: "
                + "; ".join(_by_hand(expected_url))
                + '. Or give the connected user "View Setup and Configuration" so these checks can see it.',
                REP_REPLIES,
            )
        )
        details += [f"To confirm: {line}" for line in _by_hand(expected_url)]
    return problems


def _by_hand(expected_url: str) -> list[str]:
    return [
        f"Apex Triggers: {', '.join(apex_status.TRIGGERS)} exist and are Active",
        f"Apex Classes: {apex_status.CALLOUT_CLASS} exists",
        f"Named Credentials: {apex_status.NAMED_CREDENTIAL} has the URL {expected_url}",
        f"Apex Jobs: no Failed jobs of {apex_status.CALLOUT_CLASS}",
    ]


def _callout_fix(detail: str) -> str:
    lowered = detail.lower()
    if "couldn't access the credential" in lowered or "could not access the credential" in lowered:
        return (
            "The users whose work fires the triggers (the connected user, your reps, Automated Process) need the "
            f'permission set "{apex.PERMISSION_SET_LABEL}" (External Credential Principal Access): '
            "assign it, and check the External Credential's principal holds the callout secret."
        )
    if "unauthorized endpoint" in lowered or "named credential" in lowered:
        return "Check the Named Credential's URL and that it is the one the generated class names."
    if "401" in lowered or "signature" in lowered:
        return (
            "Switchboard refused the callouts' signature: paste the current callout secret into the External "
            "Credential."
        )
    return "Setup → Apex Jobs shows each failure in full; fix what it says, then send a test from this page."


def _silent_apex(ctx: Context, made: list[CaseHandoff], deployment: apex_status.Deployment, details: list[str]):
    """New Cases the Apex never reported: the triggers look right, yet nothing came back."""
    if deployment.triggers is None or deployment.missing_triggers or deployment.nothing_deployed:
        return []
    due = [h for h in made if h.created and ctx.now - h.at > CALLBACK_GRACE]
    if not due:
        return []
    keys = {h.case_id: f"{EventType.CASE_CREATED.value}:{h.case_id}" for h in due}
    heard = set(
        db.session.scalars(
            select(JournalEntry.external_id).where(
                JournalEntry.organization_id == ctx.organization_id,
                JournalEntry.source == CALLOUT_SOURCE,
                JournalEntry.external_id.in_(list(keys.values())),
            )
        )
    )
    silent = [h for h in due if keys[h.case_id] not in heard]
    if not silent:
        return []
    details.append(f"Cases not reported back: {', '.join(str(h.case_id) for h in silent[:10])}")
    return [
        Problem(
            CheckStatus.WARNING,
            f"Salesforce did not report {len(silent)} of the {len(due)} Cases Switchboard created in the last 7 "
            f"days (the last at {when(silent[0].at)}): the Apex's callouts did not reach Switchboard.",
            "Check Setup → Apex Jobs for SwitchboardCallout, that the connected user has the permission set "
            f'"{apex.PERMISSION_SET_LABEL}", and that this server is reachable at its public URL.',
            REP_REPLIES,
        )
    ]


CASE_CHECKS: tuple[Check, ...] = (
    Check(
        "salesforce_credentials",
        "App credentials",
        "Save Credentials is refused, or connecting fails with “client identifier invalid” or “invalid client "
        "credentials”.",
        check_credentials,
    ),
    Check(
        "salesforce_connect",
        "Connecting to Salesforce",
        "Connect to Salesforce fails: Salesforce shows an error page, its window closes without connecting, or the "
        "page says Disconnected.",
        check_connect,
    ),
    Check(
        "salesforce_cases",
        "Cases and the Apex that reports on them",
        "A handoff runs but no Case appears in Salesforce, or reps' replies and closed Cases never come back.",
        check_cases,
    ),
)
