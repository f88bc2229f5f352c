"""``switchboard sandbox``: try Switchboard end to end without a Front account.

It runs the fake Front on loopback, seeded with an AI teammate, a human teammate and a small
Help Center, and turns each line you type into something that happens in Front: a customer
message (any plain line), or what the human teammate does (``/assign``, ``/teammate``,
``/archive``). Each is made in the fake's state and announced to Switchboard with a signed
webhook, exactly as Front would, and whatever Switchboard does in Front in return (replies,
internal notes, unassignment) is printed. The fake can be made slow, rate limited or flaky, to
watch Switchboard cope.
"""

from __future__ import annotations

import itertools
import logging
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import click
import requests

from webapp.sandbox import webhooks
from webapp.sandbox.front import FakeFront, FrontServer
from webapp.sandbox.seed import AI, ARTICLES, HUMAN, seed
from webapp.sandbox.webhooks import send_customer_message

__all__ = ["AI", "HUMAN", "Chat", "activity_since", "sandbox", "seed", "send_customer_message"]

ASSIGNEES = {"ai": AI, "human": HUMAN, "none": None}
ANSWERS = ("AI reply", "Assignee")  # what ends the wait for Switchboard's answer
HELP = """\
  a plain line          the customer writes it
  /teammate <text>      Sam, the human teammate, replies to the customer
  /assign ai|human|none Sam assigns the conversation to the AI, to Sam, or to nobody
  /archive              Sam archives the conversation
  /new                  start another conversation
  /help                 this list
  Ctrl+D                quit"""


def _activity(fake: FakeFront, conversation_id: str, since: float) -> list[tuple[float, str]]:
    """What happened in Front after ``since``, with when, in the order it happened."""
    found = []
    for message in fake.replies(conversation_id):
        if message["created_at"] > since:
            found.append((message["created_at"], f"AI reply: {message['text']}"))
    for comment in fake.comments_on(conversation_id):
        if comment["posted_at"] > since:
            found.append((comment["posted_at"], f"Internal note: {comment['body']}"))
    for call in fake.calls_since(since):
        # Refusals are Front's doing, not Switchboard's; shown so a slow answer explains itself.
        if call.status == 429:
            found.append(
                (call.at, f"Front rate limited {call.method} {call.path} (429); Switchboard waits and retries")
            )
        elif call.status >= 500:
            found.append((call.at, f"Front failed {call.method} {call.path} ({call.status})"))
        elif not call.succeeded:
            continue
        elif call.method == "PUT" and call.path.endswith(f"/{conversation_id}/assignee"):
            found.append((call.at, f"Assignee set to: {call.body.get('assignee_id') or 'nobody (handed off)'}"))
        elif call.method == "PATCH" and call.path.endswith(f"/{conversation_id}"):
            found.append((call.at, f"Conversation updated: {call.body}"))
    return sorted(found, key=lambda item: item[0])


def activity_since(fake: FakeFront, conversation_id: str, since: float) -> list[str]:
    """What Switchboard did in the conversation after ``since``, as lines to print."""
    return [line for _, line in _activity(fake, conversation_id, since)]


@dataclass
class Chat:
    """The chat between lines: the current conversation and where Switchboard listens."""

    fake: FakeFront
    webhook_url: str
    app_secret: str
    wait: float = 15.0  # seconds to watch for Switchboard's answer to a customer message
    echo: Callable[[str], None] = click.echo
    conversation_id: str = field(init=False)

    def __post_init__(self) -> None:
        self._numbers = itertools.count(1)
        self.conversation_id = self._next_conversation()

    def _next_conversation(self) -> str:
        return f"cnv_sandbox_{self.fake.id_prefix}{next(self._numbers)}"

    def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if not text.startswith("/"):
            self._announce(webhooks.customer_message(self.fake, self.conversation_id, text), watch=True)
            return
        command, _, argument = text.partition(" ")
        argument = argument.strip()
        if command == "/help":
            self.echo(HELP)
        elif command == "/new":
            self.conversation_id = self._next_conversation()
            self.echo(f"New conversation {self.conversation_id}.")
        elif command == "/assign" and argument in ASSIGNEES:
            self._announce(webhooks.assignee_change(self.fake, self.conversation_id, ASSIGNEES[argument]))
        elif command == "/teammate" and argument:
            self._announce(webhooks.teammate_reply(self.fake, self.conversation_id, argument))
        elif command == "/archive" and self.conversation_id in self.fake.conversations:
            self._announce(webhooks.archive(self.fake, self.conversation_id))
        elif command == "/archive":
            self.echo("Nothing to archive yet: this conversation has no messages.")
        else:
            self.echo(f"Not understood: {text}. /help lists the commands.")

    def _announce(self, event: dict, watch: bool = False) -> None:
        """Send the event; for a customer message, print what Switchboard does about it."""
        since = self.fake.clock()
        try:
            response = webhooks.deliver(event, self.webhook_url, self.app_secret)
        except requests.RequestException as exc:
            self.echo(
                f"Switchboard did not answer at {self.webhook_url} ({type(exc).__name__}): "
                "is `switchboard serve` running?"
            )
            return
        if response.status_code != 200:
            self.echo(f"Switchboard refused the webhook: {response.status_code} {response.text[:200]}")
            return
        if not watch:
            # Switchboard answers only customers; everything else lands on the session's timeline.
            self.echo(f"  Switchboard took the {event['payload']['type']} event: see the conversation in the Inbox.")
            return
        self._watch(since)

    def _watch(self, since: float) -> None:
        """Print Switchboard's doings until it answers, or until ``wait`` runs out. After an AI
        message, watch a few seconds more: a handoff's note and unassignment follow it, spaced
        out by the API budget when Front's limit is low."""
        deadline = time.monotonic() + self.wait
        shown: set[tuple[float, str]] = set()
        while time.monotonic() < deadline:
            for item in _activity(self.fake, self.conversation_id, since):
                if item not in shown:
                    shown.add(item)
                    self.echo(f"  {item[1]}")
                    if item[1].startswith(ANSWERS):
                        grace = 0.5 if item[1].startswith("Assignee") else 3.0
                        deadline = min(deadline, time.monotonic() + grace)
            time.sleep(0.3)
        if not shown:
            self.echo("  (no answer yet: is the worker running? See the Inbox for the skip reason.)")


