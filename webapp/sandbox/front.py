"""A fake of the Front Core API on loopback: the sandbox behind ``switchboard sandbox``, the
tests that run real RQ workers, and the benchmarks.

It is a real HTTP server (threaded) that keeps Front's state (teammates, conversations,
messages, comments, assignees, knowledge bases), records every call, can check each call
(the tests check them against Front's OpenAPI spec), and can be told to be slow
(``latency``), to enforce a plan's rate limit (``rate_limit_per_minute``), to fail at random
(``error_rate``) or to fail on cue (``fail()``).
"""

from __future__ import annotations

import itertools
import json
import math
import random
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from werkzeug.wrappers import Request, Response

from webapp.sandbox.serving import LoopbackServer
from webapp.sandbox.serving import locked as _locked

TOKEN = "sandbox-front-token-0123456789abcd"

# Front counts its limits per rolling minute (https://dev.frontapp.com/docs/rate-limiting).
RATE_LIMIT_WINDOW_SECONDS = 60.0
# What an overloaded Front or its load balancer answers; 503 is the one Switchboard may resend.
RANDOM_FAILURE_STATUSES = (502, 503, 500)

# Application webhooks name their events differently from the Events API's core types.
APPLICATION_EVENT_TYPES = {
    "inbound": "inbound_received",
    "outbound": "outbound_sent",
    "assign": "assignee_changed",
    "unassign": "assignee_changed",
    "archive": "conversation_archived",
}


@dataclass
class Call:
    method: str
    path: str
    body: object
    at: float
    status: int = 0  # what the fake answered: 429 when the rate limit refused the call

    @property
    def succeeded(self) -> bool:
        """The call did its work: not refused, not failed."""
        return 0 < self.status < 400


CHANNEL_ADDRESS = "support@acme.example"


@dataclass
class Failure:
    method: str
    path: re.Pattern
    status: int
    headers: dict
    times: int
    body: dict | None = None


