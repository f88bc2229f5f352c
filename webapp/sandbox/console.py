"""``switchboard sandbox``: try Switchboard end to end without a Front account.

It runs the fake Front on loopback, seeded with an AI teammate, a human teammate and a small
Help Center, and turns each line you type into something that happens in Front: a customer
message (any plain line), or what the human teammate does (``/assign``, ``/teammate``,
``/archive``). Each is made in the fake's state and announced to Switchboard with a signed
webhook, exactly as Front would, and whatever Switchboard does in Front in return (replies,
internal notes, unassignment) is printed. The fake can be made slow, rate limited or flaky, to
watch Switchboard cope.

It also runs a fake Salesforce org to connect Switchboard to: a conversation handed off becomes
a Case there, and ``/rep`` and ``/close-case`` play a rep answering and closing that Case, each
announced with the signed callout the Apex Switchboard generates would send.

And a fake of Salesforce's Live Messaging (MIAW) API: a conversation handed off there opens a
MIAW conversation, and ``/agent``, ``/agent-leave``, ``/route-fail`` and ``/end-session`` play
the rep on it. Switchboard hears them on the fake's event stream (its relay, started by
``switchboard serve``), as it would Salesforce's.
"""

from __future__ import annotations

import itertools
import json
import logging
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import click
import requests

from webapp import config
from webapp.sandbox import salesforce_callouts, webhooks
from webapp.sandbox.front import FakeFront, FrontServer
from webapp.sandbox.miaw import UUID_V4, FakeMessaging, MessagingServer
from webapp.sandbox.salesforce import FakeSalesforce, SalesforceServer, timestamp
from webapp.sandbox.seed import AI, ARTICLES, HUMAN, seed
from webapp.sandbox.webhooks import send_customer_message

__all__ = ["AI", "HUMAN", "Chat", "activity_since", "sandbox", "seed", "send_customer_message"]

ASSIGNEES = {"ai": AI, "human": HUMAN, "none": None}
# What ends the wait for Switchboard's answer.
ANSWERS = ("AI reply", "Assignee", "Added to Salesforce Case", "Sent to the live rep")
HELP = """\
  a plain line          the customer writes it
  /teammate <text>      Sam, the human teammate, replies to the customer
  /assign ai|human|none Sam assigns the conversation to the AI, to Sam, or to nobody
  /archive              Sam archives the conversation
  /rep <text>           Riley, a rep in Salesforce, answers on the conversation's Case
  /close-case           Riley closes the conversation's Case
  /agent <text>         Riley, a live rep in Salesforce Live Messaging, joins if needed and writes
  /agent-leave          Riley leaves the live conversation without ending it
  /route-fail           Salesforce cannot route the live conversation to a rep
  /end-session          Riley ends the live messaging session
  /upload-key <file>    upload the JWK Switchboard made (Generate a key pair) to the fake's keyset
  /new [email|chat|sms] start another conversation (by email unless another channel is named)
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
class SalesforceLink:
    """The fake Salesforce org, and where its callouts go: Switchboard's Salesforce webhook URL
    and callout secret, given as options or asked for (``ask``) when first needed."""

    fake: FakeSalesforce
    webhook_url: str | None = None
    secret: str | None = None
    ask: Callable[[], tuple[str, str]] | None = None

    def __post_init__(self) -> None:
        self._deploy()

    def ready(self) -> bool:
        if not (self.webhook_url and self.secret) and self.ask is not None:
            self.webhook_url, self.secret = self.ask()
            self._deploy()
        return bool(self.webhook_url and self.secret)

    def _deploy(self) -> None:
        """Once the webhook URL and the secret are known, the fake org has the Apex deployed:
        Switchboard's own Cases are announced (Troubleshooting → Send a test works)."""
        if self.webhook_url and self.secret:
            salesforce_callouts.deploy_apex(self.fake, self.webhook_url, self.secret)
            self.fake.apex.deploy_apex(self.webhook_url)  # its triggers and Named Credential, as Setup shows them


