"""The built-in agent: decides with no network at all, from the organization's knowledge and
its handoff settings.

In order: a forbidden topic is handed off; a confirmed solution resolves; a request for a
person, frustration or an unproductive conversation hand off as the handoff level says;
otherwise the best-matching article answers, written for the channel and in the customer's
language where the knowledge has it, and a question no article covers is handed off.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable

from webapp.agent import signals
from webapp.agent.base import AgentContext, AgentResult, Handoff, Reply, Resolve, ToolCall
from webapp.db import db
from webapp.knowledge import search
from webapp.language import base_language
from webapp.models import Channel, KnowledgeArticle, Visibility

SMS_LIMIT = 300

PHRASES = {
    "decline": {
        "en": "I'm the assistant for this conversation and I'll keep helping you here. What do you need?",
        "fr": "Je suis l'assistant de cette conversation et je continue à vous aider ici. De quoi avez-vous besoin ?",
        "de": "Ich bin der Assistent für dieses Gespräch und helfe Ihnen gern weiter. Worum geht es?",
        "es": "Soy el asistente de esta conversación y sigo ayudándole aquí. ¿Qué necesita?",
    },
    "gather": {
        "en": "Of course. So the team can help quickly, could you describe the problem in a sentence or two?",
        "fr": "Bien sûr. Pour que l'équipe vous aide vite, pouvez-vous décrire le problème en une ou deux phrases ?",
        "de": "Gern. Damit das Team schnell helfen kann: Können Sie das Problem in ein, zwei Sätzen beschreiben?",
        "es": "Por supuesto. Para que el equipo le ayude rápido, ¿puede describir el problema en una o dos frases?",
    },
    "unknown": {
        "en": "I don't have information about that yet. Could you tell me more, or ask another way?",
        "fr": "Je n'ai pas encore d'information à ce sujet. Pouvez-vous m'en dire plus ?",
        "de": "Dazu habe ich noch keine Informationen. Können Sie mir mehr erzählen?",
        "es": "Todavía no tengo información sobre eso. ¿Puede contarme más?",
    },
    "more": {"en": "More in our Help Center", "fr": "Plus d'informations", "de": "Mehr dazu", "es": "Más información"},
}


def phrase(key: str, lang: str | None) -> str:
    return PHRASES[key].get(lang or "en", PHRASES[key]["en"])


def covered_terms(query_terms: list[str], article: KnowledgeArticle) -> int:
    """How many of the question's words the article contains, stem for stem in the article's
    language ('shipping' meets 'ships')."""
    lang = base_language(article.locale)
    words = signals.stems(f"{article.title} {article.body}", lang)
    return sum(1 for stem in signals.stems(" ".join(query_terms), lang) if stem in words)


def is_on_topic(query_terms: list[str], article: KnowledgeArticle, needed: int) -> bool:
    """Enough of the question's words, and either one in the title or two in the text: a
    single shared word in the body ('account', 'send') is a coincidence, not an answer."""
    covered = covered_terms(query_terms, article)
    if covered < needed:
        return False
    lang = base_language(article.locale)
    in_title = signals.stems(article.title, lang) & signals.stems(" ".join(query_terms), lang)
    return bool(in_title) or covered >= 2


def written_for(channel: Channel, passage: str, link: str | None, lang: str | None) -> str:
    passage = " ".join(passage.split())
    if channel == Channel.SMS:
        return passage if len(passage) <= SMS_LIMIT else passage[: SMS_LIMIT - 1].rsplit(" ", 1)[0] + "…"
    if channel == Channel.PHONE or not link:
        return passage
    return f"{passage}\n\n{phrase('more', lang)}: {link}"


def has_described_problem(context: AgentContext) -> bool:
    """Basic information gathered: some message beyond a bare request for a person."""
    texts = context.earlier_customer_messages + [signals.HUMAN_REQUEST.sub("", context.message)]
    return sum(len(re.findall(r"\w+", t)) for t in texts) >= 8


class DefaultAgent:
    def decide(self, context: AgentContext) -> AgentResult:
        text, policy = context.message, context.policy
        mood = signals.sentiment(text)
        # Detecting the language is the costliest step of a decision; it runs only when
        # something depends on it.
        lang = functools.cache(lambda: signals.language(text))
        summary = self.summary(context, mood)

        topic = (
            signals.forbidden_topic(text, list(context.forbidden_topics), lang()) if context.forbidden_topics else None
        )
        if topic:
            return AgentResult(
                Handoff(f"forbidden topic: {topic}", summary, mood),
                f"The message is about “{topic}”, which the AI never answers.",
            )
        if signals.is_resolved(text):
            return AgentResult(Resolve(), "The customer confirmed the problem is solved.")

        if signals.asks_for_human(text):
            if not policy.enabled or not policy.on_request:
                return AgentResult(
                    Reply(phrase("decline", lang())),
                    "The customer asked for a person; handoff is off, so the AI keeps helping.",
                )
            if policy.gather_first and not has_described_problem(context):
                return AgentResult(
                    Reply(phrase("gather", lang())),
                    "The customer asked for a person; the level asks for the problem first.",
                )
            if context.ai_replies_since_human >= policy.answers_before_request:
                return AgentResult(
                    Handoff("customer asked for a human", summary, mood), "The customer asked to talk to a person."
                )

        if policy.on_frustration:
            strikes = sum(signals.is_frustrated(t) for t in context.earlier_customer_messages + [text])
            if signals.is_frustrated(text) and strikes >= policy.frustration_strikes:
                return AgentResult(
                    Handoff("customer is frustrated", summary, "frustrated"),
                    "The customer is frustrated; a person should take over.",
                )
        if policy.on_unproductive:
            if signals.is_repeat(text, context.earlier_customer_messages):
                return AgentResult(
                    Handoff("unproductive conversation", summary, mood),
                    "The customer repeated themselves: the answers are not helping.",
                )
            if context.ai_replies_since_human >= policy.unproductive_after:
                return AgentResult(
                    Handoff("unproductive conversation", summary, mood),
                    f"{context.ai_replies_since_human} AI replies without a solution.",
                )

        return self.answer_from_knowledge(context, lang, summary, mood)

    def answer_from_knowledge(
        self, context: AgentContext, detect: Callable[[], str | None], summary: str, mood: str
    ) -> AgentResult:
        question = signals.HUMAN_REQUEST.sub(" ", context.message)  # "a human to tell me X" asks X
        started = time.monotonic()
        locales = search.languages(context.organization_id)
        # With the knowledge in one language the answer is in it whatever the customer wrote,
        # so the customer's language is not needed to choose.
        lang = detect() if len(locales) > 1 else next(iter(locales), None)
        hits = search.search(context.organization_id, question, locale=lang, limit=5)
        if lang:  # the customer's language first, where the knowledge has it
            hits.sort(key=lambda hit: not hit.locale.lower().startswith(lang))
        call = ToolCall(
            name="search_knowledge",
            input={"query": question[:500], "locale": lang},
            output=[
                {"title": h.title, "article_id": h.article_id, "locale": h.locale, "score": round(h.score, 3)}
                for h in hits
            ],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        query_terms = search.terms(question)
        needed = search.required_terms(len(query_terms))
        for hit in hits:
            article = db.session.get(KnowledgeArticle, hit.article_id)
            if article is None or not is_on_topic(query_terms, article, needed):
                continue
            link = article.url if article.visibility == Visibility.PUBLIC else None
            reply = Reply(
                written_for(context.channel, hit.passage or article.body[:600], link, lang),
                [{"title": article.title, "url": link}],
            )
            covered = covered_terms(query_terms, article)
            reasoning = f"“{article.title}” covers the question ({covered} of {len(query_terms)} key words)."
            return AgentResult(reply, reasoning, [call])
        if not context.policy.enabled:
            return AgentResult(
                Reply(phrase("unknown", detect())),
                "No article covers this; handoff is off, so the AI asks for more.",
                [call],
            )
        return AgentResult(
            Handoff("missing knowledge", summary, mood),
            "No article in the knowledge covers this question, so a teammate should take it.",
            [call],
        )

    @staticmethod
    def summary(context: AgentContext, mood: str) -> str:
        """For the handoff note: the request, what was tried, the sentiment."""
        asked = " / ".join(t[:200] for t in context.earlier_customer_messages[-2:] + [context.message])
        tried = [t for role, t in context.transcript if role == "ai"]
        attempts = (
            f"The AI replied {len(tried)} time(s); last: “{tried[-1][:200]}”."
            if tried
            else "The AI had not replied yet."
        )
        return f"{context.contact} asked: {asked}\n{attempts}\nSentiment: {mood}."
