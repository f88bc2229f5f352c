"""Retrieval latency at 1k, 10k and 100k generated articles, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.retrieval [--sizes 1000,10000,100000] [--semantic-sizes 1000,10000] [--queries 300]

PostgreSQL is read from BENCH_POSTGRES_URL (default: the local test database, which is
emptied). Prints p50/p95 of knowledge.search.search() (words only) and, for the semantic
sizes, of knowledge.retrieval.retrieve() (words and meaning, the call the agent makes), with
what the passage index costs: embedding every article, an incremental rebuild when nothing
or 1% changed (seconds per 1,000 articles), and the memory the model and the organization's
passage matrix add to a worker.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import tempfile
import time

from sqlalchemy import create_engine, text

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
    from webapp.models import KnowledgeSource, Organization, SourceKind

    organization = Organization(name="Bench")
    db.session.add(organization)
    db.session.flush()
    source = KnowledgeSource(organization_id=organization.id, kind=SourceKind.MANUAL, name="Bench", settings={})
    db.session.add(source)
    db.session.commit()
    corpus.store(organization.id, source.id, size)
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


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_semantic(organization_id: int, size: int, queries: list[str]) -> dict[str, float]:
    """Index the organization's passages, rebuild incrementally, and time retrieve()."""
    from sqlalchemy import select, update

    from webapp.db import db
    from webapp.knowledge import embeddings, retrieval
    from webapp.models import KnowledgeArticle

    figures = {}
    gc.collect()
    before = rss_mib()
    embeddings.preload()
    figures["model MiB"] = rss_mib() - before

    started = time.perf_counter()
    retrieval.reindex(organization_id)
    figures["embed s/1k"] = (time.perf_counter() - started) * 1000 / size
    db.session.expire_all()
    started = time.perf_counter()
    retrieval.reindex(organization_id)
    figures["unchanged s/1k"] = (time.perf_counter() - started) * 1000 / size
    ids = db.session.scalars(select(KnowledgeArticle.id).where(KnowledgeArticle.organization_id == organization_id))
    edited = [article_id for n, article_id in enumerate(ids) if n % 100 == 0]
    db.session.execute(
        update(KnowledgeArticle)
        .where(KnowledgeArticle.id.in_(edited))
        .values(body=KnowledgeArticle.body + " Edited.")
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    started = time.perf_counter()
    retrieval.reindex(organization_id)
    figures["1% edited s/1k"] = (time.perf_counter() - started) * 1000 / size

    retrieval.forget(organization_id)
    db.session.expire_all()
    gc.collect()
    before = rss_mib()
    started = time.perf_counter()
    retrieval.index_of(organization_id)
    figures["load s"] = time.perf_counter() - started
    gc.collect()
    figures["index MiB"] = rss_mib() - before
    index = retrieval.index_of(organization_id)
    figures["rows"] = len(index.matrix)
    figures["matrix MiB"] = sum(a.nbytes for a in (index.matrix, index.row_ids, index.is_example, index.starts)) / 2**20

    for question in queries[:20]:
        retrieval.retrieve(organization_id, question)
    timings = []
    for question in queries:
        started = time.perf_counter()
        retrieval.retrieve(organization_id, question)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    figures["p50 ms"] = statistics.median(timings)
    figures["p95 ms"] = timings[int(len(timings) * 0.95) - 1]
    return figures


SEMANTIC_COLUMNS = (
    "embed s/1k",
    "unchanged s/1k",
    "1% edited s/1k",
    "rows",
    "load s",
    "matrix MiB",
    "index MiB",
    "model MiB",
    "p50 ms",
    "p95 ms",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--semantic-sizes", default="1000,10000", help="sizes at which retrieve() is measured too")
    args = parser.parse_args()
    from webapp import create_app
    from webapp.migrations import upgrade

    queries = corpus.questions(args.queries)
    semantic_sizes = {int(s) for s in args.semantic_sizes.split(",") if s}
    semantic = []
    print("search(), words only")
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
                    if size in semantic_sizes:
                        semantic.append((kind, size, measure_semantic(organization_id, size, queries)))
                    from webapp.db import db

                    db.session.remove()
                    db.engine.dispose()
                print(f"{kind:<11} {size:>9} {loaded:>7.1f} {p50:>7.2f} {p95:>7.2f} {worst:>7.2f}", flush=True)
    if semantic:
        print(
            "\nretrieve(), words and meaning (index and model MiB: RSS added when loaded, in this process; "
            "memory freed by an earlier size is reused, so read the matrix's own size too)"
        )
        print(f"{'backend':<11} {'articles':>9} " + " ".join(f"{c:>14}" for c in SEMANTIC_COLUMNS))
        for kind, size, figures in semantic:
            values = " ".join(f"{figures[c]:>14.{0 if c == 'rows' else 3}f}" for c in SEMANTIC_COLUMNS)
            print(f"{kind:<11} {size:>9} {values}")


if __name__ == "__main__":
    main()
