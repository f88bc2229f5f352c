"""The typed settings of each area (defaults, lenient reading, strict writing), JSON columns
edited in place, and the one way to read an integration and its credentials."""

from dataclasses import replace

import pytest

from webapp.agent import provider
from webapp.agent import settings as agent_settings
from webapp.agent.policy import policy_for
from webapp.db import db
from webapp.front import integration as front
from webapp.knowledge import sources
from webapp.models import (
    AdvancedSwitches,
    AgentSettings,
    Channel,
    HandoffMode,
    Integration,
    IntegrationKind,
    KnowledgeSource,
    OfficeHours,
    SettingsError,
    SourceKind,
    SourceSettings,
    integration_of,
)

TEAMMATES = [{"id": "tea_ai", "name": "Switchboard AI", "email": "ai@acme.test"}, {"id": "tea_bob", "name": "Bob"}]


@pytest.fixture
def organization(world):
    return world.organization()


def _reloaded(row):
    db.session.expire_all()
    return db.session.get(type(row), row.id)


# -- reading is lenient, writing is strict -----------------------------------------------------


def test_missing_null_and_unknown_keys_read_as_defaults():
    settings = front.FrontSettings.from_json({"handle_unassigned": None, "retired_setting": 1})
    assert settings == front.FrontSettings()
    assert settings.rate_limit_per_minute == front.DEFAULT_RATE_LIMIT
    assert AdvancedSwitches.from_json(None) == AdvancedSwitches()
    assert SourceSettings.from_json({}).selected == ()


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (front.FrontSettings(rate_limit_per_minute=0), "at least 1"),
        (front.FrontSettings(rate_limit_per_minute="50"), "whole number"),
        (front.FrontSettings(ai_teammate_id="tea_gone", teammates=TEAMMATES), "not one of"),
        (AdvancedSwitches(unproductive_after=0), "between 1 and 20"),
        (AdvancedSwitches(unproductive_after=21), "between 1 and 20"),
        (AdvancedSwitches(unproductive_after=True), "whole number"),
        (SourceSettings(knowledge_bases=({"id": "knb_1"},), selected=("knb_2",)), "not a Help Center"),
        (SourceSettings(start_date="last tuesday"), "not a date"),
        (SourceSettings(help_center_url="javascript:alert(1)"), "https://"),
        (provider.ProviderSettings(base_url="ftp://models.example"), "full http"),
    ],
)
def test_what_could_not_come_from_a_settings_page_is_never_written(settings, message):
    with pytest.raises(SettingsError, match=message):
        settings.to_json()


def test_settings_round_trip_through_json():
    source = SourceSettings(
        knowledge_bases=[{"id": "knb_1", "name": "Help"}], selected=["knb_1"], start_date="2026-01-31"
    )
    assert SourceSettings.from_json(source.to_json()) == source
    assert source.start.isoformat() == "2026-01-31"


# -- JSON columns edited in place ------------------------------------------------------------


def test_in_place_edits_of_json_settings_are_saved(organization):
    integration = Integration(organization_id=organization.id, kind=IntegrationKind.FRONT, settings={})
    handoff = AgentSettings(organization_id=organization.id, advanced={}, destinations={})
    db.session.add_all([integration, handoff])
    db.session.commit()

    integration.settings["handle_unassigned"] = True
    handoff.advanced.update(on_request=False)
    handoff.destinations["sms"] = "front_teammates"
    db.session.commit()

    assert _reloaded(integration).settings == {"handle_unassigned": True}
    handoff = _reloaded(handoff)
    assert handoff.advanced == {"on_request": False} and handoff.destinations == {"sms": "front_teammates"}


def test_credentials_are_set_and_forgotten_in_place_and_stay_encrypted(organization):
    integration = Integration(organization_id=organization.id, kind=IntegrationKind.FRONT, settings={})
    db.session.add(integration)
    db.session.commit()
    assert integration.credential(front.API_TOKEN) is None

    integration.set_credential(front.API_TOKEN, "tok-123456789")
    integration.set_credential(front.APP_SECRET, "secret-abc")
    db.session.commit()
    integration = _reloaded(integration)
    assert integration.credential(front.API_TOKEN) == "tok-123456789"

    integration.set_credential(front.API_TOKEN, None)
    db.session.commit()
    integration = _reloaded(integration)
    assert integration.credential(front.API_TOKEN) is None and integration.credential(front.APP_SECRET) == "secret-abc"
    raw = db.session.execute(db.session.query(Integration.__table__.c.credentials).statement).scalar_one()
    assert "secret-abc" not in raw


def test_one_lookup_finds_an_organizations_integration_of_a_kind(world):
    mine, theirs = world.organization("Mine"), world.organization("Theirs")
    db.session.add_all(
        [
            Integration(organization_id=mine.id, kind=IntegrationKind.LLM, settings={}),
            Integration(organization_id=theirs.id, kind=IntegrationKind.FRONT, settings={}),
        ]
    )
    db.session.commit()
    assert integration_of(mine.id, IntegrationKind.LLM).organization_id == mine.id
    assert integration_of(mine.id, IntegrationKind.FRONT) is None
    assert front.front_integration(theirs.id) is integration_of(theirs.id, IntegrationKind.FRONT)


