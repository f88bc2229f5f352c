"""The app's parts, registered explicitly: one line for each webhook source the journal
processes and each place a handoff can go. A new integration adds its lines here."""

from __future__ import annotations

from webapp.front import actions as front_actions
from webapp.front import events as front_events
from webapp.front import handling as front_handling
from webapp.journal import JournalSource
from webapp.registry import Registry
from webapp.salesforce import cases as salesforce_cases
from webapp.salesforce import relay as salesforce_relay
from webapp.salesforce.messaging import handoff as live_messaging_handoff


def assemble() -> Registry:
    registry = Registry()
    registry.add_journal_source(
        JournalSource(front_events.SOURCE, front_handling.handle, front_handling.on_final_failure)
    )
    registry.add_journal_source(
        JournalSource(salesforce_relay.SOURCE, salesforce_relay.handle, salesforce_relay.on_final_failure)
    )
    registry.add_destination(front_actions.FrontTeammates())
    registry.add_destination(salesforce_cases.SalesforceCase())
    registry.add_destination(live_messaging_handoff.LiveMessaging())
    return registry
