"""How the app is assembled: what is registered, and which way the imports run."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from webapp import language, registry, wiring
from webapp.front import events as front_events
from webapp.journal import JournalSource

ROOT = Path(__file__).resolve().parents[1]

# Every webhook source the app journals, and every place a handoff can go. A new integration
# adds itself to webapp/wiring.py and here.
EXPECTED_JOURNAL_SOURCES = {front_events.SOURCE, "salesforce"}
EXPECTED_DESTINATIONS = {"front_teammates", "salesforce_case", "salesforce_live_messaging"}


def test_the_app_registers_every_journal_source_and_handoff_destination(app):
    assembled = registry.current()
    assert set(assembled.journal_sources) == EXPECTED_JOURNAL_SOURCES
    assert set(assembled.destinations) == EXPECTED_DESTINATIONS
    for name, source in assembled.journal_sources.items():
        assert source.name == name and callable(source.handle)
    for key, destination in assembled.destinations.items():
        assert destination.key == key and destination.label and callable(destination.hand_off)


def test_the_default_destination_is_registered(app):
    from webapp.agent import destinations

    assert destinations.DEFAULT in registry.current().destinations


def test_registering_the_same_name_twice_is_refused():
    assembled = wiring.assemble()
    with pytest.raises(ValueError, match="twice"):
        assembled.add_journal_source(JournalSource(front_events.SOURCE, lambda entry: None))


def test_each_app_has_its_own_registry(app):
    """A test that registers a source of its own leaves the next app untouched."""
    assert wiring.assemble() is not registry.current()
    assert set(wiring.assemble().journal_sources) == EXPECTED_JOURNAL_SOURCES


@pytest.mark.parametrize(
    ("module", "must_not_load"),
    [
        ("webapp.knowledge.search", "webapp.knowledge.views"),
        ("webapp.knowledge.sync", "webapp.knowledge.views"),
        ("webapp.journal", "webapp.front.views"),
        ("webapp.models", "webapp.inbox.views"),
        ("webapp.models", "webapp.auth.views"),
        ("webapp.models", "webapp.settings.views"),
        ("webapp.front.handling", "jobs"),
        # Front's reply flow reaches a Case or a live rep through the registered destinations only.
        ("webapp.front.handling", "webapp.salesforce"),
    ],
)
def test_importing_the_domain_does_not_pull_in_pages_or_jobs(module, must_not_load):
    code = f"import sys, {module}; sys.exit(1 if {must_not_load!r} in sys.modules else 0)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"importing {module} loaded {must_not_load}: {result.stderr}"


def test_package_inits_import_no_views():
    for init in (ROOT / "webapp").rglob("__init__.py"):
        assert not re.search(r"^\s*(from|import)\s+\S*views", init.read_text(), re.M), init


def test_the_postgresql_trigger_knows_the_same_languages_as_the_code():
    """Migration 0003's trigger picks an article's text search configuration with its own copy
    of the language map (a migration must not change with the code); they must agree."""
    migration = (ROOT / "migrations/versions/2026_11_21_0003_knowledge.py").read_text()
    in_trigger = dict(re.findall(r"WHEN '(\w+)' THEN '(\w+)'", migration))
    assert in_trigger == language.SNOWBALL
