"""The agent quality benchmark runs, counts wrong answers the way it says, and compares the LLM
agent on the same messages, live on a loopback endpoint or replayed from a recording."""

from __future__ import annotations

import json

import pytest

from bench import agent_quality
from bench.agent_cases import ARTICLES, CASES
from bench.agent_cases_fresh import FRESH_CASES
from tests.test_outbound import LoopbackServer, loopback_only  # noqa: F401 (an autouse fixture)
from webapp.agent.default import DefaultAgent
from webapp.db import db
from webapp.models import Organization


@pytest.fixture(autouse=True)
def no_configured_llm(monkeypatch):
    for name in agent_quality.LLM_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("name", "at_least"),
    [
        ("fresh", 80),
        ("heldout", 80),
        ("heldout2", 80),
        ("heldout3", 80),
        ("heldout4", 80),
        ("heldout5", 80),
        ("heldout6", 80),
        ("near", 30),
        ("near2", 30),
        ("near3", 30),
        ("near_fr", 26),
    ],
)
def test_the_later_sets_are_large_labelled_and_about_the_help_center(name, at_least):
    titles = {title for title, _, _ in ARTICLES}
    cases = agent_quality.SETS[name]
    assert len(cases) >= at_least and len(agent_quality.KINDS[name]) == len(cases)  # no message twice
    for message, expected, articles, earlier in cases:
        assert expected in ("reply", "handoff", "resolve", "draft"), message
        assert isinstance(earlier, tuple), message
        if expected == "reply":
            assert set(articles if isinstance(articles, tuple) else (articles,)) <= titles, message
        else:
            assert articles is None, message
    others = {m for other, cases_of in agent_quality.SETS.items() if other != name for m, *_ in cases_of}
    assert not {m for m, *_ in cases} & others


@pytest.mark.parametrize(
    ("expected", "articles", "decided", "chosen", "verdict"),
    [
        ("reply", "Refund policy", "reply", "Refund policy", (True, False)),
        ("reply", "Refund policy", "reply", "Returning an item", (False, True)),
        ("reply", ("Refund policy", "Returning an item"), "reply", "Returning an item", (True, False)),
        ("reply", "Refund policy", "draft", "Refund policy", (False, False)),
        ("reply", "Refund policy", "handoff", None, (False, False)),
        ("draft", None, "draft", "Refund policy", (True, False)),
        ("draft", None, "handoff", None, (True, False)),
        ("draft", None, "reply", "Refund policy", (False, True)),
        ("handoff", None, "draft", "Refund policy", (False, False)),
        ("handoff", None, "reply", "Refund policy", (False, True)),
        ("resolve", None, "reply", "Downloading invoices", (False, True)),
        ("resolve", None, "resolve", None, (True, False)),
    ],
)
def test_a_draft_or_a_handoff_is_never_a_wrong_answer(expected, articles, decided, chosen, verdict):
    assert agent_quality.judge(expected, articles, decided, chosen) == verdict


def test_the_built_in_agent_is_measured_on_a_handful_of_messages(app):
    organization = Organization(name="Bench")
    db.session.add(organization)
    db.session.commit()
    agent_quality.build_help_center(organization.id)
    agent_quality.index(organization.id)

    labelled = [CASES[0], CASES[30], CASES[48]]  # a reply, a request for a person, a confirmation
    tally = agent_quality.evaluate(DefaultAgent(), organization.id, labelled)
    assert (tally.cases, tally.right, tally.wrong_answers, len(tally.timings_ms)) == (3, 3, 0, 3)

    fresh = agent_quality.evaluate(DefaultAgent(), organization.id, FRESH_CASES[:5])
    assert fresh.cases == 5 and fresh.answerable == 5 and len(fresh.timings_ms) == 5
    assert fresh.right + len(fresh.misses) == 5
    table = agent_quality.table({"built-in": tally})
    assert "decisions right" in table and "3/3 = 100.0%" in table and "wrong answers sent" in table


def test_the_benchmark_prints_every_set_memory_and_scale_and_says_the_llm_was_skipped(capsys):
    results = agent_quality.main(["--sets", "labelled,fresh", "--limit", "3", "--scale", "30"])
    printed = capsys.readouterr().out
    assert set(results) == {"labelled", "fresh"} and set(results["fresh"]) == {"built-in"}
    for line in ("labelled set: 3 messages", "fresh set: 3 messages", "wrong answers sent", "latency p50 / p95 ms"):
        assert line in printed
    assert "LLM agent: skipped" in printed
    assert "memory (RSS):" in printed and "a fresh worker: " in printed
    assert "labelled set at 30 more articles" in printed and "built-in by kind: paraphrase" in printed


def test_bad_arguments_are_refused_with_a_clear_error(capsys):
    with pytest.raises(SystemExit):
        agent_quality.main(["--sets", "labelled,nonsense"])
    assert "unknown set nonsense" in capsys.readouterr().err


def test_the_llm_agent_is_measured_live_on_loopback_then_replayed_without_network(tmp_path, monkeypatch, capsys):
    answer = {"choices": [{"message": {"role": "assistant", "content": "Orders ship within two business days."}}]}
    recording = tmp_path / "llm.json"
    arguments = ["--sets", "labelled", "--limit", "2", "--scale", "0"]
    with LoopbackServer(body=answer) as server:
        monkeypatch.setenv("BENCH_LLM_BASE_URL", f"http://127.0.0.1:{server.port}/v1")
        monkeypatch.setenv("BENCH_LLM_MODEL", "local-model")
        monkeypatch.setenv("BENCH_LLM_API_KEY", "sk-local")
        live = agent_quality.main([*arguments, "--llm-record", str(recording)])
        assert len(server.requests) == 2
    printed = capsys.readouterr().out
    assert "LLM agent: local-model at http://127.0.0.1" in printed and "sk-local" not in recording.read_text()
    assert live["labelled"]["LLM"].cases == 2

    for name in agent_quality.LLM_ENV:
        monkeypatch.delenv(name)
    replayed = agent_quality.main([*arguments, "--llm-replay", str(recording)])
    printed = capsys.readouterr().out
    assert "replayed from" in printed and "not in the recording" not in printed
    assert replayed["labelled"]["LLM"].right == live["labelled"]["LLM"].right
    assert replayed["labelled"]["LLM"].wrong_answers == live["labelled"]["LLM"].wrong_answers


def test_a_replay_of_something_else_is_refused_and_unrecorded_requests_are_counted(tmp_path, capsys):
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"hello": "world"}))
    with pytest.raises(SystemExit):
        agent_quality.main(["--sets", "labelled", "--limit", "1", "--scale", "0", "--llm-replay", str(wrong)])
    assert "is not a recording of this benchmark" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        agent_quality.main(["--llm-replay", str(tmp_path / "missing.json")])
    assert "No such file" in capsys.readouterr().err

    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"format": agent_quality.RECORDING_FORMAT, "answers": {}}))
    results = agent_quality.main(["--sets", "labelled", "--limit", "1", "--scale", "0", "--llm-replay", str(empty)])
    assert "1 requests were not in the recording" in capsys.readouterr().out
    assert results["labelled"]["LLM"].wrong_answers == 0  # a provider failure is a handoff
