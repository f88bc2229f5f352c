"""The Inbox's search box: one conversation found by whatever id or address an admin was handed."""

import pytest

from webapp.db import db
from webapp.inbox import search
from webapp.inbox.search import SearchTerm, TermKind, UnrecognisedSearch
from webapp.models import Channel, EventKind, SessionStatus

CASE_ID = "500SB0000000001AAA"
MIAW_ID = "0f8c3a52-5b1e-4c8e-9a7e-3f6f2f0f9d11"


def _inbox(client, **args) -> str:
    response = client.get("/inbox", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def sessions(world, logged_in_owner):
    """A few sessions, each with one kind of id, and one decoy each id must not find."""
    organization = logged_in_owner.organization
    front = world.session(organization, subject="front-one", front_conversation_id="cnv_abc123")
    world.session(organization, subject="decoy", front_conversation_id="cnv_abc1234")
    case = world.session(
        organization,
        subject="case-one",
        status=SessionStatus.HANDED_OFF,
        salesforce_case_id=CASE_ID,
        salesforce_case_number="00001001",
    )
    miaw = world.session(organization, subject="miaw-one", channel=Channel.WEB, miaw_conversation_id=MIAW_ID)
    contact = world.session(organization, subject="email-one", contact_email="Grace.Hopper@Example.com")
    front.record(EventKind.CUSTOMER_MESSAGE, text="Hi", message_id="msg_cust1")
    front.record(EventKind.AI_REPLY, text="Hello", front_message_id="msg_reply1")
    db.session.commit()
    return {"front": front, "case": case, "miaw": miaw, "contact": contact}


def _found(page: str) -> set[str]:
    return {name for name in ("front-one", "decoy", "case-one", "miaw-one", "email-one") if name in page}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("cnv_abc123", {"front-one"}),
        ("  cnv_abc123  ", {"front-one"}),
        ("https://app.frontapp.com/open/cnv_abc123", {"front-one"}),
        ("https://app.frontapp.com/inboxes/teammates/42/inbox/unassigned/0/cnv_abc123?x=1", {"front-one"}),
        ("msg_cust1", {"front-one"}),
        ("msg_reply1", {"front-one"}),
        ("https://app.frontapp.com/open/msg_cust1", {"front-one"}),
        (CASE_ID, {"case-one"}),
        (CASE_ID[:15], {"case-one"}),
        ("00001001", {"case-one"}),
        ("1001", {"case-one"}),
        (MIAW_ID.upper(), {"miaw-one"}),
        ("grace.hopper@example.com", {"email-one"}),
        ("GRACE.HOPPER@EXAMPLE.COM", {"email-one"}),
        ("Grace Hopper <grace.hopper@example.com>", {"email-one"}),
    ],
)
def test_each_kind_of_id_finds_its_session_and_only_it(client, sessions, typed, found):
    page = _inbox(client, q=typed)
    assert _found(page) == found, typed
    assert "Showing the sessions of" in page


def test_a_session_number_with_or_without_a_hash(client, sessions):
    number = sessions["miaw"].ticket_number
    assert _found(_inbox(client, q=f"#{number}")) == {"miaw-one"}
    assert _found(_inbox(client, q=str(number))) == {"miaw-one"}
    assert "session #" + str(number) in _inbox(client, q=f"# {number}")


def test_search_keeps_working_with_the_filters_and_pagination(app, client, world, logged_in_owner):
    app.config["INBOX_PAGE_SIZE"] = 2
    for n in range(5):
        world.session(logged_in_owner.organization, subject=f"grace-{n}", contact_email="grace@example.com")
    world.session(logged_in_owner.organization, subject="someone-else", contact_email="ada@example.com")
    world.session(
        logged_in_owner.organization,
        subject="grace-resolved",
        contact_email="grace@example.com",
        status=SessionStatus.RESOLVED,
    )

    first = _inbox(client, q="grace@example.com", status="ai")
    assert "Page 1 of 3 · 5 sessions" in first and "someone-else" not in first and "grace-resolved" not in first
    assert 'value="grace@example.com"' in first
    assert "page=2&amp;status=ai&amp;q=grace@example.com" in first  # the next page keeps both
    third = _inbox(client, q="grace@example.com", status="ai", page="3")
    assert "Page 3 of 3" in third and "someone-else" not in third
    assert "grace-resolved" in _inbox(client, q="grace@example.com", status="resolved")


