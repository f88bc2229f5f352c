"""Setup checks for reps' replies and Live Messaging, in the order the Troubleshooting page shows
them:

- ``salesforce_rep_replies``: the outcome of the last **Send a test** (``send_test``), which makes
  Salesforce's Apex call back for real; nothing live happens when the checks run.
- ``live_messaging_settings``: the saved settings through the settings form's own validation, so
  a value saved before a rule existed (or changed behind the form) is named with its fix.
- ``live_messaging_tokens``: an anonymous and, with keys, a verified access token, live, with the
  exact reason a refusal points at (``webapp.salesforce.messaging.checks``, as Test connection).
- ``live_messaging_routing``: a test conversation opened with the routing attributes a handoff
  sends, its routing status and routing result read, and closed.
- ``live_messaging_attributes``: the routing attributes against the deployment's pre-chat form.

The last four are not set up until Live Messaging is (its deployment saved). The three live ones
share one anonymous access token per run (``Context.cache``): the token call, a verified token,
and the test conversation's four calls are all a run costs MIAW; the test conversation is opened
at most every few hours when the checks run on their own (``routing``).
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from contextlib import suppress

from flask import current_app, has_request_context
from redis.exceptions import RedisError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from webapp import redis_server
from webapp.db import db
from webapp.diagnostics import Check, Context, Finding, Link, failing, not_set_up, ok, send_test, warning
from webapp.models import Channel, DiagnosticResult
from webapp.salesforce.case_handoff import priority_for
from webapp.salesforce.errors import remote_text
from webapp.salesforce.integration import CALLOUT_SECRET, is_connected, settings_of
from webapp.salesforce.messaging import checks
from webapp.salesforce.messaging.checks import Cause, Outcome
from webapp.salesforce.messaging.client import MessagingError, MessagingRejected, TokenGrant, client_for
from webapp.salesforce.messaging.forms import LiveMessagingForm
from webapp.salesforce.messaging.handoff import DEFAULT_LANGUAGE, ORIGINS
from webapp.salesforce.messaging.settings import (
    PRIVATE_KEY,
    ROUTING_ROLES,
    LiveMessagingSettings,
    is_configured,
    live_messaging_of,
    verifies_customers,
)

LIVE_MESSAGING_LINK = Link("Live Messaging settings", "salesforce.settings", anchor="live-messaging")
ROUTED = {"ROUTED", "TRANSFER"}
NO_FAILURE = {"None", "NONE", ""}
DEFAULT_ROUTING_WAIT_SECONDS = 10
ROUTING_POLL_SECONDS = 1.0
ROUTING_CHANNEL = Channel.WEB  # the test conversation stands for a web chat handed off
TEST_SESSION = "switchboard-setup-check"
ROUTING_KEY = "live_messaging_routing"
PROBE_KEY = "switchboard:diagnostics:routing-probe:{}"
PROBE_KEY_TTL = 7 * 24 * 3600
DEFAULT_PROBE_SECONDS = 6 * 3600


# -- reps' replies ------------------------------------------------------------------------------


def rep_replies(context: Context) -> Finding:
    integration = context.integration
    if not is_connected(integration):
        return not_set_up(
            "Salesforce is not connected, so no test can reach it.",
            "Connect to Salesforce, make the callout secret and deploy the Apex; then send a test.",
            send_test.CONNECT_LINK,
        )
    if not integration.credential(CALLOUT_SECRET):
        return not_set_up(
            "There is no callout secret yet: Switchboard refuses every callout until there is one.",
            "Make the callout secret, put it in Salesforce with the Apex, then send a test.",
            send_test.SECRET_LINK,
        )
    return send_test.finding(send_test.latest(context.organization_id), integration)


# -- Live Messaging: what every check needs -------------------------------------------------------


def _not_configured() -> Finding:
    return not_set_up(
        "Live Messaging is not set up: no deployment is saved.",
        "To hand conversations to live reps, enter the deployment's Instance URL, ES Developer Name and Org ID.",
        LIVE_MESSAGING_LINK,
    )


def _client(context: Context):
    if "live_messaging_client" not in context.cache:
        context.cache["live_messaging_client"] = client_for(context.integration)
    return context.cache["live_messaging_client"]


def _anonymous(context: Context) -> tuple[checks.Check, TokenGrant | None]:
    """One anonymous token for the run: the deployment check's outcome, and the grant if any."""
    if "live_messaging_anonymous" not in context.cache:
        settings = live_messaging_of(context.integration)
        context.cache["live_messaging_anonymous"] = checks.deployment_check(_client(context), settings)
    return context.cache["live_messaging_anonymous"]


