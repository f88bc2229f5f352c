"""The OpenAI-compatible LLM agent, against requests-mock: tool calls, failures, settings."""

import json

import pytest
import requests
from sqlalchemy import select, text

from tests.conftest import csrf_token
from webapp.agent import AgentContext, Handoff, Reply, Resolve, agent_for
from webapp.agent.llm import LLMAgent
from webapp.agent.policy import PRESETS
from webapp.db import db
from webapp.knowledge import sources
from webapp.models import Channel, Integration, IntegrationKind

BASE = "https://llm.example.test/v1"
URL = f"{BASE}/chat/completions"


@pytest.fixture
def org(world):
    organization = world.organization()
    sources.add_manual_article(
        organization.id,
        title="Shipping times",
        body="Orders ship within two business days.",
        url="https://help.acme.test/ship",
        locale="en",
        internal=False,
    )
    return organization


def context(org, message="How long does shipping take?", policy=PRESETS[1], topics=()):
    return AgentContext(org.id, Channel.EMAIL, "Grace", message, [("customer", message)], policy, tuple(topics))


def tool_call(name, arguments, call_id="call_1"):
    args = arguments if isinstance(arguments, str) else json.dumps(arguments)
    return {
        "choices": [
            {
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": args}}],
                }
            }
        ]
    }


def answer(content):
    return {"choices": [{"message": {"role": "assistant", "content": content}}]}


@pytest.fixture
def agent():
    return LLMAgent(BASE, "test-model", "sk-secret", sleep=lambda s: None)


def test_searches_then_answers_citing_the_articles(requests_mock, org, agent):
    requests_mock.post(
        URL,
        [
            {"json": tool_call("search_knowledge", {"query": "shipping time"})},
            {"json": answer("Orders ship within two business days.")},
        ],
    )
    result = agent.decide(context(org))
    assert result.decision == Reply(
        "Orders ship within two business days.", [{"title": "Shipping times", "url": "https://help.acme.test/ship"}]
    )
    assert [c.name for c in result.tool_calls] == ["search_knowledge"]
    assert result.tool_calls[0].output[0]["passage"].startswith("Orders ship")
    first = requests_mock.request_history[0]
    body = first.json()
    assert first.headers["Authorization"] == "Bearer sk-secret"
    assert body["model"] == "test-model" and {t["function"]["name"] for t in body["tools"]} == {
        "search_knowledge",
        "handoff_to_human",
        "resolve_conversation",
    }
    assert body["messages"][0]["role"] == "system" and body["messages"][-1] == {
        "role": "user",
        "content": "How long does shipping take?",
    }
    second = requests_mock.request_history[1].json()["messages"]
    assert second[-1]["role"] == "tool" and second[-1]["tool_call_id"] == "call_1"


def test_handoff_is_a_tool_call_with_reason_summary_and_sentiment(requests_mock, org, agent):
    requests_mock.post(
        URL,
        json=tool_call(
            "handoff_to_human",
            {"reason": "customer asked for a human", "summary": "Wants a person", "sentiment": "frustrated"},
        ),
    )
    result = agent.decide(context(org, "Get me a person now!!"))
    assert result.decision == Handoff("customer asked for a human", "Wants a person", "frustrated")


def test_resolve_is_a_tool_call(requests_mock, org, agent):
    requests_mock.post(URL, json=tool_call("resolve_conversation", {}))
    assert isinstance(agent.decide(context(org, "That fixed it")).decision, Resolve)


def test_a_malformed_tool_call_is_corrected_once(requests_mock, org, agent):
    requests_mock.post(
        URL, [{"json": tool_call("search_knowledge", "{not json")}, {"json": answer("Two business days.")}]
    )
    result = agent.decide(context(org))
    assert isinstance(result.decision, Reply)
    assert "error" in result.tool_calls[0].output
    assert requests_mock.request_history[1].json()["messages"][-1]["content"].startswith("Error: arguments")


@pytest.mark.parametrize(
    "responses",
    [
        [tool_call("search_knowledge", "{bad"), tool_call("search_knowledge", "[1, 2]")],
        [tool_call("delete_everything", {}), tool_call("launch_rockets", {})],
        [
            answer(""),
        ],
    ],
    ids=["malformed-twice", "unknown-tools", "empty-answer"],
)
def test_a_model_that_keeps_misbehaving_hands_off_with_reason_error(requests_mock, org, agent, responses):
    requests_mock.post(URL, [{"json": r} for r in responses])
    result = agent.decide(context(org))
    assert isinstance(result.decision, Handoff) and result.decision.reason == "error"


