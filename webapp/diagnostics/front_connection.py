"""The Front connection checks: does Front still accept the token, and do Front's events reach
Switchboard?

Both share one client and one live list of Front's recent conversations (``ctx.cache``): the
token check reads it to prove the token may read conversations, the webhook check compares it
with the journal to find customer messages that never arrived as events. What reached the
webhook URL and was refused comes from ``webapp.front.activity``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app

from webapp.crypto import secret_hint
from webapp.diagnostics import Check, Context, Finding, Link, failing, not_set_up, ok, warning
from webapp.front import activity
from webapp.front.activity import Refusal
from webapp.front.client import FrontClient
from webapp.front.errors import FrontAuthError, FrontError, FrontForbidden
from webapp.front.events import EventGroup
from webapp.front.integration import API_TOKEN, APP_SECRET, RULE_SECRET, client_for, is_connected, webhook_url
from webapp.models import Integration
from webapp.ratelimit import Priority
from webapp.salesforce.errors import remote_text
from webapp.templating import format_datetime

PERMISSIONS = "Shared resources and Private resources (read and write)"
RECENT_CONVERSATIONS = 25  # one page of Front's most recently active conversations
# A customer message newer than this may still have its webhook on the way: it proves nothing.
ARRIVAL_GRACE = timedelta(minutes=10)
MAX_LISTED = 5  # conversations named as evidence
# Events received, over at least FRONT_WEBHOOK_SILENCE_HOURS, before a kind never seen among
# them suggests a subscription missing rather than a quiet start.
SUBSCRIPTION_EVIDENCE = 10

# The app webhook events Switchboard acts on (Front's names, as on Settings → Front), and what
# goes wrong without each.
SUBSCRIPTIONS = {
    EventGroup.INBOUND: ("inbound_received", "the AI never sees customers' messages"),
    EventGroup.OUTBOUND: ("outbound_sent", "the AI does not step back when a teammate answers"),
    EventGroup.ASSIGNMENT: ("assignee_changed", "the AI does not learn who owns a conversation"),
    EventGroup.ARCHIVED: ("conversation_archived", "archived conversations stay open in the Inbox"),
}
EVENT_NAMES = ", ".join(name for name, _ in SUBSCRIPTIONS.values())
# The first words Front uses when a plan, rather than the token, lacks API access.
PLAN_WORDS = ("plan", "upgrade", "subscription", "billing")
PERMISSION_WORDS = ("scope", "permission", "access to", "not allowed", "insufficient")


def _settings(anchor: str | None = None) -> Link:
    return Link("Settings → Front", "front.settings", anchor)


def _client(ctx: Context) -> FrontClient:
    if "front.client" not in ctx.cache:
        # One retry: an admin is waiting on the page, and the periodic run comes back anyway.
        ctx.cache["front.client"] = client_for(ctx.integration, Priority.BACKGROUND, max_retries=1)
    return ctx.cache["front.client"]


def _recent_conversations(ctx: Context) -> list[dict]:
    """Front's most recently active conversations, fetched once per run; raises FrontError (the
    same one for every check that asks)."""
    key = "front.recent_conversations"
    if key not in ctx.cache:
        try:
            ctx.cache[key] = [c for c in _client(ctx).recent_conversations(RECENT_CONVERSATIONS) if isinstance(c, dict)]
        except FrontError as exc:
            ctx.cache[key] = exc
    found = ctx.cache[key]
    if isinstance(found, FrontError):
        raise found
    return found


def _when(value: datetime) -> str:
    return format_datetime(value)


def _hours(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    return "1 hour" if hours == 1 else f"{hours} hours"


def _said(exc: FrontError) -> str:
    return f"Front said: {remote_text(exc.detail or str(exc), 300)}"


# -- the token ------------------------------------------------------------------------------


def check_token(ctx: Context) -> Finding:
    integration = ctx.integration
    if not is_connected(integration):
        return not_set_up(
            "Front is not connected: no API token is saved.",
            "Paste a Front API token in Settings → Front and press Connect.",
            _settings(),
        )
    client = _client(ctx)
    try:
        me = client.me()
    except FrontAuthError as exc:
        return failing(
            "Front rejects the saved API token (401): it is wrong, was revoked or has expired, so the AI "
            "can neither read nor answer conversations.",
            f"Create a new token in Front → Settings → Developers → API tokens with {PERMISSIONS}, "
            "then paste it in Settings → Front and press Replace token.",
            _settings(),
            [_said(exc)],
        )
    except FrontForbidden as exc:
        return _forbidden(exc, "read the company it belongs to")
    except FrontError as exc:
        return _unreachable(exc)
    try:
        conversations = _recent_conversations(ctx)
    except FrontForbidden as exc:
        return _forbidden(exc, "read conversations")
    except FrontError as exc:
        return _unreachable(exc)
    company = remote_text(me.get("name") or "your company", 200) if isinstance(me, dict) else "your company"
    return ok(
        f"Front accepts the token of {company}: it can read the company and its conversations.",
        [
            f"Token {secret_hint(integration.credential(API_TOKEN))}",
            f"Read {len(conversations)} recent conversation{'s' if len(conversations) != 1 else ''}",
        ],
    )


def _forbidden(exc: FrontForbidden, action: str) -> Finding:
    """403 covers two problems with different fixes; Front's own words tell them apart."""
    said = (exc.detail or str(exc)).lower()
    if any(word in said for word in PLAN_WORDS):
        return failing(
            "Front refuses API access to this company (403): its Front plan does not include the API.",
            "An admin in Front can check the plan in Front → Settings → Company → Billing and move to a plan "
            "with API access; nothing needs changing in Switchboard afterwards.",
            _settings(),
            [_said(exc)],
        )
    if any(word in said for word in PERMISSION_WORDS):
        return failing(
            f"The saved token is not allowed to {action} (403): it lacks a permission Switchboard needs.",
            f"In Front → Settings → Developers → API tokens, give the token {PERMISSIONS}, or create one that "
            "has them and paste it in Settings → Front with Replace token.",
            _settings(),
            [_said(exc)],
        )
    return failing(
        f"Front refused to let the saved token {action} (403): either the token lacks a permission or the "
        "company's Front plan has no API access.",
        f"Give the token {PERMISSIONS} in Front → Settings → Developers → API tokens (or paste a new token that "
        "has them in Settings → Front); if it already has them, check in Front → Settings → Company → Billing "
        "that the plan includes API access.",
        _settings(),
        [_said(exc)],
    )


