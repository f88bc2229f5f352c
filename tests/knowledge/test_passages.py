"""Articles cut into passages: paragraphs, long ones at sentence ends, the title first."""

from webapp.knowledge import passages


def _words(count: int, word: str = "word") -> str:
    return " ".join([word] * count)


def test_the_title_comes_first_then_each_paragraph():
    first = "Orders ship within two business days from our warehouse."
    second = "Express delivery takes one day and costs ten euros."
    assert passages.split("Shipping times", f"{first}\n\n{second}\n") == ["Shipping times", first, second]


def test_a_long_paragraph_is_cut_at_sentence_ends_into_pieces_of_about_seventy_words():
    sentence = _words(19) + " end."  # 20 words
    pieces = passages.paragraphs(" ".join([sentence] * 10))  # 200 words, one paragraph
    assert len(pieces) == 3
    assert all(piece.endswith("end.") for piece in pieces)
    assert all(60 <= len(piece.split()) <= 90 for piece in pieces[:-1])
    assert sum(len(piece.split()) for piece in pieces) == 200


def test_a_paragraph_without_sentence_ends_is_still_cut():
    pieces = passages.paragraphs(_words(300))
    assert all(len(piece.split()) <= passages.MAX_WORDS for piece in pieces)
    assert sum(len(piece.split()) for piece in pieces) == 300


def test_a_heading_joins_the_paragraph_after_it():
    body = "Delivery\n\nOrders ship within two business days from our warehouse in Lyon.\n\nNotes"
    assert passages.paragraphs(body) == [
        "Delivery Orders ship within two business days from our warehouse in Lyon. Notes"
    ]


def test_blank_and_whitespace_bodies_give_the_title_alone():
    assert passages.split("  Gift   cards ", " \n\n \n") == ["Gift cards"]
    assert passages.paragraphs("Short.") == ["Short."]


def test_the_content_hash_changes_with_the_title_or_the_body_only():
    base = passages.content_hash("Refunds", "Within 14 days.")
    assert base == passages.content_hash("Refunds", "Within 14 days.")
    assert base != passages.content_hash("Refunds", "Within 7 days.")
    assert base != passages.content_hash("Refund policy", "Within 14 days.")
    assert len(base) == 64
