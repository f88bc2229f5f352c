"""Case handoffs against the loopback fake Salesforce: the Salesforce calls each handoff takes
(target: at most 2) and the time from the handoff decision to the Case created, with every
Salesforce answer delayed by ``--latency`` (100 ms by default, a long-distance API call).

    .venv/bin/python -m bench.salesforce [--handoffs 30] [--latency 0.1] [--database-url URL]

Three kinds of handoff, each ``--handoffs`` times:

- a new customer with a short conversation (one Case, its transcript in one comment);
- a new customer whose conversation needs several 4,000-byte comments (multibyte text);
- a returning customer with an open Case, which the handoff is added to.

"Decision to Case" is the Salesforce part alone; "whole handoff" adds Front's internal note and
the customer's handoff message through the fake Front (no added latency). Nothing here passes
or fails on time.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time

from bench.stack import percentile

SHORT = [("customer", "My invoice shows the wrong amount."), ("ai", "Let me check that for you.")]
LONG = [
    ("customer" if n % 2 == 0 else "ai", f"Nachricht {n}: Die Rechnung für März ist falsch berechnet. 🙂 " * 20)
    for n in range(12)
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--handoffs", type=int, default=30, help="handoffs of each kind")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the fake Salesforce takes per answer")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite (it is emptied)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the figures, not every request
    result = run(args.handoffs, args.latency, args.database_url)
    print_report(result, args.latency)


def run(handoffs: int, latency: float, database_url: str | None) -> dict:
    from webapp import create_app
    from webapp.db import db
    from webapp.migrations import upgrade
    from webapp.sandbox.front import FakeFront, FrontServer
    from webapp.sandbox.salesforce import FakeSalesforce, SalesforceServer

    with (
        tempfile.TemporaryDirectory() as workdir,
        FrontServer(FakeFront(page_size=100)) as front,
        SalesforceServer(FakeSalesforce(callback_url="http://localhost:5000/oauth/salesforce/callback")) as org,
    ):
        url = database_url or f"sqlite:///{workdir}/bench.db"
        app = create_app(
            {
                "DATABASE_URL": url,
                "FRONT_API_URL": front.url,
                "FRONT_RETRY_BACKOFF": 0.0,
                "ALLOW_PRIVATE_OUTBOUND": True,
                "SALESFORCE_RETRY_BACKOFF": 0.0,
            },
            instance_path=workdir,
        )
        with app.app_context():
            if database_url:
                db.drop_all()
            upgrade("head", database_url=url)
            organization_id = install(front, org)
            org.latency = latency
            figures = {}
            kinds = (("new Case, short", SHORT), ("new Case, long", LONG), ("open Case", SHORT))
            for index, (kind, transcript) in enumerate(kinds):
                figures[kind] = measure(front, org, organization_id, index, kind, transcript, handoffs)
            if database_url:
                db.session.remove()
                db.drop_all()
    return figures


def install(front, org) -> int:
    """An organization with Front and Salesforce connected, as the settings pages leave it."""
    from webapp.db import db
    from webapp.front.integration import API_TOKEN, get_or_create
    from webapp.models import Organization
    from webapp.salesforce import integration as salesforce

    front.add_teammate("tea_ai", "Switchboard", "AI")
    organization = Organization(name="Bench")
    db.session.add(organization)
    db.session.flush()
    integration = get_or_create(organization.id)
    integration.set_credential(API_TOKEN, front.token)
    integration.settings = {
        "ai_teammate_id": "tea_ai",
        "ai_teammate_name": "Switchboard AI",
        "teammates": [{"id": "tea_ai", "name": "Switchboard AI"}],
        "rate_limit_per_minute": 600_000,
    }
    integration.enabled = True
    connection = salesforce.get_or_create(organization.id)
    tokens = org.issue_tokens()
    connection.set_credential(salesforce.CLIENT_SECRET, org.client_secret)
    connection.set_credential(salesforce.ACCESS_TOKEN, tokens["access_token"])
    connection.set_credential(salesforce.REFRESH_TOKEN, tokens["refresh_token"])
    salesforce.update_settings(
        connection,
        client_id=org.client_id,
        login_url=org.url,
        state=salesforce.ConnectionState.CONNECTED.value,
        username=org.username,
        user_id=org.user_id,
        org_id=org.org_id,
        instance_url=org.url,
    )
    db.session.commit()
    return organization.id


def measure(front, org, organization_id: int, index: int, kind: str, transcript, handoffs: int) -> dict:
    from webapp.agent import Handoff
    from webapp.db import db
    from webapp.front import actions
    from webapp.front.integration import client_for, front_integration
    from webapp.models import Channel, EventKind, SupportSession
    from webapp.salesforce.cases import SalesforceCase, hand_off_as_case

    to_case, whole, calls, comments = [], [], [], []
    sender = actions.Sender(client_for(front_integration(organization_id)), "tea_ai", sleep=lambda _: None)
    destination = SalesforceCase()
    for n in range(handoffs):
        email = f"customer-{index}-{n}@example.com"
        if kind == "open Case":
            contact = org.add_contact(email)
            org.add_case(ContactId=contact, SuppliedEmail=email, Subject="An earlier question")
        conversation_id = f"cnv_{index}_{n}"
        front.add_conversation(conversation_id, assignee="tea_ai")
        number = db.session.query(SupportSession).filter_by(organization_id=organization_id).count() + 1
        support_session = SupportSession(
            organization_id=organization_id,
            ticket_number=number,
            channel=Channel.EMAIL,
            subject="Wrong amount on my invoice",
            contact_name="Bench Customer",
            contact_email=email,
            front_conversation_id=conversation_id,
        )
        db.session.add(support_session)
        for m, (who, text) in enumerate(transcript):
            if who == "customer":
                support_session.record(EventKind.CUSTOMER_MESSAGE, text=text, message_id=f"msg_{n}_{m}")
            else:
                support_session.record(EventKind.AI_REPLY, text=text)
        db.session.commit()
        handoff = Handoff(reason="billing question", summary="The invoice amount is wrong.", sentiment="frustrated")
        before = len(org.data_calls())
        started = time.perf_counter()
        outcome = hand_off_as_case(support_session, handoff, f"msg_{n}_0")
        to_case.append(time.perf_counter() - started)
        calls.append(len(org.data_calls()) - before)
        comments.append(outcome.comments_added + len(outcome.leftover))
        # The whole handoff again, as the job runs it: the Case is recorded, so only Front is left.
        started = time.perf_counter()
        destination.hand_off(
            sender=sender,
            support_session=support_session,
            message_id=f"msg_{n}_0",
            handoff=handoff,
            retrying=False,
            customer_message="A colleague will get back to you by email.",
        )
        whole.append(to_case[-1] + time.perf_counter() - started)
        assert len(org.data_calls()) - before == calls[-1], "a recorded Case was asked for again"
    return {"to_case": sorted(to_case), "whole": sorted(whole), "calls": calls, "comments": comments}


def print_report(figures: dict, latency: float) -> None:
    print(f"Case handoffs against the fake Salesforce answering in {latency * 1000:.0f} ms per call")
    print(
        f"{'handoff':<18} {'n':>4} {'SF calls':>9} {'comments':>9} "
        f"{'to Case p50':>12} {'p95':>8} {'whole p50':>10} {'p95':>8}"
    )
    worst = 0
    for kind, result in figures.items():
        calls = max(result["calls"])
        worst = max(worst, calls)
        to_case = [percentile(result["to_case"], q) * 1000 for q in (0.5, 0.95)]
        whole = [percentile(result["whole"], q) * 1000 for q in (0.5, 0.95)]
        print(
            f"{kind:<18} {len(result['calls']):>4} {statistics.mean(result['calls']):>9.2f} "
            f"{statistics.mean(result['comments']):>9.1f} "
            f"{to_case[0]:>10.0f}ms {to_case[1]:>6.0f}ms {whole[0]:>8.0f}ms {whole[1]:>6.0f}ms"
        )
    verdict = "met" if worst <= 2 else "NOT met"
    print(f"Salesforce calls per Case handoff: at most {worst} (target <= 2: {verdict})")


if __name__ == "__main__":
    main()
