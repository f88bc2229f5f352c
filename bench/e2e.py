"""End to end: signed webhooks from the fake Front, through gunicorn and one RQ worker with the
built-in agent, to Switchboard's answer arriving back at the fake Front.

    .venv/bin/python -m bench.e2e [--rate 20] [--seconds 60] [--articles 1000]
        [--limited-conversations 25] [--saturation-seconds 20] [--database-url URL] [--redis-url URL]

Set-up: a fresh instance folder; the fake Front (``webapp.sandbox``) on loopback with an AI
teammate and a Help Center of ``--articles`` generated articles, imported by Switchboard's own
sync; `switchboard serve`'s gunicorn and exactly one `switchboard worker`.

1. Latency. A new conversation every 1/``--rate`` seconds for ``--seconds``: nine in ten ask
   a question about the Help Center, one in ten asks for a person (a handoff). Latency runs
   from the moment the webhook was due to be sent (so a backlog shows as latency) to the
   moment the fake Front receives the first message Switchboard sends in that conversation:
   the answer, or the handoff's notice to the customer. A conversation with no decision at all
   is lost; one answered twice is duplicated. The organization's API budget is set high here:
   this run is about Switchboard, the next one about Front's limits.
2. Saturation. Steady runs of ``--saturation-seconds`` at doubling rates (4, 8, 16 ... a
   second), then halving steps between the last that held and the first that did not, find
   the rate at which one worker's p95 latency passes 1 s: how many conversations a second one
   worker takes. Also the Front API budget: the calls each conversation of run 1 cost.
3. A plan limit of 50 requests a minute. The fake Front refuses (429, Retry-After) beyond 50
   requests in any rolling minute, Switchboard is told the same limit, and
   ``--limited-conversations`` conversations arrive at once. Prints the 429s Front answered,
   the errors that reached a session (must be 0), and the queueing delay the budget imposed.
4. Memory. Peak resident memory of the web server (gunicorn's master and workers) and of the
   worker (with its work horses), during run 1.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

from bench import corpus
from bench.stack import (
    Installation,
    MemoryPeaks,
    free_port,
    gunicorn_command,
    percentile,
    wait_until_answers,
    worker_command,
)

AI, HUMAN = "tea_ai", "tea_sam"
APP_SECRET = "bench-front-app-secret"
WEBHOOK_TOKEN = "bench-webhook-token-0123456789abcdef"
ROOMY_BUDGET = 600_000  # requests a minute: run 1 measures Switchboard, not Front's plan
PLAN_LIMIT = 50
TARGETS = {"p50_ms": 150.0, "p95_ms": 400.0, "reply_calls": 3, "handoff_calls": 4}


class Conversations:
    """Creates conversations in the fake Front and announces them with signed webhooks."""

    def __init__(self, fake, webhook_url: str, prefix: str):
        self.fake = fake
        self.webhook_url = webhook_url
        self.prefix = prefix
        self.due: dict[str, float] = {}  # conversation id -> when its webhook was due
        self.message_of: dict[str, str] = {}  # message id -> conversation id
        self.refused: list[str] = []
        self._local = threading.local()

    def send(self, n: int, text: str, due: float) -> None:
        from webapp.front.signatures import sign_application

        conversation_id = f"cnv_{self.prefix}_{n}"
        self.fake.add_conversation(conversation_id, assignee=AI, subject=text[:60])
        message = self.fake.add_message(conversation_id, text, sender=("Bench Customer", f"customer{n}@example.com"))
        self.due[conversation_id] = due
        self.message_of[message["id"]] = conversation_id
        body = json.dumps(self.fake.event(message)).encode()
        stamp = str(int(time.time() * 1000))
        headers = {
            "Content-Type": "application/json",
            "X-Front-Request-Timestamp": stamp,
            "X-Front-Signature": sign_application(APP_SECRET, stamp, body),
        }
        session = getattr(self._local, "session", None) or requests.Session()
        self._local.session = session
        response = session.post(self.webhook_url, data=body, headers=headers, timeout=30)
        if response.status_code != 200:
            self.refused.append(f"{conversation_id}: {response.status_code} {response.text[:200]}")

    def outcomes(self) -> dict[str, dict]:
        """Per conversation: every call Switchboard made about it, and when its first message arrived."""
        found = {cid: {"calls": [], "first_message_at": None, "messages": 0, "handoff": False} for cid in self.due}
        for call in list(self.fake.calls):
            parts = call.path.split("/")
            if len(parts) > 2 and parts[1] == "conversations":
                cid = parts[2]
            elif len(parts) > 2 and parts[1] == "messages":
                cid = self.message_of.get(parts[2])
            else:
                continue
            if cid not in found:
                continue
            outcome = found[cid]
            outcome["calls"].append(call)
            if call.method == "POST" and call.path.endswith("/messages") and call.succeeded:
                outcome["messages"] += 1
                if outcome["first_message_at"] is None:
                    outcome["first_message_at"] = call.at
            if call.method == "PUT" and call.path.endswith("/assignee") and call.succeeded:
                outcome["handoff"] = True
        return found


def seed_front(fake, articles: int) -> None:
    fake.company = {"id": "cmp_bench", "name": "Bench Inc"}
    fake.page_size = 100  # Front's largest page
    fake.add_teammate(AI, "Switchboard", "AI", "ai@bench.test")
    fake.add_teammate(HUMAN, "Sam", "Support", "sam@bench.test")
    fake.add_knowledge_base("knb_help", "Bench Help Center", "external", locales=("en",))
    for n, (title, body) in enumerate(corpus.articles(articles)):
        fake.add_article("knb_help", f"kba_{n}", title, f"<h1>{title}</h1><p>{body}</p>")


def install_organization(installation: Installation, fake) -> tuple[int, int]:
    """The organization, its connected Front integration and its synced Help Center."""
    from webapp.db import db
    from webapp.knowledge import sync
    from webapp.models import Integration, IntegrationKind, KnowledgeSource, Organization, SourceKind

    app = installation.app(FRONT_API_URL=fake.url, FRONT_RETRY_BACKOFF=0.0)
    with app.app_context():
        organization = Organization(name="Bench")
        db.session.add(organization)
        db.session.flush()
        integration = Integration(
            organization_id=organization.id,
            kind=IntegrationKind.FRONT,
            enabled=True,
            settings={
                "ai_teammate_id": AI,
                "ai_teammate_name": "Switchboard AI",
                "handle_unassigned": False,
                "rate_limit_per_minute": ROOMY_BUDGET,
            },
            credentials={"api_token": fake.token, "app_secret": APP_SECRET},
            webhook_token=WEBHOOK_TOKEN,
        )
        source = KnowledgeSource(
            organization_id=organization.id,
            kind=SourceKind.FRONT,
            name="Bench Help Center",
            credentials={"api_token": fake.token},
            settings={
                "knowledge_bases": [{"id": "knb_help", "type": "external", "locales": ["en"]}],
                "selected": ["knb_help"],
                "help_center_url": "https://help.bench.test",
            },
        )
        db.session.add_all([integration, source])
        db.session.commit()
        report = sync.run(source.id)
        print(f"Help Center synced: {report.listed} articles, {report.api_calls} API calls", flush=True)
        ids = organization.id, integration.id
        db.session.remove()
        db.engine.dispose()
    return ids


def set_budget(installation: Installation, integration_id: int, per_minute: int) -> None:
    from webapp.db import db
    from webapp.models import Integration

    with installation.app().app_context():
        integration = db.session.get(Integration, integration_id)
        integration.settings = {**integration.settings, "rate_limit_per_minute": per_minute}
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def session_errors(installation: Installation) -> int:
    from sqlalchemy import func, select

    from webapp.db import db
    from webapp.models import EventKind, SessionEvent

    with installation.app().app_context():
        count = db.session.scalar(
            select(func.count()).select_from(SessionEvent).where(SessionEvent.kind == EventKind.ERROR)
        )
        db.session.remove()
        db.engine.dispose()
    return count


def drive(conversations: Conversations, texts: list[str], rate: float | None, pool: ThreadPoolExecutor) -> None:
    """Send one conversation per text, on a steady schedule (or all at once when rate is None)."""
    start = time.time() + 0.2
    futures = []
    for n, text in enumerate(texts):
        due = start + (n / rate if rate else 0.0)
        delay = due - time.time()
        if delay > 0:
            time.sleep(delay)
        futures.append(pool.submit(conversations.send, n, text, due))
    for future in futures:
        future.result()


def wait_for_decisions(conversations: Conversations, timeout: float) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        outcomes = conversations.outcomes()
        if all(o["messages"] or o["handoff"] for o in outcomes.values()):
            time.sleep(1.0)  # anything sent twice would arrive now
            return
        time.sleep(0.25)


def texts_for(count: int, seed: int) -> list[str]:
    questions = corpus.questions(count, seed=seed)
    return ["I want to talk to a human, please." if n % 10 == 9 else q for n, q in enumerate(questions)]


def latency_figures(conversations: Conversations) -> dict:
    outcomes = conversations.outcomes()
    latencies = sorted(
        (o["first_message_at"] - conversations.due[cid]) * 1000 for cid, o in outcomes.items() if o["first_message_at"]
    )
    replies = [o for o in outcomes.values() if o["messages"] and not o["handoff"]]
    handoffs = [o for o in outcomes.values() if o["handoff"]]
    return {
        "conversations": len(outcomes),
        "lost": sum(1 for o in outcomes.values() if not o["messages"] and not o["handoff"]),
        "duplicated": sum(1 for o in outcomes.values() if o["messages"] > 1),
        "replies": len(replies),
        "handoffs": len(handoffs),
        "pickup_p50_ms": percentile(
            sorted((o["calls"][0].at - conversations.due[cid]) * 1000 for cid, o in outcomes.items() if o["calls"]), 0.5
        ),
        "p50_ms": percentile(latencies, 0.50),
        "p95_ms": percentile(latencies, 0.95),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": latencies[-1] if latencies else float("nan"),
        "reply_calls_max": max((len(o["calls"]) for o in replies), default=0),
        "reply_calls_mean": sum(len(o["calls"]) for o in replies) / len(replies) if replies else 0,
        "handoff_calls_max": max((len(o["calls"]) for o in handoffs), default=0),
        "handoff_calls_mean": sum(len(o["calls"]) for o in handoffs) / len(handoffs) if handoffs else 0,
        "refused_webhooks": list(conversations.refused),
    }


SATURATION_P95_MS = 1000.0


def saturation(fake, webhook_url: str, pool: ThreadPoolExecutor, step_seconds: float, first_rate: float) -> dict:
    """One worker's saturation point: steady runs of ``step_seconds`` at doubling rates until
    the p95 latency passes SATURATION_P95_MS, then halving steps between the last rate that
    held and the first that did not. Each step starts once the one before has drained."""
    steps: list[dict] = []

    def step(rate: float) -> bool:
        conversations = Conversations(fake, webhook_url, f"sat{len(steps)}")
        drive(conversations, texts_for(max(10, int(rate * step_seconds)), seed=17 + len(steps)), rate, pool)
        wait_for_decisions(conversations, 300)
        figures = latency_figures(conversations)
        held = figures["p95_ms"] <= SATURATION_P95_MS and figures["lost"] == 0
        steps.append({"rate": rate, "p95_ms": figures["p95_ms"], "lost": figures["lost"], "held": held})
        print(f"  {rate:6.1f}/s: p95 {figures['p95_ms']:8.0f} ms{'' if held else '  (past the limit)'}", flush=True)
        return held

    low, high = 0.0, first_rate
    while step(high):
        low, high = high, high * 2
        if high > 512:
            break
    for _ in range(3):  # narrow it down to an eighth of the first bracket
        if high - low <= max(0.5, low / 8):
            break
        middle = round((low + high) / 2, 1)
        if step(middle):
            low = middle
        else:
            high = middle
    return {"rate": low, "first_failing_rate": high, "steps": steps, "step_seconds": step_seconds}


def run(
    rate: float = 20.0,
    seconds: float = 60.0,
    articles: int = 1000,
    limited_conversations: int = 25,
    database_url: str | None = None,
    redis_url: str | None = None,
    saturation_seconds: float = 0.0,
) -> dict:
    import logging

    from webapp.sandbox.front import FakeFront, FrontServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the fake Front's access log
    fake = FakeFront()
    with tempfile.TemporaryDirectory(prefix="switchboard-e2e-") as workdir, FrontServer(fake):
        instance = Path(workdir) / "instance"
        instance.mkdir()
        installation = Installation.create(instance, database_url, redis_url)
        try:
            seed_front(fake, articles)
            _, integration_id = install_organization(installation, fake)
            port = free_port()
            env = {"FRONT_API_URL": fake.url, "FRONT_RETRY_BACKOFF": "0.5"}
            web = installation.start("web", gunicorn_command(port, 2, instance), **env)
            worker = installation.start("worker", worker_command(), **env)
            wait_until_answers(web, port)
            webhook_url = f"http://127.0.0.1:{port}/webhooks/front/{WEBHOOK_TOKEN}"
            result: dict = {
                "rate": rate,
                "seconds": seconds,
                "articles": articles,
                "database": installation.database_url.split(":", 1)[0],
                "redis": "embedded" if installation.embedded_redis is not None else "external",
            }

            with ThreadPoolExecutor(32) as pool:
                warm = Conversations(fake, webhook_url, "warm")
                drive(warm, texts_for(10, seed=3), 5.0, pool)
                wait_for_decisions(warm, 60)

                print(f"run 1: {rate:g} conversations a second for {seconds:g} s ...", flush=True)
                measured = Conversations(fake, webhook_url, "run")
                with MemoryPeaks({"web": web.pid, "worker": worker.pid}) as memory:
                    drive(measured, texts_for(int(rate * seconds), seed=11), rate, pool)
                    wait_for_decisions(measured, 120)
                worker.check()
                result["latency"] = latency_figures(measured)
                result["memory_mib"] = {
                    role: {
                        "tree_peak": memory.peak_total_kib[role] / 1024,
                        "largest_process": memory.peak_process_kib[role] / 1024,
                    }
                    for role in memory.roots
                }

                if saturation_seconds:
                    print(
                        f"run 2: one worker's saturation point (p95 past {SATURATION_P95_MS:.0f} ms), "
                        f"{saturation_seconds:g} s a step ...",
                        flush=True,
                    )
                    result["saturation"] = saturation(fake, webhook_url, pool, saturation_seconds, first_rate=4.0)
                    worker.check()

                print(
                    f"run 3: {limited_conversations} conversations at once, {PLAN_LIMIT} requests a minute ...",
                    flush=True,
                )
                set_budget(installation, integration_id, PLAN_LIMIT)
                time.sleep(1.0)
                fake.rate_limit_per_minute = PLAN_LIMIT
                fake.rate_limited = 0
                errors_before = session_errors(installation)
                limited = Conversations(fake, webhook_url, "limited")
                drive(limited, texts_for(limited_conversations, seed=5), None, pool)
                wait_for_decisions(limited, 60 * (3 * limited_conversations // PLAN_LIMIT + 3))
                figures = latency_figures(limited)
                result["limited"] = {
                    **figures,
                    "refused_429": fake.rate_limited,
                    "session_errors": session_errors(installation) - errors_before,
                    "calls": sum(len(o["calls"]) for o in limited.outcomes().values()),
                }
            result["worker_log"] = worker.log_tail(5)
            return result
        finally:
            installation.close()


def print_report(result: dict) -> None:
    lat, lim, mem = result["latency"], result["limited"], result["memory_mib"]
    met = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    print(
        f"\nEnd to end: {lat['conversations']} conversations at {result['rate']:g}/s for {result['seconds']:g} s, "
        f"{result['articles']} articles, one worker, {result['database']}, {result['redis']} Redis"
    )
    print(f"{'':<28}{'figure':>12}{'target':>12}")
    print(
        f"{'latency p50':<28}{lat['p50_ms']:>9.0f} ms{TARGETS['p50_ms']:>9.0f} ms  "
        f"{met(lat['p50_ms'] < TARGETS['p50_ms'])}"
    )
    print(
        f"{'latency p95':<28}{lat['p95_ms']:>9.0f} ms{TARGETS['p95_ms']:>9.0f} ms  "
        f"{met(lat['p95_ms'] < TARGETS['p95_ms'])}"
    )
    print(f"{'first call to Front p50':<28}{lat['pickup_p50_ms']:>9.0f} ms")
    print(f"{'latency p99 / max':<28}{lat['p99_ms']:>9.0f} ms   {lat['max_ms']:.0f} ms")
    print(
        f"{'lost / duplicated':<28}{lat['lost']:>6} / {lat['duplicated']:<3}{'0 / 0':>12}  "
        f"{met(lat['lost'] == lat['duplicated'] == 0)}"
    )
    print(f"{'answers / handoffs':<28}{lat['replies']:>6} / {lat['handoffs']}")
    print("\nFront API budget (calls per conversation)")
    print(
        f"{'AI reply (max, mean)':<28}{lat['reply_calls_max']:>6}, "
        f"{lat['reply_calls_mean']:.2f}{TARGETS['reply_calls']:>10}  "
        f"{met(lat['reply_calls_max'] <= TARGETS['reply_calls'])}"
    )
    print(
        f"{'handoff with notice (max, mean)':<28}{lat['handoff_calls_max']:>3}, "
        f"{lat['handoff_calls_mean']:.2f}{TARGETS['handoff_calls']:>10}  "
        f"{met(lat['handoff_calls_max'] <= TARGETS['handoff_calls'])}"
    )
    if "saturation" in result:
        sat = result["saturation"]
        print(
            f"\nOne worker's saturation point: {sat['rate']:g} conversations a second hold a p95 under "
            f"{SATURATION_P95_MS / 1000:g} s ({sat['first_failing_rate']:g}/s do not; "
            f"steps of {sat['step_seconds']:g} s)"
        )
    print(f"\nPlan limit {PLAN_LIMIT}/min: {lim['conversations']} conversations at once, {lim['calls']} calls")
    print(f"{'429s answered by Front':<28}{lim['refused_429']:>6}")
    print(f"{'errors on sessions':<28}{lim['session_errors']:>6}{'0':>12}  {met(lim['session_errors'] == 0)}")
    print(f"{'lost / duplicated':<28}{lim['lost']:>6} / {lim['duplicated']}")
    print(f"{'queueing delay p50 / max':<28}{lim['p50_ms'] / 1000:>7.1f} s / {lim['max_ms'] / 1000:.1f} s")
    print("\nPeak memory (resident)")
    for role, figures in mem.items():
        print(
            f"{role:<28}{figures['tree_peak']:>6.0f} MiB in all, largest process {figures['largest_process']:.0f} MiB"
        )
    for problem in lat["refused_webhooks"][:5] + lim["refused_webhooks"][:5]:
        print(f"refused webhook: {problem}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--limited-conversations", type=int, default=25)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--redis-url", default=None)
    parser.add_argument(
        "--saturation-seconds",
        type=float,
        default=20.0,
        help="length of each step of the saturation search (0: skip it)",
    )
    args = parser.parse_args()
    print_report(
        run(
            args.rate,
            args.seconds,
            args.articles,
            args.limited_conversations,
            args.database_url,
            args.redis_url,
            args.saturation_seconds,
        )
    )


if __name__ == "__main__":
    main()
