"""What a rep does in the sandbox's Salesforce, and the signed callout that tells Switchboard,
as the Apex Switchboard generates (``SwitchboardCallout.cls``) would send it.

Each change is made in the fake org first and announced second, as the Apex does from a
Queueable after the rep's transaction commits. The Case of a conversation is the one whose
Description (or a comment Switchboard added, for a returning customer's Case) links to the
conversation in Front: the Case handoff writes that link there.
"""

from __future__ import annotations

from urllib.parse import quote

import requests

from webapp.salesforce import callouts
from webapp.salesforce.callouts import EventType
from webapp.sandbox.salesforce import FakeSalesforce

REP = "Riley Rep"


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
