"""The Front setup checks, in the order the Troubleshooting page shows them: the connection and
its webhook first (``front_connection``), then what happened to conversations
(``front_conversations``)."""

from __future__ import annotations

from webapp.diagnostics import Check
from webapp.diagnostics.front_connection import CONNECTION_CHECKS
from webapp.diagnostics.front_conversations import CONVERSATION_CHECKS

CHECKS: tuple[Check, ...] = CONNECTION_CHECKS + CONVERSATION_CHECKS
