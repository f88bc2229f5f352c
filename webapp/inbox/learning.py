"""Learning from the team: the questions teammates answered, and those nobody could.

When a teammate answers a handed-off question and the answer links an article or quotes one of
its sentences, the customer's question is offered to admins, on the session, as an example for
that article (:func:`suggest_examples`); one click adds it (:func:`accept`), or drops the offer
(:func:`dismiss`). And the questions handed off because no article covered them are grouped by
meaning, per week (:func:`missing_knowledge`), so the admin sees which article to write next.
"""

from __future__ import annotations

import html
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

import numpy as np
from sqlalchemy import select

from webapp.db import db
from webapp.knowledge import embeddings, examples, search
from webapp.models import EventKind, KnowledgeArticle, SessionEvent, SupportSession
from webapp.models.types import utcnow

log = logging.getLogger(__name__)

# The handoff reason the built-in agent gives when no article covers the question.
MISSING_KNOWLEDGE = "missing knowledge"

OPEN, ACCEPTED, DISMISSED = "open", "accepted", "dismissed"
# More than this many articles in one answer is a list of links, not the answer to the question.
MAX_SUGGESTIONS_PER_REPLY = 3
# A quoted sentence shorter than this is a greeting or a stock phrase, not the article.
MIN_QUOTED_WORDS = 6
MAX_URLS = 20

# Questions at least this close (cosine of their WordLlama embeddings) are the same question
# in other words: measured on paraphrases ("Do you ship to Canada?" / "Can you deliver to
# Canada?" 0.86) against neighbouring topics (bitcoin / crypto payments 0.44).
SAME_QUESTION = 0.5
WEEKS_SHOWN = 8
# Enough handoffs for any team's page; beyond it the oldest weeks are left out.
MAX_HANDOFFS = 2000
EMBEDDED_CHARACTERS = 500

