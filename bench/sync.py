"""A full sync of 1,000 Help Center articles against a loopback fake of Front, then an
incremental sync after 1% of them changed, with the API calls each made.

    .venv/bin/python -m bench.sync [--articles 1000] [--latency 0.0]

The fake answers with ``--latency`` seconds of delay per call. The organization's budget is
set high here to measure the sync itself; the last line says what Front's plan limits mean
for the same work.
"""

from __future__ import annotations

import argparse
import tempfile
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.0)
    args = parser.parse_args()

    from webapp import create_app
    from webapp.db import db
    from webapp.knowledge import sync
    from webapp.migrations import upgrade
    from webapp.models import Integration, IntegrationKind, KnowledgeSource, Organization, SourceKind
    from webapp.sandbox.front import FrontServer

    with tempfile.TemporaryDirectory() as workdir, FrontServer() as fake:
        url = f"sqlite:///{workdir}/bench.db"
        app = create_app(
            {"DATABASE_URL": url, "FRONT_API_URL": fake.url, "FRONT_RETRY_BACKOFF": 0.0}, instance_path=workdir
        )
        fake.add_knowledge_base("knb_a", "Help Center", "external", locales=("en",))
        fake.add_knowledge_base("knb_b", "Playbook", "internal", locales=("en",))
        for n in range(args.articles):
            kb = "knb_a" if n % 4 else "knb_b"
            fake.add_article(
                kb, f"kba_{n}", f"Article {n}", f"<h1>Article {n}</h1><p>{'Some helpful words. ' * 40}</p>"
            )
        fake.latency = args.latency
        fake.page_size = 100  # Front's largest page
        with app.app_context():
            upgrade("head", database_url=url)
            organization = Organization(name="Bench")
            db.session.add(organization)
            db.session.flush()
            db.session.add(
                Integration(
                    organization_id=organization.id,
                    kind=IntegrationKind.FRONT,
                    settings={"rate_limit_per_minute": 600_000},
                )
            )
            source = KnowledgeSource(
                organization_id=organization.id,
                kind=SourceKind.FRONT,
                name="Bench",
                credentials={"api_token": fake.token},
                settings={
                    "knowledge_bases": [
                        {"id": "knb_a", "type": "external", "locales": ["en"]},
                        {"id": "knb_b", "type": "internal", "locales": ["en"]},
                    ],
                    "selected": ["knb_a", "knb_b"],
                },
            )
            db.session.add(source)
            db.session.commit()

            print(f"{'run':<13} {'articles':>8} {'fetched':>8} {'API calls':>10} {'list pages':>11} {'seconds':>8}")
            for label, change in (("full", 0), ("incremental", max(1, args.articles // 100))):
                for n in range(change):
                    fake.edit_article(f"kba_{n * 100}", "<p>Changed.</p>")
                fake.calls.clear()
                started = time.perf_counter()
                report = sync.run(source.id)
                elapsed = time.perf_counter() - started
                pages = len([c for c in fake.calls if c.path.endswith("/articles")])
                print(
                    f"{label:<13} {report.listed:>8} {report.fetched:>8} "
                    f"{report.api_calls:>10} {pages:>11} {elapsed:>8.2f}",
                    flush=True,
                )
                if label == "full":
                    full_calls = report.api_calls
            print(
                f"At Front's 50/100/200 requests a minute, a full sync's {full_calls} calls take at least "
                f"{full_calls / 50:.0f} / {full_calls / 100:.0f} / {full_calls / 200:.0f} minutes; the sync runs at "
                "background priority, so replies keep a reserve of the budget meanwhile."
            )


if __name__ == "__main__":
    main()
