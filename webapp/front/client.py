"""The one Front Core API client.

Every call: a timeout, a token from the organization's shared rate-limit budget, bounded
retries with backoff on 429 (honouring Retry-After), 5xx and connection errors. Sends (replies
and comments) are never retried blindly: a timeout or 5xx after the request left raises
:class:`FrontOutcomeUnknown`, and the caller looks for the message before sending again.
Merged conversations (301) are followed to the surviving conversation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from webapp.front.errors import (
    FrontAuthError,
    FrontError,
    FrontForbidden,
    FrontNotFound,
    FrontOutcomeUnknown,
    FrontRateLimited,
    FrontUnavailable,
)
from webapp.ratelimit import Priority, RateLimiter
from webapp.retry import backoff_seconds, retry_after_seconds

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (3.05, 20)  # connect, read (seconds)
MAX_REDIRECTS = 3  # a conversation merged into one that was merged again, and so on
MAX_PAGES = 1000  # 100,000 items at 100 a page: far beyond any Help Center


def _path_and_query(url: str) -> str:
    """Front's links name the company host; we always call the configured base URL."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class FrontClient:
    def __init__(
        self,
        token: str,
        *,
        base_url: str,
        limiter: RateLimiter | None = None,
        priority: Priority = Priority.CUSTOMER,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_retries: int = 3,
        backoff: float = 1.0,
        max_retry_after: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.limiter = limiter
        self.priority = priority
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self.sleep = sleep
        self.session = session or requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "Switchboard"}
        )
        self.calls = 0  # requests actually sent, for budgets and benchmarks

    # -- reading ---------------------------------------------------------------------------

    def me(self) -> dict:
        return self._request("GET", "/me").json()

    def teammates(self) -> list[dict]:
        return self._list("/teammates")

    def channels(self) -> list[dict]:
        return self._list("/channels")

    def first_conversation(self) -> list[dict]:
        return self._request("GET", "/conversations", params={"limit": 1}).json().get("_results", [])

    def recent_conversations(self, limit: int = 25) -> list[dict]:
        """One page of the company's conversations, the most recently active first."""
        params = {"limit": limit, "sort_by": "date", "sort_order": "desc"}
        return self._request("GET", "/conversations", params=params).json().get("_results", [])

    def conversation(self, conversation_id: str) -> dict:
        return self._request("GET", f"/conversations/{conversation_id}").json()

    def message(self, message_id: str) -> dict:
        return self._request("GET", f"/messages/{message_id}").json()

    def recent_messages(self, conversation_id: str, limit: int = 15) -> list[dict]:
        response = self._request("GET", f"/conversations/{conversation_id}/messages", params={"limit": limit})
        return response.json().get("_results", [])

    def recent_comments(self, conversation_id: str) -> list[dict]:
        return self._request("GET", f"/conversations/{conversation_id}/comments").json().get("_results", [])

    # -- knowledge bases (Help Centers) ---------------------------------------------------

    def knowledge_bases(self) -> list[dict]:
        return self._list("/knowledge_bases")

    def knowledge_base(self, knowledge_base_id: str) -> dict:
        return self._request("GET", f"/knowledge_bases/{knowledge_base_id}").json()

    def knowledge_base_articles(self, knowledge_base_id: str, limit: int = 100) -> list[dict]:
        return self._list(f"/knowledge_bases/{knowledge_base_id}/articles?limit={limit}")

    def article_content(self, article_id: str, locale: str | None = None) -> dict:
        path = f"/knowledge_base_articles/{article_id}" + (f"/locales/{locale}/content" if locale else "/content")
        return self._request("GET", path).json()

    # -- acting ----------------------------------------------------------------------------

    def reply(self, conversation_id: str, *, author_id: str, body: str, text: str | None = None) -> dict:
        """Reply as ``author_id``. Never archives: a reply is not a resolution."""
        payload: dict[str, Any] = {"author_id": author_id, "body": body, "options": {"archive": False}}
        if text is not None:
            payload["text"] = text
        return self._request("POST", f"/conversations/{conversation_id}/messages", json=payload, send=True).json()

    def comment(self, conversation_id: str, *, author_id: str, body: str) -> dict:
        payload = {"author_id": author_id, "body": body}
        return self._request("POST", f"/conversations/{conversation_id}/comments", json=payload, send=True).json()

    def create_draft(self, conversation_id: str, *, author_id: str, channel_id: str, body: str) -> dict:
        """A draft reply to the conversation's last message, shared with every teammate who can
        see the conversation (Front's default, private, would show it to the AI teammate only)."""
        payload = {"author_id": author_id, "channel_id": channel_id, "body": body, "mode": "shared"}
        return self._request("POST", f"/conversations/{conversation_id}/drafts", json=payload, send=True).json()

    def drafts(self, conversation_id: str) -> list[dict]:
        return self._request("GET", f"/conversations/{conversation_id}/drafts").json().get("_results", [])

    def set_assignee(self, conversation_id: str, assignee_id: str | None) -> None:
        self._request("PUT", f"/conversations/{conversation_id}/assignee", json={"assignee_id": assignee_id})

    def archive(self, conversation_id: str) -> None:
        self._request("PATCH", f"/conversations/{conversation_id}", json={"status": "archived"})

    # -- plumbing --------------------------------------------------------------------------

    def _list(self, path: str) -> list[dict]:
        results: list[dict] = []
        next_path: str | None = path
        for _ in range(MAX_PAGES):
            body = self._request("GET", next_path).json()
            results.extend(body.get("_results", []))
            next_url = (body.get("_pagination") or {}).get("next")
            if not next_url:
                return results
            next_path = _path_and_query(next_url)
        log.warning("stopped listing %s after %d pages", path, MAX_PAGES)
        return results

    def _wait_for_budget(self) -> None:
        if self.limiter is not None:
            self.limiter.acquire(self.priority, sleep=self.sleep)

    def _request(self, method: str, path: str, *, params=None, json=None, send: bool = False) -> requests.Response:
        redirects = 0
        attempt = 0
        while True:
            self._wait_for_budget()
            try:
                self.calls += 1
                response = self.session.request(
                    method, self.base_url + path, params=params, json=json, timeout=self.timeout, allow_redirects=False
                )
            except requests.ConnectionError as exc:
                # Refused or reset before an answer: for a send we cannot tell whether Front
                # acted, unless the connection never opened.
                if (
                    send
                    and not isinstance(exc, requests.exceptions.ConnectTimeout)
                    and "refused" not in str(exc).lower()
                ):
                    raise FrontOutcomeUnknown(f"{method} {path}: connection lost after sending") from exc
                error: FrontError = FrontUnavailable(
                    f"Front could not be reached at {self.base_url} ({type(exc).__name__}). "
                    "Check FRONT_API_URL and the network."
                )
            except requests.Timeout as exc:
                if send:
                    raise FrontOutcomeUnknown(f"{method} {path}: no answer within {self.timeout[1]}s") from exc
                error = FrontUnavailable(f"Front did not answer within {self.timeout[1]}s")
            else:
                self._observe_budget(response)
                status = response.status_code
                if status == 301 and redirects < MAX_REDIRECTS and response.headers.get("Location"):
                    redirects += 1
                    path = _path_and_query(response.headers["Location"])
                    log.info("Front conversation merged; following to %s", path)
                    continue
                if status < 400:
                    return response
                if status == 429:
                    retry_after = self._retry_after(response)
                    if self.limiter is not None:
                        self.limiter.close_for(retry_after)
                    if attempt >= self.max_retries:
                        raise FrontRateLimited("Front's rate limit was still exceeded after retries", status=429)
                    self.sleep(retry_after)
                    attempt += 1
                    continue
                if status >= 500:
                    if send and status != 503:
                        raise FrontOutcomeUnknown(f"{method} {path}: Front answered {status}", status=status)
                    error = FrontUnavailable(f"Front answered {status}", status=status, detail=response.text[:500])
                else:
                    raise self._client_error(response, method, path)
            if attempt >= self.max_retries:
                raise error
            self.sleep(backoff_seconds(attempt, self.backoff))
            attempt += 1

    def _retry_after(self, response: requests.Response) -> float:
        """Retry-After, else until Front's budget resets, else a second."""
        return retry_after_seconds(
            response, default=self._seconds_until_reset(response) or 1.0, cap=self.max_retry_after
        )

    @staticmethod
    def _seconds_until_reset(response: requests.Response) -> float | None:
        reset = response.headers.get("x-ratelimit-reset")
        if reset is None:
            return None
        try:
            value = float(reset)
        except ValueError:
            return None
        # Front documents reset as a timestamp; accept milliseconds or seconds since the epoch.
        if value > 1e12:
            value /= 1000
        return max(0.0, value - time.time())

    def _observe_budget(self, response: requests.Response) -> None:
        """When Front says the budget is spent, close the shared bucket until its reset."""
        if self.limiter is None or response.status_code == 429:
            return
        if response.headers.get("x-ratelimit-remaining") == "0":
            wait = self._seconds_until_reset(response)
            if wait:
                self.limiter.close_for(min(wait, self.max_retry_after))

    @staticmethod
    def _client_error(response: requests.Response, method: str, path: str) -> FrontError:
        try:
            body = response.json()
            info = body.get("_error", body) if isinstance(body, dict) else {}
        except ValueError:
            info = {}
        message = info.get("message") or info.get("title") or response.text[:200] or response.reason
        status = response.status_code
        if status == 401:
            return FrontAuthError(f"Front rejected the token: {message}", status=status)
        if status == 403:
            return FrontForbidden(f"Front refused {method} {path}: {message}", status=status, detail=message)
        if status == 404:
            return FrontNotFound(f"Front has no {path}", status=status)
        return FrontError(f"Front answered {status} to {method} {path}: {message}", status=status, detail=message)
