"""The Salesforce setup checks, in the order the Troubleshooting page shows them: connecting and
Email Cases (``salesforce_cases``), then reps' replies and Live Messaging
(``salesforce_messaging``)."""

from __future__ import annotations

from webapp.diagnostics import Check
from webapp.diagnostics.salesforce_cases import CASE_CHECKS
from webapp.diagnostics.salesforce_messaging import MESSAGING_CHECKS

CHECKS: tuple[Check, ...] = CASE_CHECKS + MESSAGING_CHECKS
