from datetime import timedelta

from webapp.db import db
from webapp.models import Channel, EventKind, SessionStatus, utcnow


def test_the_empty_inbox_says_how_to_start(client, logged_in_owner):
    page = client.get("/inbox").get_data(as_text=True)
    assert "No conversations yet" in page
    assert "/settings/ticketing/front" in page


def test_sessions_are_listed_newest_activity_first(client, world, logged_in_owner):
    organization = logged_in_owner.organization
    older = world.session(organization, subject="Older question")
    newer = world.session(organization, subject="Newer question")
    older.last_activity_at = utcnow() - timedelta(hours=2)
    db.session.commit()

    page = client.get("/inbox").get_data(as_text=True)
    assert page.index("Newer question") < page.index("Older question")
    assert f"#{newer.ticket_number}" in page


def test_ticket_numbers_count_per_organization(world):
    first, second = world.organization("First"), world.organization("Second")
    assert [world.session(first).ticket_number for _ in range(3)] == [1, 2, 3]
    assert world.session(second).ticket_number == 1


def test_filter_by_status_and_channel(client, world, logged_in_owner):
    organization = logged_in_owner.organization
    world.session(organization, channel=Channel.EMAIL, status=SessionStatus.AI, subject="email-ai")
    world.session(organization, channel=Channel.SMS, status=SessionStatus.HANDED_OFF, subject="sms-handed")
    world.session(organization, channel=Channel.EMAIL, status=SessionStatus.RESOLVED, subject="email-resolved")

    page = client.get("/inbox?status=handed_off").get_data(as_text=True)
    assert "sms-handed" in page and "email-ai" not in page and "email-resolved" not in page
    page = client.get("/inbox?channel=email").get_data(as_text=True)
    assert "email-ai" in page and "email-resolved" in page and "sms-handed" not in page
    page = client.get("/inbox?channel=email&status=resolved").get_data(as_text=True)
    assert "email-resolved" in page and "email-ai" not in page
    page = client.get("/inbox?channel=phone").get_data(as_text=True)
    assert "No sessions match these filters" in page


def test_unknown_filter_values_are_ignored_not_an_error(client, world, logged_in_owner):
    world.session(logged_in_owner.organization, subject="still shown")
    response = client.get("/inbox?status=bogus&channel=%00&page=abc")
    assert response.status_code == 200
    assert "still shown" in response.get_data(as_text=True)
    assert "Page 1 of 1 · 1 session<" in response.get_data(as_text=True)


def test_pagination_keeps_the_filters(app, client, world, logged_in_owner):
    app.config["INBOX_PAGE_SIZE"] = 2
    for n in range(5):
        world.session(logged_in_owner.organization, channel=Channel.WEB, subject=f"web-{n}")
    world.session(logged_in_owner.organization, channel=Channel.EMAIL, subject="an email")

    first = client.get("/inbox?channel=web").get_data(as_text=True)
    assert "Page 1 of 3 · 5 sessions" in first
    assert "page=2" in first and "channel=web" in first
    third = client.get("/inbox?channel=web&page=3").get_data(as_text=True)
    assert "Page 3 of 3" in third and "Older →" not in third


def test_another_organizations_sessions_are_invisible(client, world, logged_in_owner):
    other = world.organization("Other Co")
    theirs = world.session(other, subject="their secret")
    assert "their secret" not in client.get("/inbox").get_data(as_text=True)
    assert client.get(f"/inbox/{theirs.id}").status_code == 404


def test_the_timeline_shows_every_kind_of_decision(client, world, logged_in_owner):
    support_session = world.session(
        logged_in_owner.organization, contact_name="Grace", contact_email="grace@example.com"
    )
    support_session.record(EventKind.CUSTOMER_MESSAGE, text="My invoice is wrong", author="Grace")
    support_session.record(EventKind.AI_REASONING, text="The billing article covers refunds.", decision="reply")
    support_session.record(
        EventKind.TOOL_CALL, name="search_knowledge", input={"query": "invoice"}, output={"hits": 1}, duration_ms=12
    )
    support_session.record(
        EventKind.AI_REPLY,
        text="Here is how refunds work.",
        sources=[{"title": "Refunds", "url": "https://help.example.com/refunds"}],
    )
    support_session.record(EventKind.SKIP, reason="assigned to another teammate", detail="Assigned to Bob")
    support_session.record(
        EventKind.HANDOFF, reason="customer asked for a human", summary="Wants a refund", sentiment="frustrated"
    )
    support_session.record(EventKind.ERROR, message="Front answered 503 after 3 retries")
    db.session.commit()

    page = client.get(f"/inbox/{support_session.id}").get_data(as_text=True)
    for expected in (
        "Grace &lt;grace@example.com&gt;",
        "My invoice is wrong",
        "The billing article covers refunds.",
        "search_knowledge",
        "&#34;query&#34;: &#34;invoice&#34;",
        "12 ms",
        'href="https://help.example.com/refunds"',
        "assigned to another teammate",
        "customer asked for a human",
        "frustrated",
        "Front answered 503 after 3 retries",
    ):
        assert expected in page, expected


def test_customer_text_is_escaped_everywhere(client, world, logged_in_owner):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    support_session = world.session(logged_in_owner.organization, subject=attack, contact_name=attack)
    support_session.record(EventKind.CUSTOMER_MESSAGE, text=attack, author=attack)
    support_session.record(EventKind.AI_REPLY, text="ok", sources=[{"title": attack, "url": "javascript:alert(1)"}])
    support_session.record(EventKind.ASSIGNMENT, message=attack, assignee=attack)
    db.session.commit()

    for path in ("/inbox", f"/inbox/{support_session.id}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page
        assert "<img src=x" not in page
        assert 'href="javascript:' not in page
        assert "&lt;script&gt;" in page


def test_a_page_number_past_any_integer_is_the_last_page_not_an_error(client, world, logged_in_owner):
    world.session(logged_in_owner.organization, subject="still shown")
    for page in ("99999999999999999999", "9223372036854775808", "2147483648", "-99999999999999999999", "0"):
        response = client.get(f"/inbox?page={page}")
        assert response.status_code == 200, page
        assert "still shown" in response.get_data(as_text=True), page


def test_a_session_id_past_the_database_integers_is_not_found(client, world, logged_in_owner):
    world.session(logged_in_owner.organization)
    for session_id in ("99999999999999999999", "9223372036854775808", "2147483648", "0", "1" * 5000):
        assert client.get(f"/inbox/{session_id}").status_code == 404, session_id


def test_control_characters_in_the_inbox_filters_are_ignored(client, world, logged_in_owner):
    world.session(logged_in_owner.organization, channel=Channel.SMS, subject="an sms")
    world.session(logged_in_owner.organization, channel=Channel.EMAIL, subject="an email")
    page = client.get("/inbox?channel=sms%00&status=%01%1b").get_data(as_text=True)
    assert "an sms" in page and "an email" not in page