def _unreachable(exc: FrontError) -> Finding:
    return warning(
        f"Front could not be asked about the token right now: {remote_text(exc, 300)}",
        "Run the checks again in a few minutes. If this stays, check that this server reaches Front's API "
        "(FRONT_API_URL) and that Front is up (status.frontapp.com).",
    )


# -- the webhook ----------------------------------------------------------------------------


def check_webhook(ctx: Context) -> Finding:
    integration = ctx.integration
    if not is_connected(integration):
        return not_set_up(
            "Front is not connected, so no webhook event is expected yet.",
            "Connect a Front API token in Settings → Front, then add the webhook URL shown there to your Front app.",
            _settings(),
        )
    url = webhook_url(integration)
    seen = activity.events(ctx.organization_id, ctx.now)
    refused = activity.refusals(ctx.organization_id, ctx.now)
    details = [f"Webhook URL: {url}", *_event_lines(seen), *_refusal_lines(refused)]

    finding = _refusal_finding(integration, seen, refused, details)
    if finding is not None:
        return finding
    finding = _silence_finding(ctx, url, seen, details)
    if finding is not None:
        return finding
    finding = _subscription_finding(ctx, seen, details)
    if finding is not None:
        return finding
    if seen.last is None:
        return ok(
            "No webhook event has arrived yet, and Front shows no customer message since Front was connected, "
            "so none is missing.",
            details,
        )
    return ok(
        f"Front's events arrive: the last, {seen.last.label}, at {_when(seen.last.last_at)}; "
        f"{seen.total_24h} in the last 24 hours.",
        details,
    )


def _event_lines(seen: activity.Events) -> list[str]:
    if seen.last is None:
        return ["No event received yet."]
    counts = ", ".join(f"{label} {count}" for label, count in seen.counts_24h())
    return [f"Last event received: {_when(seen.last.last_at)}, {seen.last.label}.", f"Last 24 hours: {counts}."]


def _refusal_lines(refused: activity.Refusals | None) -> list[str]:
    if refused is None:
        return ["Refused requests could not be counted: Redis is not reachable right now."]
    lines = [f"Refused in the last 24 hours: {refused.total}."]
    lines += [f"{count} × {reason.explanation}" for reason, count in refused.by_count()]
    if refused.latest:
        latest = refused.latest
        lines.append(f"Last refusal: {_when(latest.at)}, {latest.reason.explanation} (answered {latest.status}).")
    return lines


def _refused_since_last_event(
    refused: activity.Refusals | None, seen: activity.Events, reason: Refusal
) -> activity.RefusalRecord | None:
    """The last refusal for ``reason`` if nothing was accepted after it (within the day): then
    Front's events are still being turned away, rather than turned away once and fixed since."""
    if refused is None or not refused.counts.get(reason):
        return None
    record = refused.last.get(reason)
    if record is None or (seen.last is not None and seen.last.last_at >= record.at):
        return None
    return record


