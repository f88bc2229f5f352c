"""A handoff in words, for the note teammates read in Front and for the Inbox timeline.

The agent records codes (reason "error", sentiment "neutral"); people read each fact once, as a
sentence: an unremarkable (neutral) mood goes unsaid, and a mood the reason already names
("customer is frustrated") is not said twice.
"""

from __future__ import annotations

MOODS = {"frustrated": "Customer seems frustrated", "positive": "Customer seems happy"}
REASONS = {"error": "the AI could not answer this message"}


def reason_in_words(reason: str | None) -> str:
    reason = (reason or "").strip()
    return REASONS.get(reason.lower(), reason)


def mood_in_words(sentiment: str | None, reason: str | None = None) -> str:
    """The mood as a sentence ("Customer seems frustrated"), or "" when it adds nothing."""
    sentiment = (sentiment or "").strip().lower()
    mood = MOODS.get(sentiment, "")
    if mood and sentiment in reason_in_words(reason).lower():
        return ""
    return mood
