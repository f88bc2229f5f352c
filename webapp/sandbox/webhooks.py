"""What happens in the sandbox's Front, and the signed webhook that tells Switchboard about it.

Each change is made in the fake's state first and announced second, as Front does: Switchboard
re-reads the conversation when the webhook arrives and must find it already changed.
"""

from __future__ import annotations

import json
import time

import requests

from webapp.front import signatures
from webapp.sandbox.front import FakeFront
from webapp.sandbox.seed import AI, HUMAN

CUSTOMER = ("Sandbox Customer", "customer@example.com")


def deliver(event: dict, webhook_url: str, app_secret: str) -> requests.Response:
    """POST ``event`` signed with the app secret, as Front's application webhooks are."""
    body = json.dumps(event).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-Front-Request-Timestamp": stamp,
        "X-Front-Signature": signatures.sign_application(app_secret, stamp, body),
    }
    return requests.post(webhook_url, data=body, headers=headers, timeout=10)


def _conversation(fake: FakeFront, conversation_id: str, subject: str) -> dict:
    """The conversation, opened (assigned to the AI teammate) by its first change."""
    return fake.conversations.get(conversation_id) or fake.add_conversation(
        conversation_id, assignee=AI, subject=subject[:60]
    )


# The channels the sandbox's customer can write on: Front's message type, and the sender's handle.
CHANNELS = {
    "email": ("email", CUSTOMER),
    "chat": ("custom", CUSTOMER),  # a web chat that knows the customer's email
    "sms": ("sms", ("Sandbox Customer", "+15550100")),
}


def customer_message(fake: FakeFront, conversation_id: str, text: str, channel: str = "email") -> dict:
    _conversation(fake, conversation_id, text)
    message_type, sender = CHANNELS[channel]
    return fake.event(fake.add_message(conversation_id, text, message_type=message_type, sender=sender))


def teammate_reply(fake: FakeFront, conversation_id: str, text: str) -> dict:
    """The human teammate answers the customer from Front: an outbound message."""
    _conversation(fake, conversation_id, text)
    return fake.event(fake.add_message(conversation_id, text, inbound=False, author=HUMAN), event_type="outbound")


def assignee_change(fake: FakeFront, conversation_id: str, assignee: str | None) -> dict:
    """The human teammate assigns the conversation to ``assignee``, or unassigns it (None)."""
    _conversation(fake, conversation_id, "Sandbox conversation")
    fake.assign(conversation_id, assignee)
    if assignee is None:
        return fake.event(event_type="unassign", conversation_id=conversation_id, by=HUMAN)
    return fake.event(event_type="assign", conversation_id=conversation_id, teammate_id=assignee, by=HUMAN)


def archive(fake: FakeFront, conversation_id: str) -> dict:
    """The human teammate archives the conversation."""
    fake.archive(conversation_id)
    return fake.event(event_type="archive", conversation_id=conversation_id, by=HUMAN)


def send_customer_message(
    fake: FakeFront, webhook_url: str, app_secret: str, conversation_id: str, text: str
) -> requests.Response:
    """Add the message in Front's state, then tell Switchboard with a signed webhook."""
    return deliver(customer_message(fake, conversation_id, text), webhook_url, app_secret)