def ask_for_callouts() -> tuple[str, str]:
    """On a terminal: what /rep and /close-case need, from Settings → Integrations → Salesforce."""
    url = click.prompt("Salesforce webhook URL (Settings → Integrations → Salesforce)", default="", show_default=False)
    secret = click.prompt("Callout secret", default="", show_default=False, hide_input=True)
    return url.strip(), secret.strip()


@dataclass
class Chat:
    """The chat between lines: the current conversation and where Switchboard listens."""

    fake: FakeFront
    webhook_url: str
    app_secret: str
    wait: float = 15.0  # seconds to watch for Switchboard's answer to a customer message
    echo: Callable[[str], None] = click.echo
    salesforce: SalesforceLink | None = None
    miaw: FakeMessaging | None = None
    issuer: str | None = None  # the keyset issuer /upload-key registers keys with
    channel: str = "email"  # the channel the customer writes on (webhooks.CHANNELS)
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
            event = webhooks.customer_message(self.fake, self.conversation_id, text, self.channel)
            self._announce(event, watch=True)
            return
        command, _, argument = text.partition(" ")
        argument = argument.strip()
        if command == "/help":
            self.echo(HELP)
        elif command == "/new" and argument in ("", *webhooks.CHANNELS):
            self.conversation_id = self._next_conversation()
            self.channel = argument or "email"
            on = f" on {self.channel}" if argument else ""
            self.echo(f"New conversation {self.conversation_id}{on}.")
        elif command == "/assign" and argument in ASSIGNEES:
            self._announce(webhooks.assignee_change(self.fake, self.conversation_id, ASSIGNEES[argument]))
        elif command == "/teammate" and argument:
            self._announce(webhooks.teammate_reply(self.fake, self.conversation_id, argument))
        elif command == "/archive" and self.conversation_id in self.fake.conversations:
            self._announce(webhooks.archive(self.fake, self.conversation_id))
        elif command == "/archive":
            self.echo("Nothing to archive yet: this conversation has no messages.")
        elif command == "/rep" and argument:
            self._as_rep(lambda fake, case: salesforce_callouts.rep_comment(fake, case, argument), watch=True)
        elif command == "/close-case" and not argument:
            self._as_rep(salesforce_callouts.close_case, watch=False)
        elif command == "/agent" and argument:
            self._as_live_rep(lambda miaw, conversation: miaw.agent_message(conversation, argument), watch=True)
        elif command in LIVE_REP_COMMANDS and not argument:
            self._as_live_rep(LIVE_REP_COMMANDS[command], watch=command != "/agent-leave")
        elif command == "/upload-key" and argument:
            self._upload_key(argument)
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

    def _as_rep(self, act: Callable[[FakeSalesforce, dict], dict], watch: bool) -> None:
        """Do ``act`` in the fake org on the conversation's Case, then send the callout."""
        link = self.salesforce
        if link is None:
            self.echo("This sandbox runs no fake Salesforce.")
            return
        case = salesforce_callouts.case_for_conversation(link.fake, self.conversation_id)
        if case is None:
            self.echo(
                "This conversation has no Salesforce Case yet: Switchboard makes one when it hands the "
                "conversation off with Salesforce Case chosen in Handoff settings."
            )
            return
        if not link.ready():
            self.echo("Sending it needs --salesforce-webhook-url and --salesforce-secret (Settings → Salesforce).")
            return
        since = self.fake.clock()
        document = act(link.fake, case)
        try:
            response = salesforce_callouts.deliver(document, link.webhook_url, link.secret)
        except requests.RequestException as exc:
            self.echo(f"Switchboard did not answer at {link.webhook_url} ({type(exc).__name__}).")
            return
        if response.status_code != 200:
            self.echo(f"Switchboard refused the callout: {response.status_code} {response.text[:200]}")
            return
        self.echo(f"  Salesforce Case {case['CaseNumber']}: Switchboard took the {document['type']} callout.")
        if watch:
            self._watch(since)
        else:
            self.echo("  See the session in the Inbox.")

    def _as_live_rep(self, act: Callable[[FakeMessaging, str], object], watch: bool) -> None:
        """Do ``act`` in the fake MIAW on the current conversation's live conversation."""
        if self.miaw is None:
            self.echo("This sandbox runs no fake Live Messaging.")
            return
        conversation = live_conversation_for(self.fake, self.miaw, self.conversation_id)
        if conversation is None:
            self.echo(
                "This conversation has no Live Messaging conversation yet: Switchboard opens one when it hands the "
                "conversation off with Salesforce Live Messaging chosen in Handoff settings."
            )
            return
        since = self.fake.clock()
        act(self.miaw, conversation)
        self.echo(
            f"  Live Messaging conversation {conversation}: done in the fake; Switchboard hears it on the stream."
        )
        if watch:
            self._watch(since)

    def _upload_key(self, argument: str) -> None:
        """Register the JWK (a file's path, or the JSON itself) as Salesforce's keyset would."""
        if self.miaw is None:
            self.echo("This sandbox runs no fake Live Messaging.")
            return
        try:
            text = argument if argument.lstrip().startswith("{") else Path(argument).read_text(encoding="utf-8")
            self.miaw.register_key(json.loads(text), self.issuer or "")
        except (OSError, ValueError) as exc:
            self.echo(f"Key not uploaded: {exc}")
            return
        self.echo(
            f"Key uploaded to the fake's keyset with the issuer {self.issuer}: customers with an email are verified."
        )

    def _doings(self, since: float) -> list[tuple[float, str]]:
        found = _activity(self.fake, self.conversation_id, since)
        if self.salesforce is not None:
            found += case_activity(self.salesforce.fake, self.conversation_id, since)
        if self.miaw is not None:
            found += live_activity(self.fake, self.miaw, self.conversation_id, since)
        return found

    def _watch(self, since: float) -> None:
        """Print Switchboard's doings until it answers, or until ``wait`` runs out. After an AI
        message, watch a few seconds more: a handoff's note and unassignment follow it, spaced
        out by the API budget when Front's limit is low."""
        deadline = time.monotonic() + self.wait
        shown: set[tuple[float, str]] = set()
        while time.monotonic() < deadline:
            for item in self._doings(since):
                if item not in shown:
                    shown.add(item)
                    self.echo(f"  {item[1]}")
                    if item[1].startswith(ANSWERS):
                        grace = 0.5 if item[1].startswith("Assignee") else 3.0
                        deadline = min(deadline, time.monotonic() + grace)
            time.sleep(0.3)
        if not shown:
            self.echo("  (no answer yet: is the worker running? See the Inbox for the skip reason.)")