@dataclass
class FakeFront:
    token: str = TOKEN
    company: dict = field(default_factory=lambda: {"id": "cmp_1", "name": "Acme Inc"})
    teammates: dict = field(default_factory=dict)
    conversations: dict = field(default_factory=dict)
    messages: dict = field(default_factory=dict)
    comments: dict = field(default_factory=dict)
    drafts: dict = field(default_factory=dict)  # conversation id -> draft replies
    # conversation id -> created_at, updated_at and, while a customer waits for an answer,
    # waiting_since (Front: the oldest message nobody has replied to yet)
    timestamps: dict = field(default_factory=dict)
    calls: list = field(default_factory=list)
    spec_problems: list = field(default_factory=list)
    failures: list = field(default_factory=list)
    forbidden: dict = field(default_factory=dict)  # path prefix -> message for 403
    reassign_on_unassign: dict = field(default_factory=dict)  # conversation id -> teammate id
    # conversation id -> (teammate id, reads): a human takes the conversation after that many reads
    taken_after_reads: dict = field(default_factory=dict)
    page_size: int = 2
    knowledge_bases: dict = field(default_factory=dict)
    kb_articles: dict = field(default_factory=dict)
    # Put into every id the fake makes. Front's ids are unique for good; a sandbox started again
    # must not hand Switchboard the ids of the last run's messages, which it remembers.
    id_prefix: str = ""
    latency: float = 0.0  # seconds added to every answer, to watch progress or measure
    # At most this many requests in any rolling minute, like a Front plan; None: no limit.
    rate_limit_per_minute: int | None = None
    error_rate: float = 0.0  # share of requests (0..1) answered with a random 5xx
    seed: int = 0  # makes the random failures repeatable; read once, at creation
    clock: Callable[[], float] = time.time  # epoch seconds; tests move it instead of waiting
    sleep: Callable[[float], None] = time.sleep  # how latency is spent
    rate_limited: int = 0  # requests refused with 429 by the rate limit
    random_failures: int = 0  # requests answered with a 5xx because of error_rate
    # Called with (method, path, JSON body) for every request; returns a list of problems.
    request_check: Callable[[str, str, object], list] | None = None

    def __post_init__(self):
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate is a share of requests, from 0 to 1, not {self.error_rate}")
        if self.rate_limit_per_minute is not None and self.rate_limit_per_minute < 1:
            raise ValueError("rate_limit_per_minute must be at least 1 (None for no limit)")
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._random = random.Random(self.seed)
        self._admitted: deque[float] = deque()  # when each request of the current window came in
        self.url = ""

    # -- arranging ---------------------------------------------------------------------------

    @_locked
    def add_teammate(self, teammate_id: str, first: str, last: str = "", email: str | None = None) -> dict:
        teammate = {
            "_links": {"self": f"{self.url}/teammates/{teammate_id}"},
            "id": teammate_id,
            "email": email or f"{first.lower()}@acme.test",
            "username": first.lower(),
            "first_name": first,
            "last_name": last,
            "is_admin": False,
            "is_available": True,
            "is_blocked": False,
            "type": "user",
        }
        self.teammates[teammate_id] = teammate
        return teammate

    @_locked
    def add_conversation(self, conversation_id: str, assignee: str | None = None, subject: str = "Help please") -> dict:
        conversation = {
            "id": conversation_id,
            "subject": subject,
            "status": "assigned" if assignee else "unassigned",
            "assignee_id": assignee,
        }
        self.conversations[conversation_id] = conversation
        now = self.clock()
        self.timestamps[conversation_id] = {"created_at": now, "updated_at": now}
        self.comments.setdefault(conversation_id, [])
        return conversation

    @_locked
    def add_message(
        self,
        conversation_id: str,
        text: str,
        *,
        inbound: bool = True,
        author: str | None = None,
        message_type: str = "email",
        sender: tuple[str, str] = ("Grace Hopper", "grace@example.com"),
    ) -> dict:
        message_id = f"msg_{self.id_prefix}{next(self._ids)}"
        message = {
            "_links": {
                "self": f"{self.url}/messages/{message_id}",
                "related": {"conversation": f"{self.url}/conversations/{conversation_id}"},
            },
            "id": message_id,
            "type": message_type,
            "is_inbound": inbound,
            "created_at": self.clock(),
            "blurb": text[:50],
            "body": f"<p>{text}</p>",
            "text": text,
            "author": self.teammates[author] if author else None,
            "recipients": [
                {"_links": {"related": {"contact": None}}, "name": sender[0], "handle": sender[1], "role": "from"},
                # The channel's own address, which a draft reply names as its channel.
                {"_links": {"related": {"contact": None}}, "name": None, "handle": CHANNEL_ADDRESS, "role": "to"},
            ]
            if inbound
            else [],
            "conversation_id": conversation_id,
        }
        self.messages[message_id] = message
        conversation = self.conversations.get(conversation_id)
        if conversation_id in self.timestamps:
            times = self.timestamps[conversation_id]
            times["updated_at"] = message["created_at"]
            if not inbound:
                times.pop("waiting_since", None)
            else:
                times.setdefault("waiting_since", message["created_at"])
        if inbound and conversation and conversation["status"] == "archived":
            # A customer writing again reopens an archived conversation in Front.
            conversation["status"] = "assigned" if conversation["assignee_id"] else "unassigned"
        return message

    @_locked
    def assign(self, conversation_id: str, teammate_id: str | None) -> None:
        conversation = self.conversations[conversation_id]
        conversation["assignee_id"] = teammate_id
        if conversation["status"] != "archived":
            conversation["status"] = "assigned" if teammate_id else "unassigned"

    @_locked
    def archive(self, conversation_id: str) -> None:
        self.conversations[conversation_id]["status"] = "archived"

    @_locked
    def taken_by(self, conversation_id: str, teammate_id: str, after_reads: int = 1) -> None:
        """A human takes the conversation right after Switchboard has read it ``after_reads`` times."""
        self.taken_after_reads[conversation_id] = (teammate_id, after_reads)

    @_locked
    def merge(self, old_id: str, into: str) -> None:
        self.conversations[old_id]["merged_into"] = into

    @_locked
    def fail(
        self, method: str, path: str, status: int, times: int = 1, headers: dict | None = None, body: dict | None = None
    ):
        """The next ``times`` matching calls answer ``status`` (path is a regex)."""
        self.failures.append(Failure(method, re.compile(path), status, headers or {}, times, body))

    @_locked
    def event(
        self,
        message: dict | None = None,
        event_type: str = "inbound",
        envelope: bool = True,
        event_id: str | None = None,
        *,
        conversation_id: str | None = None,
        teammate_id: str | None = None,
        by: str | None = None,
        full: bool | None = None,
    ) -> dict:
        """A webhook body: an application envelope, or a plain rule event.

        Message events (``inbound``, ``outbound``) target ``message``: the whole message, as
        application webhooks send it (Front: "sends the full event payload"), or only a
        preview (id, links, blurb), as rule webhooks do; ``full`` overrides. Conversation events name
        ``conversation_id``: ``assign`` targets the teammate ``teammate_id``; ``unassign`` and
        ``archive`` have no target, as in Front's Events API. ``by`` is the teammate who acted.
        """
        if message is not None:
            conversation_id = message["conversation_id"]
            event_id = event_id or f"evt_{message['id']}_{event_type}"
            source = {"_meta": {"type": "inboxes"}, "data": []}
            preview = {"id": message["id"], "_links": message["_links"], "blurb": message["blurb"]}
            data = self._message_json(message) if (envelope if full is None else full) else preview
            target = {"_meta": {"type": "message"}, "data": data}
        else:
            # Each change is its own event: Switchboard drops a repeated event id as a redelivery.
            event_id = event_id or f"evt_{self.id_prefix}{next(self._ids)}_{event_type}"
            source = (
                {"_meta": {"type": "teammate"}, "data": self.teammates[by]}
                if by
                else {"_meta": {"type": "rule"}, "data": {}}
            )
            target = {"_meta": {"type": "teammate"}, "data": self.teammates[teammate_id]} if teammate_id else None
        event = {
            "_links": {"self": f"{self.url}/events/{event_id}"},
            "id": event_id,
            "type": event_type,
            "emitted_at": self.clock(),
            "conversation": {"id": conversation_id, "subject": self.conversations[conversation_id]["subject"]},
            "source": source,
            "target": target,
        }
        if not envelope:
            return event
        app_type = APPLICATION_EVENT_TYPES.get(event_type, event_type)
        return {"type": app_type, "authorization": {"id": self.company["id"]}, "payload": event}

    @_locked
    def add_knowledge_base(self, kb_id: str, name: str, kb_type: str = "external", locales=("en",)) -> dict:
        self.knowledge_bases[kb_id] = {"id": kb_id, "name": name, "type": kb_type, "locales": list(locales)}
        return self.knowledge_bases[kb_id]

    @_locked
    def add_article(
        self,
        kb_id: str,
        article_id: str,
        title: str,
        html: str,
        *,
        status: str = "published",
        locales: dict | None = None,
        updated_at: float | None = None,
    ) -> dict:
        """``locales`` maps a locale to (title, html) for translations; the first locale is the KB's."""
        default_locale = self.knowledge_bases[kb_id]["locales"][0]
        contents = {default_locale: {"name": title, "content": html, "status": status}}
        for locale, (t, h) in (locales or {}).items():
            contents[locale] = {"name": t, "content": h, "status": status}
        article = {
            "id": article_id,
            "kb_id": kb_id,
            "slug": f"/articles/{article_id}",
            "contents": contents,
            "updated_at": updated_at or self.clock(),
            "created_at": self.clock(),
        }
        self.kb_articles[article_id] = article
        return article

    @_locked
    def edit_article(self, article_id: str, html: str, title: str | None = None) -> None:
        article = self.kb_articles[article_id]
        for content in article["contents"].values():
            content["content"] = html
            if title:
                content["name"] = title
        article["updated_at"] = self.clock() + 1

    # -- reading what happened ---------------------------------------------------------------

    @_locked
    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.search(c.path)]

    @_locked
    def replies(self, conversation_id: str) -> list[dict]:
        return [
            m
            for m in self.messages.values()
            if m["conversation_id"] == conversation_id and not m["is_inbound"] and m.get("sent_by_api")
        ]

    @_locked
    def comments_on(self, conversation_id: str) -> list[dict]:
        return list(self.comments.get(conversation_id, []))

    @_locked
    def calls_since(self, since: float) -> list[Call]:
        return [c for c in self.calls if c.at > since]

    # -- serving -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        body = request.get_json(silent=True) if request.data else None
        # Slept before taking the lock, so a slow Front still answers many requests at once.
        if self.latency:
            self.sleep(self.latency)
        with self._lock:
            call = Call(request.method, request.path, body, self.clock())
            self.calls.append(call)
            if self.request_check is not None:
                self.spec_problems.extend(self.request_check(request.method, request.path, body))
            try:
                response = self._answer(request, body, call.at)
            except Exception:
                call.status = 500  # what the server answers for an exception
                raise
            call.status = response.status_code
        return response(environ, start_response)

    def _json(self, data, status=200, headers=None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")

    def _error(self, status: int, message: str, headers=None) -> Response:
        return self._json({"_error": {"status": status, "title": "Error", "message": message}}, status, headers)

    def _answer(self, request: Request, body, now: float) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, "Invalid token")
        admitted, limit_headers = self._count_against_rate_limit(now)
        if not admitted:
            self.rate_limited += 1
            return self._error(
                429, "Rate limit exceeded. Retry after the number of seconds in Retry-After.", limit_headers
            )
        response = self._answer_admitted(request, body)
        for name, value in limit_headers.items():
            response.headers.setdefault(name, value)  # an injected failure's own headers win
        return response

    def _count_against_rate_limit(self, now: float) -> tuple[bool, dict]:
        """Admit the request if the rolling minute has room; either way, the headers Front
        sends on every answer (and Retry-After on a refusal). A refused request takes no slot,
        so a client that waits out Retry-After gets through."""
        limit = self.rate_limit_per_minute
        if limit is None:
            return True, {}
        admitted = self._admitted
        while admitted and admitted[0] <= now - RATE_LIMIT_WINDOW_SECONDS:
            admitted.popleft()
        room = len(admitted) < limit
        if room:
            admitted.append(now)
        # The oldest request in the window is the next to leave it, freeing a slot.
        slot_frees_at = (admitted[0] if admitted else now) + RATE_LIMIT_WINDOW_SECONDS
        headers = {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - len(admitted))),
            "X-RateLimit-Reset": str(math.ceil(slot_frees_at)),  # epoch seconds, as Front documents
        }
        if not room:
            headers["Retry-After"] = str(max(1, math.ceil(slot_frees_at - now)))
        return room, headers

    def _answer_admitted(self, request: Request, body) -> Response:
        for failure in self.failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(request.path):
                failure.times -= 1
                return self._json(
                    failure.body or {"_error": {"status": failure.status, "message": "injected"}},
                    failure.status,
                    failure.headers,
                )
        if self.error_rate and self._random.random() < self.error_rate:
            self.random_failures += 1
            status = self._random.choice(RANDOM_FAILURE_STATUSES)
            return self._error(status, "Temporarily unavailable (one of the fake's random failures, see error_rate)")
        for prefix, message in self.forbidden.items():
            if request.path.startswith(prefix):
                return self._error(403, message)
        route = request.method, request.path
        match = re.match(r"^/conversations/([^/]+)(/.*)?$", request.path)
        if match:
            conversation = self.conversations.get(match.group(1))
            if conversation is None:
                return self._error(404, "Not found")
            if conversation.get("merged_into"):
                target = f"{self.url}/conversations/{conversation['merged_into']}{match.group(2) or ''}"
                return Response("", status=301, headers={"Location": target})
            return self._conversation_route(request, conversation, match.group(2) or "", body)
        if route == ("GET", "/me"):
            return self._json({"_links": {"self": f"{self.url}/me"}, **self.company})
        if route == ("GET", "/teammates"):
            return self._page(request, list(self.teammates.values()), "/teammates")
        if route == ("GET", "/channels"):
            return self._json({"_results": [{"id": "cha_1", "type": "smtp", "name": "Support"}]})
        if route == ("GET", "/conversations"):
            # Most recently active first, as Front lists them; one page of ``limit`` (at most 100).
            newest = sorted(
                self.conversations.values(),
                key=lambda c: self.timestamps.get(c["id"], {}).get("updated_at", 0),
                reverse=True,
            )
            limit = min(int(request.args.get("limit", 25)), 100)
            return self._json(
                {"_results": [self._conversation_json(c) for c in newest[:limit]], "_pagination": {"next": None}}
            )
        if request.method == "GET" and request.path.startswith(("/knowledge_bases", "/knowledge_base_articles")):
            return self._knowledge_route(request)
        match = re.match(r"^/messages/([^/]+)$", request.path)
        if request.method == "GET" and match and match.group(1) in self.messages:
            return self._json(self._message_json(self.messages[match.group(1)]))
        return self._error(404, "Not found")

    def _page(self, request: Request, items: list, path: str) -> Response:
        start = int(request.args.get("page_token", 0))
        size = min(int(request.args.get("limit", self.page_size)), self.page_size)  # Front caps pages too
        chunk = items[start : start + size]
        following = start + size
        next_url = (
            f"https://acme.api.frontapp.test{path}?limit={size}&page_token={following}"
            if following < len(items)
            else None
        )
        return self._json({"_results": chunk, "_pagination": {"next": next_url}})

    def _knowledge_route(self, request: Request) -> Response:
        path = request.path
        if path == "/knowledge_bases":
            slim = [
                {
                    "_links": {"self": f"{self.url}/knowledge_bases/{kb['id']}"},
                    "id": kb["id"],
                    "type": kb["type"],
                    "locales": kb["locales"],
                }
                for kb in self.knowledge_bases.values()
            ]
            return self._page(request, slim, "/knowledge_bases")
        match = re.match(r"^/knowledge_bases/([^/]+)(/articles)?$", path)
        if match and match.group(1) in self.knowledge_bases:
            kb = self.knowledge_bases[match.group(1)]
            if not match.group(2):
                return self._json(
                    {
                        "_links": {"self": ""},
                        "id": kb["id"],
                        "name": kb["name"],
                        "status": "published",
                        "type": kb["type"],
                        "locale": kb["locales"][0],
                    }
                )
            slim = [
                {
                    "_links": {"self": ""},
                    "id": a["id"],
                    "slug": a["slug"],
                    "locales": list(a["contents"]),
                    "created_at": a["created_at"],
                    "updated_at": a["updated_at"],
                }
                for a in self.kb_articles.values()
                if a["kb_id"] == kb["id"]
            ]
            return self._page(request, slim, path)
        match = re.match(r"^/knowledge_base_articles/([^/]+)/(?:locales/([^/]+)/)?content$", path)
        if match and match.group(1) in self.kb_articles:
            article = self.kb_articles[match.group(1)]
            locale = match.group(2) or next(iter(article["contents"]))
            if locale not in article["contents"]:
                return self._error(404, "Not found")
            content = article["contents"][locale]
            return self._json(
                {
                    "_links": {"self": ""},
                    "id": article["id"],
                    "slug": article["slug"],
                    "name": content["name"],
                    "status": content["status"],
                    "keywords": [],
                    "content": content["content"],
                    "locale": locale,
                    "attachments": [],
                    "updated_at": article["updated_at"],
                }
            )
        return self._error(404, "Not found")

    def _conversation_json(self, conversation: dict) -> dict:
        assignee = self.teammates.get(conversation.get("assignee_id"))
        return {
            "_links": {"self": f"{self.url}/conversations/{conversation['id']}"},
            "id": conversation["id"],
            "subject": conversation["subject"],
            "status": conversation["status"],
            "assignee": assignee,
            "recipient": None,
            "tags": [],
            **self.timestamps.get(conversation["id"], {}),
        }

    def _message_json(self, message: dict) -> dict:
        return {k: v for k, v in message.items() if k not in ("conversation_id", "sent_by_api")}

    def _conversation_route(self, request: Request, conversation: dict, rest: str, body) -> Response:
        cid = conversation["id"]
        if request.method == "GET" and rest == "":
            response = self._json(self._conversation_json(conversation))
            if cid in self.taken_after_reads:
                teammate, reads = self.taken_after_reads[cid]
                if reads <= 1:
                    conversation["assignee_id"] = teammate
                    del self.taken_after_reads[cid]
                else:
                    self.taken_after_reads[cid] = (teammate, reads - 1)
            return response
        if request.method == "PATCH" and rest == "":
            if body.get("status") == "archived":
                self.archive(cid)
            return Response("", status=204)
        if request.method == "PUT" and rest == "/assignee":
            self.assign(cid, body.get("assignee_id") or self.reassign_on_unassign.get(cid))
            return Response("", status=204)
        if request.method == "GET" and rest == "/messages":
            found = [self._message_json(m) for m in self.messages.values() if m["conversation_id"] == cid]
            found.sort(key=lambda m: m["created_at"], reverse=True)
            return self._json({"_results": found[: int(request.args.get("limit", 15))], "_pagination": {"next": None}})
        if request.method == "POST" and rest == "/messages":
            message = self.add_message(
                cid, body.get("text") or body["body"], inbound=False, author=body.get("author_id")
            )
            message["body"] = body["body"]
            message["sent_by_api"] = True
            return self._json({"status": "accepted", "message_uid": f"uid_{message['id']}"}, 202)
        if request.method == "GET" and rest == "/drafts":
            return self._json({"_results": list(self.drafts.get(cid, [])), "_pagination": {"next": None}})
        if request.method == "POST" and rest == "/drafts":
            draft = {
                "id": f"msg_{self.id_prefix}{next(self._ids)}",
                "type": "email",
                "is_inbound": False,
                "is_draft": True,
                "draft_mode": body.get("mode", "private"),
                "created_at": self.clock(),
                "body": body["body"],
                "text": body["body"],
                "author": self.teammates.get(body.get("author_id")),
                "channel_id": body["channel_id"],
            }
            self.drafts.setdefault(cid, []).append(draft)
            return self._json(draft)
        if request.method == "GET" and rest == "/comments":
            return self._json({"_results": list(self.comments[cid]), "_pagination": {"next": None}})
        if request.method == "POST" and rest == "/comments":
            comment = {
                "id": f"com_{self.id_prefix}{next(self._ids)}",
                "body": body["body"],
                "author": self.teammates.get(body.get("author_id")),
                "posted_at": self.clock(),
            }
            self.comments[cid].append(comment)
            return self._json(comment, 201)
        return self._error(404, "Not found")


class FrontServer(LoopbackServer):
    """Runs a FakeFront on a free loopback port."""

    def __init__(self, fake: FakeFront | None = None, port: int = 0):
        super().__init__(fake or FakeFront(), port)
