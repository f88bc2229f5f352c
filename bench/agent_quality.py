"""The agents' decisions on labelled customer messages, their latency and the memory they add.

    .venv/bin/python -m bench.agent_quality [--verbose] [--sets labelled,unseen,fresh]
        [--scale 10000] [--limit N] [--llm-record FILE | --llm-replay FILE]

For each set of messages (``bench.agent_cases``: the labelled set the agent was built on and a
few unseen messages; ``bench.agent_cases_fresh``: messages written without looking at the
agent's scoring; ``bench.agent_cases_heldout`` and ``bench.agent_cases_heldout2`` to
``heldout6``: messages written later by someone who never saw the agent;
``bench.agent_cases_near``: questions near a topic of the Help Center that it does not answer)
it prints: decisions right, article accuracy
(answerable questions answered from the right article), wrong answers sent, wrong resolves,
drafts, and the latency of a decision (p50/p95). Then the memory the embedding model and the
index add (RSS), and the same latency with ``--scale`` generated filler articles
(``bench.corpus``) beside the Help Center.

How a decision counts: a reply is right when it comes from the expected article (any of them
for a message asking several things); "draft" cases accept a draft or a handoff. A draft or a
handoff is never a wrong answer; a reply is wrong when it comes from another article or when
no reply was expected, the worst outcome since the customer reads it. The LLM agent does not
say which article it answered from: its article is the first one its searches returned.

The LLM agent gets the same messages when an OpenAI-compatible endpoint is configured
(``BENCH_LLM_BASE_URL``, ``BENCH_LLM_MODEL``, ``BENCH_LLM_API_KEY``), side by side with the
built-in agent. ``--llm-record FILE`` saves the endpoint's answers while doing so;
``--llm-replay FILE`` runs from such a file with no network at all.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from bench.agent_cases import ARTICLES, CASES, FORBIDDEN, UNSEEN_CASES
from bench.agent_cases_fresh import FRESH_CASES
from bench.agent_cases_fresh import KIND_OF as FRESH_KINDS
from bench.agent_cases_heldout import CASES as HELDOUT_CASES
from bench.agent_cases_heldout import KIND_OF as HELDOUT_KINDS
from bench.agent_cases_heldout2 import CASES as HELDOUT2_CASES
from bench.agent_cases_heldout2 import KIND_OF as HELDOUT2_KINDS
from bench.agent_cases_heldout3 import CASES as HELDOUT3_CASES
from bench.agent_cases_heldout3 import KIND_OF as HELDOUT3_KINDS
from bench.agent_cases_heldout4 import CASES as HELDOUT4_CASES
from bench.agent_cases_heldout4 import KIND_OF as HELDOUT4_KINDS
from bench.agent_cases_heldout5 import CASES as HELDOUT5_CASES
from bench.agent_cases_heldout5 import KIND_OF as HELDOUT5_KINDS
from bench.agent_cases_heldout6 import CASES as HELDOUT6_CASES
from bench.agent_cases_heldout6 import KIND_OF as HELDOUT6_KINDS
from bench.agent_cases_near import KIND_OF as NEAR_KINDS
from bench.agent_cases_near import KIND_OF_2 as NEAR2_KINDS
from bench.agent_cases_near import KIND_OF_3 as NEAR3_KINDS
from bench.agent_cases_near import KIND_OF_FR as NEAR_FR_KINDS
from bench.agent_cases_near import NEAR_CASES, NEAR_CASES_2, NEAR_CASES_3, NEAR_CASES_FR

SETS = {
    "labelled": CASES,
    "unseen": UNSEEN_CASES,
    "fresh": FRESH_CASES,
    "heldout": HELDOUT_CASES,
    "heldout2": HELDOUT2_CASES,
    "heldout3": HELDOUT3_CASES,
    "heldout4": HELDOUT4_CASES,
    "heldout5": HELDOUT5_CASES,
    "heldout6": HELDOUT6_CASES,
    "near": NEAR_CASES,
    "near2": NEAR_CASES_2,
    "near3": NEAR_CASES_3,
    "near_fr": NEAR_CASES_FR,
}
KINDS = {
    "fresh": FRESH_KINDS,
    "heldout": HELDOUT_KINDS,
    "heldout2": HELDOUT2_KINDS,
    "heldout3": HELDOUT3_KINDS,
    "heldout4": HELDOUT4_KINDS,
    "heldout5": HELDOUT5_KINDS,
    "heldout6": HELDOUT6_KINDS,
    "near": NEAR_KINDS,
    "near2": NEAR2_KINDS,
    "near3": NEAR3_KINDS,
    "near_fr": NEAR_FR_KINDS,
}
LLM_ENV = ("BENCH_LLM_BASE_URL", "BENCH_LLM_MODEL", "BENCH_LLM_API_KEY")
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
RECORDING_FORMAT = 1


@dataclass
class Tally:
    """What one agent did with one set of messages."""

    cases: int = 0
    right: int = 0
    answerable: int = 0  # messages expecting a reply
    right_article: int = 0  # of those, replied from the right article
    wrong_answers: int = 0  # replies from the wrong article, or where no reply was expected
    wrong_resolves: int = 0  # conversations closed that were not solved
    drafts: int = 0
    drafts_right_article: int = 0  # drafts of an answerable question from its right article
    timings_ms: list[float] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)
    verdicts: dict[str, tuple[bool, bool]] = field(default_factory=dict)  # message -> (right, wrong answer)

    def percentile(self, share: float) -> float:
        if not self.timings_ms:
            return 0.0
        ordered = sorted(self.timings_ms)
        return ordered[max(0, min(len(ordered) - 1, round(share * len(ordered)) - 1))]


def outcome(decision) -> tuple[str, str | None]:
    """(the decision's kind, the title of the article it answers or drafts from)."""
    kind = getattr(decision, "kind", "?")
    answer = decision.reply if kind == "draft" else decision
    sources = getattr(answer, "sources", None) or []
    title = sources[0].get("title") if sources and isinstance(sources[0], dict) else None
    return kind, title if kind in ("reply", "draft") else None


def judge(expected: str, articles, decided: str, chosen: str | None) -> tuple[bool, bool]:
    """(the decision is right, it sent the customer a wrong answer)."""
    titles = articles if isinstance(articles, tuple) else (articles,)
    if expected == "reply":
        right = decided == "reply" and chosen in titles
    elif expected == "draft":
        right = decided in ("draft", "handoff")
    else:
        right = decided == expected
    wrong_answer = decided == "reply" and not (expected == "reply" and chosen in titles)
    return right, wrong_answer


def evaluate(agent, organization_id: int, cases: Sequence[tuple], *, policy=None) -> Tally:
    """Runs every case through ``agent.decide`` on the email channel, timing each decision."""
    from webapp.agent import AgentContext
    from webapp.agent.policy import PRESETS
    from webapp.models import Channel

    policy = policy or PRESETS[1]  # the default level: Quick handoff
    tally = Tally()
    for message, expected, articles, earlier in cases:
        transcript = [("customer", text) for text in earlier] + [("customer", message)]
        context = AgentContext(organization_id, Channel.EMAIL, "A customer", message, transcript, policy, FORBIDDEN)
        started = time.perf_counter()
        result = agent.decide(context)
        tally.timings_ms.append((time.perf_counter() - started) * 1000)
        decided, chosen = outcome(result.decision)
        right, wrong_answer = judge(expected, articles, decided, chosen)
        titles = articles if isinstance(articles, tuple) else (articles,)
        tally.cases += 1
        tally.verdicts[message] = (right, wrong_answer)
        tally.right += right
        tally.wrong_answers += wrong_answer
        tally.wrong_resolves += decided == "resolve" and expected != "resolve"
        tally.drafts += decided == "draft"
        if expected == "reply":
            tally.answerable += 1
            tally.right_article += right
            tally.drafts_right_article += decided == "draft" and chosen in titles
        if not right:
            mark = "WRONG ANSWER" if wrong_answer else "miss"
            wanted = f"{expected}/{' or '.join(str(t) for t in titles)}" if expected == "reply" else expected
            tally.misses.append(f"    {mark}: {message!r}: expected {wanted}, got {decided}/{chosen}")
    return tally


def table(columns: dict[str, Tally]) -> str:
    """The figures of one set, one column per agent."""
    names = list(columns)
    rows = [
        ("decisions right", lambda t: _ratio(t.right, t.cases)),
        ("article accuracy", lambda t: _ratio(t.right_article, t.answerable)),
        ("wrong answers sent", lambda t: str(t.wrong_answers)),
        ("wrong resolves", lambda t: str(t.wrong_resolves)),
        ("drafts (right article)", lambda t: f"{t.drafts} ({t.drafts_right_article})"),
        ("latency p50 / p95 ms", lambda t: f"{t.percentile(0.5):.1f} / {t.percentile(0.95):.1f}"),
    ]
    width = max(22, *(len(n) for n in names))
    lines = [f"  {'':<24}" + "".join(f"{n:>{width + 2}}" for n in names)]
    for label, value in rows:
        lines.append(f"  {label:<24}" + "".join(f"{value(columns[n]):>{width + 2}}" for n in names))
    return "\n".join(lines)


def _ratio(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.1%}" if whole else "-"


def by_kind(tally: Tally, kind_of: dict[str, str]) -> str:
    """Right decisions (and wrong answers) per kind of message of a set that names its kinds."""
    counts: dict[str, list[int]] = {}
    for message, (right, wrong_answer) in tally.verdicts.items():
        kind = kind_of.get(message)
        if kind:
            count = counts.setdefault(kind, [0, 0, 0])
            count[0] += right
            count[1] += 1
            count[2] += wrong_answer
    return ", ".join(f"{kind} {r}/{n}" + (f" ({w} wrong)" if w else "") for kind, (r, n, w) in counts.items())


def describe(cases: Sequence[tuple]) -> str:
    kinds: dict[str, int] = {}
    for _, expected, _, _ in cases:
        kinds[expected] = kinds.get(expected, 0) + 1
    return ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))