_URL = re.compile(r"https?://[^\s<>\"'()]+", re.IGNORECASE)
_HREF = re.compile(r"""href\s*=\s*["']([^"']+)["']""", re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")


class SuggestionGone(LookupError):
    """The offer was accepted or dismissed already, or its article was deleted."""


# -- suggesting an example ----------------------------------------------------------------------


def suggest_examples(support_session: SupportSession, reply_text: str, reply_body: str | None = None) -> list:
    """Offer the customer's handed-off question as an example for each article the teammate's
    reply links or quotes, once per article and session; the caller commits."""
    question = handed_off_question(support_session)
    if not question:
        return []
    offered = {e.payload.get("article_id") for e in support_session.events if e.kind == EventKind.EXAMPLE_SUGGESTION}
    articles = [
        a
        for a in articles_in_reply(support_session.organization_id, reply_text, reply_body)
        if a.id not in offered and not examples.has_example(a, question)
    ]
    return [
        support_session.record(
            EventKind.EXAMPLE_SUGGESTION,
            message=f"The teammate's answer used “{article.title}”.",
            article_id=article.id,
            title=article.title,
            question=question,
            state=OPEN,
        )
        for article in articles[:MAX_SUGGESTIONS_PER_REPLY]
    ]


def handed_off_question(support_session: SupportSession) -> str | None:
    """What the customer asked when the AI handed the conversation off: the message the handoff
    answered, else the last one before it. None when the AI never handed it off."""
    handoff = next((e for e in reversed(support_session.events) if e.kind == EventKind.HANDOFF), None)
    if handoff is None:
        return None
    return _question_before(support_session.events, handoff)


def _question_before(events: list[SessionEvent], handoff: SessionEvent) -> str | None:
    asked = [e for e in events if e.kind == EventKind.CUSTOMER_MESSAGE and _before(e, handoff)]
    message_id = (handoff.payload or {}).get("message_id")
    chosen = next((e for e in asked if message_id and e.payload.get("message_id") == message_id), None)
    chosen = chosen or (asked[-1] if asked else None)
    text = examples.normalized((chosen.payload or {}).get("text", "")) if chosen else ""
    return text[: examples.MAX_LENGTH] or None


def _before(event: SessionEvent, other: SessionEvent) -> bool:
    return (event.created_at, event.id or 0) <= (other.created_at, other.id or 0)


def articles_in_reply(organization_id: int, reply_text: str, reply_body: str | None = None) -> list[KnowledgeArticle]:
    """The organization's articles whose address the reply links, then those it quotes a
    sentence of; each once."""
    found = _linked(organization_id, urls_in(f"{reply_text or ''}\n{reply_body or ''}"))
    for article in _quoted(organization_id, reply_text or ""):
        if article not in found:
            found.append(article)
    return found


def urls_in(text: str) -> list[str]:
    """Web addresses in a message's text or HTML (links' targets included), normalised."""
    raw = [html.unescape(m) for m in _HREF.findall(text)] + _URL.findall(text)
    return list(dict.fromkeys(u for u in (normalized_url(r) for r in raw) if u))[:MAX_URLS]


def normalized_url(url: str) -> str | None:
    """scheme://host/path, without query, fragment or trailing slash, host in lower case: the
    same article linked with tracking parameters or an anchor is still the same article."""
    try:
        parts = urlsplit(url.strip().rstrip(".,;:!?"))
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def _linked(organization_id: int, urls: list[str]) -> list[KnowledgeArticle]:
    if not urls:
        return []
    variants = {v for u in urls for v in (u, f"{u}/")}
    rows = db.session.scalars(
        select(KnowledgeArticle)
        .where(KnowledgeArticle.organization_id == organization_id, KnowledgeArticle.url.in_(variants))
        .order_by(KnowledgeArticle.id)
    )
    by_url = {normalized_url(a.url): a for a in rows}
    return [by_url[u] for u in urls if u in by_url]


def _quoted(organization_id: int, reply_text: str) -> list[KnowledgeArticle]:
    """Articles one of whose sentences the reply contains word for word. The full-text search
    narrows the candidates to a few: a quoting reply shares many words with its article."""
    reply = f" {_words(reply_text)} "
    if len(reply.split()) < MIN_QUOTED_WORDS:
        return []
    hits = search.search(organization_id, reply_text[:2000], limit=10)
    quoted = []
    for hit in hits:
        article = db.session.get(KnowledgeArticle, hit.article_id)
        if article is not None and any(f" {s} " in reply for s in _sentences(article.body)):
            quoted.append(article)
    return quoted


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", (text or "").lower()))


def _sentences(body: str) -> list[str]:
    sentences = (_words(s) for s in _SENTENCE_END.split(body or ""))
    return [s for s in sentences if len(s.split()) >= MIN_QUOTED_WORDS]


# -- accepting or dismissing -----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    event_id: int
    article_id: int
    title: str
    question: str


def open_suggestions(support_session: SupportSession) -> list[Suggestion]:
    """The offers still waiting for an admin, for articles that still exist."""
    pending = [
        e for e in support_session.events if e.kind == EventKind.EXAMPLE_SUGGESTION and e.payload.get("state") == OPEN
    ]
    if not pending:
        return []
    ids = {e.payload.get("article_id") for e in pending}
    titles = dict(
        db.session.execute(
            select(KnowledgeArticle.id, KnowledgeArticle.title).where(
                KnowledgeArticle.id.in_(ids), KnowledgeArticle.organization_id == support_session.organization_id
            )
        ).all()
    )
    return [
        Suggestion(e.id, e.payload["article_id"], titles[e.payload["article_id"]], e.payload.get("question", ""))
        for e in pending
        if e.payload.get("article_id") in titles
    ]


def _open_offer(support_session: SupportSession, event_id: int) -> SessionEvent:
    event = next((e for e in support_session.events if e.id == event_id), None)
    if event is None or event.kind != EventKind.EXAMPLE_SUGGESTION:
        raise LookupError(event_id)
    if event.payload.get("state") != OPEN:
        raise SuggestionGone("This suggestion was already accepted or dismissed.")
    return event


def _close(event: SessionEvent, state: str, by: str) -> None:
    # A new dict: the JSON column does not track changes made inside the one it holds.
    event.payload = {**event.payload, "state": state, "by": by, "closed_at": utcnow().isoformat()}


def accept(support_session: SupportSession, event_id: int, by: str) -> tuple[str, str]:
    """Adds the offered question as an example of its article and closes the offer; returns
    (question, article title). Raises LookupError for an id that is no offer of this session,
    :class:`SuggestionGone` when it is closed or its article was deleted. The caller commits."""
    event = _open_offer(support_session, event_id)
    article = db.session.get(KnowledgeArticle, event.payload.get("article_id"))
    if article is None or article.organization_id != support_session.organization_id:
        _close(event, DISMISSED, by)
        raise SuggestionGone("Its article was deleted since.")
    question = event.payload.get("question", "")
    if not examples.has_example(article, question):
        examples.add_example(article, question, session_id=support_session.id)
    _close(event, ACCEPTED, by)
    return examples.normalized(question), article.title


def dismiss(support_session: SupportSession, event_id: int, by: str) -> None:
    """Closes the offer without adding anything; same errors as :func:`accept`."""
    _close(_open_offer(support_session, event_id), DISMISSED, by)


# -- missing knowledge -----------------------------------------------------------------------------


@dataclass
class Group:
    """Questions that ask the same thing in other words."""

    representative: str
    sessions: list[tuple[int, int]] = field(default_factory=list)  # (session id, ticket number), newest first

    @property
    def count(self) -> int:
        return len(self.sessions)


@dataclass(frozen=True)
class Week:
    starts: date
    groups: list[Group]

    @property
    def count(self) -> int:
        return sum(group.count for group in self.groups)


@dataclass(frozen=True)
class _Asked:
    session_id: int
    ticket_number: int
    question: str
    at: datetime


def missing_knowledge(organization_id: int, *, weeks: int = WEEKS_SHOWN, now: datetime | None = None) -> list[Week]:
    """The last weeks' questions handed off for missing knowledge, newest week first, each
    week's questions grouped by meaning, largest group first."""
    now = now or utcnow()
    since = datetime.combine(week_start(now) - timedelta(weeks=weeks - 1), datetime.min.time(), tzinfo=now.tzinfo)
    asked = _missing_knowledge_questions(organization_id, since)
    by_week: dict[date, list[_Asked]] = defaultdict(list)
    for item in asked:
        by_week[week_start(item.at)].append(item)
    return [Week(starts, group_by_meaning(items)) for starts, items in sorted(by_week.items(), reverse=True)]


def week_start(moment: datetime) -> date:
    """The Monday of the moment's week."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _missing_knowledge_questions(organization_id: int, since: datetime) -> list[_Asked]:
    rows = db.session.execute(
        select(SessionEvent, SupportSession.ticket_number)
        .join(SupportSession, SupportSession.id == SessionEvent.session_id)
        .where(
            SupportSession.organization_id == organization_id,
            SessionEvent.kind == EventKind.HANDOFF,
            SessionEvent.created_at >= since,
        )
        .order_by(SessionEvent.created_at.desc(), SessionEvent.id.desc())
        .limit(MAX_HANDOFFS)
    ).all()
    handoffs = [(event, number) for event, number in rows if (event.payload or {}).get("reason") == MISSING_KNOWLEDGE]
    if not handoffs:
        return []
    session_ids = {event.session_id for event, _ in handoffs}
    asked_in: dict[int, list[SessionEvent]] = defaultdict(list)
    for event in db.session.scalars(
        select(SessionEvent)
        .where(SessionEvent.session_id.in_(session_ids), SessionEvent.kind == EventKind.CUSTOMER_MESSAGE)
        .order_by(SessionEvent.created_at, SessionEvent.id)
    ):
        asked_in[event.session_id].append(event)
    found = []
    for handoff, number in handoffs:
        question = _question_before(asked_in[handoff.session_id], handoff)
        if question:
            found.append(_Asked(handoff.session_id, number, question, handoff.created_at))
    return found


def group_by_meaning(items: list[_Asked]) -> list[Group]:
    """Greedy clustering: each question joins the first group whose centre it is close enough
    to (:data:`SAME_QUESTION`), else starts one. A group is named by its question nearest the
    centre. Items come newest first, and a session counts once per group."""
    vectors = embeddings.embed([item.question[:EMBEDDED_CHARACTERS] for item in items])
    members: list[list[int]] = []
    sums: list[np.ndarray] = []
    for index, vector in enumerate(vectors):
        best, best_score = None, SAME_QUESTION
        for number, total in enumerate(sums):
            norm = float(np.linalg.norm(total))
            score = float(vector @ total) / norm if norm else 0.0
            if score >= best_score:
                best, best_score = number, score
        if best is None:
            members.append([index])
            sums.append(vector.astype(np.float32).copy())
        else:
            members[best].append(index)
            sums[best] += vector
    groups = []
    for indexes, total in zip(members, sums, strict=True):
        centre = vectors[indexes] @ total
        group = Group(representative=items[indexes[int(np.argmax(centre))]].question)
        for i in indexes:
            if (items[i].session_id, items[i].ticket_number) not in group.sessions:
                group.sessions.append((items[i].session_id, items[i].ticket_number))
        groups.append(group)
    groups.sort(key=lambda group: -group.count)  # stable: among equals, the newest first
    return groups
