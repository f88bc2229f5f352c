"""Settings → Handoff settings, and what a customer is told at handoff."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from tests.conftest import csrf_token
from webapp.agent.settings import handoff_message
from webapp.db import db
from webapp.models import AgentSettings, Channel, HandoffMode, OfficeHours, Role

PAGE = "/settings/handoff"
FORM = {
    "mode": "preset",
    "level": "2",
    "adv_unproductive_after": "2",
    "forbidden_topics": "legal advice\npricing negotiation\n",
    "message_open": "A teammate will reply shortly.",
    "message_closed": "We're back {next_opening}.",
    "office_hours": "",
    "destination_email": "front_teammates",
    "destination_web": "front_teammates",
    "destination_sms": "front_teammates",
    "destination_phone": "front_teammates",
}


@pytest.fixture
def admin(client, auth, owner):
    auth.login(owner.email)
    return client


def _post(client, path=PAGE, **data):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, PAGE)})


def _settings() -> AgentSettings:
    db.session.expire_all()
    return db.session.scalar(select(AgentSettings))


def test_the_page_shows_the_default_level(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    assert "1 · Quick handoff" in page and 'checked id="level-1"' in page


def test_saving_a_preset_topics_and_messages(admin):
    assert _post(admin, **FORM).status_code == 302
    settings = _settings()
    assert settings.handoff_mode == HandoffMode.PRESET and settings.handoff_level == 2
    assert settings.topics == ["legal advice", "pricing negotiation"]
    assert settings.message_open == "A teammate will reply shortly."
    assert settings.destinations == {c: "front_teammates" for c in ("email", "web", "sms", "phone")}


def test_saving_advanced_switches(admin):
    _post(
        admin, **{**FORM, "mode": "advanced", "adv_enabled": "y", "adv_on_request": "y", "adv_unproductive_after": "5"}
    )
    settings = _settings()
    assert settings.handoff_mode == HandoffMode.ADVANCED
    assert settings.advanced == {
        "enabled": True,
        "on_frustration": False,
        "on_unproductive": False,
        "unproductive_after": 5,
        "on_request": True,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("level", "7", "Not a valid choice"),
        ("adv_unproductive_after", "0", "Number must be between 1 and 20"),
        ("message_open", "", "This field is required."),
        ("destination_sms", "pigeon", "Not a valid choice"),
    ],
)
def test_bad_values_are_form_errors_and_nothing_is_saved(admin, field, value, message):
    response = _post(admin, **{**FORM, "mode": "advanced", field: value})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _settings().forbidden_topics == ""


def test_office_hours_are_added_checked_and_chosen(admin):
    response = _post(
        admin,
        f"{PAGE}/office-hours",
        name="Paris team",
        timezone="Europe/Paris",
        shifts="monday_to_friday 09:00-17:00\nsaturday 10:00-14:00",
    )
    assert response.status_code == 302
    schedule = db.session.scalar(select(OfficeHours))
    assert schedule.shifts[1] == {"day_of_week": "saturday", "start_time": "10:00", "end_time": "14:00"}
    _post(admin, **{**FORM, "office_hours": str(schedule.id)})
    assert _settings().office_hours_id == schedule.id


@pytest.mark.parametrize(
    ("timezone_", "shifts", "message"),
    [
        ("Mars/Olympus", "monday 09:00-17:00", "not an IANA time zone"),
        ("Europe/Paris", "someday 09:00-17:00", "line 1"),
        ("Europe/Paris", "monday 9am-5pm", "write it like monday_to_friday 09:00-17:00"),
    ],
)
def test_bad_office_hours_are_refused_with_the_reason(admin, timezone_, shifts, message):
    response = _post(admin, f"{PAGE}/office-hours", name="X", timezone=timezone_, shifts=shifts)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert db.session.scalar(select(OfficeHours)) is None


def test_a_member_cannot_change_handoff_settings(client, auth, world, owner):
    world.user(owner.organization, Role.MEMBER, email="member@example.com", name="Mo")
    auth.login("member@example.com")
    assert client.get(PAGE).status_code == 200
    assert _post(client, **FORM).status_code == 403


def test_the_handoff_message_inside_and_outside_office_hours(world):
    organization = world.organization()
    schedule = OfficeHours(
        organization_id=organization.id,
        name="Paris",
        timezone="Europe/Paris",
        shifts=[{"day_of_week": "monday_to_friday", "start_time": "09:00", "end_time": "17:00"}],
    )
    settings = AgentSettings(
        organization_id=organization.id,
        message_open="Back to you shortly.",
        message_closed="We're away; back {next_opening}.",
        office_hours=schedule,
        advanced={},
        destinations={},
    )
    db.session.add_all([schedule, settings])
    db.session.commit()
    monday_noon = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    friday_night = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)
    assert handoff_message(settings, Channel.EMAIL, monday_noon) == "Back to you shortly."
    assert (
        handoff_message(settings, Channel.EMAIL, friday_night)
        == "We're away; back on Monday at 09:00 (Europe/Paris time)."
    )
    assert handoff_message(settings, Channel.PHONE, friday_night) == "Back to you shortly."  # phone is not affected


def test_a_refusal_by_the_domain_is_shown_at_the_top_of_the_form_and_keeps_what_was_typed(admin, monkeypatch):
    """The form's own checks pass, but the saved settings could not work (another admin
    deleted the office hours a moment ago): the page says why, where the eye is, and saves nothing."""
    from webapp.agent import settings as agent_settings
    from webapp.models import SettingsError

    def refuse(*args, **kwargs):
        raise SettingsError("those office hours no longer exist")

    monkeypatch.setattr(agent_settings, "save", refuse)
    response = _post(admin, **{**FORM, "message_open": "Typed by the admin."})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    assert "<li>Not saved: those office hours no longer exist.</li>" in summary
    assert page.index("data-error-summary") < page.index('name="mode"')  # above every field
    assert "Typed by the admin." in page


def test_each_channel_offers_only_the_destinations_that_can_take_it(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    email = page.split('name="destination_email"', 1)[1].split("</select>", 1)[0]
    web = page.split('name="destination_web"', 1)[1].split("</select>", 1)[0]
    assert "Salesforce Case" in email and "Salesforce Live Messaging" not in email
    assert "Salesforce Live Messaging" in web
    response = _post(admin, **{**FORM, "destination_email": "salesforce_live_messaging"})
    assert response.status_code == 400 and "Not a valid choice" in response.get_data(as_text=True)
    assert _settings().forbidden_topics == ""


def test_the_domain_refuses_a_destination_for_a_channel_it_cannot_take(owner):
    from webapp.agent import settings as agent_settings
    from webapp.models import AdvancedSwitches, SettingsError

    with pytest.raises(SettingsError, match="Salesforce Live Messaging cannot take email conversations"):
        agent_settings.save(
            owner.organization_id,
            mode=HandoffMode.PRESET,
            level=1,
            switches=AdvancedSwitches(),
            forbidden_topics="",
            message_open="Soon.",
            message_closed="Later.",
            office_hours_id=None,
            destination_keys={"email": "salesforce_live_messaging"},
        )


def _summary(page: str) -> str:
    return page.split("data-error-summary>", 1)[1].split("</div>", 1)[0]


def test_an_invalid_save_lists_every_error_at_the_top_linked_to_its_field_and_keeps_what_was_typed(admin):
    response = _post(
        admin,
        **{
            **FORM,
            "mode": "advanced",
            "adv_unproductive_after": "0",
            "message_open": "",
            "message_closed": "Typed closing message, kept.",
            "forbidden_topics": "typed topic, kept",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = _summary(page)
    assert '<a href="#message_open">Message at handoff, inside office hours</a>: This field is required.' in summary
    assert '<a href="#adv_unproductive_after">' in summary and "Number must be between 1 and 20" in summary
    assert page.index("data-error-summary") < page.index('name="mode"')
    assert 'role="alert" tabindex="-1"' in page  # app.js focuses it on load
    assert "Typed closing message, kept." in page and "typed topic, kept" in page
    assert 'checked id="mode-1"' in page  # Advanced, as chosen
    assert _settings().forbidden_topics == ""


def test_a_valid_page_has_no_error_summary(admin):
    assert "data-error-summary" not in admin.get(PAGE).get_data(as_text=True)


def test_bad_office_hours_are_summed_up_at_the_top_of_their_form(admin):
    response = _post(admin, f"{PAGE}/office-hours", name="Paris", timezone="Mars/Olympus", shifts="monday 09:00-17:00")
    summary = _summary(response.get_data(as_text=True))
    assert "Office hours not added" in summary and '<a href="#timezone">Time zone</a>' in summary


ADVANCED = {"mode": "advanced", "adv_on_request": "y", "adv_unproductive_after": "7"}


def test_a_preset_keeps_the_saved_advanced_switches_whatever_is_sent(admin):
    """The page disables the switches while a preset is chosen, so nothing of them arrives; without
    JavaScript they arrive as left. Either way the preset sets them and the saved ones stay."""
    assert _post(admin, **{**FORM, **ADVANCED}).status_code == 302
    saved = dict(_settings().advanced)
    assert saved == {
        "enabled": False,
        "on_frustration": False,
        "on_unproductive": False,
        "unproductive_after": 7,
        "on_request": True,
    }
    sent_by_a_browser = {k: v for k, v in FORM.items() if not k.startswith("adv_")}
    assert _post(admin, **{**sent_by_a_browser, "mode": "preset", "level": "3"}).status_code == 302
    assert _settings().handoff_level == 3 and _settings().advanced == saved

    without_javascript = {**FORM, "mode": "preset", "adv_enabled": "y", "adv_unproductive_after": "0"}
    assert _post(admin, **without_javascript).status_code == 302
    assert _settings().handoff_mode == HandoffMode.PRESET and _settings().advanced == saved


def test_a_refused_preset_form_shows_the_saved_switches_not_blanks(admin):
    _post(admin, **{**FORM, **ADVANCED})
    sent = {k: v for k, v in FORM.items() if not k.startswith("adv_")}
    page = _post(admin, **{**sent, "mode": "preset", "message_open": ""}).get_data(as_text=True)
    assert 'id="adv_unproductive_after"' in page and 'value="7"' in page
    assert "adv_unproductive_after" not in _summary(page)


def test_the_page_says_the_preset_sets_the_switches(admin):
    page = admin.get(PAGE).get_data(as_text=True)
    note = page.split("data-preset-note", 1)[1].split("</p>", 1)[0]
    assert "hidden" not in note.split(">", 1)[0] and "The preset level sets these" in note
    _post(admin, **{**FORM, **ADVANCED})
    page = admin.get(PAGE).get_data(as_text=True)
    assert "data-preset-note hidden" in page
