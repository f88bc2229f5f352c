"""The helpers that make path and query parameters safe (webapp/routing.py), on their own."""

import pytest
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import Map, Rule

from webapp.routing import MAX_ID, MAX_PAGE, BoundedIntegerConverter, clean_text, int_arg, page_number, text_arg


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/items/1", 1),
        ("/items/0", 0),
        ("/items/007", 7),
        (f"/items/{MAX_ID}", MAX_ID),
        (f"/items/{MAX_ID + 1}", None),
        ("/items/9223372036854775808", None),
        ("/items/99999999999999999999", None),
        ("/items/" + "9" * 5000, None),
        ("/items/-1", None),
        ("/items/١", None),  # an Arabic-Indic one: werkzeug's int takes it
        ("/items/²", None),
        ("/items/1.0", None),
        ("/items/x", None),
    ],
)
def test_the_int_converter_takes_only_what_an_integer_column_holds(path, expected):
    adapter = Map([Rule("/items/<int:item_id>", endpoint="item")], converters={"int": BoundedIntegerConverter}).bind(
        "localhost"
    )
    if expected is None:
        with pytest.raises(NotFound):
            adapter.match(path)
    else:
        assert adapter.match(path) == ("item", {"item_id": expected})


def test_the_int_converter_keeps_its_options_within_the_bounds():
    url_map = Map(
        [
            Rule("/signed/<int(signed=True):n>", endpoint="signed"),
            Rule("/small/<int(min=5, max=10):n>", endpoint="small"),
            Rule("/wide/<int(max=99999999999999999999):n>", endpoint="wide"),
        ],
        converters={"int": BoundedIntegerConverter},
    )
    adapter = url_map.bind("localhost")
    assert adapter.match("/signed/-3") == ("signed", {"n": -3})
    assert adapter.match(f"/signed/-{MAX_ID}") == ("signed", {"n": -MAX_ID})
    with pytest.raises(NotFound):
        adapter.match(f"/signed/-{MAX_ID + 1}")
    assert adapter.match("/small/7") == ("small", {"n": 7})
    with pytest.raises(NotFound):
        adapter.match("/small/4")
    with pytest.raises(NotFound):
        adapter.match(f"/wide/{MAX_ID + 1}")
    assert adapter.build("small", {"n": 7}) == "/small/7"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, 1),
        ("", 1),
        ("3", 3),
        (" 3 ", 3),
        ("0", 1),
        ("-5", 1),
        ("-99999999999999999999", 1),
        (str(MAX_PAGE), MAX_PAGE),
        (str(MAX_PAGE + 1), MAX_PAGE),
        ("99999999999999999999", MAX_PAGE),
        ("9" * 5000, MAX_PAGE),
        ("000000000000000000000002", 2),
        ("abc", 1),
        ("1e3", 1),
        ("1_000", 1),
        ("١٢", 1),
        ("3\x00", 1),
    ],
)
def test_a_page_number_is_clamped(value, expected):
    args = MultiDict() if value is None else MultiDict({"page": value})
    assert page_number(args) == expected


def test_int_arg_clamps_both_ways():
    assert int_arg(MultiDict({"n": "-7"}), "n", default=0, minimum=-5, maximum=5) == -5
    assert int_arg(MultiDict({"n": "-3"}), "n", default=0, minimum=-5, maximum=5) == -3
    assert int_arg(MultiDict({"n": "77"}), "n", default=0, minimum=-5, maximum=5) == 5
    assert int_arg(MultiDict({"n": "x"}), "n", default=2, minimum=-5, maximum=5) == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("refund", "refund"),
        ("  refund  ", "refund"),
        ("\x00", ""),
        ("refund\x00", "refund"),
        ("refund\x00policy", "refund policy"),
        ("\x01\x1b[31mred\x7f\x85\x9f", "[31mred"),
        ("tab\tand\nline", "tab and line"),
        ("é 中文 \u202e", "é 中文 \u202e"),  # not control characters (Cc): kept
    ],
)
def test_free_text_loses_its_control_characters(value, expected):
    assert clean_text(value) == expected
    assert text_arg(MultiDict() if value is None else MultiDict({"q": value}), "q") == expected


def test_free_text_is_cut_to_its_length():
    assert clean_text("x" * 600) == "x" * 500
    assert clean_text("abc " + "\x00" * 1000 + "def", max_length=10) == "abc"