def cause_fix(cause: Cause | None, settings: LiveMessagingSettings, fallback: str | None) -> str:
    """What to change for a refusal whose cause is known; Test connection's fix otherwise."""
    fixes = {
        Cause.HOST: (
            f"Check the Instance URL: Switchboard calls {settings.scrt_url}, the messaging host derived from it. "
            "Use your My Domain URL or the scrt2URL of the deployment's Code Snippet."
        ),
        Cause.ORG_ID: (
            f"The Org ID {settings.org_id} is not the deployment's org: copy it from the deployment's Code Snippet "
            "(or Setup → Company Information) and save."
        ),
        Cause.DEPLOYMENT: (
            f"Salesforce does not know a published deployment named {settings.es_developer_name}: copy the API Name "
            "from Setup → Embedded Service Deployments (upper and lower case matter), and publish the deployment."
        ),
        Cause.SAVED_KEYS: (
            "Generate a key pair again in the Live Messaging section, save, and upload its JWK in Salesforce (or "
            "paste the private key that goes with the saved public key)."
        ),
        Cause.KEY_PAIR: (
            f"The key uploaded in Salesforce under the Auth Key ID {settings.auth_key_id} is not this key pair's: "
            "upload the JWK shown in the Live Messaging section again (or generate a new pair, save, and upload "
            "its JWK)."
        ),
        Cause.KEY_NOT_UPLOADED: (
            "Upload the JWK shown in the Live Messaging section in Setup → Enhanced Chat User Verification and "
            f"activate it: its kid must be the Auth Key ID, {settings.auth_key_id}."
        ),
        Cause.ISSUER: (
            f"The keyset's JSON Web Key Issuer must be exactly {settings.issuer}: change it in Salesforce, or change "
            "the Issuer here to the keyset's and save."
        ),
        Cause.NOT_VERIFIED: (
            "Salesforce took the identity token but did not verify the customer: in Messaging Settings, turn on user "
            f"verification for the deployment's channel with the keyset holding key {settings.auth_key_id} (issuer "
            f"{settings.issuer})."
        ),
    }
    return fixes.get(cause) or fallback or "Run Test connection in the Live Messaging section: it says what to change."


# -- 12. the saved settings ----------------------------------------------------------------------


def saved_settings(context: Context) -> Finding:
    integration = context.integration
    if not is_configured(integration):
        return _not_configured()
    form = LiveMessagingForm(
        formdata=_as_submitted(live_messaging_of(integration)),
        saved_private_key_pem=integration.credential(PRIVATE_KEY),
        meta={"csrf": False},
    )
    if form.validate():
        return ok("The saved Live Messaging settings pass every check the settings form makes.")
    problems = [
        f"{form[name].label.text if name else 'Live Messaging'}: {remote_text(error)}"
        for name, errors in form.errors.items()
        for error in errors
    ]
    return failing(
        f"The saved Live Messaging settings have {len(problems)} problem{'s' if len(problems) != 1 else ''} the "
        f"settings form refuses: {problems[0]}" + (" (and more below)" if len(problems) > 1 else ""),
        "Correct each field named below in the Live Messaging section and save it.",
        LIVE_MESSAGING_LINK,
        problems,
    )


def _as_submitted(settings: LiveMessagingSettings) -> MultiDict:
    """The saved settings as the form would post them (the private key field empty: the saved
    one is kept, as when an admin saves without pasting it again)."""
    values = {
        "instance_url": settings.instance_url or "",
        "es_developer_name": settings.es_developer_name or "",
        "org_id": settings.org_id or "",
        "auth_key_id": settings.auth_key_id or "",
        "public_key_pem": settings.public_key_pem or "",
        "private_key_pem": "",
        "issuer": settings.issuer or "",
        "rep_wait_seconds": str(settings.rep_wait_seconds),
        "closing_message": settings.closing_message or "",
    }
    values.update({f"routing_{role}": settings.routing_attributes.get(role) or "" for role in ROUTING_ROLES})
    return MultiDict(values)


# -- 13. access tokens -------------------------------------------------------------------------------