def test_a_search_that_finds_nothing_says_what_it_looked_for(client, sessions):
    page = _inbox(client, q="someone@example.com")
    assert "No session found for the contact email someone@example.com" in page
    assert 'href="/inbox"' in page  # clear it


def test_a_front_conversation_with_no_session_links_to_why_the_ai_did_not_answer(client, sessions):
    page = _inbox(client, q="https://app.frontapp.com/open/cnv_nosession")
    assert "No session found for the Front conversation cnv_nosession" in page
    assert 'href="/inbox/why?conversation=cnv_nosession"' in page


def test_with_a_filter_on_the_empty_result_offers_to_search_everything(client, sessions):
    page = _inbox(client, q="cnv_abc123", status="resolved")
    assert "No session found for the Front conversation cnv_abc123" in page
    assert 'href="/inbox?q=cnv_abc123"' in page


def test_text_that_is_no_kind_of_id_gets_a_clear_error_and_no_list(client, sessions):
    page = _inbox(client, q="refund please")
    assert "is not something the Inbox can look up" in page and "Search by a Front conversation id" in page
    assert _found(page) == set()
    assert 'value="refund please"' in page  # what was typed is kept, to correct it
    link = _inbox(client, q="https://example.com/cnv_abc123")
    assert "That link is not a Front conversation link" in link and _found(link) == set()


def test_another_organizations_sessions_are_never_found(client, world, sessions):
    other = world.organization("Other Co")
    world.session(other, subject="theirs", front_conversation_id="cnv_theirs", contact_email="x@theirs.test")
    assert "theirs" not in _inbox(client, q="cnv_theirs").replace("cnv_theirs", "")
    assert "No session found" in _inbox(client, q="x@theirs.test")


@pytest.mark.parametrize(
    "typed",
    [
        "#99999999999999999999",
        "9" * 5000,
        "%",
        "_",
        "cnv_%",
        "msg_\x00",
        "' OR 1=1 --",
        "a@b%",
        "%@%",
        "#" + "1" * 30,
        "http://[",
        "https://app.frontapp.com/open/",
    ],
)
def test_hostile_searches_are_answered_not_an_error(client, sessions, typed):
    page = _inbox(client, q=typed)
    assert _found(page) == set()  # a wildcard is a character, never a pattern
    assert "Traceback" not in page


def test_a_search_of_control_characters_only_is_no_search(client, sessions):
    assert len(_found(_inbox(client, q="\x00\x1b"))) == 5


def test_members_may_search_too_but_get_no_why_link(client, auth, world, owner):
    from webapp.models import Role

    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    world.session(owner.organization, subject="found", front_conversation_id="cnv_1")
    auth.login("member@example.com")
    assert "found" in _inbox(client, q="cnv_1")
    assert "/inbox/why" not in _inbox(client, q="cnv_2")


@pytest.mark.parametrize(
    ("typed", "term"),
    [
        ("cnv_1", SearchTerm(TermKind.FRONT_CONVERSATION, "cnv_1")),
        ("https://app.frontapp.com/open/cnv_1", SearchTerm(TermKind.FRONT_CONVERSATION, "cnv_1")),
        ("https://APP.FRONTAPP.COM/open/msg_2/cnv_1", SearchTerm(TermKind.FRONT_CONVERSATION, "cnv_1")),
        ("https://app.frontapp.com/open/msg_2", SearchTerm(TermKind.FRONT_MESSAGE, "msg_2")),
        ("#12", SearchTerm(TermKind.SESSION_NUMBER, "12")),
        ("12", SearchTerm(TermKind.NUMBER, "12")),
        (CASE_ID, SearchTerm(TermKind.SALESFORCE_CASE_ID, CASE_ID)),
        (MIAW_ID.upper(), SearchTerm(TermKind.MIAW_CONVERSATION, MIAW_ID)),
        ("A@B.test", SearchTerm(TermKind.EMAIL, "a@b.test")),
        ("", None),
        ("   ", None),
    ],
)
def test_what_is_typed_is_recognised(typed, term):
    assert search.parse(typed) == term


@pytest.mark.parametrize("typed", ["hello", "cnv_", "https://evil.example/open/cnv_1", "https://app.frontapp.com/"])
def test_what_is_not_recognised_says_what_can_be_searched(typed):
    with pytest.raises(UnrecognisedSearch, match="Search by a Front conversation id"):
        search.parse(typed)
