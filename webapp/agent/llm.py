"""An optional LLM agent: any OpenAI-compatible Chat Completions endpoint, with tool calling.

The model may call ``search_knowledge`` (answered from the organization's articles),
``handoff_to_human`` or ``resolve_conversation``; a plain message is a reply. A handoff is
always a tool call, never words in the reply. Forbidden topics are checked before the model
sees the message, and any failure of the provider (timeouts, errors, malformed tool calls
after one correction) becomes a handoff with reason "error", so no customer is left silent.

The provider's address is an admin's input, so every call goes through ``webapp.outbound``: the
address is checked when each connection opens and a redirect is never followed. A failure is
told by its classification only ("the provider refused the key (401)"): that is what the
Inbox shows to every member and the settings page to the admin. What the provider sent back
goes to the server log, truncated, and nowhere else.
"""

from __future__ import annotations

import json
import logging
import time

import requests

from webapp import outbound
from webapp.agent import signals
from webapp.agent.base import AgentContext, AgentResult, Handoff, Reply, Resolve, ToolCall
from webapp.agent.default import DefaultAgent, phrase
from webapp.knowledge import search
from webapp.retry import backoff_seconds, retry_after_seconds

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)
# The test call on save runs inside a web request (gunicorn's workers time out at 30 s): no
# retries, and a shorter wait.
PROBE_TIMEOUT = (5, 15)
LOGGED_BODY_CHARS = 200
MAX_TURNS = 4
MAX_RETRIES = 2
BACKOFF_SECONDS = 1.0
MAX_RETRY_AFTER_SECONDS = 30.0  # a customer is waiting: no retry waits longer than this

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "search_knowledge",
            "description": "Search the company's help articles. Use it before answering any question.",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string", "description": "What to look for, in the customer's words"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "handoff_to_human",
            "description": "Give the conversation to a human teammate.",
            "parameters": {
                "type": "object",
                "properties": {
                    "reason": {"type": "string", "description": "Why, in a few words"},
                    "summary": {"type": "string", "description": "The customer's request and what was tried"},
                    "sentiment": {"type": "string", "enum": ["frustrated", "neutral", "positive"]},
                },
                "required": ["reason", "summary", "sentiment"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "resolve_conversation",
            "description": "The customer confirmed their problem is solved.",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]


# The classifications: short, ours, safe to show anyone.
REFUSED_KEY = "the provider refused the key ({status})"
NOT_FOUND = "the provider has no such address or model ({status})"
REFUSED = "the provider refused the request ({status})"
RATE_LIMITED = "the provider is rate limiting ({status})"
FAILED = "the provider failed ({status})"
REDIRECTED = "the provider redirected ({status}); set the base URL to the final address"
TIMED_OUT = "the provider did not answer in time"
UNREACHABLE = "the provider could not be reached"
NOT_UNDERSTOOD = "the provider's answer was not understood"
NOT_ALLOWED = "the address is not allowed"


class LLMError(RuntimeError):
    """A failure of the provider or of its model. ``str(error)`` is the classification, one of
    the constants above: short, in our words, and safe to show any member. ``admin_note`` adds
    what only the admin saving the settings is shown (where a redirect pointed, which address
    was refused); ``detail`` is what the provider sent, for the server log only."""

    def __init__(self, classification: str, *, admin_note: str = "", detail: str = ""):
        super().__init__(classification)
        self.classification = classification
        self.admin_note = admin_note
        self.detail = detail

    def for_admin(self) -> str:
        return f"{self.classification} ({self.admin_note})" if self.admin_note else self.classification


def status_error(response: requests.Response) -> LLMError:
    """The classified error for a response that is not a usable answer."""
    status = response.status_code
    body = _logged_body(response)
    if 300 <= status < 400:
        return LLMError(
            REDIRECTED.format(status=status), admin_note=f"to {outbound.redirect_target(response)}", detail=body
        )
    if status in (401, 403):
        return LLMError(REFUSED_KEY.format(status=status), detail=body)
    if status == 404:
        return LLMError(NOT_FOUND.format(status=status), detail=body)
    if status == 429:
        return LLMError(RATE_LIMITED.format(status=status), detail=body)
    if status >= 500:
        return LLMError(FAILED.format(status=status), detail=body)
    if status >= 400:
        return LLMError(REFUSED.format(status=status), detail=body)
    return LLMError(NOT_UNDERSTOOD, detail=f"HTTP {status}: {body}")


def _logged_body(response: requests.Response) -> str:
    try:
        return response.text[:LOGGED_BODY_CHARS]
    except Exception:  # noqa: BLE001 (an undecodable body is still no reason to fail here)
        return "(unreadable body)"


def _message_of(response: requests.Response) -> dict:
    """``choices[0].message`` of a Chat Completions answer, or NOT_UNDERSTOOD."""
    try:
        message = response.json()["choices"][0]["message"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(NOT_UNDERSTOOD, detail=_logged_body(response)) from exc
    if not isinstance(message, dict):
        raise LLMError(NOT_UNDERSTOOD, detail=_logged_body(response))
    tool_calls = message.get("tool_calls") or []
    if not isinstance(tool_calls, list) or not all(
        isinstance(call, dict) and isinstance(call.get("function", {}), dict) for call in tool_calls
    ):
        raise LLMError(NOT_UNDERSTOOD + " (tool calls of an unknown shape)", detail=_logged_body(response))
    return message


def system_prompt(context: AgentContext) -> str:
    policy = context.policy
    rules = []
    if not policy.enabled:
        rules.append("Never hand off; if the customer asks for a person, politely say you will keep helping.")
    else:
        if policy.on_request:
            rules.append(
                "Hand off when the customer asks for a person"
                + (" once they have described the problem." if policy.gather_first else ".")
            )
        if policy.on_frustration:
            rules.append("Hand off when the customer is frustrated.")
        if policy.on_unproductive:
            rules.append(f"Hand off after {policy.unproductive_after} of your replies that did not solve the problem.")
        rules.append("Hand off when no article covers the question.")
    style = {
        "sms": "Answer in at most 300 characters, no links.",
        "phone": "Answer in plain spoken sentences, no links or formatting.",
    }.get(context.channel.value, "Answer briefly and include the article's link when it has one.")
    return (
        "You are the support assistant of this company, answering a customer. Answer only from "
        "the help articles that search_knowledge returns; never invent facts. Answer in the "
        f"customer's language. {style} " + " ".join(rules)
    )


class LLMAgent:
    def __init__(
        self, base_url: str, model: str, api_key: str, session: requests.Session | None = None, sleep=time.sleep
    ):
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.session = session or outbound.session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})
        self.sleep = sleep

    def decide(self, context: AgentContext) -> AgentResult:
        topic = signals.forbidden_topic(context.message, list(context.forbidden_topics))
        if topic:
            mood = signals.sentiment(context.message)
            return AgentResult(
                Handoff(f"forbidden topic: {topic}", DefaultAgent.summary(context), mood),
                f"The message is about “{topic}”, which the AI never answers.",
            )
        calls: list[ToolCall] = []
        try:
            return self._converse(context, calls)
        except LLMError as exc:
            error = exc
        except (requests.RequestException, ValueError, KeyError, TypeError, AttributeError) as exc:
            log.warning("LLM answer not understood (%s)", type(exc).__name__, exc_info=True)
            error = LLMError(NOT_UNDERSTOOD)
        log_failure(error)
        mood = signals.sentiment(context.message)
        return AgentResult(
            Handoff("error", DefaultAgent.summary(context), mood),
            # Only the classification: this is shown on the Inbox timeline to every member.
            f"The AI provider failed ({error.classification}), so a teammate takes over.",
            calls,
        )

    def probe(self) -> None:
        """One Chat Completions call of the agent's own shape (model, tools, tool choice) with
        a one-line prompt; raises LLMError when it does not come back as a usable answer.

        Not ``GET /models``: that would not show that this model exists, takes tools, or answers
        on ``/chat/completions``, and many OpenAI-compatible servers leave it out or answer it
        without a key. No ``max_tokens`` either: OpenAI's reasoning models refuse it (they take
        ``max_completion_tokens``), so it would test a request the agent never makes; the prompt
        asks for one word, and the tool definitions are the bulk of the cost."""
        messages = [
            {"role": "system", "content": "This is a connection test from Switchboard."},
            {"role": "user", "content": "Answer with the single word OK."},
        ]
        self._complete(messages, retries=0, timeout=PROBE_TIMEOUT)

    def _converse(self, context: AgentContext, calls: list[ToolCall]) -> AgentResult:
        roles = {"customer": "user", "ai": "assistant", "human": "assistant"}
        messages = [{"role": "system", "content": system_prompt(context)}]
        messages += [{"role": roles[role], "content": text} for role, text in context.transcript]
        sources: list[dict] = []
        corrections = 0
        for _ in range(MAX_TURNS):
            message = self._complete(messages)
            tool_calls = message.get("tool_calls") or []
            if not tool_calls:
                content = (message.get("content") or "").strip()
                if not content:
                    raise LLMError(NOT_UNDERSTOOD + " (neither text nor a tool call)")
                return AgentResult(Reply(content, sources), "The model answered from the articles it searched.", calls)
            messages.append({"role": "assistant", "content": message.get("content"), "tool_calls": tool_calls})
            for tool_call in tool_calls:
                name = tool_call.get("function", {}).get("name")
                started = time.monotonic()
                try:
                    arguments = json.loads(tool_call.get("function", {}).get("arguments") or "{}")
                    if not isinstance(arguments, dict):
                        raise ValueError("arguments are not an object")
                except ValueError as exc:
                    corrections += 1
                    calls.append(
                        ToolCall(
                            name or "?",
                            {"raw": str(tool_call.get("function", {}).get("arguments"))[:500]},
                            {"error": str(exc)},
                            0,
                        )
                    )
                    if corrections > 1:
                        raise LLMError(NOT_UNDERSTOOD + " (malformed tool calls, twice)", detail=str(exc)) from exc
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": tool_call.get("id"),
                            "content": "Error: arguments must be a JSON object.",
                        }
                    )
                    continue
                if name == "search_knowledge":
                    hits = search.search(context.organization_id, str(arguments.get("query", ""))[:500], limit=4)
                    output = [
                        {"title": h.title, "passage": h.passage, "url": h.url if h.visibility == "public" else None}
                        for h in hits
                    ]
                    sources.extend({"title": o["title"], "url": o["url"]} for o in output if o not in sources)
                    calls.append(ToolCall(name, arguments, output, int((time.monotonic() - started) * 1000)))
                    messages.append(
                        {"role": "tool", "tool_call_id": tool_call.get("id"), "content": json.dumps(output)}
                    )
                elif name == "handoff_to_human":
                    calls.append(ToolCall(name, arguments, "handed off", 0))
                    sentiment = (
                        arguments.get("sentiment")
                        if arguments.get("sentiment") in ("frustrated", "neutral", "positive")
                        else signals.sentiment(context.message)
                    )
                    if not context.policy.enabled:
                        lang = signals.language(context.message)
                        return AgentResult(
                            Reply(phrase("decline", lang)),
                            "The model wanted to hand off; handoff is off (AI only).",
                            calls,
                        )
                    return AgentResult(
                        Handoff(
                            str(arguments.get("reason") or "requested by the AI")[:200],
                            str(arguments.get("summary") or DefaultAgent.summary(context))[:2000],
                            sentiment,
                        ),
                        "The model decided to hand off.",
                        calls,
                    )
                elif name == "resolve_conversation":
                    calls.append(ToolCall(name, arguments, "resolved", 0))
                    return AgentResult(Resolve(), "The model saw the customer confirm the problem is solved.", calls)
                else:
                    corrections += 1
                    calls.append(ToolCall(str(name), arguments, {"error": "unknown tool"}, 0))
                    if corrections > 1:
                        raise LLMError(NOT_UNDERSTOOD + " (unknown tools, twice)", detail=repr(name)[:100])
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": tool_call.get("id"),
                            "content": f"Error: there is no tool {name!r}.",
                        }
                    )
        raise LLMError(f"the model made no decision in {MAX_TURNS} turns")

    def _complete(self, messages: list[dict], *, retries: int = MAX_RETRIES, timeout=TIMEOUT) -> dict:
        body = {"model": self.model, "messages": messages, "tools": TOOLS, "tool_choice": "auto"}
        for attempt in range(retries + 1):
            try:
                response = self.session.post(self.url, json=body, timeout=timeout)
            except outbound.AddressNotAllowed as exc:
                raise LLMError(NOT_ALLOWED, admin_note=str(exc)) from exc
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == retries:
                    timed_out = isinstance(exc, requests.Timeout)
                    raise LLMError(TIMED_OUT if timed_out else UNREACHABLE, detail=str(exc)[:300]) from exc
                self.sleep(backoff_seconds(attempt, BACKOFF_SECONDS))
                continue
            except (requests.RequestException, outbound.OutboundError) as exc:
                raise LLMError(UNREACHABLE, detail=str(exc)[:300]) from exc
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == retries:
                    raise status_error(response)
                default = backoff_seconds(attempt, BACKOFF_SECONDS)
                self.sleep(retry_after_seconds(response, default=default, cap=MAX_RETRY_AFTER_SECONDS))
                continue
            if response.status_code >= 300:
                raise status_error(response)  # a redirect too: it is never followed
            return _message_of(response)
        raise LLMError(UNREACHABLE)


def log_failure(error: LLMError) -> None:
    """The server log's line for a failure: the classification, and what the provider sent,
    truncated and quoted (never a page's)."""
    if error.detail:
        log.warning("LLM provider failed: %s; it sent %r", error.for_admin(), error.detail[:LOGGED_BODY_CHARS])
    else:
        log.warning("LLM provider failed: %s", error.for_admin())


def check_provider(base_url: str, model: str, api_key: str, session: requests.Session | None = None) -> None:
    """The test call the settings page makes before switching a provider on (``LLMAgent.probe``);
    raises LLMError, already logged."""
    try:
        LLMAgent(base_url, model, api_key, session=session).probe()
    except LLMError as exc:
        log_failure(exc)
        raise
