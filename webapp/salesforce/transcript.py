"""A session's conversation as Salesforce CaseComments.

A CaseComment's ``CommentBody`` holds at most 4,000 bytes of UTF-8, not characters (CaseComment
object reference), so a transcript is cut by bytes: on message boundaries where a message fits,
and a message larger than one comment across several, never inside a character. Everything here
is pure, so the rules are tested once, with generated text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from webapp.models import EventKind, SessionEvent

COMMENT_MAX_BYTES = 4000
SEPARATOR = "\n\n"
# A message cut across comments is cut after a space or line break when one lies this close to
# the end of the room (in bytes), so a rep reads words, not halves of them.
WORD_BREAK_WINDOW = 200

TRANSCRIPT_KINDS = (EventKind.CUSTOMER_MESSAGE, EventKind.AI_REPLY, EventKind.HUMAN_REPLY)

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def clean_text(text: str | None) -> str:
    """Text from outside made fit for a Salesforce field: no control characters but line breaks
    and tabs, no lone surrogates (they have no UTF-8 form at all)."""
    if not text:
        return ""
    text = _LONE_SURROGATE.sub("\ufffd", text)
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c) != "Cc")


def single_line(text: str | None) -> str:
    return " ".join(clean_text(text).split())


@dataclass(frozen=True)
class Segment:
    """A message, or one piece of a message too large for one comment; ``index`` is the
    message's place in what was split."""

    index: int
    text: str


def cut_at_bytes(text: str, room: int) -> str:
    """The longest start of ``text`` that fits in ``room`` bytes, ending on a whole character
    (and after a space or line break when there is one near the end). Never empty while
    ``room`` holds at least one character."""
    head = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    if len(head) == len(text):
        return head
    window = head[-WORD_BREAK_WINDOW:] if len(head) > WORD_BREAK_WINDOW else ""
    if window:
        breaks = [window.rfind(" "), window.rfind("\n")]
        at = max(breaks)
        if at > 0:
            return head[: len(head) - len(window) + at + 1]
    return head


def pack(messages: Sequence[str], limit: int = COMMENT_MAX_BYTES, separator: str = SEPARATOR) -> list[list[Segment]]:
    """Group messages into comments of at most ``limit`` bytes once joined with ``separator``.

    Greedy, in order: a message joins the current comment when it fits, else starts the next
    one. A message larger than a comment starts a comment of its own and is cut across as many
    as it needs; what follows its last piece may share that comment.
    """
    if limit < 4 + utf8_size(separator):
        raise ValueError("a comment must hold at least one character and a separator")
    comments: list[list[Segment]] = []
    current: list[Segment] = []
    used = 0
    for index, message in enumerate(messages):
        size = utf8_size(message)
        if current and used + utf8_size(separator) + size <= limit:
            current.append(Segment(index, message))
            used += utf8_size(separator) + size
            continue
        if current:
            comments.append(current)
            current, used = [], 0
        rest = message
        while utf8_size(rest) > limit:
            piece = cut_at_bytes(rest, limit)
            comments.append([Segment(index, piece)])
            rest = rest[len(piece) :]
        current, used = [Segment(index, rest)], utf8_size(rest)
    if current:
        comments.append(current)
    return comments


def split_comments(messages: Sequence[str], limit: int = COMMENT_MAX_BYTES, separator: str = SEPARATOR) -> list[str]:
    """The bodies of the comments ``messages`` go into, each at most ``limit`` bytes of UTF-8."""
    return [separator.join(segment.text for segment in comment) for comment in pack(messages, limit, separator)]


def clip_bytes(text: str, limit: int) -> str:
    """At most ``limit`` bytes of ``text``, on a character boundary."""
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def clip_chars(text: str, limit: int, ellipsis: str = "…") -> str:
    if len(text) <= limit:
        return text
    return text[: max(0, limit - len(ellipsis))] + ellipsis


# -- a session's timeline as lines --------------------------------------------------------------


@dataclass(frozen=True)
class Speakers:
    """Who said what, in the words a rep reads."""

    customer: str = "Customer"
    ai: str = "AI"
    teammate: str = "Teammate"


def timestamp(moment: datetime) -> str:
    return f"[{moment.strftime('%Y-%m-%d %H:%M')} UTC]"


def line_for(event: SessionEvent, speakers: Speakers) -> str | None:
    """``[time] Who: text`` for a message on the timeline; None for anything else."""
    if event.kind not in TRANSCRIPT_KINDS:
        return None
    payload = event.payload or {}
    text = clean_text(payload.get("text")).strip()
    if not text:
        return None
    if event.kind == EventKind.CUSTOMER_MESSAGE:
        who = speakers.customer
    elif event.kind == EventKind.AI_REPLY:
        who = speakers.ai
    else:
        who = single_line(payload.get("author")) or speakers.teammate
    return f"{timestamp(event.created_at)} {who}: {text}"


def transcript_lines(events: Iterable[SessionEvent], speakers: Speakers) -> list[str]:
    return [line for event in events if (line := line_for(event, speakers)) is not None]