def knobs(fake: FakeFront, articles: int) -> str:
    """One line saying how the fake Front behaves, so what follows can be read against it."""
    latency = f"{fake.latency * 1000:.0f} ms latency" if fake.latency else "no added latency"
    limit = (
        f"at most {fake.rate_limit_per_minute} requests a minute (then 429 with Retry-After)"
        if fake.rate_limit_per_minute
        else "no rate limit"
    )
    errors = f"{fake.error_rate:.0%} of requests fail with 502/503/500" if fake.error_rate else "no random failures"
    return f"{latency}, {limit}, {errors}, {articles} Help Center articles"


def last_step(webhook_url: str | None, interactive: bool) -> str:
    if webhook_url:
        return f"Chatting with Switchboard at {webhook_url}."
    if interactive:
        return "Run this command again with --webhook-url <that URL>, or paste the URL below."
    return "Run this command again with --webhook-url <that URL>."


def serve_until_stopped() -> None:
    while True:
        time.sleep(3600)


@click.command("sandbox")
@click.option("--port", default=8025, show_default=True, help="Loopback port of the fake Front.")
@click.option(
    "--webhook-url", default=None, help="Switchboard's Front webhook URL (Settings → Ticketing System → Front)."
)
@click.option(
    "--app-secret", default="sandbox-app-secret", show_default=True, help="The app secret saved in Switchboard."
)
@click.option(
    "--wait", default=15.0, show_default=True, help="Seconds to wait for Switchboard's answer to each message."
)
@click.option(
    "--latency",
    type=click.FloatRange(min=0),
    default=0.0,
    show_default=True,
    help="Milliseconds the fake Front takes to answer each request.",
)
@click.option(
    "--rate-limit",
    type=click.IntRange(min=1),
    default=None,
    help="Requests a minute the fake Front allows, like a Front plan (50, 100, 200); beyond it, 429 with Retry-After.",
)
@click.option(
    "--error-rate",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Share of requests (0 to 1) the fake Front answers with a random 502, 503 or 500.",
)
@click.option(
    "--articles",
    type=click.IntRange(min=0),
    default=0,
    show_default=True,
    help="Generated Help Center articles added to the three written ones, to try search at scale.",
)
def sandbox(
    port: int,
    webhook_url: str | None,
    app_secret: str,
    wait: float,
    latency: float,
    rate_limit: int | None,
    error_rate: float,
    articles: int,
) -> None:
    """Run a fake Front on loopback and chat with Switchboard as a customer."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the chat, not every request, on screen
    fake = FakeFront(
        page_size=100,
        latency=latency / 1000,
        rate_limit_per_minute=rate_limit,
        error_rate=error_rate,
        id_prefix=f"{secrets.token_hex(2)}_",
    )
    with FrontServer(fake, port=port):
        seed(fake, generated=articles)
        click.echo(
            f"Fake Front on {fake.url}: {knobs(fake, len(ARTICLES) + articles)}.\n"
            f"1. Start Switchboard against it:  FRONT_API_URL={fake.url} switchboard serve\n"
            f"2. Settings → Front: connect with the token {fake.token}, choose “Switchboard AI”, switch the AI on,\n"
            f"   save the app secret {app_secret!r}, and copy the webhook URL.\n"
            f"3. Data Sources: add a Front source with the same token to import the Sandbox Help Center.\n"
            f"4. {last_step(webhook_url, sys.stdin.isatty())}"
        )
        if webhook_url is None and sys.stdin.isatty():
            webhook_url = click.prompt("Webhook URL", default="", show_default=False).strip() or None
        elif webhook_url is None:
            # Without a terminal nobody can answer the prompt. Run in the background (a script, a
            # benchmark, a supervisor), the sandbox is wanted for its fake Front, so serve that
            # rather than exit: Switchboard can still be pointed at it.
            click.echo("Standard input is not a terminal: chatting needs --webhook-url.")
        if not webhook_url:
            click.echo("No webhook URL: serving the fake Front only. Ctrl+C stops it.")
            serve_until_stopped()
            return
        chat = Chat(fake, webhook_url, app_secret, wait=wait)
        click.echo("Type a customer message and press Enter; /help lists what else happens in Front. Ctrl+D quits.")
        for line in sys.stdin:
            chat.handle(line)
        click.echo(
            f"Front answered {len(fake.calls)} requests: {fake.rate_limited} rate limited, "
            f"{fake.random_failures} random failures."
        )
