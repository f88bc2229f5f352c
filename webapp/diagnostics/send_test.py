"""**Send a test** (Settings → Salesforce → Troubleshooting): does a rep's reply get back here?

A rep's reply travels through the Apex the admin deployed: a trigger enqueues
``SwitchboardCallout``, which posts a callout to the Named Credential's URL, signed by the
External Credential (or by the class, in the legacy set-up). The test makes Salesforce do exactly
that, once, and watches:

1. Switchboard creates a Case marked as a test (Subject ``Switchboard test <nonce>``) as its
   connected user, with the Case options a handoff uses.
2. ``SwitchboardCaseTrigger`` fires for a Case Switchboard's user created, and its Queueable posts
   a ``case_created`` callout. The CaseComment trigger leaves Switchboard's own comments out on
   purpose (no echo), so the Case itself is what tells; its callout goes through the same class,
   Named Credential and signature as a rep's reply. The callout names the Case by id only, so the
   webhook knows the test by the Case id the test created (:func:`note_callout`): it notes that
   the callout arrived and whether its signature held, and relays nothing.
3. The job waits for that note (``DIAGNOSTICS_SEND_TEST_WAIT_SECONDS``, 60 by default: the
   Queueable runs after the transaction commits, usually within seconds), then deletes the Case;
   its comments go with it.

Each step's outcome is kept in Redis, for the page (which refreshes while a test runs) and for the
setup check ``salesforce_rep_replies``, whose finding is the last test's outcome (:func:`finding`).
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from flask import current_app
from redis.exceptions import RedisError

from webapp import diagnostics, redis_server
from webapp.diagnostics import Finding, Link, failing, not_set_up, ok, warning
from webapp.models import Integration
from webapp.models.integration import WebhookTarget
from webapp.salesforce import callouts
from webapp.salesforce.client import client_for
from webapp.salesforce.errors import (
    SalesforceError,
    SalesforceNotConnected,
    SalesforceOutcomeUnknown,
    SalesforceRejected,
    remote_text,
)
from webapp.salesforce.integration import (
    CALLOUT_SECRET,
    is_connected,
    salesforce_integration,
    settings_of,
    webhook_url,
)

log = logging.getLogger(__name__)

CHECK_KEY = "salesforce_rep_replies"
TEST_KEY = "switchboard:diagnostics:send-test:{}"
ARRIVALS_KEY = "switchboard:diagnostics:send-test:{}:arrivals"
TEST_TTL = 90 * 24 * 3600  # the last outcome stays the check's finding this long
ARRIVALS_TTL = 15 * 60
DEFAULT_WAIT_SECONDS = 60
POLL_SECONDS = 0.25
SIGNED_GRACE_SECONDS = 2.0
# A test still "running" this long after it was sent belongs to a worker that died.
ABANDONED_AFTER_SECONDS = 10 * 60
SUBJECT = "Switchboard test {}"
DESCRIPTION = (
    "A test Switchboard made to check that the Apex calls it back (Setup check: Send a test). "
    "Switchboard deletes it within a minute; if it is still here, delete it."
)

REP_REPLIES = "salesforce-rep-replies"  # the anchor of the Apex steps on the Salesforce page
SEND_TEST_LINK = Link("Send a test", "diagnostics.salesforce", anchor="send-test")
APEX_LINK = Link("The Apex set-up steps", "salesforce.settings", anchor=REP_REPLIES)
SECRET_LINK = Link("Make a new callout secret", "salesforce.settings", anchor=REP_REPLIES)
CONNECT_LINK = Link("Connect to Salesforce", "salesforce.settings", anchor="salesforce-connection")
CASE_OPTIONS_LINK = Link("Case options", "salesforce.settings", anchor="case-options")


class Status(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"


class Outcome(StrEnum):
    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Verdict(StrEnum):
    """How a finished test went, most telling first."""

    OK = "ok"
    CASE_REFUSED = "case_refused"
    NO_CALLOUT = "no_callout"
    WRONG_SIGNATURE = "wrong_signature"
    NO_SIGNATURE = "no_signature"
    NO_SECRET = "no_secret"
    STALE = "stale"
    NOT_DELETED = "not_deleted"
    NOT_CONNECTED = "not_connected"
    UNFINISHED = "unfinished"  # Salesforce unavailable, or the test broke: try again


class Signature(StrEnum):
    """What the webhook made of a test callout's signature."""

    OK = "ok"
    WRONG = "wrong"
    MISSING = "missing"
    NO_SECRET = "no_secret"
    STALE = "stale"  # signed right, but its timestamp is more than five minutes off


