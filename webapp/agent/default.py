"""The agent used until a knowledge-grounded one is configured.

It answers nothing on its own: with no knowledge to answer from, the right move for a
question is a handoff with a clear reason. It does recognise a customer asking for a person
and a customer confirming their problem is solved.
"""

from __future__ import annotations

import re

from webapp.agent.base import AgentContext, AgentResult, Handoff, Resolve

HUMAN_REQUEST = re.compile(
    r"\b(human|real person|agent|representative|someone real|talk to (a|an|some) ?(one|person)|speak to)\b", re.I
)
SOLVED = re.compile(r"\b(that (solved|fixed|worked)|it works now|problem solved|all good now|issue is resolved)\b", re.I)
FRUSTRATED = re.compile(r"(!{2,}|\b(ridiculous|unacceptable|angry|furious|terrible|worst|useless)\b)", re.I)


def sentiment_of(text: str) -> str:
    if FRUSTRATED.search(text):
        return "frustrated"
    if re.search(r"\b(thanks|thank you|great|appreciate)\b", text, re.I):
        return "positive"
    return "neutral"


class DefaultAgent:
    def decide(self, context: AgentContext) -> AgentResult:
        text = context.message
        if SOLVED.search(text):
            return AgentResult(Resolve(), "The customer confirmed the problem is solved.")
        sentiment = sentiment_of(text)
        summary = f"{context.contact} wrote: {text[:500]}"
        if HUMAN_REQUEST.search(text):
            return AgentResult(
                Handoff("customer asked for a human", summary, sentiment), "The customer asked to talk to a person."
            )
        return AgentResult(
            Handoff("missing knowledge", summary, sentiment),
            "No knowledge source is available to answer from, so a teammate should take this.",
        )