def test_5xx_and_429_are_retried_then_handed_off(requests_mock, org):
    sleeps = []
    agent = LLMAgent(BASE, "m", "k", sleep=sleeps.append)
    requests_mock.post(
        URL, [{"status_code": 429, "headers": {"Retry-After": "3"}}, {"json": answer("Two business days.")}]
    )
    assert isinstance(agent.decide(context(org)).decision, Reply) and sleeps == [3.0]
    requests_mock.post(URL, status_code=503)
    result = agent.decide(context(org))
    assert result.decision.reason == "error" and "503" in result.reasoning


def test_a_timeout_hands_off_never_silence(requests_mock, org, agent):
    requests_mock.post(URL, exc=requests.ReadTimeout)
    result = agent.decide(context(org))
    assert isinstance(result.decision, Handoff) and result.decision.reason == "error"
    assert requests_mock.call_count == 3


def test_a_refused_request_hands_off(requests_mock, org, agent):
    requests_mock.post(URL, status_code=401, json={"error": {"message": "bad key"}})
    assert agent.decide(context(org)).decision.reason == "error"


def test_forbidden_topics_never_reach_the_model(requests_mock, org, agent):
    result = agent.decide(context(org, "I need legal advice", topics=("legal advice",)))
    assert result.decision.reason == "forbidden topic: legal advice" and requests_mock.call_count == 0


def test_ai_only_turns_a_handoff_into_a_polite_reply(requests_mock, org, agent):
    requests_mock.post(URL, json=tool_call("handoff_to_human", {"reason": "r", "summary": "s", "sentiment": "neutral"}))
    result = agent.decide(context(org, "human please", policy=PRESETS[0]))
    assert isinstance(result.decision, Reply) and "keep helping" in result.decision.text


def test_the_provider_is_used_only_when_configured_and_on(org):
    from webapp.agent.default import DefaultAgent

    assert isinstance(agent_for(org.id), DefaultAgent)
    integration = Integration(
        organization_id=org.id,
        kind=IntegrationKind.LLM,
        enabled=True,
        settings={"base_url": BASE, "model": "m"},
        credentials={"api_key": "sk-x"},
    )
    db.session.add(integration)
    db.session.commit()
    assert isinstance(agent_for(org.id), LLMAgent)
    integration.enabled = False
    db.session.commit()
    assert isinstance(agent_for(org.id), DefaultAgent)


def test_settings_ai_saves_the_key_encrypted_and_never_shows_it(client, logged_in_owner):
    token = csrf_token(client, "/settings/ai")
    response = client.post(
        "/settings/ai",
        data={
            "base_url": BASE,
            "model": "gpt-test",
            "api_key": "sk-very-secret-key-1234",
            "enabled": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    raw = db.session.execute(text("SELECT credentials FROM integrations WHERE kind = 'llm'")).scalar_one()
    assert "sk-very-secret" not in raw
    page = client.get("/settings/ai").get_data(as_text=True)
    assert "sk-very-secret" not in page and "ends in …1234" in page
    # Saving again without a key keeps the saved one.
    client.post(
        "/settings/ai",
        data={"base_url": BASE, "model": "gpt-2", "enabled": "y", "csrf_token": csrf_token(client, "/settings/ai")},
    )
    integration = db.session.scalar(select(Integration).where(Integration.kind == IntegrationKind.LLM))
    db.session.refresh(integration)
    assert integration.credentials["api_key"] == "sk-very-secret-key-1234" and integration.settings["model"] == "gpt-2"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"base_url": "ftp://x", "model": "m"}, "Enter a full http(s) address."),
        ({"base_url": BASE, "model": "m", "enabled": "y"}, "Enter the API key before switching the provider on."),
    ],
)
def test_settings_ai_refuses_bad_input(client, logged_in_owner, data, message):
    response = client.post("/settings/ai", data={**data, "csrf_token": csrf_token(client, "/settings/ai")})
    assert response.status_code == 400 and message in response.get_data(as_text=True)
