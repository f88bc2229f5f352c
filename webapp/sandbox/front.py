"""A fake of the Front Core API on loopback: the sandbox behind ``switchboard sandbox``, the
tests that run real RQ workers, and the benchmarks.

It is a real HTTP server (a thread) that keeps Front's state (teammates, conversations,
messages, comments, assignees, knowledge bases), records every call, can check each call
(the tests check them against Front's OpenAPI spec), and can be told to be slow or to fail.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from typing import Callable

TOKEN = "sandbox-front-token-0123456789abcd"


@dataclass
class Call:
    method: str
    path: str
    body: object
    at: float


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
    latency: float = 0.0  # seconds added to every answer, to watch progress or measure
    # Called with (method, path, JSON body) for every request; returns a list of problems.
    request_check: Callable[[str, str, object], list] | None = None

    def __post_init__(self):
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self.url = ""

    # -- arranging ---------------------------------------------------------------------------

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

    def add_conversation(self, conversation_id: str, assignee: str | None = None, subject: str = "Help please") -> dict:
        conversation = {"id": conversation_id, "subject": subject, "status": "assigned" if assignee else "unassigned", "assignee_id": assignee}
        self.conversations[conversation_id] = conversation
        self.comments.setdefault(conversation_id, [])
        return conversation

    def add_message(self, conversation_id: str, text: str, *, inbound: bool = True, author: str | None = None,
                    message_type: str = "email", sender: tuple[str, str] = ("Grace Hopper", "grace@example.com")) -> dict:
        message_id = f"msg_{next(self._ids)}"
        message = {
            "_links": {"self": f"{self.url}/messages/{message_id}", "related": {"conversation": f"{self.url}/conversations/{conversation_id}"}},
            "id": message_id,
            "type": message_type,
            "is_inbound": inbound,
            "created_at": time.time(),
            "blurb": text[:50],
            "body": f"<p>{text}</p>",
            "text": text,
            "author": self.teammates[author] if author else None,
            "recipients": [{"_links": {"related": {"contact": None}}, "name": sender[0], "handle": sender[1], "role": "from"}]
            if inbound else [],
            "conversation_id": conversation_id,
        }
        self.messages[message_id] = message
        return message

    def assign(self, conversation_id: str, teammate_id: str | None) -> None:
        self.conversations[conversation_id]["assignee_id"] = teammate_id

    def taken_by(self, conversation_id: str, teammate_id: str, after_reads: int = 1) -> None:
        """A human takes the conversation right after Switchboard has read it ``after_reads`` times."""
        self.taken_after_reads[conversation_id] = (teammate_id, after_reads)

    def merge(self, old_id: str, into: str) -> None:
        self.conversations[old_id]["merged_into"] = into

    def fail(self, method: str, path: str, status: int, times: int = 1, headers: dict | None = None, body: dict | None = None):
        """The next ``times`` matching calls answer ``status`` (path is a regex)."""
        self.failures.append(Failure(method, re.compile(path), status, headers or {}, times, body))

    def event(self, message: dict, event_type: str = "inbound", envelope: bool = True, event_id: str | None = None) -> dict:
        """A webhook body for ``message``: an application envelope, or a plain rule event."""
        conversation_id = message["conversation_id"]
        event = {
            "_links": {"self": f"{self.url}/events/evt_x"},
            "id": event_id or f"evt_{message['id']}_{event_type}",
            "type": event_type,
            "emitted_at": time.time(),
            "conversation": {"id": conversation_id, "subject": self.conversations[conversation_id]["subject"]},
            "source": {"_meta": {"type": "inboxes"}, "data": []},
            "target": {"_meta": {"type": "message"}, "data": {"id": message["id"], "_links": message["_links"], "blurb": message["blurb"]}},
        }
        if not envelope:
            return event
        app_type = {"inbound": "inbound_received", "outbound": "outbound_sent"}.get(event_type, event_type)
        return {"type": app_type, "authorization": {"id": self.company["id"]}, "payload": event}

    def add_knowledge_base(self, kb_id: str, name: str, kb_type: str = "external", locales=("en",)) -> dict:
        self.knowledge_bases[kb_id] = {"id": kb_id, "name": name, "type": kb_type, "locales": list(locales)}
        return self.knowledge_bases[kb_id]

    def add_article(self, kb_id: str, article_id: str, title: str, html: str, *, status: str = "published",
                    locales: dict | None = None, updated_at: float | None = None) -> dict:
        """``locales`` maps a locale to (title, html) for translations; the first locale is the KB's."""
        default_locale = self.knowledge_bases[kb_id]["locales"][0]
        contents = {default_locale: {"name": title, "content": html, "status": status}}
        for locale, (t, h) in (locales or {}).items():
            contents[locale] = {"name": t, "content": h, "status": status}
        article = {"id": article_id, "kb_id": kb_id, "slug": f"/articles/{article_id}", "contents": contents,
                   "updated_at": updated_at or time.time(), "created_at": time.time()}
        self.kb_articles[article_id] = article
        return article

    def edit_article(self, article_id: str, html: str, title: str | None = None) -> None:
        article = self.kb_articles[article_id]
        for content in article["contents"].values():
            content["content"] = html
            if title:
                content["name"] = title
        article["updated_at"] = time.time() + 1

    # -- reading what happened ---------------------------------------------------------------

    def calls_to(self, method: str, pattern: str) -> list[Call]:
        regex = re.compile(pattern)
        return [c for c in self.calls if c.method == method and regex.search(c.path)]

    def replies(self, conversation_id: str) -> list[dict]:
        return [
            m for m in self.messages.values()
            if m["conversation_id"] == conversation_id and not m["is_inbound"] and m.get("sent_by_api")
        ]

    # -- serving -----------------------------------------------------------------------------

    def __call__(self, environ, start_response):
        request = Request(environ)
        if self.latency:
            time.sleep(self.latency)
        body = request.get_json(silent=True) if request.data else None
        with self._lock:
            self.calls.append(Call(request.method, request.path, body, time.time()))
            if self.request_check is not None:
                self.spec_problems.extend(self.request_check(request.method, request.path, body))
            response = self._answer(request, body)
        return response(environ, start_response)

    def _json(self, data, status=200, headers=None) -> Response:
        return Response(json.dumps(data), status=status, headers=headers or {}, content_type="application/json")

    def _error(self, status: int, message: str, headers=None) -> Response:
        return self._json({"_error": {"status": status, "title": "Error", "message": message}}, status, headers)

    def _answer(self, request: Request, body) -> Response:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return self._error(401, "Invalid token")
        for failure in self.failures:
            if failure.times > 0 and failure.method == request.method and failure.path.search(request.path):
                failure.times -= 1
                return self._json(failure.body or {"_error": {"status": failure.status, "message": "injected"}}, failure.status, failure.headers)
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
            return self._json({"_results": [self._conversation_json(c) for c in list(self.conversations.values())[:1]], "_pagination": {"next": None}})
        if request.method == "GET" and request.path.startswith(("/knowledge_bases", "/knowledge_base_articles")):
            return self._knowledge_route(request)
        match = re.match(r"^/messages/([^/]+)$", request.path)
        if request.method == "GET" and match and match.group(1) in self.messages:
            return self._json(self._message_json(self.messages[match.group(1)]))
        return self._error(404, "Not found")

    def _page(self, request: Request, items: list, path: str) -> Response:
        start = int(request.args.get("page_token", 0))
        size = min(int(request.args.get("limit", self.page_size)), self.page_size)  # Front caps pages too
        chunk = items[start:start + size]
        following = start + size
        next_url = f"https://acme.api.frontapp.test{path}?limit={size}&page_token={following}" if following < len(items) else None
        return self._json({"_results": chunk, "_pagination": {"next": next_url}})

    def _knowledge_route(self, request: Request) -> Response:
        path = request.path
        if path == "/knowledge_bases":
            slim = [{"_links": {"self": f"{self.url}/knowledge_bases/{kb['id']}"}, "id": kb["id"], "type": kb["type"], "locales": kb["locales"]}
                    for kb in self.knowledge_bases.values()]
            return self._page(request, slim, "/knowledge_bases")
        match = re.match(r"^/knowledge_bases/([^/]+)(/articles)?$", path)
        if match and match.group(1) in self.knowledge_bases:
            kb = self.knowledge_bases[match.group(1)]
            if not match.group(2):
                return self._json({"_links": {"self": ""}, "id": kb["id"], "name": kb["name"], "status": "published",
                                   "type": kb["type"], "locale": kb["locales"][0]})
            slim = [{"_links": {"self": ""}, "id": a["id"], "slug": a["slug"], "locales": list(a["contents"]),
                     "created_at": a["created_at"], "updated_at": a["updated_at"]}
                    for a in self.kb_articles.values() if a["kb_id"] == kb["id"]]
            return self._page(request, slim, path)
        match = re.match(r"^/knowledge_base_articles/([^/]+)/(?:locales/([^/]+)/)?content$", path)
        if match and match.group(1) in self.kb_articles:
            article = self.kb_articles[match.group(1)]
            locale = match.group(2) or next(iter(article["contents"]))
            if locale not in article["contents"]:
                return self._error(404, "Not found")
            content = article["contents"][locale]
            return self._json({"_links": {"self": ""}, "id": article["id"], "slug": article["slug"], "name": content["name"],
                               "status": content["status"], "keywords": [], "content": content["content"], "locale": locale,
                               "attachments": [], "updated_at": article["updated_at"]})
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
                conversation["status"] = "archived"
            return Response("", status=204)
        if request.method == "PUT" and rest == "/assignee":
            conversation["assignee_id"] = body.get("assignee_id") or self.reassign_on_unassign.get(cid)
            return Response("", status=204)
        if request.method == "GET" and rest == "/messages":
            found = [self._message_json(m) for m in self.messages.values() if m["conversation_id"] == cid]
            found.sort(key=lambda m: m["created_at"], reverse=True)
            return self._json({"_results": found[: int(request.args.get("limit", 15))], "_pagination": {"next": None}})
        if request.method == "POST" and rest == "/messages":
            message = self.add_message(cid, body.get("text") or body["body"], inbound=False, author=body.get("author_id"))
            message["body"] = body["body"]
            message["sent_by_api"] = True
            return self._json({"status": "accepted", "message_uid": f"uid_{message['id']}"}, 202)
        if request.method == "GET" and rest == "/comments":
            return self._json({"_results": list(self.comments[cid]), "_pagination": {"next": None}})
        if request.method == "POST" and rest == "/comments":
            comment = {"id": f"com_{next(self._ids)}", "body": body["body"], "author": self.teammates.get(body.get("author_id")), "posted_at": time.time()}
            self.comments[cid].append(comment)
            return self._json(comment, 201)
        return self._error(404, "Not found")


class FrontServer:
    """Runs a FakeFront on a free loopback port."""

    def __init__(self, fake: FakeFront | None = None, port: int = 0):
        self.fake = fake or FakeFront()
        self._server = make_server("127.0.0.1", port, self.fake, threaded=True)
        self.fake.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeFront:
        self._thread.start()
        return self.fake

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(timeout=5)