def access_tokens(context: Context) -> Finding:
    integration = context.integration
    if not is_configured(integration):
        return _not_configured()
    settings = live_messaging_of(integration)
    deployment, grant = _anonymous(context)
    if grant is None:
        return failing(
            f"Salesforce gave no access token for deployment {settings.es_developer_name}: {deployment.found}",
            cause_fix(deployment.cause, settings, deployment.fix),
            LIVE_MESSAGING_LINK,
            _org_hint(context, settings, deployment.cause),
        )
    if not verifies_customers(integration):
        return ok(
            f"{deployment.found} Customers are not verified (no keys): every handoff is anonymous.",
            ["Anonymous access token: given", "Verified access token: not tried (no keys)"],
        )
    verification = checks.verification_check(_client(context), settings, integration)
    if verification.outcome == Outcome.PASS:
        return ok(
            f"{deployment.found} {verification.found}",
            ["Anonymous access token: given", "Verified access token: given"],
        )
    return failing(
        "Salesforce does not verify customers, so every handoff is anonymous even when the customer's email is "
        f"known: {verification.found}",
        cause_fix(verification.cause, settings, verification.fix),
        LIVE_MESSAGING_LINK,
        ["Anonymous access token: given", f"Verified access token: refused ({_reason(verification.cause)})"],
    )


def _reason(cause: Cause | None) -> str:
    return {
        Cause.SAVED_KEYS: "the saved keys are not one pair",
        Cause.KEY_PAIR: "the uploaded key is another key pair's",
        Cause.KEY_NOT_UPLOADED: "the JWK is not uploaded under the Auth Key ID",
        Cause.ISSUER: "the issuer is not the keyset's",
        Cause.NOT_VERIFIED: "answered with an anonymous customer",
    }.get(cause, "see above")


def _org_hint(context: Context, settings: LiveMessagingSettings, cause: Cause | None) -> list[str]:
    """When the Org ID is refused and Switchboard is connected to Salesforce, that org's id."""
    connected_org = settings_of(context.integration).org_id
    if cause == Cause.ORG_ID and connected_org and (settings.org_id or "")[:15] != connected_org[:15]:
        return [f"Switchboard is connected to Salesforce org {connected_org}; the Org ID here is {settings.org_id}."]
    return []


# -- 14. routing -------------------------------------------------------------------------------------


def routing(context: Context) -> Finding:
    """An admin's Run checks always opens a test conversation. The checks running on their own
    open one at most every ``DIAGNOSTICS_ROUTING_PROBE_SECONDS`` (6 hours) while the deployment's
    settings stay the same, and keep the last finding in between: each test conversation is
    routed, so it may be offered to a rep for the moment it is open."""
    integration = context.integration
    if not is_configured(integration):
        return _not_configured()
    settings = live_messaging_of(integration)
    fingerprint = _fingerprint(settings)
    if not has_request_context():
        kept = _kept_probe(context.organization_id, fingerprint)
        if kept is not None:
            return kept
    finding, opened = _probe(context, settings)
    if opened:
        with suppress(RedisError):
            probe = json.dumps({"at": time.time(), "fingerprint": fingerprint})
            redis_server.connection().set(PROBE_KEY.format(context.organization_id), probe, ex=PROBE_KEY_TTL)
    return finding


def _fingerprint(settings: LiveMessagingSettings) -> str:
    """What the test conversation depends on: a change means the last one says nothing."""
    relevant = [settings.scrt_url, settings.es_developer_name, settings.org_id, settings.routing_attributes]
    return hashlib.sha256(json.dumps(relevant, sort_keys=True).encode()).hexdigest()[:32]


def _kept_probe(organization_id: int, fingerprint: str) -> Finding | None:
    """The last routing finding, if its test conversation is recent and for these settings."""
    interval = float(current_app.config.get("DIAGNOSTICS_ROUTING_PROBE_SECONDS", DEFAULT_PROBE_SECONDS))
    try:
        last = json.loads(redis_server.connection().get(PROBE_KEY.format(organization_id)) or "null")
    except (RedisError, ValueError):
        return None
    if not isinstance(last, dict) or last.get("fingerprint") != fingerprint:
        return None
    if not isinstance(last.get("at"), int | float) or time.time() - last["at"] >= interval:
        return None
    row = db.session.scalar(
        select(DiagnosticResult).where(
            DiagnosticResult.organization_id == organization_id,
            DiagnosticResult.integration == "salesforce",
            DiagnosticResult.check_key == ROUTING_KEY,
        )
    )
    if row is None:
        return None
    link = Link(**row.fix_link) if isinstance(row.fix_link, dict) else None
    return Finding(row.status, row.found, row.fix, link, tuple(row.details or ()))