# -- the rules, in their areas' domain modules -------------------------------------------------


@pytest.fixture
def connected(organization):
    integration = Integration(
        organization_id=organization.id,
        kind=IntegrationKind.FRONT,
        settings={"teammates": TEAMMATES},
        credentials={front.API_TOKEN: "tok"},
        webhook_token="hook",
    )
    db.session.add(integration)
    db.session.commit()
    return integration


def test_the_ai_needs_a_teammate_before_it_can_be_switched_on(connected):
    with pytest.raises(SettingsError, match="Choose the AI teammate"):
        front.save_agent_settings(
            connected, ai_teammate_id=None, handle_unassigned=True, enabled=True, rate_limit_per_minute=50
        )
    front.save_agent_settings(
        connected, ai_teammate_id=None, handle_unassigned=True, enabled=False, rate_limit_per_minute=50
    )
    front.save_agent_settings(
        connected, ai_teammate_id="tea_ai", handle_unassigned=False, enabled=True, rate_limit_per_minute=100
    )
    saved = front.settings_of(_reloaded(connected))
    assert (saved.ai_teammate_id, saved.ai_teammate_name, saved.rate_limit_per_minute) == (
        "tea_ai",
        "Switchboard AI",
        100,
    )
    assert _reloaded(connected).enabled


def test_a_teammate_front_did_not_list_cannot_be_chosen(connected):
    with pytest.raises(SettingsError, match="not in the list"):
        front.save_agent_settings(
            connected, ai_teammate_id="tea_mallory", handle_unassigned=False, enabled=False, rate_limit_per_minute=50
        )


def test_the_provider_needs_a_key_before_it_can_be_switched_on(organization):
    with pytest.raises(SettingsError, match="API key"):
        provider.save(organization.id, base_url="https://llm.example/v1", model="m", api_key=None, enabled=True)
    db.session.rollback()
    provider.save(organization.id, base_url="https://llm.example/v1/ ", model=" m ", api_key=None, enabled=False)
    provider.save(organization.id, base_url="https://llm.example/v1", model="m", api_key="sk-1", enabled=True)
    provider.save(
        organization.id, base_url="https://llm.example/v2", model="m", api_key=None, enabled=True
    )  # keeps the key
    integration = _reloaded(provider.llm_integration(organization.id))
    assert integration.enabled and integration.credential(provider.API_KEY) == "sk-1"
    assert provider.settings_of(integration).base_url == "https://llm.example/v2"


def _save_handoff(organization, **changes):
    values = dict(
        mode=HandoffMode.ADVANCED,
        level=1,
        switches=AdvancedSwitches(on_frustration=False, unproductive_after=4),
        forbidden_topics="legal advice",
        message_open=" Over to the team. ",
        message_closed="Back {next_opening}.",
        office_hours_id=None,
        destination_keys={"email": "front_teammates"},
    )
    return agent_settings.save(organization.id, **{**values, **changes})


def test_handoff_settings_are_saved_whole_and_drive_the_policy(organization):
    saved = _save_handoff(organization)
    assert saved.message_open == "Over to the team."
    assert saved.destination_for(Channel.SMS) == "front_teammates"  # every channel gets one
    policy = policy_for(_reloaded(saved))
    assert (policy.on_frustration, policy.unproductive_after, policy.on_request) == (False, 4, True)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"level": 7}, "no handoff level 7"),
        ({"message_open": "  "}, "both handoff messages"),
        ({"destination_keys": {"email": "carrier_pigeon"}}, "unknown handoff destination"),
        ({"office_hours_id": 999_999}, "no longer exist"),
    ],
)
def test_handoff_settings_that_cannot_work_are_refused(organization, changes, message):
    with pytest.raises(SettingsError, match=message):
        _save_handoff(organization, **changes)


def test_another_organizations_office_hours_cannot_be_chosen(world, organization):
    other = world.organization("Other")
    schedule = OfficeHours(organization_id=other.id, name="Theirs", timezone="UTC", shifts=[])
    db.session.add(schedule)
    db.session.commit()
    with pytest.raises(SettingsError, match="no longer exist"):
        _save_handoff(organization, office_hours_id=schedule.id)


def test_a_source_edited_through_its_typed_settings_keeps_the_rest(organization):
    source = KnowledgeSource(
        organization_id=organization.id,
        kind=SourceKind.FRONT,
        name="Help",
        settings=SourceSettings(knowledge_bases=[{"id": "a"}, {"id": "b"}], selected=["a", "b"]).to_json(),
    )
    db.session.add(source)
    db.session.commit()
    source.options = replace(source.options, selected=("b",), help_center_url="https://help.example")
    db.session.commit()
    source = _reloaded(source)
    assert source.selected_ids == ["b"] and [kb["id"] for kb in source.knowledge_bases] == ["a", "b"]
    assert sources.start_timestamp(source) == 0.0