# The Help Center and its index.


def build_help_center(organization_id: int) -> None:
    from webapp.knowledge import sources

    for title, locale, body in ARTICLES:
        sources.add_manual_article(
            organization_id,
            title=title,
            body=body,
            url=f"https://help.example.test/{locale}/{title}",
            locale=locale,
            internal=False,
        )


def semantic_index():
    """``webapp.knowledge.retrieval`` when this version of the product has it, else None."""
    try:
        from webapp.knowledge import retrieval
    except ImportError:
        return None
    return retrieval


def index(organization_id: int) -> tuple[int | None, float]:
    """(articles (re)embedded, seconds), then one search so the index is loaded; (None, 0)
    without semantic retrieval."""
    retrieval = semantic_index()
    if retrieval is None:
        return None, 0.0
    started = time.perf_counter()
    embedded = retrieval.reindex(organization_id)
    retrieval.retrieve(organization_id, "warm up the index")
    return embedded, time.perf_counter() - started


def add_filler(organization_id: int, count: int) -> None:
    """``count`` generated articles (``bench.corpus``) in the organization's manual source."""
    from bench import corpus
    from webapp.knowledge import sources

    corpus.store(organization_id, sources.manual_source(organization_id).id, count, prefix="filler-")


# What a worker holds once it has answered one question: measured in a fresh process, since
# the RSS of this one keeps what indexing allocated and freed.
WORKER_PROBE = """
import json, sys
from pathlib import Path
from bench.agent_quality import rss_mib
from webapp import create_app
from webapp.redis_server import stop_embedded
app = create_app({"DATABASE_URL": sys.argv[1]}, instance_path=sys.argv[2])
with app.app_context():
    from webapp.knowledge import embeddings, retrieval
    before = rss_mib()
    embeddings.preload()
    model = rss_mib()
    retrieval.retrieve(int(sys.argv[3]), "warm up the index")
    loaded = rss_mib()
stop_embedded(Path(sys.argv[2]))
print(json.dumps([before, model, loaded]))
"""


