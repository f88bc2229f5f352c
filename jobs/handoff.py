from __future__ import annotations

from rq import get_current_job

from webapp.inbox import handoff
from webapp.queue import HAND_OFF_SESSION, job, last_attempt
from webapp.session_failures import record_final_failure


@job(HAND_OFF_SESSION)
def hand_off_session(session_id: int, destination_key: str, admin_name: str, request_id: str) -> None:
    """An admin's handoff from the Inbox. A retry looks for what an earlier try sent before
    sending it again."""
    current = get_current_job()
    retried = current is not None and current.retries_left is not None and current.retries_left < _max_retries()
    try:
        handoff.hand_off_session(session_id, destination_key, admin_name, request_id, retrying=retried)
    except Exception as exc:
        if last_attempt():
            what = f"The handoff from the Inbox by {admin_name} failed after its retries."
            record_final_failure(session_id, what, exc)
        raise


def _max_retries() -> int:
    return HAND_OFF_SESSION.retry.max if HAND_OFF_SESSION.retry else 0
