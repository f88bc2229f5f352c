from __future__ import annotations

from webapp.queue import RELAY_MESSAGING_EVENT, job, last_attempt
from webapp.salesforce.messaging import handoff
from webapp.salesforce.messaging.events import MessagingEvent


@job(RELAY_MESSAGING_EVENT)
def relay_messaging_event(conversation_row_id: int, event: dict) -> None:
    """An event the relay read on a Live Messaging stream (``MessagingEvent.as_job_argument``).
    The handoff acts on each entry once, so a second reading of the same event does nothing."""
    relayed = MessagingEvent.from_job_argument(event)
    try:
        handoff.relay_event(conversation_row_id, relayed)
    except Exception as exc:
        if last_attempt():
            handoff.record_relay_failure(conversation_row_id, relayed, exc)
        raise
