"""The relay: holds the event stream of every open Live Messaging conversation it leases, and
queues a job for each event Switchboard acts on (a rep's message, the rep joining or leaving,
routing failing, the session ending). ``switchboard relay`` runs one; ``switchboard serve``
starts one beside the workers.

One asyncio loop and one HTTP client (httpx, with httpx-sse reading the frames) hold every
stream: an idle stream costs a connection and a small task, not a thread, so one process holds
a thousand. Whatever blocks (the database, Redis, the token calls, which are synchronous) runs in
a small pool of threads, one call at a time per stream, so a stream's events are queued in the
order they arrived.

- **Leases** (``streams``): every ``lease_seconds / 3`` the relay renews its leases, takes open
  conversations nobody holds (up to ``capacity``) and stops the streams of those it lost or
  that ended. A relay that is killed loses its conversations to another within one lease; one
  that is stopped (SIGTERM) hands them back at once.
- **Nothing lost, nothing twice.** A stream resumes from the newest event id read
  (``Last-Event-Id``; after a restart, the one stored in the database). An event's job is
  queued before its id is stored, under a job id made from the conversation and the entry, and
  the job's handler relays each entry once: a relay that dies between the two leaves the event
  to be read again, and it has no second effect.
- **Reconnecting**, as Salesforce's sample client does (services/eventSourceService.js): after
  1 s, then 1.5 times longer each time up to 30 s, back to 1 s once a stream opens; a stream
  silent for 90 s (Salesforce sends keep-alive pings well within that) is taken for dead.
- **Tokens.** An access token is renewed before it expires (``RENEW_BEFORE``) and when the
  stream says it is dead (a 401, or ``Jwt is expired``): a verified customer gets a new
  verified token for the same end user; an anonymous one a continuation token, which Salesforce
  does not give a longer life. When no live token can be had, the conversation is handed back
  (a ``TOKEN_LOST`` event for the handoff's job) instead of being retried forever.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import resource
import secrets
import signal
import socket
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from flask import Flask
from httpx_sse import SSEError, aconnect_sse
from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from webapp import outbound
from webapp.db import db
from webapp.models import SupportSession, utcnow
from webapp.queue import RELAY_MESSAGING_EVENT, job_is_live
from webapp.salesforce.integration import salesforce_integration
from webapp.salesforce.messaging import events, streams
from webapp.salesforce.messaging.client import (
    MessagingError,
    MessagingUnavailable,
    TokenGrant,
    client_for,
)
from webapp.salesforce.messaging.events import Kind, MessagingEvent
from webapp.salesforce.messaging.identity import customer_identity_token

log = logging.getLogger(__name__)

SSE_PATH = "/eventrouter/v1/sse"
BACKOFF_FIRST = 1.0
BACKOFF_FACTOR = 1.5
BACKOFF_LONGEST = 30.0
HEARTBEAT_TIMEOUT = 90.0  # the sample client's; Salesforce pings well within it
CONNECT_TIMEOUT = 10.0
RENEW_BEFORE = timedelta(minutes=5)
# The id of an event passed over (an echo, a typing indicator) is stored at most this often per
# stream: reading one again after a restart costs nothing, a write per echo would.
CHECKPOINT_SECONDS = 10.0
# A renewed token refused again this many times in a row: something else is wrong; hand back.
MAX_TOKEN_DEATHS = 3
THREADS = 8  # database, Redis and token calls, shared by every stream
URL_CHECK_SECONDS = 60.0  # how long a messaging host's address check holds


def backoff(failures: int) -> float:
    """Seconds to wait before the next try after ``failures`` tries in a row that did not open."""
    return min(BACKOFF_FIRST * BACKOFF_FACTOR**failures, BACKOFF_LONGEST)


def relay_id() -> str:
    """This relay's name in ``lease_owner``: the machine and process, for an admin reading the
    table, and a random part, so a restarted process with a reused pid is someone else."""
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{secrets.token_hex(4)}"


class LeaseLost(Exception):
    """Another relay holds the conversation now, or it ended: its stream stops here."""


class TokenDead(Exception):
    """Salesforce refused the stream's access token."""


