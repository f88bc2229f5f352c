"""Fixtures for tests/salesforce: Front's (a fake Front on loopback, the connected organization,
signed deliveries, a scripted agent, the worker) and a fake Salesforce org
(tests/salesforce/case_fixtures.py)."""

from tests.front.conftest import (  # noqa: F401
    agent_decides,
    deliver,
    fake_front,
    integration,
    no_settle,
    organization,
    process,
)
from tests.salesforce.case_fixtures import fake_salesforce  # noqa: F401
