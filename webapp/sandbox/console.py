"""``switchboard sandbox``: try Switchboard end to end without a Front account.

It runs the fake Front on loopback, seeded with an AI teammate, a human teammate and a small
Help Center, and turns each line you type into a customer message: the message is added to a
conversation assigned to the AI teammate and announced to Switchboard with a signed webhook,
exactly as Front would, and whatever Switchboard sends back (replies, internal notes,
unassignment) is printed.
"""

from __future__ import annotations

import itertools
import logging
import json
import sys
import time

import click
import requests

from webapp.front import signatures
from webapp.sandbox.front import FakeFront, FrontServer

AI, HUMAN = "tea_ai", "tea_sam"
ARTICLES = [
    ("Shipping times", "<p>Orders ship within two business days. Standard delivery takes 3 to 5 business days.</p>"),
    ("Refund policy", "<p>Refunds are issued within 14 days after we receive your return.</p>"),
    ("Resetting your password", "<p>Click Forgot password on the login page and follow the link we email you.</p>"),
]


def seed(fake: FakeFront) -> None:
    fake.company = {"id": "cmp_sandbox", "name": "Sandbox Inc"}
    fake.add_teammate(AI, "Switchboard", "AI", "ai@sandbox.test")
    fake.add_teammate(HUMAN, "Sam", "Support", "sam@sandbox.test")
    fake.add_knowledge_base("knb_help", "Sandbox Help Center", "external", locales=("en",))
    for n, (title, html) in enumerate(ARTICLES):
        fake.add_article("knb_help", f"kba_{n}", title, html)


def send_customer_message(fake: FakeFront, webhook_url: str, app_secret: str, conversation_id: str, text: str) -> requests.Response:
    """Add the message in Front's state, then tell Switchboard with a signed webhook."""
    if conversation_id not in fake.conversations:
        fake.add_conversation(conversation_id, assignee=AI, subject=text[:60])
    message = fake.add_message(conversation_id, text, sender=("Sandbox Customer", "customer@example.com"))
    body = json.dumps(fake.event(message)).encode()
    stamp = str(int(time.time() * 1000))
    headers = {
        "Content-Type": "application/json",
        "X-Front-Request-Timestamp": stamp,
        "X-Front-Signature": signatures.sign_application(app_secret, stamp, body),
    }
    return requests.post(webhook_url, data=body, headers=headers, timeout=10)


def activity_since(fake: FakeFront, conversation_id: str, since: float) -> list[str]:
    """What Switchboard did in the conversation after ``since``, as lines to print."""
    lines = []
    for message in fake.replies(conversation_id):
        if message["created_at"] > since:
            lines.append(f"AI reply: {message['text']}")
    for comment in fake.comments.get(conversation_id, []):
        if comment["posted_at"] > since:
            lines.append(f"Internal note: {comment['body']}")
    for call in fake.calls:
        if call.at > since and call.method == "PUT" and call.path.endswith(f"/{conversation_id}/assignee"):
            lines.append(f"Assignee set to: {call.body.get('assignee_id') or 'nobody (handed off)'}")
        if call.at > since and call.method == "PATCH" and call.path.endswith(f"/{conversation_id}"):
            lines.append(f"Conversation updated: {call.body}")
    return lines


@click.command("sandbox")
@click.option("--port", default=8025, show_default=True, help="Loopback port of the fake Front.")
@click.option("--webhook-url", default=None, help="Switchboard's Front webhook URL (Settings → Ticketing System → Front).")
@click.option("--app-secret", default="sandbox-app-secret", show_default=True, help="The app secret saved in Switchboard.")
@click.option("--wait", default=15.0, show_default=True, help="Seconds to wait for Switchboard's answer to each message.")
def sandbox(port: int, webhook_url: str | None, app_secret: str, wait: float) -> None:
    """Run a fake Front on loopback and chat with Switchboard as a customer."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the chat, not every request, on screen
    fake = FakeFront(page_size=100)
    with FrontServer(fake, port=port):
        seed(fake)
        click.echo(
            f"Fake Front on {fake.url}\n"
            f"1. Start Switchboard against it:  FRONT_API_URL={fake.url} switchboard serve\n"
            f"2. Settings → Front: connect with the token {fake.token}, choose “Switchboard AI”, switch the AI on,\n"
            f"   save the app secret {app_secret!r}, and copy the webhook URL.\n"
            f"3. Data Sources: add a Front source with the same token to import the Sandbox Help Center.\n"
            f"4. Run this command again with --webhook-url <that URL>, or paste the URL below."
        )
        if webhook_url is None:
            webhook_url = click.prompt("Webhook URL", default="", show_default=False).strip() or None
        if not webhook_url:
            click.echo("No webhook URL: serving the fake Front only. Ctrl+C stops it.")
            while True:
                time.sleep(3600)
        conversations = (f"cnv_sandbox_{n}" for n in itertools.count(1))
        conversation_id = next(conversations)
        click.echo("Type a customer message and press Enter (“/new” starts another conversation, Ctrl+D quits).")
        for line in sys.stdin:
            text = line.strip()
            if not text:
                continue
            if text == "/new":
                conversation_id = next(conversations)
                click.echo(f"New conversation {conversation_id}.")
                continue
            since = time.time()
            response = send_customer_message(fake, webhook_url, app_secret, conversation_id, text)
            if response.status_code != 200:
                click.echo(f"Switchboard refused the webhook: {response.status_code} {response.text[:200]}")
                continue
            deadline = time.time() + wait
            printed: list[str] = []
            while time.time() < deadline:
                lines = activity_since(fake, conversation_id, since)
                for new in lines[len(printed):]:
                    click.echo(f"  {new}")
                printed = lines
                if any(l.startswith(("AI reply", "Assignee")) for l in printed) and time.time() > since + 1:
                    break
                time.sleep(0.3)
            if not printed:
                click.echo("  (no answer yet: is the worker running? See the Inbox for the skip reason.)")
