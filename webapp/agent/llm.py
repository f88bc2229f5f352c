"""An optional LLM agent: any OpenAI-compatible Chat Completions endpoint, with tool calling.

The model may call ``search_knowledge`` (answered from the organization's articles),
``handoff_to_human`` or ``resolve_conversation``; a plain message is a reply. A handoff is
always a tool call, never words in the reply. Forbidden topics are checked before the model
sees the message, and any failure of the provider (timeouts, errors, malformed tool calls
after one correction) becomes a handoff with reason "error", so no customer is left silent.
"""

from __future__ import annotations

import json
import logging
import time

import requests

from webapp.agent import signals
from webapp.agent.base import AgentContext, AgentResult, Handoff, Reply, Resolve, ToolCall
from webapp.agent.default import DefaultAgent, phrase
from webapp.knowledge import search
from webapp.retry import backoff_seconds, retry_after_seconds

log = logging.getLogger(__name__)

TIMEOUT = (5, 30)
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


class LLMError(RuntimeError):
    pass


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
        self.session = session or requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"})
        self.sleep = sleep

    def decide(self, context: AgentContext) -> AgentResult:
        topic = signals.forbidden_topic(context.message, list(context.forbidden_topics))
        if topic:
            mood = signals.sentiment(context.message)
            return AgentResult(
                Handoff(f"forbidden topic: {topic}", DefaultAgent.summary(context, mood), mood),
                f"The message is about “{topic}”, which the AI never answers.",
            )
        calls: list[ToolCall] = []
        try:
            return self._converse(context, calls)
        except (LLMError, requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("LLM provider failed: %s", exc)
            mood = signals.sentiment(context.message)
            return AgentResult(
                Handoff("error", DefaultAgent.summary(context, mood), mood),
                f"The AI provider failed ({type(exc).__name__}: {str(exc)[:200]}), so a teammate takes over.",
                calls,
            )

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
                    raise LLMError("the model answered with neither text nor a tool call")
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
                        raise LLMError(f"malformed tool call arguments twice: {exc}") from exc
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
                            str(arguments.get("summary") or DefaultAgent.summary(context, sentiment))[:2000],
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
                        raise LLMError(f"the model called an unknown tool {name!r}")
                    messages.append(
                        {
                            "role": "tool",
                            "tool_call_id": tool_call.get("id"),
                            "content": f"Error: there is no tool {name!r}.",
                        }
                    )
        raise LLMError(f"no decision after {MAX_TURNS} turns")

    def _complete(self, messages: list[dict]) -> dict:
        body = {"model": self.model, "messages": messages, "tools": TOOLS, "tool_choice": "auto"}
        for attempt in range(MAX_RETRIES + 1):
            try:
                response = self.session.post(self.url, json=body, timeout=TIMEOUT)
            except (requests.ConnectionError, requests.Timeout):
                if attempt == MAX_RETRIES:
                    raise
                self.sleep(backoff_seconds(attempt, BACKOFF_SECONDS))
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == MAX_RETRIES:
                    raise LLMError(f"the provider answered {response.status_code}")
                default = backoff_seconds(attempt, BACKOFF_SECONDS)
                self.sleep(retry_after_seconds(response, default=default, cap=MAX_RETRY_AFTER_SECONDS))
                continue
            if response.status_code >= 400:
                raise LLMError(f"the provider refused the request ({response.status_code}): {response.text[:200]}")
            return response.json()["choices"][0]["message"]
        raise LLMError("unreachable")
