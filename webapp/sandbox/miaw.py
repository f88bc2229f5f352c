"""A fake of Salesforce's Messaging for In-App and Web API v2 (MIAW, "Enhanced Chat") on loopback,
for the tests, the sandbox and the relay benchmark: the access-token endpoints, conversations and
messages, the entries list, and the server-sent event stream on which a test or the sandbox plays
the rep (``agent_join``, ``agent_message``, ``agent_leave``, ``route_fail``, ``end_session``).

One threaded werkzeug server answers everything, so each open event stream holds one thread. The
thread sleeps on its own ``threading.Event`` (a Condition underneath) until an event for its end
user is published, a ping is due or the stream is cut, so 1,000 idle streams cost 1,000 parked
threads and no polling, and a rep message reaches its stream within a context switch. (Measured
with 1,000 streams held by one asyncio httpx client: all open in a few seconds, a rep message on
its stream in under a millisecond. Such a client needs a connection pool without httpx's default
cap of 100 connections.)

What was checked, and where (``/work/shared/specs/salesforce.md`` §4 names the sources):
- Paths, bodies and the token response's shape (``accessToken``, ``lastEventId``,
  ``context.endUser.subject``, ``context.configuration.embeddedServiceConfig.forms[0].formFields``
  with ``name``/``order``/``type``/``required``/``isHidden``): Salesforce's
  messaging-web-api-sample-app (services/messagingService.js, helpers/prechatUtil.js, commit
  1782a9f). The entries list answers ``{"conversationEntries": [...]}`` with ``entryPayload`` as an
  object (the sample turns it into a string to look like an SSE entry); ``limit`` is at most 50,
  20 by default (helpers/constants.js).
- The SSE endpoint, its headers (``Authorization``, ``X-Org-Id``, ``Last-Event-Id``), the ``data``
  shape and ``entryPayload`` as a JSON string carrying its own ``entryType``: the SSE and SSE
  structure pages and the sample (helpers/conversationEntryUtil.js). ``SessionStatusChanged``
  carries ``sessionStatus`` (and ``sessionEndedByRole``), as public clients read it.
- 400 without ``X-Org-Id``/``Last-Event-Id``, ``ping`` frames with data ``0``, lastEventId as a
  numeric string, subjects ``v2/iamessage/AUTH/<keyset>/uid:<sub>`` and ``…/ANON/<id>`` (200 + ANON
  when the identity token is refused), the access token's ``orgId`` claim in 15 characters, and
  "Specify the conversationId in UUID format. The UUID must be in lowercase." for a conversation id
  that is not a lowercase UUID v4 (variant 8/9/a/b): public third-party MIAW clients.
- A dead token on the stream: a 401 whose body reads ``"status":401,"error":"Unauthorized",
  "path":"/eventrouter/v1/sse"``, or the text ``Jwt is expired``: what botpress's hitl-salesforce
  client ends its stream on.
- 22 end-user messages a minute per conversation (429 beyond): the Enhanced Chat rate-limit page.

Inferences (no public source found; each is one constant or branch here):
- A wrong ``orgId`` or ``esDeveloperName`` on a token request answers 400; an unknown conversation
  404, someone else's 403, a closed one 403, a second create of the same id 409.
- No message length limit is published; the fake refuses text over ``MESSAGE_MAX_CHARS`` (4,000).
- Creating a conversation publishes ``CONVERSATION_ROUTING_RESULT`` (Initial, failureType None);
  a rep joining publishes ROUTING_WORK_RESULT, PARTICIPANT_CHANGED (add) and SESSION_STATUS_CHANGED
  (Active). ``routingStatus`` goes INITIAL → ROUTED → NEEDS_ROUTING (rep left, session ended,
  routing failed) or TRANSFER. A message after the session ended starts a new session.
- A second stream on the same access token takes over: the older one ends. A token that expires
  while its stream is open ends it with an ``error`` event whose data is ``Jwt is expired``.
- Revoking a token and closing a conversation or session answer 204; the end user's typing
  indicators are recorded, not echoed. Access tokens live ``token_ttl`` (6 hours by default).
- A new unauthenticated token is a new end user: it cannot see an earlier token's conversations
  (403); the continuation token keeps the subject but not a longer life.
- A message id posted twice is taken once (202 both times, echoed once).
- A new conversation is routed at once: its ``CONVERSATION_ROUTING_RESULT`` (Initial) says
  ``failureType`` None and it waits, INITIAL, for a rep; with ``routing_failure`` set (an
  Omni-Channel flow or queue missing for the channel) it says that failure type with a
  ``failureReason`` and the conversation NEEDS_ROUTING. An unpublished deployment
  (``deployment_published`` false) is refused like an unknown ES Developer Name.
- Error bodies are ``{"message": ...}``; the fake's access tokens are HS256 JWTs of its own. The
  fake accepts the org id in 15 or 18 characters everywhere (the SSE page asks for 15 in
  ``X-Org-Id``; public clients send 18).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import jwt
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from webapp.sandbox.salesforce import ORG_ID, Call, Failure, salesforce_id
from webapp.sandbox.serving import LoopbackServer
from webapp.sandbox.serving import locked as _locked

ES_DEVELOPER_NAME = "Switchboard_Chat"
API = "/iamessage/api/v2"
SSE_PATH = "/eventrouter/v1/sse"
CHANNEL_TYPE = "embedded_messaging"
MESSAGES_PER_MINUTE = 22  # per conversation (Enhanced Chat rate limits)
MESSAGE_MAX_CHARS = 4000  # not published by Salesforce: the fake's choice
ENTRIES_LIMIT_MAX = 50
ENTRIES_LIMIT_DEFAULT = 20
IDENTITY_ALGORITHMS = {"RS256", "RS512"}
CERT_MIN_DAYS_LEFT = 10  # an uploaded key's certificate must stay valid this long
UUID_V4 = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
UUID_MESSAGE = "Specify the conversationId in UUID format. The UUID must be in lowercase."
JWT_EXPIRED = "Jwt is expired"
CONTROL = "/__fake__/"  # the fake's own controls, over HTTP (see FakeMessaging._control)
CONTROLS = {
    "agent_join",
    "agent_message",
    "agent_typing",
    "agent_leave",
    "transfer",
    "route_fail",
    "end_session",
    "open_conversation",
    "drop_streams",
    "open_streams",
    "expire_access_tokens",
    "break_routing",
    "fix_routing",
    "unpublish_deployment",
    "publish_deployment",
}


def default_form_fields() -> list[dict]:
    """The deployment's pre-chat form: the standard visible fields and Switchboard's hidden ones
    (the routing attribute names ``LiveMessagingSettings`` uses by default)."""
    visible = [("_firstName", "First Name", "Text"), ("_lastName", "Last Name", "Text"), ("_email", "Email", "Email")]
    hidden = ["SwitchboardSessionId", "Chat_Consumer_Type", "Origin", "Priority", "Chat_language"]
    fields = [form_field(name, label, kind, hidden=False) for name, label, kind in visible]
    fields += [form_field(name, name, "Text", hidden=True) for name in hidden]
    for order, item in enumerate(fields, start=1):
        item["order"] = order
    return fields


def form_field(name: str, label: str | None = None, kind: str = "Text", hidden: bool = True) -> dict:
    """One pre-chat form field as the token response's configuration lists it."""
    return {
        "name": name,
        "order": 0,
        "type": kind,
        "required": False,
        "isHidden": hidden,
        "maxLength": 255,
        "labels": {"display": label or name},
    }


