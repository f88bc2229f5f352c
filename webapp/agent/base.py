from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from webapp.agent.confidence import AnswerPolicy
from webapp.agent.policy import HandoffPolicy
from webapp.models import Channel


@dataclass(frozen=True)
class Reply:
    text: str
    sources: list[dict] = field(default_factory=list)

    kind = "reply"


@dataclass(frozen=True)
class Handoff:
    reason: str
    summary: str
    sentiment: str = "neutral"  # frustrated / neutral / positive

    kind = "handoff"


@dataclass(frozen=True)
class Resolve:
    kind = "resolve"


@dataclass(frozen=True)
class Draft:
    """An answer the agent is not sure enough of to send: it is drafted in the conversation for
    the teammate who takes over, and the conversation is handed off. The team gets a head start;
    the customer never gets a guess."""

    reply: Reply
    handoff: Handoff

    kind = "draft"


Decision = Reply | Handoff | Resolve | Draft


@dataclass(frozen=True)
class ToolCall:
    name: str
    input: dict
    output: object
    duration_ms: int


@dataclass(frozen=True)
class AgentResult:
    decision: Decision
    reasoning: str
    tool_calls: list[ToolCall] = field(default_factory=list)


@dataclass(frozen=True)
class AgentContext:
    organization_id: int
    channel: Channel
    contact: str
    message: str  # the customer's latest message, as plain text
    transcript: list[tuple[str, str]]  # (role, text), oldest first: customer / ai / human; ends with `message`
    policy: HandoffPolicy = field(default_factory=HandoffPolicy)
    forbidden_topics: tuple[str, ...] = ()
    answer_policy: AnswerPolicy = field(default_factory=AnswerPolicy)

    @property
    def earlier_customer_messages(self) -> list[str]:
        texts = [text for role, text in self.transcript if role == "customer"]
        return texts[:-1] if texts and texts[-1] == self.message else texts

    @property
    def ai_replies_since_human(self) -> int:
        count = 0
        for role, _ in reversed(self.transcript):
            if role == "human":
                break
            count += role == "ai"
        return count


class Agent(Protocol):
    def decide(self, context: AgentContext) -> AgentResult: ...


AgentFactory = Callable[[int], Agent]
_factory: AgentFactory | None = None


def set_agent_factory(factory: AgentFactory | None) -> None:
    """Install the agent used for every organization (tests install scripted ones)."""
    global _factory
    _factory = factory


def agent_for(organization_id: int) -> Agent:
    """The organization's LLM agent when one is configured and on; the built-in one otherwise."""
    if _factory is not None:
        return _factory(organization_id)
    from webapp.agent.default import DefaultAgent
    from webapp.agent.provider import configured_llm

    llm = configured_llm(organization_id)
    return llm if llm is not None else DefaultAgent()
