"""What happened when admins saved the app's credentials and connected, kept for the Salesforce
setup checks.

The settings page shows each failure as it happens (a form error, Salesforce's own error page in
the popup, the callback's message), but the admin may close the window and only later ask why
Salesforce is not connected. So each step is written down with its time: the credentials saved
or refused by the form; a connection started (in a popup, or in the settings window when the
browser blocked the popup); connected; refused by Salesforce (with its error code); the
Salesforce window closed without the callback ever being reached, which is how Salesforce's own
error page (``RemoteAccessErrorPage``: a Callback URL that does not match, an app not installed)
looks from here; and the saved refresh token refused later.

An attempt is named by a hash of its OAuth ``state``, never the state itself: the state is what
finishes the attempt, and this log is read by pages. The newest entries are kept in Redis for a
month. Writing is best effort: Redis being down must not stop an admin from connecting.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from redis.exceptions import RedisError

from webapp import redis_server
from webapp.models import utcnow
from webapp.salesforce.errors import remote_text

log = logging.getLogger(__name__)

LOG_KEY = "switchboard:salesforce:connect-log:{}"
KEPT_ENTRIES = 50
KEPT_FOR = timedelta(days=30)
MESSAGE_MAX = 500
# An attempt the callback never finished is over once its state has expired (oauth.STATE_TTL_SECONDS).
ATTEMPT_LIFETIME = timedelta(minutes=10)


class Step(StrEnum):
    SAVED = "saved"  # Save Credentials stored the Client ID, Secret and Login URL
    SAVE_REFUSED = "save_refused"  # the form refused what was pasted; nothing was stored
    STARTED = "started"  # Connect to Salesforce opened Salesforce's authorize page
    START_FAILED = "start_failed"  # Switchboard could not open it (credentials missing, Redis down)
    CONNECTED = "connected"
    REFUSED = "refused"  # the callback came back with an error, or the code exchange failed
    CLOSED = "closed"  # the Salesforce window closed and the callback was never reached
    REFRESH_REFUSED = "refresh_refused"  # Salesforce refused the saved refresh token: disconnected


@dataclass(frozen=True)
class Entry:
    step: str
    at: datetime
    attempt: str | None = None  # attempt_id() of the connection attempt
    mode: str | None = None  # "popup", or "window" when the browser blocked the popup
    error: str | None = None  # Salesforce's error code (invalid_client_id, redirect_uri_mismatch...)
    description: str | None = None  # Salesforce's error_description
    message: str | None = None  # what the admin was told

    @property
    def in_window(self) -> bool:
        return self.mode == "window"


@dataclass(frozen=True)
class Attempt:
    """One click on Connect to Salesforce and how it ended (``outcome`` None: not yet, or never)."""

    started: Entry
    outcome: Entry | None

    def open_at(self, now: datetime) -> bool:
        """Still waiting for the callback: started less than the attempt's lifetime ago."""
        return self.outcome is None and now - self.started.at < ATTEMPT_LIFETIME

    @property
    def failed(self) -> bool:
        return self.outcome is not None and self.outcome.step != Step.CONNECTED


def attempt_id(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()[:16]


def record(
    organization_id: int,
    step: Step,
    *,
    attempt: str | None = None,
    mode: str | None = None,
    error: str | None = None,
    description: str | None = None,
    message: str | None = None,
) -> None:
    entry = {
        "step": step.value,
        "at": utcnow().isoformat(),
        "attempt": attempt,
        "mode": mode,
        "error": remote_text(error, 64) if isinstance(error, str) and error else None,
        "description": remote_text(description, 300) if isinstance(description, str) and description else None,
        "message": remote_text(message, MESSAGE_MAX) if message else None,
    }
    key = LOG_KEY.format(organization_id)
    try:
        pipeline = redis_server.connection().pipeline()
        pipeline.lpush(key, json.dumps(entry))
        pipeline.ltrim(key, 0, KEPT_ENTRIES - 1)
        pipeline.expire(key, int(KEPT_FOR.total_seconds()))
        pipeline.execute()
    except RedisError as exc:
        log.warning("could not keep a Salesforce connection step for the setup checks: %s", exc)


def recent(organization_id: int) -> list[Entry]:
    """The kept entries, newest first (raises redis.RedisError when Redis cannot be read)."""
    raw = redis_server.connection().lrange(LOG_KEY.format(organization_id), 0, KEPT_ENTRIES - 1)
    return [entry for entry in (_entry(item) for item in raw) if entry is not None]


def _entry(raw) -> Entry | None:
    try:
        data = json.loads(raw)
        at = datetime.fromisoformat(data["at"])
        step = Step(data["step"]).value
    except (TypeError, ValueError, KeyError):
        return None  # written by another version, or damaged: not worth failing a check over
    fields = {
        name: data.get(name) if isinstance(data.get(name), str) else None
        for name in ("attempt", "mode", "error", "description", "message")
    }
    return Entry(step=step, at=at, **fields)


def attempts(entries: list[Entry]) -> list[Attempt]:
    """The connection attempts among ``entries`` (newest first), each with how it ended."""
    outcomes: dict[str, Entry] = {}
    for entry in entries:  # newest first: a callback that came after the window closed wins
        if entry.attempt and entry.step in (Step.CONNECTED, Step.REFUSED, Step.CLOSED):
            outcomes.setdefault(entry.attempt, entry)
    return [
        Attempt(entry, outcomes.get(entry.attempt or ""))
        for entry in entries
        if entry.step == Step.STARTED and entry.attempt
    ]


def latest(entries: list[Entry], *steps: Step) -> Entry | None:
    return next((entry for entry in entries if entry.step in steps), None)
