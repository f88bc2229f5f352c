"""Template filters: what reaches a page from synced or typed data."""

from webapp.templating import http_url


def test_a_broken_link_from_synced_data_is_shown_as_text_not_a_500():
    assert http_url("http://[") == ""
    assert http_url(" https://help.acme.test/a ") == "https://help.acme.test/a"
    assert http_url("javascript:alert(1)") == ""