def _probe(context: Context, settings: LiveMessagingSettings) -> tuple[Finding, bool]:
    """Open a test conversation, read how it was routed, close it: the finding, and whether a
    conversation was opened."""
    deployment, grant = _anonymous(context)
    if grant is None:
        if deployment.cause == Cause.DEPLOYMENT:
            return failing(
                f"No conversation can be opened: Salesforce does not know deployment {settings.es_developer_name} "
                f"({deployment.found}).",
                cause_fix(Cause.DEPLOYMENT, settings, deployment.fix),
                LIVE_MESSAGING_LINK,
            ), False
        return warning(
            "No test conversation could be opened: Salesforce gave no access token (the access token check says why).",
            cause_fix(deployment.cause, settings, deployment.fix),
            LIVE_MESSAGING_LINK,
        ), False
    client = _client(context)
    attributes, language = test_routing(context)
    details = [f"Routing attributes sent: {', '.join(f'{k}={v}' for k, v in attributes.items()) or 'none'}"]
    conversation_id = str(uuid.uuid4())
    try:
        client.create_conversation(grant, conversation_id, attributes, language=language)
    except MessagingRejected as exc:
        if checks.deployment_cause(str(exc)) == Cause.DEPLOYMENT:
            return failing(
                f"Salesforce refused to open a conversation for deployment {settings.es_developer_name}: {exc}",
                cause_fix(Cause.DEPLOYMENT, settings, None),
                LIVE_MESSAGING_LINK,
                details,
            ), False
        return failing(
            f"Salesforce refused to open a test conversation: {exc}",
            "A handoff's conversation is refused the same way: correct what Salesforce names, in the Live Messaging "
            "section or in the deployment.",
            LIVE_MESSAGING_LINK,
            details,
        ), False
    except MessagingError as exc:
        found = f"No test conversation could be opened: {exc}"
        return warning(found, "Run the checks again in a few minutes."), False
    try:
        status, failure, reason = _routing_outcome(client, grant, conversation_id)
    except MessagingError as exc:
        status, failure, reason = None, None, None
        details.append(f"The routing status could not be read: {exc}")
    finally:  # an answer not understood must not leave the test conversation open for a rep
        details += _close(client, grant, conversation_id)
    return _routing_finding(settings, status, failure, reason, details), True


def test_routing(context: Context) -> tuple[dict[str, str], str]:
    """The routing attributes a web chat handoff of an anonymous customer sends, with this
    check's own session name, and the language."""
    integration = context.integration
    values = {
        "session_id": TEST_SESSION,
        "consumer_type": "anonymous",
        "origin": ORIGINS[ROUTING_CHANNEL],
        "priority": priority_for(settings_of(integration), ""),
        "language": DEFAULT_LANGUAGE,
    }
    names = live_messaging_of(integration).attribute_names()
    return {name: values[role] for role, name in names.items() if role in values}, DEFAULT_LANGUAGE


def _routing_outcome(client, grant: TokenGrant, conversation_id: str) -> tuple[str | None, str | None, str | None]:
    """The routing status and the latest routing result's failure type and reason, once
    Salesforce has routed the conversation (or failed to), or when the wait is over."""
    deadline = time.monotonic() + float(
        current_app.config.get("DIAGNOSTICS_ROUTING_WAIT_SECONDS", DEFAULT_ROUTING_WAIT_SECONDS)
    )
    while True:
        status = client.conversation(grant, conversation_id).get("routingStatus")
        status = status if isinstance(status, str) else None
        results = client.entries(grant, conversation_id, entryTypeFilter="RoutingResult", limit=5)
        failure, reason = _latest_result(results)
        decided = status in ROUTED or status == "NEEDS_ROUTING" or failure is not None
        if decided or time.monotonic() >= deadline:
            return (str(status) if status else None), failure, reason
        time.sleep(ROUTING_POLL_SECONDS)


