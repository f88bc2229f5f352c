from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol

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


Decision = Reply | Handoff | Resolve


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
    transcript: list[tuple[str, str]]  # (role, text), oldest first: customer / ai / human


class Agent(Protocol):
    def decide(self, context: AgentContext) -> AgentResult: ...


AgentFactory = Callable[[int], Agent]
_factory: AgentFactory | None = None


def set_agent_factory(factory: AgentFactory | None) -> None:
    """Install the agent used for every organization (tests install scripted ones)."""
    global _factory
    _factory = factory


def agent_for(organization_id: int) -> Agent:
    if _factory is not None:
        return _factory(organization_id)
    from webapp.agent.default import DefaultAgent

    return DefaultAgent()