SIGNATURE_VERDICTS = {
    Signature.WRONG: Verdict.WRONG_SIGNATURE,
    Signature.MISSING: Verdict.NO_SIGNATURE,
    Signature.NO_SECRET: Verdict.NO_SECRET,
    Signature.STALE: Verdict.STALE,
}


class CannotStart(Exception):
    """Why a test cannot be sent now, in the admin's words."""


@dataclass
class Step:
    key: str
    label: str
    outcome: str = Outcome.PENDING
    detail: str | None = None


def _steps() -> list[Step]:
    return [
        Step("case", "Test Case created in Salesforce"),
        Step("callout", "Signed callout arrived"),
        Step("delete", "Test Case deleted"),
    ]


@dataclass
class SendTest:
    """One test: who sent it, each step's outcome, and, while it runs, the test before it."""

    nonce: str
    requested_by: str
    started_at: float  # epoch seconds
    status: str = Status.QUEUED
    finished_at: float | None = None
    case_id: str | None = None
    case_number: str | None = None
    verdict: str | None = None
    error: str | None = None  # Salesforce's words, or what broke
    callout_seconds: float | None = None
    wait_seconds: int = DEFAULT_WAIT_SECONDS
    steps: list[Step] = field(default_factory=_steps)
    previous: dict | None = None  # the last finished test, kept while this one runs

    @classmethod
    def from_json(cls, raw: dict) -> SendTest:
        values = {name: raw[name] for name in cls.__dataclass_fields__ if name in raw}
        values["steps"] = [Step(**step) for step in raw.get("steps") or []] or _steps()
        return cls(**values)

    def to_json(self) -> dict:
        return asdict(self)

    @property
    def subject(self) -> str:
        return SUBJECT.format(self.nonce)

    @property
    def started(self) -> datetime:
        return datetime.fromtimestamp(self.started_at, UTC)

    @property
    def finished(self) -> datetime | None:
        return datetime.fromtimestamp(self.finished_at, UTC) if self.finished_at else None

    @property
    def running(self) -> bool:
        return self.status != Status.DONE and not self.abandoned

    @property
    def abandoned(self) -> bool:
        return self.status != Status.DONE and time.time() - self.started_at > ABANDONED_AFTER_SECONDS

    @property
    def case_label(self) -> str:
        if self.case_number:
            return f"Case {self.case_number}"
        return f"Case {self.case_id}" if self.case_id else "the test Case"

    def step(self, key: str) -> Step:
        return next(step for step in self.steps if step.key == key)

    def last_finished(self) -> SendTest | None:
        """This test if it ended, else the one before it."""
        if self.status == Status.DONE:
            return self
        return SendTest.from_json(self.previous) if self.previous else None


# -- storage ------------------------------------------------------------------------------------


def latest(organization_id: int) -> SendTest | None:
    """The organization's newest test (running or finished); RedisError when Redis is down."""
    raw = redis_server.connection().get(TEST_KEY.format(organization_id))
    if not raw:
        return None
    try:
        return SendTest.from_json(json.loads(raw))
    except (ValueError, TypeError, KeyError):  # written by another version: as if none ran
        return None


def _save(organization_id: int, test: SendTest) -> None:
    redis_server.connection().set(TEST_KEY.format(organization_id), json.dumps(test.to_json()), ex=TEST_TTL)


# -- starting one -----------------------------------------------------------------------------


def why_not(integration: Integration | None) -> str | None:
    """What must be done before a test can be sent, or None."""
    if not is_connected(integration):
        return "Connect to Salesforce first: the test creates a Case as Switchboard's Salesforce user."
    if not callouts.has_secret(integration):
        return (
            "Make the callout secret first (Settings → Integrations → Salesforce → Reps' replies) and put it in "
            "Salesforce."
        )
    return None


