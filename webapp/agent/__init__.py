"""The agent: given a session and the customer's latest message, decide what to do.

A decision is structured data (reply, handoff, resolve, or a draft for a teammate with a
handoff), never a marker inside reply text, so a changed prompt cannot turn a handoff into a
message the customer sees.
"""

from webapp.agent import destinations
from webapp.agent.base import (
    Agent,
    AgentContext,
    AgentResult,
    Draft,
    Handoff,
    Reply,
    Resolve,
    ToolCall,
    agent_for,
    set_agent_factory,
)

__all__ = [
    "destinations",
    "Agent",
    "AgentContext",
    "AgentResult",
    "Draft",
    "Handoff",
    "Reply",
    "Resolve",
    "ToolCall",
    "agent_for",
    "set_agent_factory",
]
