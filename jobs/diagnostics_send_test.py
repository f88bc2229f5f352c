from __future__ import annotations

from webapp.diagnostics import send_test
from webapp.queue import SEND_SALESFORCE_TEST, job


@job(SEND_SALESFORCE_TEST)
def send_salesforce_test(organization_id: int, nonce: str) -> None:
    """Salesforce Troubleshooting's Send a test: its outcome is kept for the page and the check."""
    send_test.run(organization_id, nonce)