def start(organization_id: int, requested_by: str) -> SendTest:
    """Queue a test; CannotStart says why not (not connected, no secret, one running, no Redis)."""
    from webapp.queue import SEND_SALESFORCE_TEST

    problem = why_not(salesforce_integration(organization_id))
    if problem:
        raise CannotStart(problem)
    try:
        current = latest(organization_id)
        if current is not None and current.running:
            raise CannotStart("A test is running: its outcome shows below within a minute.")
        previous = current.last_finished() if current is not None else None
        test = SendTest(
            nonce=secrets.token_hex(4),
            requested_by=requested_by,
            started_at=time.time(),
            wait_seconds=wait_seconds(),
            previous=previous.to_json() if previous else None,
        )
        _save(organization_id, test)
        try:
            SEND_SALESFORCE_TEST.enqueue(organization_id, test.nonce, job_id=f"send-salesforce-test-{test.nonce}")
        except RedisError:
            _unsave(organization_id, current)  # not left "running" with no job to run it
            raise
    except RedisError as exc:
        raise CannotStart(f"The test could not be queued: Redis is not reachable ({type(exc).__name__}).") from exc
    return test


def _unsave(organization_id: int, current: SendTest | None) -> None:
    """Put back the test that was there before one that could not be queued (best effort)."""
    try:
        if current is None:
            redis_server.connection().delete(TEST_KEY.format(organization_id))
        else:
            _save(organization_id, current)
    except RedisError:
        log.warning("could not take back the Salesforce test of organization %s", organization_id)


