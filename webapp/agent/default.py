"""The built-in agent: decides with no network at all, from the organization's knowledge and
its handoff settings.

In order: a forbidden topic is handed off; a confirmed solution resolves; a request for a
person, frustration or an unproductive conversation hand off as the handoff level says;
otherwise the best-matching article's best passage answers, written for the channel and in the
customer's language where the knowledge has it, when the agent is sure enough of it; less
sure, the answer is drafted for a teammate and the conversation handed off; a question no
article answers is handed off.
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from webapp.agent import confidence, mentions, signals
from webapp.agent.base import AgentContext, AgentResult, Draft, Handoff, Reply, Resolve, ToolCall
from webapp.knowledge import search
from webapp.models import Channel, Visibility

SMS_LIMIT = 300
UNGROUNDED = "; it shares too few of the question's words, and too little of its meaning, to be sent"
CANDIDATES = 5

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


def knowledge():
    """``webapp.knowledge.retrieval``, imported on the first answer because it loads the
    embedding model."""
    from webapp.knowledge import retrieval

    return retrieval


def candidate_summary(candidate) -> dict:
    """One candidate as the timeline's tool call shows it."""
    return {
        "title": candidate.title,
        "article_id": candidate.article_id,
        "locale": candidate.locale,
        "fts_rank": candidate.fts_rank,
        "similarity": round(candidate.similarity, 3),
        "example_similarity": round(candidate.example_similarity, 3),
        "fused": round(candidate.fused, 4),
    }


def scores_in_words(assessment: confidence.Assessment, policy: confidence.AnswerPolicy) -> str:
    """The scores that decided, for the reasoning on the timeline."""
    words = "found by its words" if assessment.found_by_words else "not found by its words"
    if assessment.words_lead:
        words += f" where the next closest in meaning was not (+{confidence.WORDS_LEAD:.2f} margin)"
    drafts = f", draft at {policy.draft_at:.2f}" if policy.drafts else ", drafts off"
    return (
        f"confidence {assessment.confidence:.2f} (reply at {policy.reply_at:.2f}{drafts}); "
        f"{assessment.covered} of {assessment.terms} key words covered, "
        f"similarity {max(assessment.similarity, assessment.example_similarity):.2f}, "
        f"margin over the next article {assessment.similarity_margin:.2f}, {words}"
    )


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


@dataclass(frozen=True)
class Considered:
    """One question's candidates, the confidence in the best, and the outcome it leads to."""

    candidates: list
    assessment: confidence.Assessment | None
    policy: confidence.AnswerPolicy
    outcome: str  # 'reply', 'draft' or 'handoff'
    ungrounded: bool  # confident enough to reply, but the passage shares too little of the question
    # the question asks about what no article mentions, or the price of something while the
    # nearest article names none (webapp.agent.mentions): missing knowledge, handed off
    unmentioned: tuple[str, ...]
    unpriced: bool
    after_failure: bool  # confident enough to reply, but the customer says the last answer did not help
    call: ToolCall


