"""Handoff and archive entries on the Inbox timeline read as sentences, without raw ids."""

import re

from webapp.db import db
from webapp.models import EventKind


def _timeline(client, support_session) -> str:
    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    return page.split('class="timeline"', 1)[1]


def _visible_text(html: str) -> str:
    """What a reader sees: the text between tags, not attribute values such as title."""
    return " ".join(re.sub(r"<[^>]*>", " ", html).split())


def test_archive_events_say_what_happened_in_words_and_keep_message_ids_out_of_sight(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization, front_conversation_id="cnv_1")
    support_session.record(
        EventKind.ARCHIVE, message="Archived in Front: the customer confirmed it is solved.", message_id="msg_abc123"
    )
    support_session.record(
        EventKind.ARCHIVE_SKIPPED,
        reason="Archive skipped: a teammate, Bob Builder, took the conversation.",
        teammate="Bob Builder",
        message_id="msg_def456",
    )
    support_session.record(EventKind.ARCHIVE_SKIPPED, reason="archive skipped: reassigned to Sam", message_id="msg_old")
    db.session.commit()

    timeline = _timeline(client, support_session)
    text = _visible_text(timeline)
    assert "Archived in Front: the customer confirmed it is solved." in text
    assert "Archive skipped: a teammate, Bob Builder, took the conversation." in text
    assert "Archive skipped: reassigned to Sam" in text  # recorded before the wording changed
    assert "msg_" not in text and "message_id" not in text
    assert 'title="After Front message msg_abc123"' in timeline  # still there for whoever needs it


def test_a_handoff_after_an_error_reads_in_words_without_a_neutral_chip(client, world, logged_in_owner):
    support_session = world.session(logged_in_owner.organization)
    support_session.record(
        EventKind.HANDOFF,
        reason="error",
        summary="The AI could not answer; a teammate should reply.",
        sentiment="neutral",
        destination="Front teammates",
    )
    support_session.record(
        EventKind.HANDOFF, reason="customer asked for a human", summary="Wants a refund", sentiment="frustrated"
    )
    db.session.commit()

    text = _visible_text(_timeline(client, support_session))
    assert "Handed off to Front teammates: the AI could not answer this message" in text
    assert "neutral" not in text and "error" not in text.lower()
    assert "customer asked for a human Customer seems frustrated" in text