@dataclass
class RegisteredKey:
    kid: str
    alg: str
    issuer: str
    keyset: str
    public_key: rsa.RSAPublicKey


@dataclass
class Published:
    """One event on the stream: its id, the end user it is for, and the frame already encoded."""

    id: int
    name: str
    subject: str
    conversation_id: str
    data: dict
    frame: bytes


@dataclass(eq=False)  # hashed by identity: kept in sets per end user
class Stream:
    """An open event stream: who it belongs to and how to wake its thread."""

    number: int
    token_id: str
    subject: str
    expires_at: float
    wake: threading.Event = field(default_factory=threading.Event)
    ended: str | None = None  # why the server is ending it: "dropped", "replaced", "closing", "expired"


class Refused(Exception):
    """An answer other than success, raised from inside a handler."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status
        self.message = message


def _b64url_int(value) -> int:
    if not isinstance(value, str) or not value:
        raise ValueError("n and e must be base64url strings")
    padded = value + "=" * (-len(value) % 4)
    return int.from_bytes(base64.urlsafe_b64decode(padded), "big")


def _ms(epoch: float) -> int:
    return int(epoch * 1000)


@dataclass
class FakeMessaging:
    org_id: str = ORG_ID
    es_developer_name: str = ES_DEVELOPER_NAME
    channel_address_identifier: str = field(default_factory=lambda: salesforce_id("0Mj", 1))
    form_fields: list = field(default_factory=default_form_fields)
    token_ttl: int = 6 * 60 * 60  # seconds an access token lives (undocumented: read from exp)
    ping_interval: float = 30.0  # seconds between keep-alive pings on an idle stream
    message_max_chars: int = MESSAGE_MAX_CHARS
    messages_per_minute: int = MESSAGES_PER_MINUTE
    anonymous_on_bad_jwt: bool = False  # a refused identity token → 200 with an ANON subject
    # Omni-Channel cannot route new conversations: "RoutingError", "SubmissionError" or "Unknown".
    routing_failure: str | None = None
    routing_failure_reason: str = "No route found"
    deployment_published: bool = True
    latency: float = 0.0  # seconds before every answer (not between stream frames)
    clock: Callable[[], float] = time.time
    sleep: Callable[[float], None] = time.sleep
    # Called for every request with (method, path, body, query, headers); returns a list of problems.
    request_check: Callable[..., list] | None = None
    conversations: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    spec_problems: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    auth_failures: list = field(default_factory=list)  # why each identity token was refused
    keys: dict = field(default_factory=dict)  # kid -> RegisteredKey
    url: str = ""

    def __post_init__(self):
        self._lock = threading.RLock()
        self._secret = secrets.token_bytes(32)
        self._event_ids = itertools.count(1)
        self._last_event_id = 0
        self._numbers = itertools.count(1)
        self._stream_numbers = itertools.count(1)
        self.tokens: dict[str, dict] = {}  # token id (jti) -> {"id", "subject", "exp", "revoked"}
        self.events: list[Published] = []
        self._by_subject: dict[str, list[Published]] = {}
        self._streams: dict[int, Stream] = {}
        self._listening: dict[str, set[Stream]] = {}  # subject -> its open streams, to wake only those
        self._closing = False

    # -- arranging -------------------------------------------------------------------------------

    @_locked
    def register_key(self, jwk: dict, issuer: str, keyset: str = "Switchboard") -> None:
        """Upload one public key to the user verification keyset, checked as Salesforce checks an
        upload: one JWK object (not a list or a JWKS), RSA, with kty, kid, alg, x5c, n, e and use,
        and a certificate that holds the same key and stays valid for at least 10 more days."""
        if not isinstance(jwk, dict) or "keys" in jwk:
            raise ValueError("Upload keys one by one: a single JWK object, not an array or a JWKS")
        missing = [name for name in ("kty", "kid", "alg", "x5c", "n", "e", "use") if not jwk.get(name)]
        if missing:
            raise ValueError(f"The JWK needs {', '.join(missing)}")
        if jwk["kty"] != "RSA" or jwk["alg"] not in IDENTITY_ALGORITHMS or jwk["use"] != "sig":
            raise ValueError("The JWK must be an RSA signing key (kty RSA, alg RS256 or RS512, use sig)")
        numbers = rsa.RSAPublicNumbers(_b64url_int(jwk["e"]), _b64url_int(jwk["n"]))
        chain = jwk["x5c"]
        if not isinstance(chain, list) or not chain or not isinstance(chain[0], str):
            raise ValueError("x5c must be a list holding the base64 DER certificate")
        try:
            certificate = x509.load_der_x509_certificate(base64.b64decode(chain[0], validate=True))
        except ValueError as error:
            raise ValueError(f"x5c does not hold a certificate: {error}") from error
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey) or public_key.public_numbers() != numbers:
            raise ValueError("The x5c certificate holds a different key than n and e")
        if public_key.key_size < 2048:
            raise ValueError("The key must have at least 2048 bits")
        days_left = (certificate.not_valid_after_utc.timestamp() - self.clock()) / 86400
        if days_left < CERT_MIN_DAYS_LEFT:
            raise ValueError(f"The certificate must stay valid for at least {CERT_MIN_DAYS_LEFT} more days")
        self.keys[jwk["kid"]] = RegisteredKey(jwk["kid"], jwk["alg"], issuer, keyset, public_key)

    @_locked
    def issue_token(self, subject: str | None = None) -> dict:
        """A token response as the unauthenticated endpoint gives, for tests that start later."""
        return self._token_answer(subject or self._new_subject("UNAUTH/NA/uid:"))

    @_locked
    def open_conversation(self, routing_attributes: dict | None = None, language: str = "en_US") -> tuple[str, dict]:
        """An end user with a token and an open conversation, without HTTP: for tests and the
        benchmark that start with conversations already handed off. Returns (id, token answer)."""
        grant = self.issue_token()
        conversation_id = str(uuid.uuid4())
        self._add_conversation(
            conversation_id, grant["context"]["endUser"]["subject"], routing_attributes or {}, language
        )
        return conversation_id, grant

    @_locked
    def conversation_with(self, attribute: str, value: str) -> str | None:
        """The newest conversation whose kept routing attribute ``attribute`` is ``value`` (the
        sandbox finds the rep's conversation by SwitchboardSessionId)."""
        found = [c["id"] for c in self.conversations.values() if c["routing_attributes"].get(attribute) == value]
        return found[-1] if found else None

    @_locked
    def break_routing(self, failure_type: str = "RoutingError", reason: str = "No route found") -> None:
        """From now on Omni-Channel cannot route a new conversation (no flow or queue for the
        Messaging channel): its routing result says ``failure_type`` and it needs routing."""
        self.routing_failure, self.routing_failure_reason = failure_type, reason

    @_locked
    def fix_routing(self) -> None:
        self.routing_failure = None

    @_locked
    def unpublish_deployment(self) -> None:
        """The deployment is unpublished (or deleted): its ES Developer Name is unknown from now on."""
        self.deployment_published = False

    @_locked
    def publish_deployment(self) -> None:
        self.deployment_published = True

    @_locked
    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired now; open streams end with "Jwt is expired"."""
        now = self.clock()
        for token in self.tokens.values():
            token["exp"] = min(token["exp"], now)
        for stream in self._streams.values():
            stream.expires_at = min(stream.expires_at, now)
            stream.wake.set()

    @_locked
    def fail(self, method: str, path: str, status: int, times: int = 1, body=None) -> None:
        """The next ``times`` calls of ``method`` whose path matches the regex ``path`` answer
        ``status`` (with ``body``, or ``{"message": ...}``), the SSE endpoint included."""
        self.failures.append(Failure(method.upper(), re.compile(path), status, times, body))

    @_locked
    def drop_streams(self) -> int:
        """Cut every open stream, as a network blip or a Salesforce deploy would; returns how many."""
        live = [stream for stream in self._streams.values() if stream.ended is None]
        for stream in live:
            stream.ended = "dropped"
            stream.wake.set()
        return len(live)

    @_locked
    def open_streams(self) -> int:
        return sum(1 for stream in self._streams.values() if stream.ended is None)

    @_locked
    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method.upper() and regex.search(c.path)]

    @_locked
    def end_user_texts(self, conversation_id: str) -> list[str]:
        """What the end user (Switchboard) posted to a conversation, in order, each once."""
        return [
            entry["entryPayload"]["abstractMessage"]["staticContent"]["text"]
            for entry in self.conversations[conversation_id]["entries"]
            if entry["entryType"] == "Message" and entry["sender"]["role"] == "EndUser"
        ]

    @_locked
    def events_of(self, conversation_id: str) -> list[Published]:
        return [event for event in self.events if event.conversation_id == conversation_id]

    # -- the rep, played by a test or the sandbox --------------------------------------------------

    @_locked
    def agent_join(self, conversation_id: str, name: str = "Riley Rep") -> None:
        """A rep accepts the work: routing work result, the rep joins, the session turns Active."""
        conversation = self._conversation(conversation_id)
        agent = {"role": "Agent", "appType": "agent", "subject": salesforce_id("005", 200 + next(self._numbers))}
        conversation.update(agent=name, agent_sender=agent, routingStatus="ROUTED", status="Active")
        self._system_event(
            conversation, "CONVERSATION_ROUTING_WORK_RESULT", "RoutingWorkResult", {"workType": "Accepted"}
        )
        self._participant(conversation, "add", agent, name)
        self._session_status(conversation, "Active")

    @_locked
    def agent_message(self, conversation_id: str, text: str, name: str | None = None) -> str:
        """The rep writes; returns the entry's identifier. A rep who has not joined joins first."""
        conversation = self._conversation(conversation_id)
        if conversation["agent"] is None or (name and name != conversation["agent"]):
            self.agent_join(conversation_id, name or "Riley Rep")
        identifier = str(uuid.uuid4())
        payload = _message_payload(identifier, text)
        self._publish(
            conversation,
            "CONVERSATION_MESSAGE",
            payload,
            conversation["agent_sender"],
            conversation["agent"],
            identifier,
        )
        return identifier

    @_locked
    def agent_typing(self, conversation_id: str, started: bool = True) -> None:
        conversation = self._conversation(conversation_id)
        kind = "TypingStartedIndicator" if started else "TypingStoppedIndicator"
        event = "CONVERSATION_TYPING_STARTED_INDICATOR" if started else "CONVERSATION_TYPING_STOPPED_INDICATOR"
        sender = conversation["agent_sender"] or {"role": "Agent", "appType": "agent", "subject": ""}
        self._publish(conversation, event, {"entryType": kind}, sender, conversation["agent"] or "", transient=True)

    @_locked
    def agent_leave(self, conversation_id: str) -> None:
        """The rep leaves without a transfer: the conversation needs routing again."""
        conversation = self._conversation(conversation_id)
        self._remove_agent(conversation, "NEEDS_ROUTING")
        conversation["status"] = "Waiting"

    @_locked
    def transfer(self, conversation_id: str) -> None:
        """The rep transfers the conversation: they leave with routingStatus TRANSFER; the next rep
        joins with ``agent_join``."""
        conversation = self._conversation(conversation_id)
        self._remove_agent(conversation, "TRANSFER")
        conversation["status"] = "Waiting"

    @_locked
    def route_fail(self, conversation_id: str) -> None:
        """Omni-Channel cannot route the conversation (no queue, flow error)."""
        conversation = self._conversation(conversation_id)
        conversation["routingStatus"] = "NEEDS_ROUTING"
        payload = {"routingType": "Initial", "failureType": "RoutingError", "failureReason": "No route found"}
        self._system_event(conversation, "CONVERSATION_ROUTING_RESULT", "RoutingResult", payload)

    @_locked
    def end_session(self, conversation_id: str, by: str = "Agent") -> None:
        """The rep (or Salesforce) ends the messaging session: the rep leaves, the session Ends."""
        conversation = self._conversation(conversation_id)
        self._remove_agent(conversation, "NEEDS_ROUTING")
        conversation["status"] = "Ended"
        self._session_status(conversation, "Ended", ended_by=by)

    # -- state changes shared by the API and the rep controls ---------------------------------------

    def _conversation(self, conversation_id: str) -> dict:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise KeyError(f"No MIAW conversation {conversation_id}")
        return conversation

    def _remove_agent(self, conversation: dict, routing_status: str) -> None:
        conversation["routingStatus"] = routing_status
        if conversation["agent"] is not None:
            self._participant(conversation, "remove", conversation["agent_sender"], conversation["agent"])
        conversation["agent"] = None

    def _participant(self, conversation: dict, operation: str, participant: dict, name: str) -> None:
        entry = {"operation": operation, "participant": participant, "displayName": name}
        self._system_event(conversation, "CONVERSATION_PARTICIPANT_CHANGED", "ParticipantChanged", {"entries": [entry]})

    def _session_status(self, conversation: dict, status: str, ended_by: str | None = None) -> None:
        payload = {"sessionStatus": status, **({"sessionEndedByRole": ended_by} if ended_by else {})}
        self._system_event(conversation, "CONVERSATION_SESSION_STATUS_CHANGED", "SessionStatusChanged", payload)

    def _system_event(self, conversation: dict, event: str, entry_type: str, payload: dict) -> None:
        sender = {"role": "System", "appType": "conversation", "subject": self.channel_address_identifier}
        self._publish(conversation, event, {"entryType": entry_type, **payload}, sender, "")

    def _publish(
        self,
        conversation: dict,
        event: str,
        payload: dict,
        sender: dict,
        display_name: str,
        identifier: str | None = None,
        transient: bool = False,
    ) -> Published:
        """Add an entry to the conversation (unless transient, like typing) and put it on the
        streams of the conversation's end user."""
        now = self.clock()
        entry = {
            "senderDisplayName": display_name,
            "identifier": identifier or str(uuid.uuid4()),
            "entryType": payload["entryType"],
            "entryPayload": payload,
            "sender": sender,
            "transcriptedTimestamp": _ms(now),
            "clientTimestamp": _ms(now),
            "relatedRecords": [conversation["session_record"]],
        }
        if not transient:
            conversation["entries"].append(entry)
        data = {
            "channelPlatformKey": conversation["subject"],
            "channelType": CHANNEL_TYPE,
            "channelAddressIdentifier": self.channel_address_identifier,
            "conversationId": conversation["id"],
            "conversationEntry": {**entry, "entryPayload": json.dumps(payload)},
        }
        event_id = next(self._event_ids)
        self._last_event_id = event_id
        frame = f"id: {event_id}\nevent: {event}\ndata: {json.dumps(data)}\n\n".encode()
        published = Published(event_id, event, conversation["subject"], conversation["id"], data, frame)
        self.events.append(published)
        self._by_subject.setdefault(conversation["subject"], []).append(published)
        for stream in self._listening.get(conversation["subject"], ()):
            stream.wake.set()
        return published

    def _new_session(self, conversation: dict) -> None:
        conversation.update(
            session_record=salesforce_id("0Mw", next(self._numbers)),
            status="Waiting",
            routingStatus="INITIAL",
            agent=None,
        )
        payload = {"routingType": "Initial", "failureType": "None"}
        if self.routing_failure:
            conversation["routingStatus"] = "NEEDS_ROUTING"
            payload = {**payload, "failureType": self.routing_failure, "failureReason": self.routing_failure_reason}
        self._system_event(conversation, "CONVERSATION_ROUTING_RESULT", "RoutingResult", payload)

    # -- serving ---------------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if request.path.startswith(CONTROL):
            return self._control(request)(environ, start_response)
        if self.latency:
            self.sleep(self.latency)  # outside the lock: a slow org still answers many at once
        with self._lock:
            body = _body(request)
            call = Call(request.method, request.path, body, self.clock(), query=dict(request.args))
            self.calls.append(call)
            if self.request_check is not None:
                headers = dict(request.headers.items())
                self.spec_problems.extend(
                    self.request_check(request.method, request.path, body, dict(request.args), headers)
                )
            try:
                response = self._answer(request, body)
            except Refused as refused:
                response = _json({"message": refused.message}, refused.status)
            call.status = response.status_code
        return response(environ, start_response)

    def _control(self, request: Request) -> Response:
        """``POST /__fake__/<control>`` with the control's keyword arguments as JSON (the
        conversation as ``conversation_id``): the rep controls for a benchmark that runs the fake
        in a process of its own, so the fake's threads stay out of the relay's memory figure.
        Not recorded in ``calls``; answers ``{"result": ...}``."""
        action = request.path[len(CONTROL) :]
        arguments = _body(request) or {}
        if request.method != "POST" or action not in CONTROLS or not isinstance(arguments, dict):
            return _json({"message": f"POST one of {sorted(CONTROLS)} with a JSON object"}, 404)
        try:
            result = getattr(self, action)(**arguments)
        except (KeyError, TypeError, AttributeError, ValueError) as error:
            return _json({"message": str(error)}, 400)
        return _json({"result": result})

    def _answer(self, request: Request, body) -> Response:
        failure = _take(self.failures, request.method, request.path)
        if failure:
            return _json(failure.body if failure.body is not None else {"message": "Injected failure"}, failure.status)
        path = request.path.rstrip("/")
        if path == SSE_PATH and request.method == "GET":
            return self._connect(request)
        if not path.startswith(API + "/"):
            raise Refused(404, "Not Found")
        route = path[len(API) + 1 :]
        method = request.method
        if route.startswith("authorization/"):
            return self._authorization(method, route, request, body)
        match = re.fullmatch(r"conversation(?:/([^/]+)(?:/(message|entry|entries|session))?)?", route)
        if not match:
            raise Refused(404, "Not Found")
        conversation_id, part = match.groups()
        subject = self._bearer(request)
        if conversation_id is None:
            if method != "POST":
                raise Refused(405, "Method Not Allowed")
            return self._create(subject, body)
        conversation = self._owned(subject, conversation_id)
        handler = {
            ("POST", "message"): self._message,
            ("POST", "entry"): self._entry,
            ("GET", "entries"): self._entries,
            ("GET", None): self._status,
            ("DELETE", None): self._close,
            ("DELETE", "session"): self._end_session,
        }.get((method, part))
        if handler is None:
            raise Refused(405, "Method Not Allowed")
        return handler(conversation, request, body)

    # -- tokens ----------------------------------------------------------------------------------

    def _authorization(self, method: str, route: str, request: Request, body) -> Response:
        if (method, route) == ("POST", "authorization/unauthenticated/access-token"):
            self._check_deployment(body)
            return _json(self._token_answer(self._new_subject("UNAUTH/NA/uid:")))
        if (method, route) == ("POST", "authorization/authenticated/access-token"):
            self._check_deployment(body)
            return self._authenticated(body)
        if (method, route) == ("GET", "authorization/continuation-access-token"):
            token = self._token_of(request)
            return _json(self._token_answer(token["subject"], expires_at=token["exp"]))
        if (method, route) == ("DELETE", "authorization/authenticated/access-token"):
            self._token_of(request)["revoked"] = True
            return Response(status=204)
        raise Refused(404, "Not Found")

    def _check_deployment(self, body) -> None:
        if not isinstance(body, dict):
            raise Refused(400, "The request body must be a JSON object")
        for name in ("orgId", "esDeveloperName", "capabilitiesVersion", "platform"):
            if not isinstance(body.get(name), str) or not body[name]:
                raise Refused(400, f"Specify {name}.")
        if body["orgId"][:15] != self.org_id[:15] or len(body["orgId"]) not in (15, 18):
            raise Refused(400, "Specify a valid orgId.")
        if body["esDeveloperName"] != self.es_developer_name or not self.deployment_published:
            raise Refused(400, "Specify a valid esDeveloperName.")

    def _authenticated(self, body: dict) -> Response:
        if body.get("authorizationType") != "JWT" or not isinstance(body.get("customerIdentityToken"), str):
            raise Refused(400, "Specify authorizationType JWT and a customerIdentityToken.")
        try:
            subject = self._verified_subject(body["customerIdentityToken"])
        except Refused as refused:
            self.auth_failures.append(refused.message)
            if not self.anonymous_on_bad_jwt:
                raise
            subject = self._new_subject("ANON/")
        return _json(self._token_answer(subject))

    def _verified_subject(self, token: str) -> str:
        """The end user's subject from an identity token that passes the keyset's checks."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as error:
            raise Refused(401, f"The identity token is not a JWT: {error}") from error
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise Refused(401, f"No key with kid {kid!r} in the user verification keyset")
        try:
            claims = jwt.decode(
                token,
                key.public_key,
                algorithms=[key.alg],
                issuer=key.issuer,
                options={
                    "require": ["exp", "iss", "sub"],
                    "verify_exp": False,  # checked against the fake's clock below
                    "verify_iat": False,
                    "verify_nbf": False,
                    "verify_aud": False,
                },
            )
        except (jwt.PyJWTError, ValueError, TypeError) as error:
            raise Refused(401, f"The identity token was refused: {error}") from error
        if not isinstance(claims["exp"], int | float) or claims["exp"] <= self.clock():
            raise Refused(401, "The identity token has expired")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise Refused(401, "The identity token has no subject")
        return f"v2/iamessage/AUTH/{key.keyset}/uid:{claims['sub']}"

    @staticmethod
    def _new_subject(prefix: str) -> str:
        return f"v2/iamessage/{prefix}{uuid.uuid4()}"

    def _token_answer(self, subject: str, expires_at: float | None = None) -> dict:
        now = self.clock()
        token_id = str(uuid.uuid4())
        exp = int(expires_at if expires_at is not None else now + self.token_ttl)
        self.tokens[token_id] = {"id": token_id, "subject": subject, "exp": exp, "revoked": False}
        claims = {
            "sub": subject,
            "iat": int(now),
            "exp": exp,
            "jti": token_id,
            "orgId": self.org_id[:15],
            "esDeveloperName": self.es_developer_name,
        }
        return {
            "accessToken": jwt.encode(claims, self._secret, algorithm="HS256"),
            "lastEventId": str(self._last_event_id),
            "context": {"endUser": {"subject": subject}, "configuration": self._configuration()},
        }

    def _configuration(self) -> dict:
        return {
            "embeddedServiceConfig": {
                "name": self.es_developer_name,
                "deploymentType": "Web",
                "forms": [{"formType": "PreChat", "displayContext": "Conversation", "formFields": self.form_fields}],
            },
            "embeddedServiceMessagingChannel": {"channelAddressIdentifier": self.channel_address_identifier},
        }

    def _token_of(self, request: Request) -> dict:
        """The live access token the request carries, or 401."""
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise Refused(401, "Unauthorized")
        try:
            claims = jwt.decode(
                header[len("Bearer ") :], self._secret, algorithms=["HS256"], options={"verify_exp": False}
            )
        except jwt.PyJWTError as error:
            raise Refused(401, "Unauthorized") from error
        token = self.tokens.get(claims.get("jti"))
        if token is None or token["revoked"]:
            raise Refused(401, "Unauthorized")
        if token["exp"] <= self.clock():
            raise Refused(401, JWT_EXPIRED)
        return token

    def _bearer(self, request: Request) -> str:
        return self._token_of(request)["subject"]

    # -- conversations ---------------------------------------------------------------------------

    def _owned(self, subject: str, conversation_id: str) -> dict:
        conversation = self.conversations.get(conversation_id)
        if conversation is None:
            raise Refused(404, "Conversation not found.")
        if conversation["subject"] != subject:
            raise Refused(403, "This conversation belongs to another end user.")
        return conversation

    def _check_es_name(self, value) -> None:
        if value != self.es_developer_name or not self.deployment_published:
            raise Refused(400, "Specify a valid esDeveloperName.")

    def _create(self, subject: str, body) -> Response:
        if not isinstance(body, dict):
            raise Refused(400, "The request body must be a JSON object")
        conversation_id = body.get("conversationId")
        if not isinstance(conversation_id, str) or not UUID_V4.fullmatch(conversation_id):
            raise Refused(400, UUID_MESSAGE)
        self._check_es_name(body.get("esDeveloperName"))
        attributes = body.get("routingAttributes") or {}
        if not isinstance(attributes, dict):
            raise Refused(400, "routingAttributes must be an object.")
        if conversation_id in self.conversations:
            raise Refused(409, "A conversation with this conversationId already exists.")
        self._add_conversation(conversation_id, subject, attributes, body.get("language"))
        return Response(status=201)

    def _add_conversation(self, conversation_id: str, subject: str, attributes: dict, language) -> None:
        known = {f["name"] for f in self.form_fields}
        self.conversations[conversation_id] = conversation = {
            "id": conversation_id,
            "subject": subject,
            # Names the deployment's pre-chat form lacks are dropped without a word, as Salesforce does.
            "routing_attributes": {k: v for k, v in attributes.items() if k in known},
            "dropped_attributes": sorted(k for k in attributes if k not in known),
            "language": language,
            "entries": [],
            "message_ids": set(),
            "sent_at": deque(),
            "agent": None,
            "agent_sender": None,
            "closed": False,
        }
        self._new_session(conversation)

    def _writable(self, conversation: dict) -> None:
        if conversation["closed"]:
            raise Refused(403, "The conversation is closed.")

    def _message(self, conversation: dict, request: Request, body) -> Response:
        if not isinstance(body, dict):
            raise Refused(400, "The request body must be a JSON object")
        self._check_es_name(body.get("esDeveloperName"))
        self._writable(conversation)
        message = body.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("id"), str) or not message["id"]:
            raise Refused(400, "Specify message.id.")
        content = message.get("staticContent")
        if message.get("messageType") != "StaticContentMessage" or not isinstance(content, dict):
            raise Refused(400, "Specify a StaticContentMessage with staticContent.")
        text = content.get("text")
        if content.get("formatType") != "Text" or not isinstance(text, str) or not text.strip():
            raise Refused(400, "Specify staticContent with formatType Text and a text.")
        if len(text) > self.message_max_chars:
            raise Refused(400, f"The message text exceeds {self.message_max_chars} characters.")
        if message["id"] in conversation["message_ids"]:
            return Response(status=202)
        self._rate_limit(conversation)
        conversation["message_ids"].add(message["id"])
        if conversation["status"] == "Ended":
            self._new_session(conversation)
        sender = {"role": "EndUser", "appType": "iamessage", "subject": conversation["subject"]}
        self._publish(
            conversation, "CONVERSATION_MESSAGE", _message_payload(message["id"], text), sender, "Guest", message["id"]
        )
        return Response(status=202)

    def _rate_limit(self, conversation: dict) -> None:
        now = self.clock()
        sent = conversation["sent_at"]
        while sent and sent[0] <= now - 60:
            sent.popleft()
        if len(sent) >= self.messages_per_minute:
            raise Refused(429, "Too many requests.")
        sent.append(now)

    def _entry(self, conversation: dict, request: Request, body) -> Response:
        if not isinstance(body, dict) or body.get("entryType") not in (
            "TypingStartedIndicator",
            "TypingStoppedIndicator",
        ):
            raise Refused(400, "Specify entryType TypingStartedIndicator or TypingStoppedIndicator.")
        self._writable(conversation)
        conversation.setdefault("typing", []).append(body["entryType"])
        return Response(status=202)

    def _entries(self, conversation: dict, request: Request, body) -> Response:
        args = request.args
        try:
            limit = int(args.get("limit", ENTRIES_LIMIT_DEFAULT))
            start = int(args["startTimestamp"]) if args.get("startTimestamp") else None
            end = int(args["endTimestamp"]) if args.get("endTimestamp") else None
        except ValueError as error:
            raise Refused(400, "limit, startTimestamp and endTimestamp must be numbers.") from error
        if not 1 <= limit <= ENTRIES_LIMIT_MAX:
            raise Refused(400, f"limit must be between 1 and {ENTRIES_LIMIT_MAX}.")
        direction = args.get("direction", "FromEnd")
        if direction not in ("FromStart", "FromEnd"):
            raise Refused(400, "direction must be FromStart or FromEnd.")
        types = {t for t in args.get("entryTypeFilter", "").split(",") if t}
        entries = [
            entry
            for entry in conversation["entries"]
            if (not types or entry["entryType"] in types)
            and (start is None or entry["transcriptedTimestamp"] >= start)
            and (end is None or entry["transcriptedTimestamp"] <= end)
        ]
        chosen = entries[:limit] if direction == "FromStart" else list(reversed(entries))[:limit]
        return _json({"conversationEntries": chosen})

    def _status(self, conversation: dict, request: Request, body) -> Response:
        return _json({"conversationId": conversation["id"], "routingStatus": conversation["routingStatus"]})

    def _close(self, conversation: dict, request: Request, body) -> Response:
        self._check_es_name(request.args.get("esDeveloperName"))
        if not conversation["closed"]:
            if conversation["status"] != "Ended":
                self._remove_agent(conversation, "NEEDS_ROUTING")
                self._session_status(conversation, "Ended", ended_by="EndUser")
            conversation.update(closed=True, status="Closed")
            self._system_event(conversation, "CONVERSATION_CLOSE_CONVERSATION", "CloseConversation", {})
        return Response(status=204)

    def _end_session(self, conversation: dict, request: Request, body) -> Response:
        self._check_es_name(request.args.get("esDeveloperName"))
        self._writable(conversation)
        if conversation["status"] != "Ended":
            self._remove_agent(conversation, "NEEDS_ROUTING")
            conversation["status"] = "Ended"
            self._session_status(conversation, "Ended", ended_by="EndUser")
        return Response(status=204)

    # -- the event stream ------------------------------------------------------------------------

    def _connect(self, request: Request) -> Response:
        try:
            token = self._token_of(request)
        except Refused as refused:
            return _json(
                {
                    "timestamp": _ms(self.clock()),
                    "status": 401,
                    "error": "Unauthorized",
                    "message": refused.message,
                    "path": SSE_PATH,
                },
                401,
            )
        org = request.headers.get("X-Org-Id")
        last = request.headers.get("Last-Event-Id")
        if not org or last is None:
            raise Refused(400, "Bad Request: X-Org-Id and Last-Event-Id are required.")
        if org[:15] != self.org_id[:15] or len(org) not in (15, 18):
            raise Refused(400, "Bad Request: X-Org-Id does not match.")
        if not last.isdigit():
            raise Refused(400, "Bad Request: Last-Event-Id must be an event id.")
        for other in self._streams.values():
            if other.token_id == token["id"] and other.ended is None:
                other.ended = "replaced"  # one stream per token: the newer one wins
                other.wake.set()
        stream = Stream(next(self._stream_numbers), token["id"], token["subject"], token["exp"])
        self._streams[stream.number] = stream
        self._listening.setdefault(stream.subject, set()).add(stream)
        headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        return Response(
            self._frames(stream, int(last)), status=200, headers=headers, content_type="text/event-stream;charset=UTF-8"
        )

    def _frames(self, stream: Stream, last: int):
        """The stream's body: replayed and new events, pings while idle, until it is cut, its token
        expires or the client goes away (the next write fails and werkzeug closes the generator)."""
        try:
            yield b""  # sends the headers now: the client sees the stream open before any event
            next_ping = self.clock() + self.ping_interval
            while True:
                stream.wake.clear()
                with self._lock:
                    if stream.ended or self._closing:
                        return
                    if stream.expires_at <= self.clock():
                        stream.ended = "expired"
                    pending = self._after(stream.subject, last)
                if stream.ended == "expired":
                    yield f"event: error\ndata: {JWT_EXPIRED}\n\n".encode()
                    return
                if pending:
                    last = pending[-1].id
                    yield b"".join(event.frame for event in pending)
                    continue
                now = self.clock()
                if now >= next_ping:
                    yield b"event: ping\ndata: 0\n\n"
                    next_ping = now + self.ping_interval
                    continue
                stream.wake.wait(max(0.0, min(next_ping, stream.expires_at) - now))
        finally:
            with self._lock:
                self._streams.pop(stream.number, None)
                listening = self._listening.get(stream.subject, set())
                listening.discard(stream)
                if not listening:
                    self._listening.pop(stream.subject, None)

    def _after(self, subject: str, last: int) -> list[Published]:
        published = self._by_subject.get(subject, [])
        start = bisect.bisect_right(published, last, key=lambda event: event.id)
        return published[start:]

    def close(self) -> None:
        """End every stream: the server is stopping."""
        with self._lock:
            self._closing = True
            for stream in self._streams.values():
                stream.ended = stream.ended or "closing"
                stream.wake.set()


def _message_payload(identifier: str, text: str) -> dict:
    return {
        "entryType": "Message",
        "id": identifier,
        "abstractMessage": {
            "messageType": "StaticContentMessage",
            "id": identifier,
            "staticContent": {"formatType": "Text", "text": text},
        },
        "messageReason": None,
    }


def _body(request: Request):
    if not request.data:
        return None
    try:
        return json.loads(request.data)
    except ValueError:
        return request.get_data(as_text=True)


def _take(rules: list, method: str, path: str):
    """The first failure still armed for this call, now used once."""
    for rule in rules:
        if rule.times > 0 and rule.method == method and rule.path.search(path):
            rule.times -= 1
            return rule
    return None


def _json(data, status: int = 200) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json;charset=UTF-8")


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: a benchmark opens a thousand streams."""

    def log_request(self, *args, **kwargs) -> None:
        pass


class MessagingServer(LoopbackServer):
    """Runs a FakeMessaging on a free loopback port: ``with MessagingServer() as fake: fake.url``."""

    def __init__(self, fake: FakeMessaging | None = None, port: int = 0, backlog: int = 1024):
        # A relay opening a thousand streams at once should not see refused connections.
        super().__init__(fake or FakeMessaging(), port, backlog=backlog, request_handler=_QuietHandler)

    def closing(self) -> None:
        self.fake.close()


def main(argv: list[str] | None = None) -> None:
    """``python -m webapp.sandbox.miaw``: the fake on its own, until interrupted; its first line
    of output is its URL."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ping-interval", type=float, default=30.0)
    parser.add_argument("--token-ttl", type=int, default=6 * 60 * 60)
    options = parser.parse_args(argv)
    fake = FakeMessaging(ping_interval=options.ping_interval, token_ttl=options.token_ttl)
    with MessagingServer(fake, port=options.port):
        print(fake.url, flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
