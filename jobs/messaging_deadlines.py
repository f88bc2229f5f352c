from __future__ import annotations

from webapp.queue import FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS, job
from webapp.salesforce.messaging import handoff


@job(FALL_BACK_UNANSWERED_LIVE_CONVERSATIONS)
def fall_back_unanswered() -> None:
    """Live Messaging conversations no rep answered within the wait set: Front teammates take them."""
    handoff.fall_back_unanswered()
