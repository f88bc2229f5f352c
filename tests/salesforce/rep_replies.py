"""Helpers for the rep-reply tests: an organization whose Salesforce org is connected and holds a
callout secret, a session handed off to a Case, and callouts signed as the org's Apex signs them."""

from __future__ import annotations

import time

from webapp.db import db
from webapp.models import Integration, IntegrationKind, Organization, SessionStatus, SupportSession
from webapp.salesforce import callouts
from webapp.salesforce.integration import CALLOUT_SECRET

CALLOUT_SECRET_VALUE = "callout-secret-for-tests"
USER_ID = "005SB0000000001YAA"  # the connected (integration) user
ORG_ID = "00DSB00000000012AA"
REP_ID = "005SB0000000002AAA"
CASE_ID = "500SB0000000001AAA"
CASE_NUMBER = "00001001"
CONVERSATION_ID = "cnv_case"


def connect_salesforce(organization: Organization, secret: str | None = CALLOUT_SECRET_VALUE) -> Integration:
    """Salesforce as the OAuth callback leaves it, plus a callout secret (tokens are not needed:
    relaying replies never calls Salesforce)."""
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.SALESFORCE,
        enabled=True,
        settings={
            "client_id": "sandbox-client-id",
            "state": "connected",
            "username": "admin@sandbox.example",
            "user_id": USER_ID,
            "org_id": ORG_ID,
            "instance_url": "https://acme.my.salesforce.com",
            "callout_secret_created_at": "2026-11-01T10:00:00",
        },
        credentials={CALLOUT_SECRET: secret} if secret else {},
        webhook_token=f"salesforce-hook-{organization.id}",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def handed_off(world, organization: Organization, conversation_id: str = CONVERSATION_ID, **fields) -> SupportSession:
    """A session whose conversation was handed off as a Case, as the Case handoff leaves it."""
    return world.session(
        organization,
        status=SessionStatus.HANDED_OFF,
        front_conversation_id=conversation_id,
        contact_email="customer@example.com",
        salesforce_case_id=fields.pop("salesforce_case_id", CASE_ID),
        salesforce_case_number=fields.pop("salesforce_case_number", CASE_NUMBER),
        **fields,
    )


def comment(text: str = "Your order ships tomorrow.", record_id: str = "00aSB0000000001AAA", **fields) -> dict:
    """A rep's public CaseComment, as the Apex posts it."""
    wire = {
        "caseNumber": CASE_NUMBER,
        "body": text,
        "author": "Riley Rep",
        "createdById": REP_ID,
        "isPublished": True,
        "orgId": ORG_ID,
        **fields,
    }
    return callouts.payload(callouts.EventType.CASE_COMMENT, record_id, wire.pop("caseId", CASE_ID), **wire)


def email(text: str = "Your order ships tomorrow.", status: str = "3", record_id: str = "02sSB0000000001AAA", **fields):
    """An outbound EmailMessage on the Case: Status 3 is Sent (Salesforce emailed it)."""
    wire = {
        "caseNumber": CASE_NUMBER,
        "textBody": text,
        "htmlBody": None,
        "status": status,
        "incoming": False,
        "author": "Riley Rep",
        "createdById": REP_ID,
        "orgId": ORG_ID,
        **fields,
    }
    return callouts.payload(callouts.EventType.EMAIL_MESSAGE, record_id, CASE_ID, **wire)


def closed(case_id: str = CASE_ID, **fields) -> dict:
    wire = {
        "caseNumber": CASE_NUMBER,
        "status": "Closed",
        "author": "Riley Rep",
        "createdById": REP_ID,
        "orgId": ORG_ID,
        **fields,
    }
    return callouts.payload(callouts.EventType.CASE_CLOSED, case_id, case_id, **wire)


def post(client, integration: Integration, document: dict, secret: str = CALLOUT_SECRET_VALUE, **headers):
    """POST a callout signed with ``secret``; ``headers`` replace the signed ones."""
    body, signed = callouts.signed_request(document, secret)
    return client.post(f"/webhooks/salesforce/{integration.webhook_token}", data=body, headers={**signed, **headers})


def stamped(seconds_from_now: float) -> int:
    return int((time.time() + seconds_from_now) * 1000)
