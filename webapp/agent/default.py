"""The built-in agent: answers from the organization's knowledge, with no network at all.

It resolves when the customer confirms the problem is solved, hands off when they ask for a
person or when no article covers the question, and otherwise replies with the passage of the
best-matching article, written for the channel, citing it.
"""

from __future__ import annotations

import re
import time

from webapp.agent.base import AgentContext, AgentResult, Handoff, Reply, Resolve, ToolCall
from webapp.db import db
from webapp.knowledge import search
from webapp.models import Channel, KnowledgeArticle, Visibility

HUMAN_REQUEST = re.compile(
    r"\b(human|real person|agent|representative|someone real|talk to (a|an|some) ?(one|person)|speak to)\b", re.I
)
SOLVED = re.compile(r"\b(that (solved|fixed|worked)|it works now|problem solved|all good now|issue is resolved)\b", re.I)
FRUSTRATED = re.compile(r"(!{2,}|\b(ridiculous|unacceptable|angry|furious|terrible|worst|useless)\b)", re.I)
SMS_LIMIT = 300


def sentiment_of(text: str) -> str:
    if FRUSTRATED.search(text):
        return "frustrated"
    if re.search(r"\b(thanks|thank you|great|appreciate)\b", text, re.I):
        return "positive"
    return "neutral"


def covered_terms(query_terms: list[str], article: KnowledgeArticle) -> int:
    """How many of the question's words the article contains (by 5-letter prefix, so
    'shipping' meets 'shipped'): a gate against answering from a one-word coincidence."""
    words = {w[:5] for w in re.findall(r"\w+", f"{article.title} {article.body}".lower())}
    return sum(1 for term in query_terms if term[:5] in words)


def written_for(channel: Channel, passage: str, link: str | None) -> str:
    passage = " ".join(passage.split())
    if channel == Channel.SMS:
        return passage if len(passage) <= SMS_LIMIT else passage[: SMS_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    if channel == Channel.PHONE or not link:
        return passage
    return f"{passage}\n\nMore in our Help Center: {link}"


class DefaultAgent:
    def decide(self, context: AgentContext) -> AgentResult:
        text = context.message
        if SOLVED.search(text):
            return AgentResult(Resolve(), "The customer confirmed the problem is solved.")
        sentiment = sentiment_of(text)
        summary = f"{context.contact} wrote: {text[:500]}"
        if HUMAN_REQUEST.search(text):
            return AgentResult(Handoff("customer asked for a human", summary, sentiment), "The customer asked to talk to a person.")

        started = time.monotonic()
        hits = search.search(context.organization_id, text, limit=3)
        call = ToolCall(
            name="search_knowledge",
            input={"query": text[:500]},
            output=[{"title": h.title, "article_id": h.article_id, "score": round(h.score, 3)} for h in hits],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        query_terms = search.terms(text)
        needed = min(2, len(query_terms))
        for hit in hits:
            article = db.session.get(KnowledgeArticle, hit.article_id)
            if article is not None and covered_terms(query_terms, article) >= needed:
                public = article.visibility == Visibility.PUBLIC
                link = article.url if public else None
                reply = Reply(written_for(context.channel, hit.passage or article.body[:600], link), [{"title": article.title, "url": link}])
                reasoning = f"“{article.title}” covers the question ({covered_terms(query_terms, article)} of {len(query_terms)} key words)."
                return AgentResult(reply, reasoning, [call])
        return AgentResult(
            Handoff("missing knowledge", summary, sentiment),
            "No article in the knowledge covers this question, so a teammate should take it.",
            [call],
        )
