"""What a rep does in the sandbox's Salesforce, and the signed callout that tells Switchboard,
as the Apex Switchboard generates (``SwitchboardCallout.cls``) would send it.

Each change is made in the fake org first and announced second, as the Apex does from a
Queueable after the rep's transaction commits. The Case of a conversation is the one whose
Description (or a comment Switchboard added, for a returning customer's Case) links to the
conversation in Front: the Case handoff writes that link there.

:class:`DeployedApex` plays the Case trigger on its own: once deployed in the fake org, every
Case Switchboard's user creates through the API is announced with a signed ``case_created``
callout, as ``SwitchboardCaseTrigger`` and its Queueable do. Troubleshooting's **Send a test** relies
on exactly that (the CaseComment trigger leaves out Switchboard's own comments).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from urllib.parse import quote

import requests

from webapp.salesforce import callouts
from webapp.salesforce.callouts import EventType
from webapp.sandbox.salesforce import FakeSalesforce
from webapp.sandbox.salesforce_setup import CALLOUT_CLASS, NAMED_CREDENTIAL

CASE_TRIGGER = "SwitchboardCaseTrigger"

REP = "Riley Rep"

log = logging.getLogger(__name__)


def conversation_link(conversation_id: str) -> str:
    return f"https://app.frontapp.com/open/{quote(conversation_id, safe='')}"


def case_for_conversation(fake: FakeSalesforce, conversation_id: str) -> dict | None:
    """The newest Case that names the conversation."""
    link = conversation_link(conversation_id)
    by_comment = {
        comment["ParentId"]
        for comment in fake.case_comments.values()
        if comment.get("CreatedById") == fake.user_id and link in (comment.get("CommentBody") or "")
    }
    found = [
        case for case in fake.cases.values() if link in (case.get("Description") or "") or case["Id"] in by_comment
    ]
    return max(found, key=lambda case: (case["CreatedDate"], case["Id"]), default=None)


def rep_comment(fake: FakeSalesforce, case: dict, text: str, rep: str = REP) -> dict:
    """A rep's public comment on the Case, and the callout about it."""
    comment = fake.add_comment(case["Id"], text, is_published=True, created_by_name=rep)
    return callouts.payload(
        EventType.CASE_COMMENT,
        comment["Id"],
        case["Id"],
        caseNumber=case["CaseNumber"],
        body=text,
        author=rep,
        createdById=comment["CreatedById"],
        isPublished=True,
        orgId=fake.org_id,
    )


def close_case(fake: FakeSalesforce, case: dict, rep: str = REP) -> dict:
    """The rep closes the Case, and the callout about it."""
    record = fake.close_case(case["Id"])
    return callouts.payload(
        EventType.CASE_CLOSED,
        record["Id"],
        record["Id"],
        caseNumber=record["CaseNumber"],
        status=record["Status"],
        author=rep,
        createdById=fake.add_user(rep),
        orgId=fake.org_id,
    )


def deliver(document: dict, webhook_url: str, secret: str) -> requests.Response:
    """POST the callout signed with the callout secret, as the External Credential signs it."""
    body, headers = callouts.signed_request(document, secret)
    return requests.post(webhook_url, data=body, headers=headers, timeout=10)


@dataclass
class DeployedApex:
    """The generated Apex at work in the fake org, once deployed: its setup (classes, triggers,
    the Named Credential at ``webhook_url``) is put in ``fake.apex`` as deploying does, and from
    then on each Case Switchboard's user creates through the API is announced, a moment later,
    to wherever the Named Credential points, signed with ``secret`` (the one the External
    Credential holds: another than Switchboard's plays an admin who pasted the wrong one).

    As in Salesforce, a trigger switched off or removed (``fake.apex.deactivate_trigger``) fires
    nothing, and a callout Switchboard does not take leaves a failed ``SwitchboardCallout`` job
    whose message is the Apex's. ``deliveries`` records Switchboard's answer to each callout (its
    status, or the exception's name)."""

    fake: FakeSalesforce
    webhook_url: str
    secret: str
    delay: float = 0.0
    deliveries: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self._threads: list[threading.Thread] = []

    def deploy(self) -> DeployedApex:
        self.fake.apex.deploy_apex(self.webhook_url)
        if self._after_commit not in self.fake.after_commit:
            self.fake.after_commit.append(self._after_commit)
        return self

    def remove(self) -> None:
        """Stop announcing (the setup in ``fake.apex`` is left as it is)."""
        if self._after_commit in self.fake.after_commit:
            self.fake.after_commit.remove(self._after_commit)

    def wait(self, timeout: float = 10.0) -> None:
        """Until every callout started so far has been answered (tests)."""
        for thread in list(self._threads):
            thread.join(timeout)

    def _after_commit(self, sobject: str, record: dict) -> None:
        # SwitchboardCallout.casesInserted: the Cases Switchboard's user created.
        if sobject != "Case" or record.get("CreatedById") != self.fake.user_id:
            return
        if self.fake.apex.trigger_status(CASE_TRIGGER) != "Active":
            return
        document = callouts.payload(
            EventType.CASE_CREATED,
            record["Id"],
            record["Id"],
            caseNumber=record["CaseNumber"],
            status=record.get("Status"),
            author=self.fake.users.get(record["LastModifiedById"], {}).get("Name"),
            createdById=record["LastModifiedById"],
            orgId=self.fake.org_id,
        )
        thread = threading.Thread(target=self._send, args=(document,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _send(self, document: dict) -> None:
        """What the Queueable does: post, and fail the job with Switchboard's answer if refused."""
        if self.delay:
            self.fake.sleep(self.delay)
        endpoint = self._endpoint()
        if endpoint is None:
            self._failed(f"System.CalloutException: the Named Credential {NAMED_CREDENTIAL} does not exist")
            return
        document["timestamp"] = int(self.fake.clock() * 1000)  # stamped when sent, as the Apex does
        try:
            response = deliver(document, endpoint, self.secret)
        except requests.RequestException as exc:
            log.info("the fake org's callout to %s failed: %s", endpoint, exc)
            self.deliveries.append(type(exc).__name__)
            self._failed(f"System.CalloutException: {type(exc).__name__}")
            return
        self.deliveries.append(response.status_code)
        if response.status_code >= 300:
            said = f"{response.status_code} {response.text[:300]}"
            self._failed(
                f"SwitchboardCallout.SwitchboardException: Switchboard did not take 1 case_created event(s): "
                f"case_created {document['id']}: {said}"
            )
        else:
            self.fake.apex.add_job(CALLOUT_CLASS, "Completed")

    def _endpoint(self) -> str | None:
        for credential in self.fake.apex.rows("NamedCredential"):
            if credential.get("DeveloperName") == NAMED_CREDENTIAL:
                return credential.get("Endpoint")
        return None

    def _failed(self, message: str) -> None:
        self.fake.apex.add_failed_job(message[:255])


def deploy_apex(fake: FakeSalesforce, webhook_url: str, secret: str) -> DeployedApex:
    """Deploy the generated Apex in the fake org, announcing to ``webhook_url`` (replacing an
    announcer deployed before)."""
    for hook in list(fake.after_commit):
        owner = getattr(hook, "__self__", None)
        if isinstance(owner, DeployedApex):
            owner.remove()
    return DeployedApex(fake, webhook_url, secret).deploy()