def _refusal_finding(
    integration: Integration, seen: activity.Events, refused: activity.Refusals | None, details: list[str]
) -> Finding | None:
    """Requests Front sent that Switchboard turned away, and still turns away."""
    has_app_secret = bool(integration.credential(APP_SECRET))
    if not (has_app_secret or integration.credential(RULE_SECRET)):
        return failing(
            "No app secret is saved, so Switchboard refuses every webhook: it cannot tell Front's requests "
            "from anyone else's.",
            "Copy the app secret from Front → Settings → Developers → your app → Basic information into "
            "Settings → Front → App secret and save it.",
            _settings("app-secret"),
            details,
        )
    for reason in (Refusal.SIGNATURE_MISMATCH, Refusal.NO_SECRET):
        record = _refused_since_last_event(refused, seen, reason)
        if record is None or (reason == Refusal.NO_SECRET and has_app_secret):
            continue
        count = refused.counts[reason]
        what = (
            "the signature did not match: the app secret saved here is wrong, not the one Front signs with"
            if reason == Refusal.SIGNATURE_MISMATCH
            else "no app secret is saved here, only the API secret for rule webhooks"
        )
        return failing(
            f"Front's webhooks are refused because {what}. {count} request{'s' if count != 1 else ''} refused "
            f"in the last 24 hours, the last at {_when(record.at)}, and no event accepted since.",
            "Copy the app secret from Front → Settings → Developers → your app → Basic information into "
            "Settings → Front → App secret and save it. (Webhooks sent by Front rules are signed with the company "
            "API secret instead: save that one under Rule webhooks.)",
            _settings("app-secret"),
            details,
        )
    record = _refused_since_last_event(refused, seen, Refusal.STALE_TIMESTAMP)
    if record is not None:
        count = refused.counts[Refusal.STALE_TIMESTAMP]
        return failing(
            f"Front's webhooks are refused as stale: their timestamp was more than 5 minutes off this server's "
            f"clock. {count} refused in the last 24 hours, the last at {_when(record.at)}, and no event accepted "
            "since.",
            "Set this server's clock right (turn on time synchronisation, NTP): Switchboard compares every "
            "webhook's timestamp with it to refuse replayed requests.",
            None,
            details,
        )
    for reason, fix in (
        (
            Refusal.SIGNATURE_MISSING,
            "Only Front should call the webhook URL. If something else posts to it, make a new webhook URL in "
            "Settings → Front and give it to Front only.",
        ),
        (
            Refusal.MALFORMED,
            "If these come from Front, send them from a Front app webhook or a rule's “Send a webhook” action, "
            "which send Front's own events, not a custom body.",
        ),
        (
            Refusal.TOO_LARGE,
            "If Front's events are this large, raise FRONT_WEBHOOK_MAX_BYTES and restart Switchboard.",
        ),
    ):
        record = _refused_since_last_event(refused, seen, reason)
        if record is not None:
            count = refused.counts[reason]
            return warning(
                f"Requests to the webhook URL are refused: {reason.explanation}. {count} in the last 24 hours, "
                f"the last at {_when(record.at)}, and no event accepted since.",
                fix,
                _settings("webhook"),
                details,
            )
    return None


def _silence_finding(ctx: Context, url: str, seen: activity.Events, details: list[str]) -> Finding | None:
    """Customer messages Front has that never arrived as events: the webhook is missing, stopped,
    or not subscribed to inbound messages. Front is asked only when events have gone quiet."""
    integration = ctx.integration
    connected_at = integration.created_at
    silence = timedelta(hours=current_app.config["FRONT_WEBHOOK_SILENCE_HOURS"])
    last_inbound = seen.last_at(EventGroup.INBOUND)
    if last_inbound is not None and ctx.now - last_inbound < silence:
        return None
    since = last_inbound or connected_at
    try:
        written = _customer_messages_since(ctx, since)
    except FrontError as exc:
        if seen.last is not None and ctx.now - seen.last.last_at < silence:
            return None  # events are arriving; only inbound ones are quiet, which a quiet inbox explains
        return warning(
            "No webhook event has arrived "
            + (f"for {_hours(ctx.now - seen.last.last_at)}" if seen.last else "since Front was connected")
            + f", and Front could not be asked whether customers wrote meanwhile: {remote_text(exc, 300)}",
            "Run the checks again once the Front token check above passes.",
            _settings(),
            details,
        )
    if not written:
        return None
    newest = max(at for _, at in written)
    evidence = [
        f"Front: a customer wrote in {cid} at {_when(at)}"
        for cid, at in sorted(written, key=lambda item: item[1], reverse=True)[:MAX_LISTED]
    ]
    front_says = (
        f"Front has {len(written)} conversation{'s' if len(written) != 1 else ''} where a customer wrote since "
        f"{_when(since)}, the newest at {_when(newest)}"
    )
    fix = (
        f"In Front → Settings → Developers → your app → Webhooks, set the webhook URL to exactly {url} and tick "
        f"the events {EVENT_NAMES}. Front must reach this server at that address (PUBLIC_URL)."
    )
    if seen.last is None or seen.last.last_at < connected_at:
        found = f"No webhook event has reached Switchboard since Front was connected ({_when(connected_at)}). "
    elif last_inbound is None:
        found = (
            f"Front's events arrive (the last, {seen.last.label}, at {_when(seen.last.last_at)}) but never a "
            "customer message: the webhook is not subscribed to inbound_received. "
        )
        fix = f"In Front → Settings → Developers → your app → Webhooks, tick inbound_received. {fix}"
    elif ctx.now - seen.last.last_at >= silence:
        found = (
            f"No webhook event has reached Switchboard for {_hours(ctx.now - seen.last.last_at)} (the last, "
            f"{seen.last.label}, at {_when(seen.last.last_at)}). "
        )
    else:
        found = (
            f"Other events arrive, but no customer message for {_hours(ctx.now - last_inbound)} (the last at "
            f"{_when(last_inbound)}): inbound_received may have been unticked. "
        )
        fix = f"In Front → Settings → Developers → your app → Webhooks, tick inbound_received. {fix}"
    return failing(
        f"{found}{front_says}: Switchboard never heard of them.", fix, _settings("webhook"), details + evidence
    )


