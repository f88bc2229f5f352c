"""Transcripts cut into CaseComments: at most 4,000 bytes of UTF-8 each, on message boundaries
where a message fits, never inside a character, nothing lost and nothing reordered."""

from datetime import UTC, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from webapp.models import EventKind, SessionEvent
from webapp.salesforce.transcript import (
    COMMENT_MAX_BYTES,
    SEPARATOR,
    Speakers,
    clean_text,
    clip_bytes,
    cut_at_bytes,
    pack,
    split_comments,
    transcript_lines,
    utf8_size,
)

# Text whose characters take 1, 2, 3 and 4 bytes in UTF-8, spaces and line breaks included.
WIDE = st.sampled_from(["a", " ", "\n", "é", "ß", "€", "漢", "😀", "👩‍👩‍👧"])
messages_strategy = st.lists(
    st.one_of(
        st.lists(WIDE, max_size=300).map("".join),
        # Large ones, up to several comments' worth, cheaply: a random run repeated.
        st.tuples(st.lists(WIDE, min_size=1, max_size=30).map("".join), st.integers(1, 400)).map(
            lambda run: run[0] * run[1]
        ),
        st.text(max_size=200),
    ),
    max_size=25,
)


def _check_packing(messages, limit):
    comments = pack(messages, limit)
    bodies = split_comments(messages, limit)
    assert len(bodies) == len(comments)
    for body in bodies:
        assert utf8_size(body) <= limit
        body.encode("utf-8")  # whole characters only
    # Nothing lost, nothing reordered: each message is its segments, in order.
    flat = [segment for comment in comments for segment in comment]
    assert [s.index for s in flat] == sorted(s.index for s in flat)
    rebuilt = {}
    for segment in flat:
        rebuilt[segment.index] = rebuilt.get(segment.index, "") + segment.text
    assert [rebuilt.get(i, "") for i in range(len(messages))] == list(messages)
    # A message that fits in a comment is never cut.
    pieces = {}
    for segment in flat:
        pieces[segment.index] = pieces.get(segment.index, 0) + 1
    for index, message in enumerate(messages):
        if utf8_size(message) <= limit:
            assert pieces[index] == 1
    # Greedy: the next comment's first message would not have fitted in the one before.
    for before, after in zip(comments, comments[1:], strict=False):
        joined = SEPARATOR.join(s.text for s in before)
        first = after[0]
        if pieces[first.index] == 1 and before[-1].index != first.index:
            assert utf8_size(joined) + utf8_size(SEPARATOR) + utf8_size(first.text) > limit


@settings(max_examples=300, deadline=None)
@given(messages_strategy)
@example(["x" * COMMENT_MAX_BYTES])
@example(["é" * (COMMENT_MAX_BYTES // 2)])
@example(["😀" * (COMMENT_MAX_BYTES // 4), "a"])
@example(["a" * (COMMENT_MAX_BYTES - 3), "b"])
@example(["a" * (COMMENT_MAX_BYTES - 3), ""])
@example(["€" * 1334])  # 4,002 bytes: one character too many
def test_comments_hold_at_most_4000_bytes_and_lose_nothing(messages):
    _check_packing(messages, COMMENT_MAX_BYTES)


@settings(max_examples=300, deadline=None)
@given(messages_strategy, st.integers(min_value=6, max_value=64))
def test_small_limits_hold_too(messages, limit):
    _check_packing(messages, limit)


def test_a_message_of_exactly_4000_bytes_is_one_comment():
    message = "€" * 1333 + "a"  # 3,999 + 1 bytes
    assert utf8_size(message) == COMMENT_MAX_BYTES
    assert split_comments([message]) == [message]
    assert split_comments([message, "next"]) == [message, "next"]


def test_messages_share_a_comment_until_the_next_one_would_not_fit():
    first, second, third = "a" * 1000, "b" * 1000, "c" * 2000
    assert split_comments([first, second, third]) == [f"{first}\n\n{second}", third]


def test_a_huge_message_is_cut_at_character_boundaries_under_the_limit():
    message = "😀" * 2500  # 10,000 bytes, four per character
    bodies = split_comments([message])
    assert [utf8_size(body) for body in bodies] == [4000, 4000, 2000]
    assert "".join(bodies) == message


def test_a_cut_prefers_a_space_near_the_end():
    text = "word " * 1000
    head = cut_at_bytes(text, 4000)
    assert head.endswith(" ") and utf8_size(head) <= 4000 and utf8_size(head) > 4000 - 200


def test_a_comment_must_hold_at_least_a_character():
    with pytest.raises(ValueError):
        pack(["x"], limit=3)


def test_clip_bytes_never_cuts_a_character():
    assert clip_bytes("é" * 10, 5) == "éé"
    assert clip_bytes("abc", 10) == "abc"


def test_clean_text_keeps_line_breaks_and_drops_other_controls_and_lone_surrogates():
    assert clean_text("a\x00b\tc\nd\x1b\ud800") == "ab\tc\nd\ufffd"
    assert clean_text(None) == ""


def _event(kind, at, **payload):
    return SessionEvent(kind=kind, payload=payload, created_at=at)


def test_transcript_lines_name_who_said_what_and_when():
    at = datetime(2026, 11, 22, 10, 15, tzinfo=UTC)
    events = [
        _event(EventKind.CUSTOMER_MESSAGE, at, text="Where is my order?"),
        _event(EventKind.AI_REASONING, at, text="not part of it"),
        _event(EventKind.AI_REPLY, at, text="It ships tomorrow."),
        _event(EventKind.HUMAN_REPLY, at, text="Checking now.", author="Bob Builder"),
        _event(EventKind.CUSTOMER_MESSAGE, at, text="   "),
    ]
    lines = transcript_lines(events, Speakers(customer="Grace <grace@example.com>", ai="Switchboard AI"))
    assert lines == [
        "[2026-11-22 10:15 UTC] Grace <grace@example.com>: Where is my order?",
        "[2026-11-22 10:15 UTC] Switchboard AI: It ships tomorrow.",
        "[2026-11-22 10:15 UTC] Bob Builder: Checking now.",
    ]