def wait_seconds() -> int:
    return int(current_app.config.get("DIAGNOSTICS_SEND_TEST_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))


# -- running it (the job) ---------------------------------------------------------------------


def run(organization_id: int, nonce: str) -> None:
    """Create the test Case, wait for its callout, delete the Case, and keep each outcome."""
    test = latest(organization_id)
    if test is None or test.nonce != nonce or test.status == Status.DONE:
        return  # replaced by a newer test, or already done
    test.status = Status.RUNNING
    _save(organization_id, test)
    client = None
    try:
        integration = salesforce_integration(organization_id)
        client = _client(test, integration)
        if client is not None and _create_case(client, test, integration):
            _save(organization_id, test)
            _wait_for_callout(organization_id, test)
            _save(organization_id, test)
    except Exception as exc:  # whatever broke, the page says so and the Case is not left behind
        log.exception("the Salesforce test %s of organization %s broke", nonce, organization_id)
        test.verdict = test.verdict or Verdict.UNFINISHED
        test.error = test.error or remote_text(str(exc) or type(exc).__name__)
    finally:
        if client is not None and test.case_id:
            _delete_case(client, test)
        _finish(organization_id, test)


def _client(test: SendTest, integration: Integration | None):
    """The Salesforce client, or None with the test stopped saying why."""
    try:
        return client_for(integration)
    except SalesforceNotConnected as exc:
        _stop(test, test.step("case"), Verdict.NOT_CONNECTED, str(exc))
    except SalesforceError as exc:
        _stop(test, test.step("case"), Verdict.UNFINISHED, str(exc))
    return None


def _create_case(client, test: SendTest, integration: Integration) -> bool:
    step = test.step("case")
    settings = settings_of(integration)
    fields = {
        "Subject": test.subject,
        "Description": DESCRIPTION,
        "Origin": settings.case_origin,
        "Priority": settings.case_priority,
    }
    try:
        answer = client.post("sobjects/Case", fields)
    except SalesforceNotConnected as exc:
        return _stop(test, step, Verdict.NOT_CONNECTED, str(exc))
    except SalesforceRejected as exc:
        return _stop(test, step, Verdict.CASE_REFUSED, str(exc))
    except SalesforceOutcomeUnknown as exc:
        message = f"{exc}. A test Case may have been created: look for Subject “{test.subject}” and delete it."
        return _stop(test, step, Verdict.UNFINISHED, message)
    except SalesforceError as exc:
        return _stop(test, step, Verdict.UNFINISHED, str(exc))
    case_id = answer.get("id") if isinstance(answer, dict) else None
    if not isinstance(case_id, str) or not callouts.RECORD_ID.fullmatch(case_id):
        return _stop(test, step, Verdict.UNFINISHED, "Salesforce's answer did not name the Case it created.")
    test.case_id = case_id
    step.outcome, step.detail = Outcome.OK, f"{case_id}, Subject “{test.subject}”"
    return True


def _stop(test: SendTest, step: Step, verdict: Verdict, error: str) -> bool:
    test.verdict, test.error = verdict, remote_text(error)
    step.outcome, step.detail = Outcome.FAILED, test.error
    for later in test.steps[test.steps.index(step) + 1 :]:
        later.outcome = Outcome.SKIPPED
    return False


def _wait_for_callout(organization_id: int, test: SendTest) -> None:
    step = test.step("callout")
    created = time.time()
    deadline = created + test.wait_seconds
    arrival = _arrival(organization_id, test.case_id)
    while arrival is None and time.time() < deadline:
        time.sleep(POLL_SECONDS)
        arrival = _arrival(organization_id, test.case_id)
    if arrival is not None and arrival.get("signature") != Signature.OK:
        # Anyone who knows the webhook URL can post; a callout signed right, a moment later,
        # is the org's own and overrides one that was not.
        grace = min(deadline, time.time() + SIGNED_GRACE_SECONDS)
        while arrival.get("signature") != Signature.OK and time.time() < grace:
            time.sleep(POLL_SECONDS)
            arrival = _arrival(organization_id, test.case_id) or arrival
    if arrival is None:
        test.verdict = Verdict.NO_CALLOUT
        step.outcome = Outcome.FAILED
        step.detail = f"nothing reached Switchboard within {test.wait_seconds} s"
        return
    test.callout_seconds = round(max(0.0, float(arrival.get("at", created)) - created), 1)
    signature = arrival.get("signature")
    if signature == Signature.OK:
        test.case_number = remote_text(arrival.get("case_number") or "", 40) or None
        step.outcome = Outcome.OK
        step.detail = f"after {test.callout_seconds:g} s, with a valid signature"
        return
    test.verdict = SIGNATURE_VERDICTS.get(signature, Verdict.WRONG_SIGNATURE)
    step.outcome = Outcome.FAILED
    step.detail = {
        Signature.MISSING: f"after {test.callout_seconds:g} s, without the {callouts.SIGNATURE_HEADER} header",
        Signature.NO_SECRET: "but Switchboard has no callout secret to check it with",
        Signature.STALE: f"after {test.callout_seconds:g} s, signed right but stamped more than 5 minutes off",
    }.get(signature, f"after {test.callout_seconds:g} s, with a signature that does not match the callout secret")


def _arrival(organization_id: int, case_id: str) -> dict | None:
    raw = redis_server.connection().hget(ARRIVALS_KEY.format(organization_id), case_id[:15])
    if not raw:
        return None
    try:
        found = json.loads(raw)
    except ValueError:
        return None
    return found if isinstance(found, dict) else None


def _delete_case(client, test: SendTest) -> None:
    step = test.step("delete")
    try:
        client.delete(f"sobjects/Case/{test.case_id}")
    except SalesforceError as exc:
        step.outcome = Outcome.FAILED
        step.detail = f"{remote_text(str(exc))} Delete {test.case_label} (Subject “{test.subject}”) in Salesforce."
        test.verdict = test.verdict or Verdict.NOT_DELETED
        return
    step.outcome, step.detail = Outcome.OK, None


def _finish(organization_id: int, test: SendTest) -> None:
    for step in test.steps:
        if step.outcome == Outcome.PENDING:
            step.outcome = Outcome.SKIPPED
    test.verdict = test.verdict or Verdict.OK
    test.status, test.finished_at, test.previous = Status.DONE, time.time(), None
    try:
        _save(organization_id, test)
    finally:
        _store_finding(organization_id, test)


def _store_finding(organization_id: int, test: SendTest) -> None:
    """The check's row, at once: the banner and /healthz need not wait for the next run."""
    found = finding(test, salesforce_integration(organization_id))
    diagnostics.store(organization_id, "salesforce", {CHECK_KEY: found})


# -- the webhook's side -----------------------------------------------------------------------


def note_callout(integration: WebhookTarget, body: bytes, signature: str | None) -> bool:
    """While a test runs, note a ``case_created`` callout's arrival and what its signature came
    to, whatever that is (the test reports a wrong secret as such). True when it is the test's
    own Case, signed right: the webhook then acknowledges it and journals nothing. Never raises:
    a callout is never refused because of a test."""
    try:
        return _note(integration, body, signature)
    except Exception:  # Redis down, a body not understood: the callout goes its usual way
        log.warning("could not note a Salesforce test callout", exc_info=True)
        return False


def _note(integration: WebhookTarget, body: bytes, signature: str | None) -> bool:
    # The body first: a rep's reply (the usual callout) costs no Redis round trip.
    try:
        document = callouts.decode(body)
    except callouts.CalloutError:
        return False
    record_id = document.get("id")
    if document.get("type") != callouts.EventType.CASE_CREATED or not (
        isinstance(record_id, str) and callouts.RECORD_ID.fullmatch(record_id)
    ):
        return False
    test = latest(integration.organization_id)
    if test is None or not test.running:
        return False
    verdict = signature_of(integration.credential(CALLOUT_SECRET), body, signature, document)
    case_number = document.get("caseNumber") if isinstance(document.get("caseNumber"), str) else None
    arrival = {"signature": verdict.value, "at": time.time(), "case_number": case_number}
    connection = redis_server.connection()
    key = ARRIVALS_KEY.format(integration.organization_id)
    if verdict == Signature.OK:  # a callout signed right wins over any other for the same Case
        connection.hset(key, record_id[:15], json.dumps(arrival))
    else:
        connection.hsetnx(key, record_id[:15], json.dumps(arrival))
    connection.expire(key, ARRIVALS_TTL)
    return verdict == Signature.OK and bool(test.case_id) and test.case_id[:15] == record_id[:15]


def signature_of(secret: str | None, body: bytes, signature: str | None, document: dict) -> Signature:
    if not secret:
        return Signature.NO_SECRET
    if not signature:
        return Signature.MISSING
    try:
        callouts.verify_signature(secret, body, signature)
    except callouts.SignatureError:
        return Signature.WRONG
    try:
        callouts.check_fresh(document)
    except callouts.SignatureError:
        return Signature.STALE
    return Signature.OK


# -- what the check and the page say ----------------------------------------------------------


@dataclass(frozen=True)
class Panel:
    """The Send a test section of the page."""

    test: SendTest | None
    problem: str | None  # why a test cannot be sent now, or that Redis is down
    refresh_seconds: int = 2

    @property
    def blocked(self) -> bool:
        return bool(self.problem) or bool(self.test and self.test.running)


def panel(organization_id: int) -> Panel:
    try:
        test = latest(organization_id)
    except RedisError:
        return Panel(None, "Tests cannot be sent or shown now: Redis is not reachable.")
    return Panel(test, why_not(salesforce_integration(organization_id)))


def finding(test: SendTest | None, integration: Integration | None) -> Finding:
    """The check's finding: the last finished test's outcome."""
    shown = test.last_finished() if test is not None else None
    if shown is None:
        if test is not None and test.running:
            return not_set_up("A test is running: its outcome shows here when it ends.", None, SEND_TEST_LINK)
        return not_set_up(
            "No test has been sent yet.",
            "Send a test to check: Switchboard creates a test Case, waits for the Apex's signed callout and "
            "deletes the Case.",
            SEND_TEST_LINK,
        )
    details = [f"{step.label}: {_outcome_words(step)}" for step in shown.steps]
    when = f"The test sent {shown.started.strftime('%Y-%m-%d %H:%M UTC')} by {shown.requested_by}"
    verdict = shown.verdict or Verdict.UNFINISHED
    if verdict == Verdict.OK:
        return ok(
            f"{when} went through: Salesforce created {shown.case_label}, its callout reached Switchboard "
            f"{shown.callout_seconds:g} s later with a valid signature, and the Case was deleted.",
            details,
        )
    return _problem(verdict, shown, when, details, integration)


def _problem(verdict: str, shown: SendTest, when: str, details: list[str], integration) -> Finding:
    settings = settings_of(integration)
    url = webhook_url(integration) if integration is not None and integration.webhook_token else "the webhook URL"
    if verdict == Verdict.CASE_REFUSED:
        return failing(
            f"{when} stopped at once: Salesforce refused to create the test Case: {shown.error}",
            "Fix what Salesforce says: it refuses a handoff's Case the same way. A validation rule or a required "
            "field needs a value Switchboard does not send, or the Case Origin or Priority is not in the org's "
            "picklist (Case options).",
            CASE_OPTIONS_LINK,
            details,
        )
    if verdict == Verdict.NO_CALLOUT:
        return failing(
            f"{when}: Salesforce created {shown.case_label}, but no callout reached Switchboard within "
            f"{shown.wait_seconds} s.",
            "The triggers or the Named Credential are the likely cause. Check in Salesforce that "
            "SwitchboardCaseTrigger, SwitchboardCaseCommentTrigger and the SwitchboardCallout class are deployed "
            f"and active; that the URL of the Named Credential Switchboard is {url}; that the permission set "
            f"Switchboard Callouts is assigned to {settings.username or 'the connected user'}; and Setup → Apex "
            "Jobs for a failed SwitchboardCallout job, whose message says what went wrong.",
            APEX_LINK,
            details,
        )
    if verdict == Verdict.WRONG_SIGNATURE:
        return failing(
            f"{when}: the callout for {shown.case_label} arrived, but its signature does not match the callout "
            "secret here: Switchboard refuses every callout signed this way, reps' replies included.",
            "The callout secret in Salesforce differs from Switchboard's. Make a new callout secret and put it in "
            "Salesforce: the External Credential's principal, parameter CalloutSecret (or the legacy secret "
            "record). Then send a test again.",
            SECRET_LINK,
            details,
        )
    if verdict == Verdict.NO_SIGNATURE:
        return failing(
            f"{when}: the callout for {shown.case_label} arrived unsigned (no {callouts.SIGNATURE_HEADER} header): "
            "Switchboard refuses every such callout.",
            f"Add the custom header {callouts.SIGNATURE_HEADER} to the External Credential Switchboard_Callout (the "
            "Apex set-up steps), or, with the legacy Named Credential, paste the callout secret into the "
            "Switchboard Callout Secret record.",
            APEX_LINK,
            details,
        )
    if verdict == Verdict.NO_SECRET:
        return failing(
            f"{when}: the callout for {shown.case_label} arrived, but Switchboard has no callout secret to check it.",
            "Make the callout secret and put it in Salesforce, then send a test again.",
            SECRET_LINK,
            details,
        )
    if verdict == Verdict.STALE:
        return failing(
            f"{when}: the callout for {shown.case_label} was signed right but stamped more than 5 minutes away "
            "from this server's clock, so Switchboard refuses it.",
            "Set this server's clock right (NTP), then send a test again.",
            SEND_TEST_LINK,
            details,
        )
    if verdict == Verdict.NOT_DELETED:
        return warning(
            f"{when}: the callout arrived with a valid signature, but the test Case could not be deleted.",
            f"Delete {shown.case_label} (Subject “{shown.subject}”) in Salesforce.",
            None,
            details,
        )
    if verdict == Verdict.NOT_CONNECTED:
        return warning(
            f"{when} could not run: {shown.error}", "Connect to Salesforce, then send a test again.", CONNECT_LINK
        )
    return warning(
        f"{when} could not finish: {shown.error or 'it stopped before the end'}",
        "Send a test again in a few minutes.",
        SEND_TEST_LINK,
        details,
    )


def _outcome_words(step: Step) -> str:
    words = {Outcome.OK: "yes", Outcome.FAILED: "no", Outcome.SKIPPED: "skipped", Outcome.PENDING: "not yet"}
    text = words.get(step.outcome, str(step.outcome))
    return f"{text}, {step.detail}" if step.detail else text