class TokenLost(Exception):
    """No live access token can be had for the conversation; the message says why."""


class StreamRefused(Exception):
    """The event stream answered something other than 200 or 401."""

    def __init__(self, status: int, body: bytes):
        super().__init__(f"the event stream answered {status}: {body[:200].decode(errors='replace')}")
        self.status = status


# What a stream survives by waiting and reconnecting: the network, the messaging host, and this
# side's Redis or database being away for a while.
TRANSIENT = (
    httpx.HTTPError,
    SSEError,
    StreamRefused,
    MessagingUnavailable,
    outbound.OutboundError,
    RedisError,
    SQLAlchemyError,
    OSError,
)


# -- what runs in the threads (each in an app context of its own) ----------------------------------


def job_id_for(conversation_row_id: int, event: MessagingEvent) -> str:
    """The same for every reading of one entry, whichever relay reads it."""
    return "miaw-" + re.sub(r"[^A-Za-z0-9_-]", "_", f"{conversation_row_id}-{event.kind.value}-{event.key}")[:150]


def enqueue(conversation_row_id: int, event: MessagingEvent) -> None:
    """Queue the event's job, unless the same one is waiting or running. Raises RedisError."""
    job_id = job_id_for(conversation_row_id, event)
    if job_is_live(job_id):
        return
    RELAY_MESSAGING_EVENT.enqueue(conversation_row_id, event.as_job_argument(), job_id=job_id)


def deliver(conversation_row_id: int, owner: str, event: MessagingEvent) -> bool:
    """Queue the event's job, then store its id as read. False when the lease was lost (the
    job is queued all the same: the new holder's reading of it has no second effect)."""
    enqueue(conversation_row_id, event)
    if event.event_id:
        return streams.advance(conversation_row_id, owner, event.event_id)
    return streams.holds(conversation_row_id, owner)


@dataclass(frozen=True)
class Renewal:
    access_token: str
    expires_at: datetime | None
    extended: bool  # whether it lives longer than the token it replaces


def renew_token(conversation_row_id: int, owner: str, current: str | None) -> Renewal:
    """A live access token for the conversation, stored on it. Raises LeaseLost, TokenLost (no
    token can be had), or MessagingUnavailable (try again later)."""
    row = db.session.get(streams.Conversation, conversation_row_id, populate_existing=True)
    if row is None or row.lease_owner != owner or row.status not in streams.OPEN:
        raise LeaseLost()
    stored, expires_at = row.credential(streams.ACCESS_TOKEN), row.token_expires_at
    if stored and stored != current and not _due(expires_at):
        return Renewal(stored, expires_at, extended=True)  # the handoff got a new one meanwhile
    integration = salesforce_integration(row.organization_id)
    email = db.session.scalar(select(SupportSession.contact_email).where(SupportSession.id == row.session_id))
    authenticated, subject = row.authenticated, row.end_user_subject
    db.session.rollback()  # no transaction held open across Salesforce's answer
    try:
        client = client_for(integration)
        if authenticated:
            grant = _verified_grant(client, integration, email, subject)
        else:
            grant = client.continuation_token(stored or current or "")
    except MessagingUnavailable:
        raise
    except (MessagingError, ValueError) as error:
        raise TokenLost(str(error)) from error
    if grant.expires_at is not None and grant.expires_at <= utcnow():
        raise TokenLost("the customer's Live Messaging access token expired, and Salesforce renews it only as it was")
    extended = grant.expires_at is None or expires_at is None or grant.expires_at > expires_at
    row = streams.held_row(conversation_row_id, owner)
    if row is None:
        db.session.rollback()
        raise LeaseLost()
    streams.store_token(row, grant.access_token, grant.expires_at)
    db.session.commit()
    return Renewal(grant.access_token, grant.expires_at, extended)


def _verified_grant(client, integration, email: str | None, subject: str | None) -> TokenGrant:
    identity = customer_identity_token(integration, email or "")
    if identity is None:
        raise TokenLost("customer verification is no longer set up, so the verified customer cannot be reconnected")
    grant = client.authenticated_token(identity)
    if subject and grant.subject and grant.subject != subject:
        raise TokenLost("Salesforce answered the token request for another end user")
    return grant


