"""An archive the AI skipped, as the Inbox timeline shows it after a real run."""

from tests.front.conftest import AI, HUMAN
from tests.inbox.test_timeline_wording import _timeline, _visible_text
from webapp.agent import Resolve
from webapp.db import db
from webapp.models import SupportSession


def test_the_archive_skipped_event_names_the_teammate(deliver, fake_front, process, agent_decides, client, auth):
    agent_decides(Resolve())
    fake_front.add_conversation("cnv_1", assignee=AI)
    fake_front.taken_by("cnv_1", HUMAN, after_reads=1)
    deliver(fake_front.event(fake_front.add_message("cnv_1", "That solved it, thanks")))
    process()
    auth.login("owner@example.com")
    support_session = db.session.query(SupportSession).one()
    timeline = _timeline(client, support_session)
    text = _visible_text(timeline)
    assert "Archive skipped: a teammate, Bob Builder, took the conversation." in text
    assert "msg_" not in text and 'title="After Front message msg_' in timeline