def _latest_result(entries: list[dict]) -> tuple[str | None, str | None]:
    """The newest routing result's failure type ("None" when it routed) and reason."""
    results = [e for e in entries if e.get("entryType") == "RoutingResult" and isinstance(e.get("entryPayload"), dict)]
    if not results:
        return None, None
    newest = max(results, key=lambda e: _number(e.get("transcriptedTimestamp")))["entryPayload"]
    failure = newest.get("failureType")
    reason = newest.get("failureReason")
    return (
        remote_text(str(failure), 60) if failure is not None else "None",
        remote_text(reason, 300) if isinstance(reason, str) else None,
    )


def _number(value) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def _close(client, grant: TokenGrant, conversation_id: str) -> list[str]:
    try:
        client.close_conversation(grant, conversation_id)
    except MessagingError as exc:
        return [f"The test conversation could not be closed ({exc}); it ends on its own when Salesforce times it out."]
    return ["The test conversation was closed."]


def _routing_finding(
    settings: LiveMessagingSettings, status: str | None, failure: str | None, reason: str | None, details: list[str]
) -> Finding:
    details = [f"Routing status: {status or 'unknown'}", f"Routing result: {failure or 'none yet'}", *details]
    channel_fix = (
        "In Setup → Messaging Settings, open the deployment's Messaging channel and give it Omni-Channel routing: an "
        "Omni-Channel flow (or a queue) that routes its conversations to a queue whose reps work the Messaging "
        "service channel, and is active. Then run the checks again."
    )
    if failure is not None and failure not in NO_FAILURE:
        because = f": {reason}" if reason else ""
        return failing(
            f"Salesforce opened a test conversation for deployment {settings.es_developer_name}, but Omni-Channel "
            f"could not route it ({failure}{because}): handed-off conversations reach no rep.",
            channel_fix,
            None,
            details,
        )
    if status == "NEEDS_ROUTING":
        return failing(
            f"Salesforce opened a test conversation for deployment {settings.es_developer_name}, but it was not routed "
            "(routing status NEEDS_ROUTING): handed-off conversations reach no rep.",
            channel_fix,
            None,
            details,
        )
    if status in ROUTED or failure is not None:
        return ok(
            f"Salesforce opened a test conversation for deployment {settings.es_developer_name} with the routing "
            f"attributes Switchboard sends, and Omni-Channel routed it (routing status {status or 'unknown'}).",
            details,
        )
    return warning(
        f"Salesforce opened a test conversation for deployment {settings.es_developer_name}, but had not routed it "
        f"when the check stopped waiting (routing status {status or 'unknown'}).",
        "If handed-off conversations wait and no rep sees them, check the Messaging channel's Omni-Channel routing "
        "(Setup → Messaging Settings → your channel): a flow or queue, and reps online in Omni-Channel.",
        None,
        details,
    )


# -- 15. routing attributes ------------------------------------------------------------------------


def routing_attributes(context: Context) -> Finding:
    integration = context.integration
    if not is_configured(integration):
        return _not_configured()
    settings = live_messaging_of(integration)
    deployment, grant = _anonymous(context)
    if grant is None:
        return warning(
            "The deployment's pre-chat form could not be read: Salesforce gave no access token (the access token "
            "check says why).",
            cause_fix(deployment.cause, settings, deployment.fix),
            LIVE_MESSAGING_LINK,
        )
    found = checks.routing_check(settings, grant)
    if found.outcome == Outcome.PASS:
        return ok(found.found)
    return warning(found.found, found.fix, LIVE_MESSAGING_LINK, found.details)


MESSAGING_CHECKS: tuple[Check, ...] = (
    Check(
        send_test.CHECK_KEY,
        "Reps' replies come back from Salesforce",
        "Reps' replies in Salesforce don't reach the contact.",
        rep_replies,
    ),
    Check(
        "live_messaging_settings",
        "Live Messaging settings are valid",
        "Live Messaging settings won't save.",
        saved_settings,
    ),
    Check(
        "live_messaging_tokens",
        "Live Messaging gives access tokens",
        "Handoff to Live Messaging fails with an access token error.",
        access_tokens,
    ),
    Check(
        ROUTING_KEY,
        "Omni-Channel routes live conversations",
        "A live conversation is created, but no messages appear.",
        routing,
    ),
    Check(
        "live_messaging_attributes",
        "Routing attributes match the pre-chat form",
        "Routing attributes are missing in Salesforce.",
        routing_attributes,
    ),
)