def report_token_lost(conversation_row_id: int, conversation_id: str, reason: str) -> None:
    enqueue(conversation_row_id, MessagingEvent(Kind.TOKEN_LOST, conversation_id, reason=reason[:500]))


def renew_at(expires_at: datetime | None, now: datetime | None = None) -> datetime | None:
    """When to renew a token that expires at ``expires_at``: ``RENEW_BEFORE`` ahead, or when a
    quarter of what it has left remains, if that is sooner (a token that lives only minutes is
    not renewed over and over)."""
    if expires_at is None:
        return None
    left = max(expires_at - (now or utcnow()), timedelta(0))
    return expires_at - min(RENEW_BEFORE, left / 4)


def _due(expires_at: datetime | None) -> bool:
    now = utcnow()
    return expires_at is not None and renew_at(expires_at, now) <= now


# -- the loop --------------------------------------------------------------------------------------


class Relay:
    """Holds the streams of up to ``capacity`` conversations; ``await relay.run(stop)``."""

    def __init__(
        self,
        app: Flask,
        *,
        owner: str | None = None,
        capacity: int = 1000,
        lease_seconds: float = 30.0,
        threads: int = THREADS,
        wait: Callable[[int], float] = backoff,
        heartbeat_timeout: float = HEARTBEAT_TIMEOUT,
    ):
        self.app = app
        self.owner = owner or relay_id()
        self.capacity = capacity
        self.lease_seconds = lease_seconds
        self.threads = threads
        self.wait = wait
        self.heartbeat_timeout = heartbeat_timeout
        self.streams: dict[int, ConversationStream] = {}
        self.client: httpx.AsyncClient | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._checked_urls: dict[str, tuple[float, asyncio.Future]] = {}

    async def call(self, function: Callable, *args):
        """Run blocking work in the relay's threads, in an app context of its own."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, self._in_app, function, *args)

    def _in_app(self, function: Callable, *args):
        with self.app.app_context():
            return function(*args)

    async def run(self, stop: asyncio.Event) -> None:
        """Hold streams until ``stop`` is set, then close them and hand the leases back."""
        self._executor = ThreadPoolExecutor(self.threads, thread_name_prefix="relay")
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None)  # one per stream
        timeout = httpx.Timeout(self.heartbeat_timeout, connect=CONNECT_TIMEOUT)
        try:
            async with httpx.AsyncClient(limits=limits, timeout=timeout, trust_env=False) as client:
                self.client = client
                try:
                    while not stop.is_set():
                        await self.beat()
                        with suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), self.lease_seconds / 3)
                finally:
                    await self.close()
        finally:
            self._executor.shutdown(wait=True)

    async def beat(self) -> None:
        """Renew, take and let go of leases, and start or stop streams to match."""
        try:
            held = await self.call(streams.beat, self.owner, self.capacity, self.lease_seconds)
        except Exception:  # the database is away: the streams go on, the next beat tries again
            log.exception("relay %s could not renew its leases", self.owner)
            return
        try:
            await self.call(streams.announce, self.owner, len(held), self.lease_seconds)
        except Exception:  # Redis is away: /healthz misses this relay until it is back
            log.warning("relay %s could not announce itself in Redis", self.owner)
        for row_id in [row_id for row_id in self.streams if row_id not in held]:
            self.streams.pop(row_id).stop()
        for row_id, stream in list(self.streams.items()):
            if stream.crashed:
                self.streams.pop(row_id)
        starting = held - set(self.streams)
        if not starting:
            return
        try:
            conversations = await self.call(streams.load, starting, self.owner)
        except Exception:
            log.exception("relay %s could not read the conversations it took", self.owner)
            return
        for conversation in conversations:
            self.streams[conversation.id] = ConversationStream(self, conversation)
        log.info("relay %s holds %d conversation streams (%d new)", self.owner, len(self.streams), len(conversations))

    async def close(self) -> None:
        """Stop every stream, store where each stands, and hand the leases back."""
        running = list(self.streams.values())
        for stream in running:
            stream.stop()
        await asyncio.gather(*(stream.task for stream in running), return_exceptions=True)
        positions = {s.held.id: s.seen_id for s in running if s.seen_id and s.seen_id != s.stored_id}
        try:
            if positions:
                await self.call(streams.advance_many, self.owner, positions)
            released = await self.call(streams.release, self.owner)
        except Exception:
            log.exception("relay %s could not hand its leases back; they run out by themselves", self.owner)
            return
        self.streams.clear()
        log.info("relay %s stopped and handed back %d conversations", self.owner, released)

    async def check_url(self, url: str) -> None:
        """The messaging host passes the outbound rules (checked once a minute per host, in a
        thread: it resolves the name). Raises OutboundError."""
        now = time.monotonic()
        checked = self._checked_urls.get(url)
        if checked is None or now - checked[0] > URL_CHECK_SECONDS:
            future = asyncio.ensure_future(self.call(outbound.check_url, url))
            checked = self._checked_urls[url] = (now, future)
        await asyncio.shield(checked[1])


class ConversationStream:
    """One conversation's event stream, held by a task of the relay."""

    def __init__(self, relay: Relay, held: streams.HeldConversation):
        self.relay = relay
        self.held = held
        self.token = held.access_token
        self.token_expires_at = held.token_expires_at
        self.renew_at = renew_at(held.token_expires_at)
        self.renewable = True  # False once Salesforce renewed it without a longer life
        self.stored_id = held.last_event_id  # the id in the database
        self.seen_id = held.last_event_id  # the newest read (Last-Event-Id on a reconnect)
        self.checkpointed_at = time.monotonic()
        self.failures = 0  # tries in a row that did not open the stream
        self.token_deaths = 0  # tokens refused in a row, renewed or not
        self.parked = False  # no token can be had: waits for the handoff to end the conversation
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"stream {held.id}")

    @property
    def crashed(self) -> bool:
        return self.task.done() and not self.parked and not self.task.cancelled()

    def stop(self) -> None:
        self.task.cancel()

    async def _run(self) -> None:
        try:
            await self.hold()
        except asyncio.CancelledError:
            raise
        except LeaseLost:
            self.parked = True
            log.info("conversation %s: the lease went to another relay, or it ended", self.held.id)
        except Exception:
            log.exception("conversation %s: the stream stopped on an error; it starts again", self.held.id)

    async def hold(self) -> None:
        dead = False  # the stream refused the token: renew it before connecting again
        while True:
            try:
                if dead or self.renewal_due():
                    await self.renew()
                    dead = False
                await self.listen()
            except TimeoutError:  # time to renew the token: the stream reconnects with the new one
                continue
            except TokenDead:
                dead = True
                self.token_deaths += 1
                if self.token_deaths > MAX_TOKEN_DEATHS:
                    await self.give_up("Salesforce refused every new access token for the event stream")
                    return
                if self.failures == 0:  # the token died under an open stream: renew and reconnect at once
                    self.failures += 1
                    continue
            except TokenLost as lost:
                await self.give_up(str(lost))
                return
            except TRANSIENT as error:
                log.info("conversation %s: %s", self.held.id, _describe(error))
            await asyncio.sleep(self.relay.wait(self.failures))
            self.failures += 1

    async def listen(self) -> None:
        """Read the stream until it ends; events are handled one by one, in order."""
        held = self.held
        if not (held.scrt_url and held.org_id):
            raise TokenLost("Live Messaging is no longer set up for this organization")
        if not self.token:
            raise TokenDead()
        await self.relay.check_url(held.scrt_url)
        headers = {
            "Authorization": f"Bearer {self.token}",
            "X-Org-Id": held.org_id[:15],  # the SSE page asks for the 15-character id
            "Last-Event-Id": self.seen_id or "0",
        }
        url = held.scrt_url + SSE_PATH
        async with (
            asyncio.timeout_at(self.renewal_deadline()),
            aconnect_sse(self.relay.client, "GET", url, headers=headers) as source,
        ):
            response = source.response
            if response.status_code == 401:
                raise TokenDead()
            if response.status_code != 200:
                raise StreamRefused(response.status_code, await response.aread())
            self.failures = self.token_deaths = 0
            async for frame in source.aiter_sse():
                await self.on_frame(frame.event, frame.id, frame.data)
        raise httpx.RemoteProtocolError("the server ended the stream")

    async def on_frame(self, name: str, event_id: str, data: str) -> None:
        if events.token_dead(name, data):
            raise TokenDead()
        try:
            event = events.parse(name, event_id or None, data, self.held.conversation_id)
        except Exception:  # one odd frame must not stop the stream: it is passed over like an unknown one
            log.exception("passing over an unreadable %s frame on conversation %s", name, self.held.conversation_id)
            event = None
        if event is None:
            if event_id and event_id != self.seen_id:
                self.seen_id = event_id
                if time.monotonic() - self.checkpointed_at > CHECKPOINT_SECONDS:
                    await self.checkpoint()
            return
        if not await self.relay.call(deliver, self.held.id, self.relay.owner, event):
            raise LeaseLost()
        if event.event_id:
            self.seen_id = self.stored_id = event.event_id
            self.checkpointed_at = time.monotonic()

    async def checkpoint(self) -> None:
        if not await self.relay.call(streams.advance, self.held.id, self.relay.owner, self.seen_id):
            raise LeaseLost()
        self.stored_id = self.seen_id
        self.checkpointed_at = time.monotonic()

    async def renew(self) -> None:
        """Put a live token in place; raises TokenLost when none can be had."""
        renewal = await self.relay.call(renew_token, self.held.id, self.relay.owner, self.token)
        self.token, self.token_expires_at = renewal.access_token, renewal.expires_at
        self.renew_at = renew_at(renewal.expires_at)
        self.renewable = renewal.extended

    def renewal_due(self) -> bool:
        # A second's slack: the deadline that closed the stream ran on the loop's clock, not this one.
        return self.renewable and self.renew_at is not None and self.renew_at <= utcnow() + timedelta(seconds=1)

    def renewal_deadline(self) -> float | None:
        """The loop time at which the open stream is closed to renew its token, if it will be."""
        if not self.renewable or self.renew_at is None:
            return None
        return asyncio.get_running_loop().time() + max(0.0, (self.renew_at - utcnow()).total_seconds())

    async def give_up(self, reason: str) -> None:
        """Tell the handoff (it hands the conversation to Front teammates) and wait, holding the
        lease, until the conversation ends: another relay would only fail the same way."""
        log.warning("conversation %s: no live access token: %s", self.held.id, reason)
        await self.relay.call(report_token_lost, self.held.id, self.held.conversation_id, reason)
        self.parked = True


def _describe(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return f"{text}; reconnecting" if isinstance(error, httpx.HTTPError | SSEError) else text


# -- the process -----------------------------------------------------------------------------------


def run(app: Flask, *, capacity: int | None = None) -> None:
    """``switchboard relay``: hold streams until SIGTERM or Ctrl+C, then hand them back."""
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per stream opened otherwise
    relay = Relay(
        app,
        capacity=capacity or app.config["RELAY_CAPACITY"],
        lease_seconds=app.config["RELAY_LEASE_SECONDS"],
    )

    _enough_open_files(relay.capacity)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        log.info(
            "relay %s started: up to %d conversations, leases of %g s", relay.owner, relay.capacity, relay.lease_seconds
        )
        await relay.run(stop)

    asyncio.run(main())


def _enough_open_files(capacity: int) -> None:
    """Each stream is a socket: a thousand of them pass the 1,024 open files many systems allow
    a process by default. The soft limit is raised as far as the hard one lets it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = capacity + 256  # the database, Redis, the token calls, the log
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return
    raised = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (raised, hard))
    if raised < wanted:
        log.warning("the relay may open %d files (ulimit -Hn): fewer than %d streams will open", raised, capacity)
