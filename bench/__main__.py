"""Every benchmark, one after the other, with the machine they ran on.

    .venv/bin/pip install -e '.[bench]' && .venv/bin/python -m bench [--quick] [--database-url URL]

1. webhook ingest under gunicorn against a trivial endpoint (bench.ingest);
2. end to end at 20 conversations a second, the Front API budget, a 50-requests-a-minute plan,
   and peak memory (bench.e2e);
3. knowledge retrieval, sync, Salesforce Case handoffs, the Live Messaging relay and the
   built-in agent's decisions (bench.retrieval, bench.sync, bench.salesforce, bench.relay,
   bench.agent_quality).

``--quick`` shortens every run (for a smoke test; the figures are then rougher). Nothing here
passes or fails on time: each table says which targets were met.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    memory_kib = next(
        (
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    return (
        f"{model}, {os.cpu_count()} cores, {memory_kib / 1024 / 1024:.0f} GiB; "
        f"{platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}"
    )


def section(title: str) -> None:
    print(f"\n{'=' * 8} {title} {'=' * (70 - len(title))}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="shorter runs, rougher figures")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite (it is emptied)")
    args = parser.parse_args()

    from bench import e2e, ingest

    started = time.monotonic()
    print(f"Machine: {machine()}", flush=True)
    section("Webhook ingest")
    ingest.print_report(
        ingest.run(seconds=3 if args.quick else 10, rounds=1 if args.quick else 3, database_url=args.database_url)
    )
    section("End to end, Front API budget, plan limit, memory")
    e2e.print_report(
        e2e.run(
            seconds=15 if args.quick else 60,
            limited_conversations=10 if args.quick else 25,
            database_url=args.database_url,
        )
    )
    for module, extra in (
        ("bench.retrieval", ["--sizes", "1000,10000" if args.quick else "1000,10000,100000", "--backends", "sqlite"]),
        ("bench.sync", []),
        ("bench.salesforce", ["--handoffs", "10" if args.quick else "30"]),
        ("bench.relay", ["--messages", "100" if args.quick else "500"]),
        ("bench.agent_quality", []),
    ):
        section(module)
        subprocess.run([sys.executable, "-m", module, *extra], cwd=ROOT, check=True)
    print(f"\nAll benchmarks took {(time.monotonic() - started) / 60:.1f} minutes.")


if __name__ == "__main__":
    main()
