"""Retrieval latency at 1k, 10k and 100k generated articles, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.retrieval [--sizes 1000,10000,100000] [--queries 300]

PostgreSQL is read from BENCH_POSTGRES_URL (default: the local test database, which is
emptied). Prints p50/p95 of knowledge.search.search(), the call the agent makes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

from sqlalchemy import create_engine, insert, text

from bench import corpus

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def fresh_database(kind: str, workdir: str) -> str | None:
    from webapp.config import normalize_database_url

    if kind == "sqlite":
        return f"sqlite:///{workdir}/bench.db"
    url = normalize_database_url(POSTGRES_URL)
    try:
        engine = create_engine(url)
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    except Exception as exc:  # no PostgreSQL here: say so and go on
        print(f"postgresql: skipped ({type(exc).__name__}: {exc})")
        return None
    return url


def load(size: int) -> int:
    """Fill the organization's knowledge with ``size`` articles; returns the organization id."""
    from webapp.db import db
    from webapp.models import KnowledgeArticle, KnowledgeSource, Organization, SourceKind

    organization = Organization(name="Bench")
    db.session.add(organization)
    db.session.flush()
    source = KnowledgeSource(organization_id=organization.id, kind=SourceKind.MANUAL, name="Bench", settings={})
    db.session.add(source)
    db.session.commit()
    rows = []
    for n, (title, body) in enumerate(corpus.articles(size)):
        rows.append(
            {
                "organization_id": organization.id,
                "source_id": source.id,
                "external_id": f"b{n}",
                "locale": "en",
                "title": title,
                "body": body,
                "visibility": "public",
                "hidden": False,
            }
        )
        if len(rows) == 2000:
            db.session.execute(insert(KnowledgeArticle), rows)
            rows = []
    if rows:
        db.session.execute(insert(KnowledgeArticle), rows)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        # What autovacuum does after a bulk load: flush the GIN pending list, refresh statistics.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE knowledge_articles"))
    return organization.id


def measure(organization_id: int, queries: list[str]) -> tuple[float, float, float]:
    from webapp.knowledge import search

    for question in queries[:20]:  # warm caches
        search.search(organization_id, question)
    timings = []
    for question in queries:
        started = time.perf_counter()
        search.search(organization_id, question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1], timings[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    from webapp import create_app
    from webapp.migrations import upgrade

    queries = corpus.questions(args.queries)
    print(f"{'backend':<11} {'articles':>9} {'load s':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7}")
    for kind in args.backends.split(","):
        for size in [int(s) for s in args.sizes.split(",")]:
            with tempfile.TemporaryDirectory() as workdir:
                url = fresh_database(kind, workdir)
                if url is None:
                    break
                app = create_app({"DATABASE_URL": url}, instance_path=workdir)
                with app.app_context():
                    upgrade("head", database_url=url)
                    started = time.perf_counter()
                    organization_id = load(size)
                    loaded = time.perf_counter() - started
                    p50, p95, worst = measure(organization_id, queries)
                    from webapp.db import db

                    db.session.remove()
                    db.engine.dispose()
                print(f"{kind:<11} {size:>9} {loaded:>7.1f} {p50:>7.2f} {p95:>7.2f} {worst:>7.2f}", flush=True)


if __name__ == "__main__":
    main()