def worker_memory(url: str, workdir: str, organization_id: int) -> tuple[float, float, float] | str:
    """(RSS of a fresh worker, after loading the model, after loading the index) in MiB, or
    why it could not be measured."""
    instance = os.path.join(workdir, "worker")
    os.makedirs(instance, exist_ok=True)
    try:
        done = subprocess.run(
            [sys.executable, "-c", WORKER_PROBE, url, instance, str(organization_id)],
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )
        before, model, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError) as exc:
        return f"not measured ({type(exc).__name__})"
    return before, model, loaded


def rss_mib() -> float:
    """This process's resident memory now, in MiB, after a garbage collection."""
    gc.collect()
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the peak, where /proc is missing


# The LLM agent: live, recorded or replayed.


def request_key(body: dict) -> str:
    """What identifies a Chat Completions request in a recording: the conversation so far,
    without what the tools returned (search results change as the Help Center and retrieval
    do; the model's recorded answers still apply to the same question)."""
    shape = []
    for message in body.get("messages", []):
        calls = [
            (call.get("function", {}).get("name"), call.get("function", {}).get("arguments"))
            for call in message.get("tool_calls") or []
        ]
        shape.append((message.get("role"), None if message.get("role") == "tool" else message.get("content"), calls))
    return hashlib.sha256(json.dumps(shape, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class Recording:
    """Chat Completions answers by request, saved as JSON so a run needs no network."""

    def __init__(self, answers: dict | None = None):
        self.answers = answers or {}
        self.missing = 0

    @classmethod
    def load(cls, path: str) -> Recording:
        with open(path, encoding="utf-8") as file:
            try:
                data = json.load(file)
            except ValueError as exc:
                raise ValueError(f"{path} is not JSON ({exc})") from exc
        if (
            not isinstance(data, dict)
            or data.get("format") != RECORDING_FORMAT
            or not isinstance(data.get("answers"), dict)
        ):
            raise ValueError(f"{path} is not a recording of this benchmark (format {RECORDING_FORMAT})")
        return cls(data["answers"])

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"format": RECORDING_FORMAT, "answers": self.answers}, file, ensure_ascii=False, indent=1)

    def recording(self, post: Callable) -> Callable:
        """``post`` that keeps every answer it gets."""

        def recorded_post(url, json=None, **kwargs):
            response = post(url, json=json, **kwargs)
            self.answers[request_key(json or {})] = {"status": response.status_code, "body": response.text}
            return response

        return recorded_post

    def replaying(self, url, json=None, **kwargs):
        """A ``post`` that answers from the recording; an unrecorded request gets a 404, which
        the agent takes as a provider failure (a handoff) and the report counts."""
        import requests

        answer = self.answers.get(request_key(json or {}))
        if answer is None:
            self.missing += 1
            answer = {"status": 404, "body": '{"error": "not in the recording"}'}
        response = requests.Response()
        response.status_code = int(answer["status"])
        response._content = str(answer["body"]).encode("utf-8")
        response.encoding = "utf-8"
        response.url = url
        return response


