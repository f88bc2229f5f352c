"""The Live Messaging relay: one `switchboard relay` process holding the event streams of
``--conversations`` open conversations (1,000 by default) against the fake MIAW; its peak memory,
and the time from a rep's message on its stream to Switchboard's reply call at the fake Front.

    .venv/bin/python -m bench.relay [--conversations 1000] [--messages 500] [--rate 20]
        [--workers 2] [--database-url URL]

Set-up: a fresh instance folder (SQLite, or the PostgreSQL named, which is emptied; the embedded
Redis); the fake Front in this process; the fake MIAW (``python -m webapp.sandbox.miaw``) in a
process of its own, so that its thousand stream threads are not counted as the relay's; the
conversations handed off to Live Messaging, each open in the fake with an access token of its own
and a rep who has joined; then one `switchboard relay` and ``--workers`` `switchboard worker`
processes, as `switchboard serve` starts them.

1. Opening: how long until every stream is open at the fake.
2. Latency: ``--messages`` rep messages, one conversation after the other, ``--rate`` a second,
   each timed from the rep control's call (the fake publishes the message on the stream before
   it answers) to the moment the fake Front receives the reply call that carries it: the relay
   reads it, queues its job, a worker posts it to Front. A message with no reply is lost; one
   with two is relayed twice.
3. Memory: the relay's resident memory with every stream open, and its peak (sampled, and the
   kernel's high-water mark) through run 2.

Targets: under 300 MiB; p95 under 300 ms. Nothing here passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench.stack import Installation, MemoryPeaks, percentile, worker_command

AI = "tea_ai"
TARGET_MIB = 300
TARGET_P95_MS = 300
MARKER = re.compile(r"Bench rep message (\d+)\b")


class MiawProcess:
    """The fake MIAW in a process of its own, played through its HTTP controls."""

    def __init__(self, instance: Path):
        self.log = open(instance / "miaw.log", "wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "webapp.sandbox.miaw"], stdout=subprocess.PIPE, stderr=self.log, text=True
        )
        self.url = self.process.stdout.readline().strip()
        if not self.url:
            raise RuntimeError(f"the fake MIAW did not start: see {instance / 'miaw.log'}")
        self.session = requests.Session()

    def control(self, name: str, **arguments):
        answer = self.session.post(f"{self.url}/__fake__/{name}", json=arguments, timeout=30)
        answer.raise_for_status()
        return answer.json()["result"]

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def install(installation: Installation, front, miaw: MiawProcess, count: int) -> list[tuple[str, str]]:
    """The organization (Front connected, Live Messaging on the fake) and ``count`` sessions a
    rep has through Live Messaging. Returns (MIAW conversation id, Front conversation id) pairs."""
    from webapp.db import db
    from webapp.models import Integration, IntegrationKind, Organization
    from webapp.salesforce.integration import get_or_create
    from webapp.salesforce.messaging.settings import update_live_messaging
    from webapp.sandbox.miaw import ES_DEVELOPER_NAME
    from webapp.sandbox.salesforce import ORG_ID, to_18

    front.add_teammate(AI, "Switchboard", "AI")
    with installation.app().app_context():
        organization = Organization(name="Bench relay")
        db.session.add(organization)
        db.session.flush()
        db.session.add(
            Integration(
                organization_id=organization.id,
                kind=IntegrationKind.FRONT,
                enabled=True,
                settings={"ai_teammate_id": AI, "ai_teammate_name": "Switchboard AI", "rate_limit_per_minute": 600_000},
                credentials={"api_token": front.token},
            )
        )
        update_live_messaging(
            get_or_create(organization.id),
            instance_url=miaw.url,
            es_developer_name=ES_DEVELOPER_NAME,
            org_id=to_18(ORG_ID[:15]),
        )
        pairs = [_handed_off(organization, front, miaw, n) for n in range(count)]
        _read_so_far(miaw)
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    return pairs


def _handed_off(organization, front, miaw: MiawProcess, n: int) -> tuple[str, str]:
    from webapp.db import db
    from webapp.models import Channel, MessagingConversation, MessagingStatus, SessionStatus, SupportSession
    from webapp.salesforce.messaging.client import token_expiry
    from webapp.salesforce.messaging.streams import ACCESS_TOKEN

    conversation_id, answer = miaw.control("open_conversation")
    miaw.control("agent_join", conversation_id=conversation_id)
    front_conversation = f"cnv_relay_{n}"
    front.add_conversation(front_conversation, assignee=AI, subject="A question for a person")
    support_session = SupportSession(
        organization_id=organization.id,
        ticket_number=n + 1,
        channel=Channel.WEB,
        status=SessionStatus.HANDED_OFF,
        contact_name="Bench Customer",
        front_conversation_id=front_conversation,
        miaw_conversation_id=conversation_id,
    )
    db.session.add(support_session)
    db.session.flush()
    token = answer["accessToken"]
    row = MessagingConversation(
        organization_id=organization.id,
        session_id=support_session.id,
        conversation_id=conversation_id,
        status=MessagingStatus.ACTIVE,
        rep_name="Riley Rep",
        end_user_subject=answer["context"]["endUser"]["subject"],
        token_expires_at=token_expiry(token),
    )
    row.set_credential(ACCESS_TOKEN, token)
    db.session.add(row)
    return conversation_id, front_conversation


def _read_so_far(miaw: MiawProcess) -> None:
    """Every stream starts after the reps' joins (read, as it were, by an earlier relay), so the
    run measures rep messages alone."""
    from sqlalchemy import update

    from webapp.db import db
    from webapp.models import MessagingConversation

    _, answer = miaw.control("open_conversation")  # the newest event id so far comes with a token
    db.session.execute(update(MessagingConversation).values(last_event_id=answer["lastEventId"]))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def send_rep_messages(miaw: MiawProcess, pairs: list[tuple[str, str]], messages: int, rate: float) -> dict[int, float]:
    """Rep messages on a steady schedule, round robin over the conversations; when each was sent."""
    sent_at = {}
    start = time.time() + 0.5
    for number in range(messages):
        time.sleep(max(0.0, start + number / rate - time.time()))
        conversation_id = pairs[number % len(pairs)][0]
        sent_at[number] = time.time()
        miaw.control("agent_message", conversation_id=conversation_id, text=f"Bench rep message {number}")
    return sent_at


def replies_at(front) -> dict[int, list[float]]:
    """When the fake Front received each reply call carrying a bench message, by its number."""
    found: dict[int, list[float]] = {}
    for call in list(front.calls):
        if call.method == "POST" and call.path.endswith("/messages") and call.succeeded:
            match = MARKER.search(json.dumps(call.body))
            if match:
                found.setdefault(int(match.group(1)), []).append(call.at)
    return found


def run(conversations: int, messages: int, rate: float, workers: int, database_url: str | None) -> dict:
    from webapp.sandbox.front import FakeFront, FrontServer

    with tempfile.TemporaryDirectory() as workdir, FrontServer(FakeFront(page_size=100)) as front:
        instance = Path(workdir)
        installation = Installation.create(instance, database_url)
        miaw = MiawProcess(instance)
        try:
            began = time.monotonic()
            pairs = install(installation, front, miaw, conversations)
            print(f"{conversations} conversations handed off in {time.monotonic() - began:.0f} s", flush=True)
            env = {"FRONT_API_URL": front.url, "FRONT_RETRY_BACKOFF": "0", "ALLOW_PRIVATE_OUTBOUND": "1"}
            for number in range(workers):
                installation.start(f"worker-{number}", worker_command(), **env)
            began = time.monotonic()
            relay = installation.start("relay", [sys.executable, "-m", "webapp.cli", "relay"], **env)
            with MemoryPeaks({"relay": relay.pid}) as memory:
                while miaw.control("open_streams") < conversations:
                    relay.check()
                    if time.monotonic() - began > 600:
                        raise RuntimeError(f"the relay did not open every stream:\n{relay.log_tail()}")
                    time.sleep(0.2)
                opened = time.monotonic() - began
                time.sleep(2)  # settled: every stream read up to its first ping
                open_kib = rss_kib(relay.pid)
                sent_at = send_rep_messages(miaw, pairs, messages, rate)
                deadline = time.monotonic() + 120
                while len(replies_at(front)) < messages and time.monotonic() < deadline:
                    time.sleep(0.2)
                relay.check()
            arrived = replies_at(front)
        finally:
            miaw.stop()
            installation.close()
    latencies = sorted(arrived[n][0] - sent_at[n] for n in sent_at if n in arrived)
    return {
        "conversations": conversations,
        "workers": workers,
        "rate": rate,
        "database": "PostgreSQL" if database_url else "SQLite",
        "opened_s": opened,
        "open_mib": open_kib / 1024,
        "peak_mib": memory.peak_process_kib["relay"] / 1024,
        "latencies": latencies,
        "lost": sum(1 for n in sent_at if n not in arrived),
        "twice": sum(1 for times in arrived.values() if len(times) > 1),
    }


def print_report(result: dict) -> None:
    latencies = [value * 1000 for value in result["latencies"]]
    p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
    memory_met = "met" if result["peak_mib"] < TARGET_MIB else "NOT met"
    latency_met = "met" if p95 < TARGET_P95_MS else "NOT met"
    print(
        f"One relay process, {result['conversations']} open conversations, {result['workers']} workers, "
        f"{result['database']}"
    )
    print(f"Every stream open after {result['opened_s']:.1f} s")
    print(
        f"Relay memory: {result['open_mib']:.0f} MiB with every stream open, peak {result['peak_mib']:.0f} MiB "
        f"(target < {TARGET_MIB} MiB: {memory_met})"
    )
    print(
        f"Rep message on the stream → reply call at Front, {len(latencies)} messages at {result['rate']:g}/s: "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {max(latencies, default=float('nan')):.0f} ms "
        f"(target p95 < {TARGET_P95_MS} ms: {latency_met})"
    )
    print(f"Lost: {result['lost']}; relayed twice: {result['twice']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--messages", type=int, default=500, help="rep messages timed")
    parser.add_argument("--rate", type=float, default=20.0, help="rep messages a second")
    parser.add_argument("--workers", type=int, default=2, help="`switchboard worker` processes")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite (it is emptied)")
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the figures, not every request
    print_report(run(args.conversations, args.messages, args.rate, args.workers, args.database_url))


if __name__ == "__main__":
    main()