class DefaultAgent:
    def decide(self, context: AgentContext) -> AgentResult:
        text, policy = context.message, context.policy
        mood = signals.sentiment(text)
        # Detecting the language is the costliest step of a decision; it runs only when
        # something depends on it.
        lang = functools.cache(lambda: signals.language(text))
        summary = self.summary(context)

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
        """The best article's best passage, sent, drafted for a teammate or held back as the
        confidence and the answer policy say (see ``webapp.agent.confidence``). A message asking
        several things that no one article answers is answered part by part when every part has
        a sure answer of its own; one whose sentences only tell the context of its one question
        is answered when that question, asked on its own, has a sure answer."""
        question = signals.HUMAN_REQUEST.sub(" ", context.message)  # "a human to tell me X" asks X
        question = signals.ALTERNATIVE.sub(" ", question)  # "X instead of Y" asks X
        retrieval = knowledge()
        version = retrieval.knowledge_version(context.organization_id)  # read once for every step below
        question, corrected = retrieval.correct_spelling(context.organization_id, question, version)
        locales = retrieval.languages(context.organization_id, version)
        # With the knowledge in one language the answer is in it whatever the customer wrote,
        # so the customer's language is not needed to choose.
        lang = detect() if len(locales) > 1 else next(iter(locales), None)
        question, rephrased = retrieval.rephrase(context.organization_id, question, lang, version)
        rewritten = {key: changes for key, changes in (("corrected", corrected), ("rephrased", rephrased)) if changes}
        whole = self.consider(context, question, lang, rewritten, version)
        questions = asked_on_their_own(signals.questions(question)) if whole.outcome != "reply" else []
        if len(questions) == 1 and questions[0] != question:
            # One question among sentences that only tell its context: asked on its own, it
            # may have the sure answer the whole message did not.
            alone = self.consider(context, questions[0], lang, {}, version)
            if alone.outcome == "reply":
                whole = alone
        elif len(questions) > 1:
            parts = []
            for part in questions:  # until one has no sure answer
                parts.append(self.consider(context, part, lang, {}, version))
                if parts[-1].outcome != "reply":
                    break
            else:
                return self.several_answers(context, parts, lang)
        if whole.after_failure:  # sure of the answer, but the customer says it did not help
            return self.after_failure(context, whole, lang, summary, mood)
        if whole.assessment is None or whole.outcome == "handoff":
            return self.missing_knowledge(context, detect, summary, mood, whole)
        best = whole.candidates[0]
        reply = self.reply_from(context, [best], lang)
        scores = scores_in_words(whole.assessment, whole.policy)
        if whole.outcome == "reply":
            asked = whole.call.input["query"]
            which = "the question" if asked == question[:500] else f"the question “{asked.strip()}”"
            return AgentResult(reply, f"“{best.title}” answers {which}: {scores}.", [whole.call])
        handoff = Handoff("unsure answer", summary, mood)
        return AgentResult(
            Draft(reply, handoff),
            f"“{best.title}” may answer the question, but not surely enough to send: {scores}"
            f"{held_back(whole)}. The answer is drafted for a teammate.",
            [whole.call],
        )

    def after_failure(
        self, context: AgentContext, whole: Considered, lang: str | None, summary: str, mood: str
    ) -> AgentResult:
        """The customer says what was suggested did not solve the problem, and the best answer
        is one more article: a teammate takes over, with that answer drafted when drafts are on."""
        best = whole.candidates[0]
        why = (
            f"“{best.title}” answers the question ({scores_in_words(whole.assessment, whole.policy)}), "
            "but the customer says what was suggested did not solve it"
        )
        handoff = Handoff("unproductive conversation", summary, mood)
        if whole.outcome == "draft":
            reply = self.reply_from(context, [best], lang)
            return AgentResult(Draft(reply, handoff), f"{why}: the answer is drafted for a teammate.", [whole.call])
        return AgentResult(handoff, f"{why}: a teammate takes it.", [whole.call])

    def consider(
        self, context: AgentContext, question: str, lang: str | None, rewritten: dict, version: tuple
    ) -> Considered:
        """The candidates for one question, how sure the best one is, and what that leads to.
        ``rewritten``: how the question was put right before ("corrected" spelling, "rephrased"
        everyday words), shown with the search."""
        started = time.monotonic()
        candidates = knowledge().retrieve(
            context.organization_id, question, locale=lang, limit=CANDIDATES, version=version
        )
        if lang:  # the customer's language first, where the knowledge has it (a stable sort)
            candidates.sort(key=lambda c: not c.locale.lower().startswith(lang))
        assessment = confidence.assess(question, search.terms(question), candidates)
        policy = context.answer_policy
        outcome = policy.outcome(assessment.confidence) if assessment else "handoff"
        unmentioned, unpriced = (), False
        if outcome != "handoff":  # an answer to send or to draft: does the knowledge hold what is asked?
            unmentioned = mentions.unmentioned(question, knowledge().vocabulary(context.organization_id, version), lang)
            best = candidates[0]
            unpriced = mentions.asks_price(question) and not mentions.names_price(f"{best.title} {best.passage}")
        if unmentioned or unpriced:  # missing knowledge: the nearest article cannot answer it
            outcome = "handoff"
        ungrounded = outcome == "reply" and not assessment.grounded
        # Sure of the answer, but the customer just said that what was suggested did not work:
        # an article sent again is what did not help; a teammate decides.
        after_failure = outcome == "reply" and not ungrounded and reports_failure_after_answer(context)
        if ungrounded or after_failure:  # sure of the subject, not of the answer: a teammate decides
            outcome = "draft" if policy.drafts else "handoff"
        if outcome == "draft" and not context.policy.enabled:
            outcome = "handoff"  # a draft comes with a handoff; with handoff off the AI asks for more instead
        call = ToolCall(
            name="search_knowledge",
            input={"query": question[:500], "locale": lang, **rewritten},
            output=[candidate_summary(c) for c in candidates],
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        return Considered(
            candidates, assessment, policy, outcome, ungrounded, unmentioned, unpriced, after_failure, call
        )

    def reply_from(self, context: AgentContext, chosen: list, lang: str | None) -> Reply:
        """One answer from each chosen candidate's passage, in order, each with its link."""
        links = [c.url if c.visibility == Visibility.PUBLIC else None for c in chosen]
        if context.channel == Channel.SMS:
            text = written_for(Channel.SMS, " ".join(c.passage for c in chosen), None, lang)
        else:
            text = "\n\n".join(
                written_for(context.channel, c.passage, link, lang) for c, link in zip(chosen, links, strict=True)
            )
        return Reply(text, [{"title": c.title, "url": link} for c, link in zip(chosen, links, strict=True)])

    def several_answers(self, context: AgentContext, parts: list[Considered], lang: str | None) -> AgentResult:
        chosen = list({p.candidates[0].article_id: p.candidates[0] for p in parts}.values())
        reasons = "; ".join(
            f"“{p.candidates[0].title}” answers “{p.call.input['query'].strip()}”: "
            f"{scores_in_words(p.assessment, p.policy)}"
            for p in parts
        )
        return AgentResult(
            self.reply_from(context, chosen, lang),
            f"The message asks {len(parts)} things, each answered on its own: {reasons}.",
            [p.call for p in parts],
        )

    def missing_knowledge(
        self, context: AgentContext, detect: Callable[[], str | None], summary: str, mood: str, whole: Considered
    ) -> AgentResult:
        assessment, call = whole.assessment, whole.call
        why = (
            "No article in the knowledge covers this question"
            if assessment is None
            else f"No article answers this question surely enough ({scores_in_words(assessment, whole.policy)}"
            f"{held_back(whole)})"
        )
        if not context.policy.enabled:
            return AgentResult(
                Reply(phrase("unknown", detect())), f"{why}; handoff is off, so the AI asks for more.", [call]
            )
        return AgentResult(Handoff("missing knowledge", summary, mood), f"{why}, so a teammate should take it.", [call])

    @staticmethod
    def summary(context: AgentContext) -> str:
        """For the handoff note: the request and what was tried (the sentiment is a field of its
        own, put into words once by the note)."""
        asked = " / ".join(t[:200] for t in context.earlier_customer_messages[-2:] + [context.message])
        tried = [t for role, t in context.transcript if role == "ai"]
        attempts = (
            f"The AI replied {len(tried)} time(s); last: “{tried[-1][:200]}”."
            if tried
            else "The AI had not replied yet."
        )
        return f"{context.contact} asked: {asked}\n{attempts}"


# Words that point back to an earlier sentence: "How do I return it?" asks about what the
# sentence before it said, so that sentence cannot be left out. Over-broad on purpose (the
# articles of French and Spanish are among them): leaving the context in is the safe side.
REFERS_BACK = re.compile(
    r"\b(?:it|its|that|this|them|they|those|these|one|ça|cela|celui|celle|ceux|"
    r"es|das|dies|dieses|diese|ihn|lo|la|los|las|eso|esto|ese|esa)\b|\bl'",
    re.I,
)


def asked_on_their_own(parts: list[str]) -> list[str]:
    """The parts of a message that ask something, when the others only tell its context
    ("My boss needs it for my expense report."); all the parts when none of them only tells,
    or when a question refers back to what the telling said ("I bought a gift card. How do I
    return it?")."""
    asked = [part for part in parts if confidence.QUESTION.search(part)]
    if not asked or len(asked) == len(parts) or any(REFERS_BACK.search(part) for part in asked):
        return parts
    return asked


def held_back(considered: Considered) -> str:
    """Why an answer confident enough to send or draft was held back ("" when it was not)."""
    if considered.ungrounded:
        return UNGROUNDED
    if considered.unmentioned:
        words = ", ".join(f"“{word}”" for word in considered.unmentioned)
        return f"; the question asks about {words}, which no article mentions"
    if considered.unpriced:
        return "; the question asks what something costs, and the article names no price"
    return ""


def reports_failure_after_answer(context: AgentContext) -> bool:
    """The message follows earlier turns and says that what was suggested did not solve the
    problem ("thanks, but there's no Invoices section"): a report, not a new question. Counted
    only where the handoff level hands unproductive conversations to a person; otherwise the
    AI keeps answering, as it would without this."""
    handoff = context.policy
    return (
        handoff.enabled
        and handoff.on_unproductive
        and len(context.transcript) > 1
        and signals.reports_failure(context.message)
    )