def llm_agent(*, record: str | None, replay: str | None, recording: Recording | None = None):
    """(the LLM agent or None, a line saying which endpoint or why it was skipped, the
    recording in use or None)."""
    import requests

    from webapp import outbound
    from webapp.agent.llm import LLMAgent

    base_url, model, api_key = (os.environ.get(name, "").strip() for name in LLM_ENV)
    if replay:
        recording = recording or Recording.load(replay)
        session = requests.Session()
        session.post = recording.replaying
        agent = LLMAgent(base_url or "http://recorded.invalid/v1", model or "recorded", "recorded", session=session)
        return agent, f"LLM agent: replayed from {replay} ({len(recording.answers)} recorded answers)", recording
    if not (base_url and model):
        return None, f"LLM agent: skipped (set {', '.join(LLM_ENV)} or pass --llm-replay FILE)", None
    loopback = (urlsplit(base_url).hostname or "") in LOOPBACK_HOSTS
    session = outbound.session(allow_private=loopback)
    recording = None
    if record:
        recording = Recording()
        session.post = recording.recording(session.post)
    agent = LLMAgent(base_url, model, api_key or "none", session=session, sleep=lambda seconds: None)
    return agent, f"LLM agent: {model} at {base_url}" + (f", recorded to {record}" if record else ""), recording