def _customer_messages_since(ctx: Context, since: datetime) -> list[tuple[str, datetime]]:
    """(conversation id, when a customer wrote) for conversations where a customer wrote after
    ``since`` (and long enough ago for its webhook to have arrived). Front's ``waiting_since`` (the
    oldest unanswered message) says so without another call; when no conversation shows it, the
    messages of the most recently active one are read (one more call)."""
    low, high = since.timestamp(), (ctx.now - ARRIVAL_GRACE).timestamp()
    if high <= low:
        return []
    active = [
        c
        for c in _recent_conversations(ctx)
        if c.get("type", "conversation") == "conversation" and (_number(c.get("updated_at")) or 0) > low
    ]
    written = []
    for conversation in active:
        waiting = _number(conversation.get("waiting_since"))
        if waiting is not None and low < waiting <= high:
            written.append((_conversation_id(conversation), _datetime(waiting)))
    if written or not active:
        return written
    newest = max(active, key=lambda c: _number(c.get("updated_at")) or 0)
    if not isinstance(newest.get("id"), str):
        return []
    messages = _client(ctx).recent_messages(newest["id"])
    times = [
        at
        for message in messages
        if isinstance(message, dict) and message.get("is_inbound") is True
        for at in [_number(message.get("created_at"))]
        if at is not None and low < at <= high
    ]
    return [(_conversation_id(newest), _datetime(max(times)))] if times else []


def _number(value) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if 0 <= value < 1e11 else None  # epoch seconds; anything else is not a time


def _datetime(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _conversation_id(conversation: dict) -> str:
    return remote_text(conversation.get("id") or "a conversation", 64)


def _subscription_finding(ctx: Context, seen: activity.Events, details: list[str]) -> Finding | None:
    """Kinds of events never seen while others were: most likely an event not ticked in Front.
    Only said once enough events have flowed for a while, so a quiet start is not taken for one."""
    silence = timedelta(hours=current_app.config["FRONT_WEBHOOK_SILENCE_HOURS"])
    if seen.first_at is None or ctx.now - seen.first_at < silence or seen.total < SUBSCRIPTION_EVIDENCE:
        return None
    missing = [group for group in SUBSCRIPTIONS if not seen.seen(group)]
    if not missing:
        return None
    names = " and ".join(", ".join(SUBSCRIPTIONS[g][0] for g in missing).rsplit(", ", 1))
    effects = "; ".join(SUBSCRIPTIONS[g][1] for g in missing)
    it = "it" if len(missing) == 1 else "them"
    return warning(
        f"Since {_when(seen.first_at)}, {seen.total} events arrived but no {names} event: the webhook is probably "
        f"not subscribed to {it}. Without {it}, {effects}.",
        f"In Front → Settings → Developers → your app → Webhooks, tick {names}.",
        _settings("webhook"),
        details,
    )


CONNECTION_CHECKS: tuple[Check, ...] = (
    Check(
        "front_token",
        "Front accepts the API token",
        "The AI stops answering; Connect says the token is invalid, lacks a permission or the plan has no API access.",
        check_token,
    ),
    Check(
        "front_webhook",
        "Front's webhook events reach Switchboard",
        "Customers write in Front and nothing happens: no answer, nothing in the Inbox.",
        check_webhook,
    ),
)