def case_activity(fake: FakeSalesforce, conversation_id: str, since: float) -> list[tuple[float, str]]:
    """The customer's later messages Switchboard added to the conversation's Case after ``since``
    (while a Case has the conversation the AI stays quiet, so this is the answer to wait for)."""
    case = salesforce_callouts.case_for_conversation(fake, conversation_id)
    if case is None:
        return []
    after = timestamp(since)
    return [
        (since, f"Added to Salesforce Case {case['CaseNumber']} as an internal comment; the AI stays quiet.")
        for comment in fake.comments_on(case["Id"])
        if comment["CreatedDate"] > after
        and comment.get("CreatedById") == fake.user_id
        and (comment.get("CommentBody") or "").startswith("Customer message in Front")
    ][:1]


def live_activity(fake: FakeFront, miaw: FakeMessaging, conversation_id: str, since: float) -> list[tuple[float, str]]:
    """The customer's later messages Switchboard sent to the live rep after ``since`` (the AI stays
    quiet while a rep has the conversation)."""
    live = live_conversation_for(fake, miaw, conversation_id)
    if live is None:
        return []
    return [
        (entry["transcriptedTimestamp"] / 1000, "Sent to the live rep in Salesforce; the AI stays quiet.")
        for entry in miaw.conversations[live]["entries"]
        if entry["entryType"] == "Message"
        and entry["sender"]["role"] == "EndUser"
        and entry["transcriptedTimestamp"] / 1000 > since
    ][-1:]


