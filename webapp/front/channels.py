"""Which Switchboard channel a Front message belongs to, and who the customer is."""

from __future__ import annotations

from webapp.models import Channel

EMAIL_TYPES = {"email"}
PHONE_TYPES = {"call", "phone-call"}
SMS_TYPES = {"sms", "twilio", "whatsapp", "yalo_wha"}


def channel_for(message_type: str | None) -> Channel:
    """email → email; calls → phone; SMS-like → sms; chat (custom, front_chat, smooch,
    intercom) and anything unknown → web."""
    if message_type in EMAIL_TYPES:
        return Channel.EMAIL
    if message_type in PHONE_TYPES:
        return Channel.PHONE
    if message_type in SMS_TYPES:
        return Channel.SMS
    return Channel.WEB


def contact_from(message: dict) -> dict:
    """Name, email or phone of the sender, from the message's ``from`` recipient."""
    sender = (
        next((r for r in message.get("recipients") or [] if isinstance(r, dict) and r.get("role") == "from"), None)
        or {}
    )
    handle = (sender.get("handle") or "").strip()
    contact = {
        "contact_name": (sender.get("name") or "").strip()[:200] or None,
        "contact_email": None,
        "contact_phone": None,
    }
    if "@" in handle:
        contact["contact_email"] = handle[:254]
    elif handle and handle.lstrip("+").replace(" ", "").replace("-", "").isdigit():
        contact["contact_phone"] = handle[:40]
    elif handle and not contact["contact_name"]:
        contact["contact_name"] = handle[:200]
    return contact