# The run.


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--verbose", action="store_true", help="list every miss")
    parser.add_argument("--sets", default=",".join(SETS), help=f"which sets, of {', '.join(SETS)}")
    parser.add_argument("--scale", type=int, default=10_000, help="filler articles for the latency at scale (0: none)")
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages of each set (a smoke run)")
    recorded = parser.add_mutually_exclusive_group()
    recorded.add_argument("--llm-record", metavar="FILE", help="save the LLM endpoint's answers to FILE")
    recorded.add_argument("--llm-replay", metavar="FILE", help="run the LLM agent from answers saved in FILE")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sets.split(",") if name not in SETS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}: choose from {', '.join(SETS)}")
    if args.scale < 0 or args.limit < 0:
        parser.error("--scale and --limit take a number of 0 or more")
    args.recording = None
    if args.llm_replay:
        try:
            args.recording = Recording.load(args.llm_replay)
        except (OSError, ValueError) as exc:
            parser.error(f"--llm-replay: {exc}")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, Tally]]:
    """Prints the figures; returns them by set and agent."""
    args = parse(argv)
    sets = {name: SETS[name][: args.limit or None] for name in args.sets.split(",")}

    from webapp import create_app
    from webapp.agent.default import DefaultAgent
    from webapp.db import db
    from webapp.migrations import upgrade
    from webapp.models import Organization

    with tempfile.TemporaryDirectory() as workdir:
        url = f"sqlite:///{workdir}/quality.db"
        app = create_app({"DATABASE_URL": url}, instance_path=workdir)
        with app.app_context():
            upgrade("head", database_url=url)
            organization = Organization(name="Quality")
            db.session.add(organization)
            db.session.commit()

            # (step, RSS after it, whether it is memory the model or its index holds)
            memory = [("before the model", rss_mib(), False)]
            if semantic_index() is not None:
                from webapp.knowledge import embeddings

                embeddings.preload()
                memory.append(("embedding model loaded", rss_mib(), True))
                # What a worker loads before its first job (language profiles, stemmers, intent
                # examples), so the first decisions are timed as a worker's would be.
                from webapp.agent import signals

                signals.preload()
                memory.append(("a worker's preload (language profiles, intents)", rss_mib(), False))
            build_help_center(organization.id)
            embedded, seconds = index(organization.id)
            memory.append((f"Help Center indexed ({len(ARTICLES)} articles)", rss_mib(), True))

            agents = {"built-in": DefaultAgent()}
            llm, llm_line, recording = llm_agent(
                record=args.llm_record, replay=args.llm_replay, recording=args.recording
            )
            if llm is not None:
                agents["LLM"] = llm
            results = {
                name: {agent: evaluate(a, organization.id, cases) for agent, a in agents.items()}
                for name, cases in sets.items()
            }
            if recording is not None and args.llm_record:
                recording.save(args.llm_record)

            scaled = {}
            if args.scale:
                add_filler(organization.id, args.scale)
                memory.append((f"{args.scale:,} more articles stored (the bench's rows)", rss_mib(), False))
                scale_embedded, scale_seconds = index(organization.id)
                memory.append((f"{args.scale:,} more articles indexed", rss_mib(), True))
                scaled = {name: evaluate(agents["built-in"], organization.id, cases) for name, cases in sets.items()}
            worker = worker_memory(url, workdir, organization.id) if embedded is not None else None
            db.session.remove()
            db.engine.dispose()
        from webapp.redis_server import stop_embedded

        stop_embedded(Path(workdir))  # the app's embedded Redis, before its folder goes

    for name, columns in results.items():
        print(f"{name} set: {len(sets[name])} messages ({describe(sets[name])})")
        print(table(columns))
        for agent, tally in columns.items():
            if name in KINDS:
                print(f"  {agent} by kind: {by_kind(tally, KINDS[name])}")
        if args.verbose:
            for agent, tally in columns.items():
                if tally.misses:
                    print(f"  {agent} misses:")
                    print("\n".join(tally.misses))
    print(llm_line)
    if recording is not None and recording.missing:
        print(f"  {recording.missing} requests were not in the recording (counted as provider failures: handoffs)")
    if embedded is None:
        print("semantic index: none in this version (webapp.knowledge.retrieval is absent)")
    else:
        print(f"semantic index: a full reindex (re)embedded {embedded} articles in {seconds:.2f} s")
    print("memory (RSS):")
    previous = memory[0][1]
    added = 0.0
    for label, mib, counted in memory:
        print(f"  {label:<48} {mib:7.1f} MiB  ({mib - previous:+.1f})")
        added += (mib - previous) * counted
        previous = mib
    print(f"  added by the model and the index in this process: {added:.1f} MiB (freed memory included)")
    articles = len(ARTICLES) + args.scale
    if isinstance(worker, tuple):
        before, model, loaded = worker
        print(
            f"  a fresh worker: {before:.1f} MiB, +{model - before:.1f} MiB for the model, "
            f"+{loaded - model:.1f} MiB for the index of {articles:,} articles: "
            f"{loaded - before:.1f} MiB added per worker"
        )
    elif worker:
        print(f"  a fresh worker: {worker}")
    if scaled:
        if scale_embedded is not None:
            print(
                f"at {args.scale:,} filler articles: reindex embedded {scale_embedded} articles "
                f"in {scale_seconds:.1f} s"
            )
        print(
            "  (filler titles such as “How to cancel your subscription …” compete with the Help Center: "
            "a reply from one counts as wrong here, so read these rows for latency first)"
        )
        for name, tally in scaled.items():
            print(
                f"  {name} set at {args.scale:,} more articles: decisions right {_ratio(tally.right, tally.cases)}, "
                f"wrong answers {tally.wrong_answers}, latency p50 {tally.percentile(0.5):.1f} ms, "
                f"p95 {tally.percentile(0.95):.1f} ms"
            )
            if args.verbose and tally.misses:
                print("\n".join(tally.misses))
    return {name: dict(columns) for name, columns in results.items()}


if __name__ == "__main__":
    main()
