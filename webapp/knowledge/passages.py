"""Articles cut into passages: what semantic retrieval compares a question with, and what an
answer quotes.

A passage is a paragraph; a long paragraph is cut at sentence boundaries into pieces of about
60 to 80 words, because a sentence embedding averages its words and a long text drifts towards
"about everything". A short line (a heading, a one-word list item) joins the paragraph after it,
since alone it says too little to match on. The title is passage 0.
"""

from __future__ import annotations

import hashlib
import re

TARGET_WORDS = 70  # a cut is made at the first sentence end past this many words
MAX_WORDS = 90  # above this a paragraph is cut, even mid-sentence if it has no sentence end
SHORT_WORDS = 6  # a line this short joins the next paragraph

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")


def content_hash(title: str, body: str) -> str:
    """What an article's passages were built from: a change re-embeds them, nothing else does."""
    return hashlib.sha256(f"{title}\n\x00\n{body}".encode()).hexdigest()


def split(title: str, body: str) -> list[str]:
    """The article's passages in order: its title first, then its paragraphs (never empty)."""
    return [" ".join(title.split())] + paragraphs(body)


def paragraphs(body: str) -> list[str]:
    pieces: list[str] = []
    pending = ""  # short lines waiting to join the next paragraph
    for block in _PARAGRAPH_BREAK.split(body or ""):
        text = " ".join(block.split())
        if not text:
            continue
        if len(text.split()) <= SHORT_WORDS:
            pending = f"{pending} {text}".strip()
            continue
        pieces.extend(_cut(f"{pending} {text}".strip()))
        pending = ""
    if pending:
        if pieces and len(pieces[-1].split()) + len(pending.split()) <= MAX_WORDS:
            pieces[-1] = f"{pieces[-1]} {pending}"
        else:
            pieces.append(pending)
    return pieces


def _cut(paragraph: str) -> list[str]:
    """A paragraph in pieces of about :data:`TARGET_WORDS` words, cut after a sentence."""
    if len(paragraph.split()) <= MAX_WORDS:
        return [paragraph]
    pieces, current, count = [], [], 0
    for sentence in _SENTENCE_END.split(paragraph):
        words = sentence.split()
        while len(words) > MAX_WORDS:  # a "sentence" with no end in sight: cut it by words
            if current:
                pieces.append(" ".join(current))
                current, count = [], 0
            pieces.append(" ".join(words[:TARGET_WORDS]))
            words = words[TARGET_WORDS:]
        if current and count + len(words) > MAX_WORDS:
            pieces.append(" ".join(current))
            current, count = [], 0
        current.append(" ".join(words))
        count += len(words)
        if count >= TARGET_WORDS:
            pieces.append(" ".join(current))
            current, count = [], 0
    if current:
        tail = " ".join(current)
        if pieces and count < SHORT_WORDS * 2 and len(pieces[-1].split()) + count <= MAX_WORDS + SHORT_WORDS * 2:
            pieces[-1] = f"{pieces[-1]} {tail}"
        else:
            pieces.append(tail)
    return pieces
