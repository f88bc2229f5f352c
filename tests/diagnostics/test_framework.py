"""The setup-check machinery: results kept per check, a broken check reported rather than
raised, the Troubleshooting pages, Run checks, the banner on settings pages and the periodic job."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webapp import diagnostics
from webapp.db import db
from webapp.diagnostics import Check, Link, failing, ok, warning
from webapp.models import CheckStatus, DiagnosticResult, Integration, IntegrationKind, Role, utcnow

PAGE = "/settings/ticketing/front/troubleshooting"


def _broken(context):
    raise RuntimeError("Front said <b>no</b>\x1b[31m")


GOOD = Check("good", "Everything is fine", "nothing", lambda context: ok("All good.", ["one", "two"]))
BAD = Check(
    "bad",
    "The webhook secret",
    "every webhook is refused",
    lambda context: failing(
        "Webhooks are refused: the signature did not match.",
        "Copy the app secret from Front.",
        Link("Settings → Front", "front.settings", anchor="app-secret"),
        ["3 refusals in 24 hours"],
    ),
)
CRASHING = Check("crashing", "A check that breaks", "nothing", _broken)


@pytest.fixture
def checks(monkeypatch):
    declared = {"front": (GOOD, BAD, CRASHING), "salesforce": ()}
    monkeypatch.setattr(diagnostics, "checks_for", lambda key: declared[key])
    return declared


def _rows(organization_id):
    return {
        row.check_key: row
        for row in db.session.scalars(
            select(DiagnosticResult).where(DiagnosticResult.organization_id == organization_id)
        )
    }


def test_each_check_keeps_its_last_finding_and_a_broken_check_is_a_warning(app, world, checks):
    organization = world.organization()
    diagnostics.run_checks(organization.id, "front")
    rows = _rows(organization.id)
    assert rows["good"].status == CheckStatus.OK and rows["good"].details == ["one", "two"]
    assert rows["bad"].status == CheckStatus.FAILING
    link = {"label": "Settings → Front", "endpoint": "front.settings", "anchor": "app-secret", "values": {}}
    assert rows["bad"].fix_link == link
    assert rows["crashing"].status == CheckStatus.WARNING
    assert "could not run" in rows["crashing"].found and "\x1b" not in rows["crashing"].found

    # Run again with one check gone and one fixed: one row each, the gone one removed.
    checks["front"] = (GOOD, Check("bad", "The webhook secret", "x", lambda context: ok("Fixed.")))
    diagnostics.run_checks(organization.id, "front")
    db.session.expire_all()
    rows = _rows(organization.id)
    assert set(rows) == {"good", "bad"} and rows["bad"].status == CheckStatus.OK and rows["bad"].fix is None


def test_the_page_shows_each_finding_with_its_fix_and_admins_run_the_checks(client, logged_in_owner, checks):
    page = client.get(PAGE).get_data(as_text=True)
    assert "Not run yet" in page and "They have not run yet" in page

    response = client.post(f"{PAGE}/run", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302
    page = client.get(PAGE).get_data(as_text=True)
    assert "Checks ran: 1 failing." in page
    assert "Webhooks are refused: the signature did not match." in page
    assert "Copy the app secret from Front." in page
    assert 'href="/settings/ticketing/front#app-secret"' in page
    assert "3 refusals in 24 hours" in page
    assert "Front said &lt;b&gt;no&lt;/b&gt;" in page  # a remote text is escaped


def test_an_expired_form_runs_nothing_and_says_so(client, logged_in_owner, checks):
    response = client.post(f"{PAGE}/run", data={"csrf_token": "stale"}, follow_redirects=True)
    assert response.status_code in (200, 400)
    assert not _rows(logged_in_owner.organization_id)


def test_members_see_the_findings_but_cannot_run_the_checks(client, auth, world, checks):
    organization = world.organization()
    diagnostics.run_checks(organization.id, "front")
    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login(member.email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Webhooks are refused" in page and "Run checks</button>" not in page
    response = client.post(f"{PAGE}/run", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 403


def test_a_failing_check_shows_as_a_banner_on_every_settings_page(client, logged_in_owner, world, checks):
    assert "setup check" not in client.get("/settings/ticketing/front").get_data(as_text=True)
    diagnostics.run_checks(logged_in_owner.organization_id, "front")
    other = world.organization("Other")
    theirs = Check("theirs", "Their problem", "x", lambda c: failing("Theirs.", "Fix theirs."))
    checks["front"] = (theirs,)
    diagnostics.run_checks(other.id, "front")
    checks["front"] = (GOOD, BAD, CRASHING, theirs)
    for path in ("/settings/ticketing/front", "/settings/integrations/salesforce", "/settings/handoff"):
        page = client.get(path).get_data(as_text=True)
        assert "1 setup check failing." in page, path
        assert "Front: The webhook secret." in page and "Their problem" not in page
        assert f'href="{PAGE}"' in page


def test_the_periodic_job_runs_organizations_that_are_due(app, world, checks):
    from jobs.diagnostics import run_diagnostics

    due, recent, none = world.organization("Due"), world.organization("Recent"), world.organization("None")
    for organization in (due, recent):
        db.session.add(Integration(organization_id=organization.id, kind=IntegrationKind.FRONT))
    db.session.commit()
    diagnostics.run_checks(recent.id, "front")
    assert diagnostics.organizations_due(900) == [due.id]
    assert run_diagnostics() == {"checked": 1, "failed": 0}
    assert _rows(due.id) and not _rows(none.id)

    # Older than the interval: due again.
    db.session.execute(DiagnosticResult.__table__.update().values(ran_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert diagnostics.organizations_due(900) == [due.id, recent.id]


def test_one_organizations_failure_does_not_stop_the_others(app, world, checks, monkeypatch):
    from jobs.diagnostics import run_diagnostics

    first, second = world.organization("First"), world.organization("Second")
    for organization in (first, second):
        db.session.add(Integration(organization_id=organization.id, kind=IntegrationKind.FRONT))
    db.session.commit()
    real = diagnostics.run_all

    def run_all(organization_id):
        if organization_id == first.id:
            raise RuntimeError("boom")
        real(organization_id)

    monkeypatch.setattr(diagnostics, "run_all", run_all)
    assert run_diagnostics() == {"checked": 1, "failed": 1}
    assert _rows(second.id)


def test_the_declared_checks_have_unique_keys_titles_and_symptoms(app):
    for integration_key in diagnostics.INTEGRATIONS:
        declared = diagnostics.checks_for(integration_key)
        keys = [check.key for check in declared]
        assert len(keys) == len(set(keys)), integration_key
        for check in declared:
            assert check.title and check.symptom and len(check.key) <= 64
    assert warning("x").status == CheckStatus.WARNING


def test_a_write_that_meets_another_writers_row_stores_again(app, world, monkeypatch):
    """The periodic job and a finishing Send a test may insert the same check's row at once: the
    unique key refuses the later insert, which then stores over the row the other wrote."""
    from sqlalchemy.exc import IntegrityError

    organization = world.organization()
    real, calls = diagnostics._write, []

    def write(*args):
        calls.append(args)
        if len(calls) == 1:
            raise IntegrityError("INSERT INTO diagnostic_results", {}, Exception("duplicate key"))
        return real(*args)

    monkeypatch.setattr(diagnostics, "_write", write)
    diagnostics.store(organization.id, "salesforce", {"salesforce_rep_replies": ok("The test went through.")})
    assert len(calls) == 2
    assert _rows(organization.id)["salesforce_rep_replies"].found == "The test went through."