LIVE_REP_COMMANDS: dict[str, Callable[[FakeMessaging, str], object]] = {
    "/agent-leave": FakeMessaging.agent_leave,
    "/route-fail": FakeMessaging.route_fail,
    "/end-session": FakeMessaging.end_session,
}


def live_conversation_for(fake: FakeFront, miaw: FakeMessaging, conversation_id: str) -> str | None:
    """The MIAW conversation a Front conversation was handed to: the handoff's internal note names
    it; the newest note naming one the fake knows wins (a conversation handed off twice)."""
    for comment in reversed(fake.comments_on(conversation_id)):
        for found in UUID_V4.findall(comment.get("body") or ""):
            if found in miaw.conversations:
                return found
    return None


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
    # The fakes keep what they were told in memory only: a new run is a new Salesforce org.
    afresh = "the fakes start afresh then, so do steps 4 and 5 while that run is up"
    if interactive:
        return f"Paste that URL below, or run this command again with --webhook-url <that URL> ({afresh})."
    return f"Run this command again with --webhook-url <that URL> ({afresh})."


def salesforce_steps(salesforce: FakeSalesforce, callouts_given: bool) -> str:
    """How to connect Switchboard to the fake Salesforce, as numbered lines to print."""
    last = (
        "/rep and /close-case send callouts to the webhook URL given."
        if callouts_given
        else "Make the callout secret there; /rep asks for it and the Salesforce webhook URL (or pass\n"
        "   --salesforce-webhook-url and --salesforce-secret)."
    )
    return (
        f"4. Settings → Integrations → Salesforce: Client ID {salesforce.client_id}, Client Secret\n"
        f"   {salesforce.client_secret}, Login URL {salesforce.url}; save, Connect, Approve in the popup.\n"
        f"   Handoff settings: choose Salesforce Case. {last}"
    )


def live_messaging_steps(miaw: FakeMessaging, issuer: str) -> str:
    """How to fill the six Live Messaging fields for the fake MIAW, as numbered lines to print."""
    return (
        f"5. Settings → Integrations → Salesforce → Live Messaging: Instance URL {miaw.url}, ES Developer Name\n"
        f"   {miaw.es_developer_name}, Org ID {miaw.org_id}; Generate a key pair (it fills the Auth Key ID and both\n"
        f"   keys; keep the Issuer {issuer}), save, download the JWK and type /upload-key <that file>.\n"
        "   Test connection.\n"
        "   Handoff settings: choose Salesforce Live Messaging for web chat or SMS; type /new chat (or /new sms)\n"
        "   to write as a chat customer; /agent, /agent-leave, /route-fail and /end-session play the rep."
    )


