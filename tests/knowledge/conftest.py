from __future__ import annotations

import pytest

from tests.fakes.front import FakeFront

# Reuse the Front fixtures (fake Front on loopback, the connected organization).
from tests.front.conftest import deliver, fake_front, integration, no_settle, organization, process  # noqa: F401
from webapp.db import db
from webapp.models import KnowledgeSource, SourceKind, SyncSchedule


@pytest.fixture
def help_centers(fake_front: FakeFront) -> FakeFront:
    """Two Help Centers: a public one in English and French, and an internal one."""
    fake_front.add_knowledge_base("knb_pub", "Acme Help Center", "external", locales=("en", "fr"))
    fake_front.add_knowledge_base("knb_int", "Support Playbook", "internal", locales=("en",))
    fake_front.add_article(
        "knb_pub",
        "kba_ship",
        "Shipping times",
        "<h1>Shipping times</h1><p>Orders ship within <b>2 business days</b>. Tracking numbers arrive by email.</p>",
        locales={"fr": ("Délais de livraison", "<p>Les commandes sont expédiées sous 2 jours ouvrés.</p>")},
    )
    fake_front.add_article(
        "knb_pub", "kba_refund", "Refund policy", "<p>Refunds are issued within 14 days of a return.</p>"
    )
    fake_front.add_article(
        "knb_pub", "kba_draft", "Upcoming pricing", "<p>New prices start in March.</p>", status="draft"
    )
    fake_front.add_article("knb_int", "kba_escalate", "Escalation rules", "<p>Escalate chargebacks to finance.</p>")
    return fake_front


@pytest.fixture
def source(organization, help_centers, integration) -> KnowledgeSource:  # noqa: F811
    source = KnowledgeSource(
        organization_id=organization.id,
        kind=SourceKind.FRONT,
        name="Front Help Center",
        credentials={"api_token": help_centers.token},
        schedule=SyncSchedule.DAILY,
        settings={
            "knowledge_bases": [
                {"id": "knb_pub", "name": "Acme Help Center", "type": "external", "locales": ["en", "fr"]},
                {"id": "knb_int", "name": "Support Playbook", "type": "internal", "locales": ["en"]},
            ],
            "selected": ["knb_pub", "knb_int"],
            "start_date": "2000-01-01",
            "help_center_url": "https://help.acme.test",
        },
    )
    db.session.add(source)
    db.session.commit()
    return source
