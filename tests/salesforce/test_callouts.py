"""The callout secret and the generated files on Settings → Integrations → Salesforce: made and
rotated by admins only, shown once, never served again; the Apex shown, copied and downloaded."""

from __future__ import annotations

import html
import io
import re
import zipfile

import pytest

from tests.conftest import csrf_token
from tests.salesforce.rep_replies import CALLOUT_SECRET_VALUE, comment, connect_salesforce, post
from webapp.db import db
from webapp.models import Role
from webapp.salesforce import apex, callouts
from webapp.salesforce.integration import CALLOUT_SECRET, salesforce_integration, settings_of

PAGE = "/settings/integrations/salesforce"


@pytest.fixture
def salesforce(organization):
    return connect_salesforce(organization, secret=None)


def _make_secret(client):
    return client.post(f"{PAGE}/callout-secret", data={"csrf_token": csrf_token(client, PAGE)})


def _shown_secret(page: str) -> str:
    match = re.search(r'id="callout-secret" value="([^"]+)"', page)
    assert match, "the secret is not on the page"
    return match.group(1)


def _stored_secret(organization_id: int) -> str | None:
    db.session.expire_all()
    return salesforce_integration(organization_id).credential(CALLOUT_SECRET)


def test_an_admin_makes_the_secret_and_sees_it_once(client, auth, organization, salesforce):
    auth.login("owner@example.com")
    response = _make_secret(client)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    secret = _shown_secret(page)
    assert "only time Switchboard shows it" in page and response.headers["Cache-Control"] == "no-store"
    assert secret == _stored_secret(organization.id) and len(secret) >= 43
    assert settings_of(salesforce_integration(organization.id)).callout_secret_created_at

    later = client.get(PAGE).get_data(as_text=True)
    assert secret not in later and "Created " in later
    for file in apex.FILES:
        download = client.get(f"{PAGE}/apex/{file.path}")
        assert download.status_code == 200 and secret not in download.get_data(as_text=True), file.key
    assert secret.encode() not in client.get(f"{PAGE}/switchboard-apex.zip").data


def test_the_page_that_shows_the_secret_carries_the_legacy_record_filled_in(client, auth, salesforce):
    auth.login("owner@example.com")
    page = _make_secret(client).get_data(as_text=True)
    secret = _shown_secret(page)
    assert f'<value xsi:type="xsd:string">{secret}</value>' in html.unescape(page)
    assert "Switchboard_Apex" in page and "CalloutSecret" in page


def test_making_a_new_secret_stops_the_old_one(client, auth, organization, salesforce):
    auth.login("owner@example.com")
    first = _shown_secret(_make_secret(client).get_data(as_text=True))
    assert post(client, salesforce, comment(), secret=first).status_code == 200
    second_page = _make_secret(client).get_data(as_text=True)
    second = _shown_secret(second_page)
    assert second != first and "previous secret no longer works" in second_page
    assert post(client, salesforce, comment(record_id="00aSB0000000002AAA"), secret=first).status_code == 401
    assert post(client, salesforce, comment(record_id="00aSB0000000003AAA"), secret=second).status_code == 200


def test_an_admin_can_make_the_secret_before_connecting(client, auth, organization):
    """The Salesforce row is made on the spot; the Apex waits for the connection."""
    auth.login("owner@example.com")
    response = _make_secret(client)
    assert response.status_code == 200
    assert _shown_secret(response.get_data(as_text=True)) == _stored_secret(organization.id)


def test_a_member_cannot_make_or_rotate_the_secret(client, auth, world, organization):
    salesforce = connect_salesforce(organization)
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    response = client.post(f"{PAGE}/callout-secret", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 403 and "owners and admins" in response.get_data(as_text=True)
    assert _stored_secret(organization.id) == CALLOUT_SECRET_VALUE
    assert post(client, salesforce, comment()).status_code == 200


def test_a_member_reads_the_files_but_never_the_secret(client, auth, world, organization):
    connect_salesforce(organization)
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "SwitchboardCallout.cls" in page and CALLOUT_SECRET_VALUE not in page
    assert "Make a new secret" not in page and "callout-secret" not in page.split("salesforce-rep-replies", 1)[1]
    for file in apex.FILES:
        download = client.get(f"{PAGE}/apex/{file.path}")
        assert download.status_code == 200 and CALLOUT_SECRET_VALUE not in download.get_data(as_text=True)
    assert CALLOUT_SECRET_VALUE.encode() not in client.get(f"{PAGE}/switchboard-apex.zip").data


def test_making_the_secret_needs_the_csrf_token(client, auth, organization, salesforce):
    auth.login("owner@example.com")
    response = client.post(f"{PAGE}/callout-secret")
    assert response.status_code == 400 and _stored_secret(organization.id) is None


def test_the_settings_page_shows_the_steps_the_files_and_the_webhook_url(client, auth, organization, salesforce):
    auth.login("owner@example.com")
    page = client.get(PAGE).get_data(as_text=True)
    section = page.split('id="salesforce-rep-replies"', 1)[1]
    assert callouts.SIGNATURE_HEADER in section
    assert f"/webhooks/salesforce/{salesforce.webhook_token}" in section
    for file in apex.shown_files():
        assert f'id="apex-{file.key}"' in section and f'data-copy="apex-{file.key}"' in section, file.key
    assert "Make the callout secret" in section and "none yet" in section
    assert "<script>" not in section  # copy buttons are the site's script (CSP script-src 'self')


def test_the_page_says_when_the_last_callout_arrived(client, auth, organization):
    salesforce = connect_salesforce(organization)
    post(client, salesforce, comment())
    auth.login("owner@example.com")
    section = client.get(PAGE).get_data(as_text=True).split('id="salesforce-rep-replies"', 1)[1]
    assert "(case_comment)" in section and "none yet" not in section


def test_before_connecting_the_page_says_what_to_do_first(client, auth, organization):
    auth.login("owner@example.com")
    section = client.get(PAGE).get_data(as_text=True).split('id="salesforce-rep-replies"', 1)[1]
    assert "Save the Salesforce credentials first" in section
    assert client.get(f"{PAGE}/apex/force-app/main/default/classes/SwitchboardCallout.cls").status_code == 404
    assert client.get(f"{PAGE}/switchboard-apex.zip").status_code == 404


def test_each_file_downloads_as_a_text_attachment(client, auth, salesforce):
    auth.login("owner@example.com")
    response = client.get(f"{PAGE}/apex/force-app/main/default/classes/SwitchboardCallout.cls")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["Content-Disposition"] == 'attachment; filename="SwitchboardCallout.cls"'
    assert "class SwitchboardCallout implements Queueable" in response.get_data(as_text=True)
    assert client.get(f"{PAGE}/apex/force-app/main/default/classes/Other.cls").status_code == 404
    archive = client.get(f"{PAGE}/switchboard-apex.zip")
    assert archive.mimetype == "application/zip"
    assert "switchboard-apex/README.txt" in zipfile.ZipFile(io.BytesIO(archive.data)).namelist()


def test_downloads_need_a_login(client, salesforce):
    response = client.get(f"{PAGE}/apex/force-app/main/default/classes/SwitchboardCallout.cls")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
