"""Settings → Integrations → Salesforce → Case options: what a Case gets, and what the Front
conversation does after."""

from __future__ import annotations

from tests.conftest import csrf_token
from webapp.db import db
from webapp.models import Role
from webapp.salesforce.integration import salesforce_integration, settings_of

PAGE = "/settings/integrations/salesforce"
VALID = {
    "case_origin": " Web ",
    "case_priority": "Low",
    "frustrated_priority": "High",
    "external_id_field": "Switchboard_Key__c",
    "after_case": "unassign",
}


def _saved(organization_id: int):
    db.session.expire_all()
    return settings_of(salesforce_integration(organization_id))


def _post(client, **changes):
    return client.post(f"{PAGE}/case-options", data={**VALID, **changes, "csrf_token": csrf_token(client, PAGE)})


def test_the_page_shows_the_case_options_with_their_defaults(client, logged_in_owner):
    page = client.get(PAGE).get_data(as_text=True)
    assert "Case options" in page and "Save Case options" in page
    assert 'value="Email"' in page and 'value="Medium"' in page and 'value="High"' in page
    assert '<input checked id="after_case-0" name="after_case" type="radio" value="keep">' in page
    assert "Unique and External ID" in page


def test_an_admin_saves_the_case_options(client, logged_in_owner):
    response = _post(client)
    assert response.status_code == 302
    saved = _saved(logged_in_owner.organization_id)
    assert (saved.case_origin, saved.case_priority, saved.frustrated_priority) == ("Web", "Low", "High")
    assert saved.external_id_field == "Switchboard_Key__c" and saved.after_case == "unassign"
    assert "Case options saved." in client.get(PAGE).get_data(as_text=True)
    assert _post(client, external_id_field="  ").status_code == 302
    assert _saved(logged_in_owner.organization_id).external_id_field is None


def test_bad_case_options_are_refused_with_the_reason_and_nothing_saved(client, logged_in_owner):
    for changes, said in (
        ({"external_id_field": "Switchboard Key"}, "ending in __c"),
        ({"external_id_field": "Name"}, "ending in __c"),
        ({"case_origin": ""}, "This field is required."),
        ({"case_priority": "P" * 41}, "Field cannot be longer than 40 characters."),
        ({"after_case": "archive"}, "Not a valid choice"),
        ({"case_origin": "Em\x00ail"}, "control characters"),
    ):
        response = _post(client, **changes)
        assert response.status_code == 400, changes
        assert said in response.get_data(as_text=True), changes
    saved = _saved(logged_in_owner.organization_id)
    assert (saved.case_origin, saved.external_id_field, saved.after_case) == ("Email", None, "keep")


def test_a_member_sees_the_case_options_read_only_and_cannot_save(client, auth, world, owner):
    member = world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Case options" in page and "Save Case options" not in page
    assert _post(client).status_code == 403
    assert _saved(owner.organization_id).case_origin == "Email"