def _public_url_from(webhook_url: str | None, public_url: str) -> str:
    """Switchboard's address: the one ``--public-url`` names, unless only its default was taken
    and the webhook URL (which Switchboard itself showed) says where Switchboard really is."""
    source = click.get_current_context().get_parameter_source("public_url")
    if webhook_url and source == click.core.ParameterSource.DEFAULT:
        parts = urlsplit(webhook_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            return f"{parts.scheme}://{parts.netloc}"
    return public_url


def default_public_url() -> str:
    """Switchboard's address as `switchboard serve` works it out from the same environment."""
    try:
        return config.configured_public_url()
    except config.ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-url") from None


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
@click.option("--salesforce-port", default=8026, show_default=True, help="Loopback port of the fake Salesforce.")
@click.option(
    "--miaw-port", default=8027, show_default=True, help="Loopback port of the fake Salesforce Live Messaging API."
)
@click.option(
    "--salesforce-webhook-url",
    default=None,
    help="Switchboard's Salesforce webhook URL (Settings → Integrations → Salesforce), for /rep and /close-case.",
)
@click.option(
    "--salesforce-secret", default=None, help="The callout secret Switchboard made, for /rep and /close-case."
)
@click.option(
    "--public-url",
    default=default_public_url,
    show_default="PUBLIC_URL, else http://localhost:PORT as `switchboard serve` makes it",
    help="Switchboard's public address: the fake Salesforce accepts its OAuth callback URL only.",
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
    salesforce_port: int,
    miaw_port: int,
    salesforce_webhook_url: str | None,
    salesforce_secret: str | None,
    public_url: str,
) -> None:
    """Run a fake Front on loopback and chat with Switchboard as a customer.

    A fake Salesforce org runs beside it, where a rep answers the Cases Switchboard opens, and a
    fake Live Messaging API, where a live rep answers the conversations handed to one."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the chat, not every request, on screen
    public_url = _public_url_from(webhook_url, public_url)
    fake = FakeFront(
        page_size=100,
        latency=latency / 1000,
        rate_limit_per_minute=rate_limit,
        error_rate=error_rate,
        id_prefix=f"{secrets.token_hex(2)}_",
    )
    salesforce = FakeSalesforce(callback_url=f"{public_url.rstrip('/')}/oauth/salesforce/callback")
    miaw = FakeMessaging()
    issuer = public_url.rstrip("/")
    with (
        FrontServer(fake, port=port),
        SalesforceServer(salesforce, port=salesforce_port),
        MessagingServer(miaw, port=miaw_port),
    ):
        seed(fake, generated=articles)
        click.echo(
            f"Fake Front on {fake.url}: {knobs(fake, len(ARTICLES) + articles)}.\n"
            f"Fake Salesforce on {salesforce.url}; fake Live Messaging on {miaw.url}.\n"
            f"1. Start Switchboard against them (the fake Salesforce is on a loopback address):\n"
            f"   FRONT_API_URL={fake.url} ALLOW_PRIVATE_OUTBOUND=1 PUBLIC_URL={public_url} switchboard serve\n"
            f"2. Settings → Front: connect with the token {fake.token}, choose “Switchboard AI”, switch the AI on,\n"
            f"   save the app secret {app_secret!r}, and copy the webhook URL.\n"
            f"3. Data Sources: add a Front source with the same token to import the Sandbox Help Center.\n"
            f"{salesforce_steps(salesforce, bool(salesforce_webhook_url and salesforce_secret))}\n"
            f"{live_messaging_steps(miaw, issuer)}\n"
            f"6. {last_step(webhook_url, sys.stdin.isatty())}\n"
            f"Switchboard's Sandbox page, {public_url.rstrip('/')}/sandbox, shows which of these steps are left."
        )
        if webhook_url is None and sys.stdin.isatty():
            webhook_url = click.prompt("Webhook URL", default="", show_default=False).strip() or None
        elif webhook_url is None:
            # Without a terminal nobody can answer the prompt. Run in the background (a script, a
            # benchmark, a supervisor), the sandbox is wanted for its fake Front, so serve that
            # rather than exit: Switchboard can still be pointed at it.
            click.echo("Standard input is not a terminal: chatting needs --webhook-url.")
        if not webhook_url:
            click.echo(
                "No webhook URL: serving the fake Front only, the fake Salesforce and the fake Live Messaging. "
                "Ctrl+C stops them."
            )
            serve_until_stopped()
            return
        link = SalesforceLink(
            salesforce,
            salesforce_webhook_url,
            salesforce_secret,
            ask=ask_for_callouts if sys.stdin.isatty() else None,
        )
        chat = Chat(fake, webhook_url, app_secret, wait=wait, salesforce=link, miaw=miaw, issuer=issuer)
        click.echo("Type a customer message and press Enter; /help lists what else happens in Front. Ctrl+D quits.")
        for line in sys.stdin:
            chat.handle(line)
        click.echo(
            f"Front answered {len(fake.calls)} requests: {fake.rate_limited} rate limited, "
            f"{fake.random_failures} random failures. Salesforce answered {len(salesforce.calls)}, "
            f"Live Messaging {len(miaw.calls)}."
        )
