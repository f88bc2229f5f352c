"""`switchboard sandbox`: a customer message typed there is answered by Switchboard."""

from tests.conftest import run_worker
from webapp.db import db
from webapp.knowledge import sources
from webapp.models import Integration, IntegrationKind
from webapp.sandbox.console import AI, activity_since, seed, send_customer_message
from webapp.sandbox.front import FakeFront, FrontServer


def test_a_typed_message_reaches_switchboard_signed_and_the_answer_comes_back(app, live_server, world):
    organization = world.organization()
    sources.add_manual_article(organization.id, title="Shipping times", body="Orders ship within two business days.", url=None, locale="en", internal=False)
    with FrontServer(FakeFront(page_size=100)) as fake:
        seed(fake)
        app.config["FRONT_API_URL"] = fake.url
        integration = Integration(
            organization_id=organization.id, kind=IntegrationKind.FRONT, enabled=True,
            settings={"ai_teammate_id": AI, "rate_limit_per_minute": 6000},
            credentials={"api_token": fake.token, "app_secret": "sandbox-app-secret"}, webhook_token="sandbox-hook",
        )
        db.session.add(integration)
        db.session.commit()

        response = send_customer_message(fake, f"{live_server}/webhooks/front/sandbox-hook", "sandbox-app-secret", "cnv_sandbox_1", "How long does shipping take for my order?")
        assert response.status_code == 200 and response.json() == {"status": "accepted"}
        run_worker()
        lines = activity_since(fake, "cnv_sandbox_1", 0)
        assert lines and lines[0].startswith("AI reply: Orders ship within two business days")


def test_the_sandbox_command_is_registered(runner):
    result = runner.invoke(args=["sandbox", "--help"])
    assert result.exit_code == 0 and "chat with Switchboard as a customer" in result.output
