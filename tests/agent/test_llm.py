"""The OpenAI-compatible LLM agent, against requests-mock: tool calls, failures, settings.

Names resolve through a fake (``tests.test_outbound.FakeDNS``), and no connection leaves this
machine: a provider is requests-mock or a server on loopback.
"""

import ipaddress
import json
import logging
import re

import pytest
import requests
import requests_mock as mocking
from flask import g
from markupsafe import escape
from sqlalchemy import select, text

from tests.conftest import AuthActions, csrf_token
from tests.test_outbound import PUBLIC, FakeDNS, LoopbackServer, loopback_only  # noqa: F401 (an autouse fixture)
from webapp import outbound
from webapp.agent import AgentContext, Handoff, Reply, Resolve, agent_for, destinations, llm
from webapp.agent.llm import LLMAgent
from webapp.agent.policy import PRESETS
from webapp.db import db
from webapp.models import Channel, EventKind, Integration, IntegrationKind, Role

BASE = "https://llm.example.test/v1"
URL = f"{BASE}/chat/completions"
ANY_COMPLETIONS = re.compile(r"^https?://[^/]+/.*chat/completions$")


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    fake.table.update({"llm.example.test": [PUBLIC], "other.example.test": [PUBLIC]})
    monkeypatch.setattr(outbound, "resolve", fake)
    return fake


@pytest.fixture
def org(world):
    organization = world.organization()
    world.article(
        organization, "Shipping times", "Orders ship within two business days.", url="https://help.acme.test/ship"
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
    result = agent.decide(context(org))
    assert result.decision.reason == "error"
    assert result.reasoning == "The AI provider failed (the provider refused the key (401)), so a teammate takes over."


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


def test_settings_ai_saves_the_key_encrypted_and_never_shows_it(client, logged_in_owner, requests_mock):
    requests_mock.post(URL, json=answer("OK"))
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
        ({"base_url": "ftp://x", "model": "m"}, "Enter a full https:// address."),
        ({"base_url": "http://llm.example.test/v1", "model": "m"}, "Use https://"),
        ({"base_url": "https://me:pw@llm.example.test/v1", "model": "m"}, "may not hold a user name or password"),
        ({"base_url": BASE, "model": "m", "enabled": "y"}, "Enter the API key before switching the provider on."),
    ],
)
def test_settings_ai_refuses_bad_input(client, logged_in_owner, data, message):
    response = client.post("/settings/ai", data={**data, "csrf_token": csrf_token(client, "/settings/ai")})
    assert response.status_code == 400 and message in response.get_data(as_text=True)


def test_a_refused_provider_form_is_summed_up_at_its_top_and_keeps_what_was_typed(client, logged_in_owner):
    response = client.post(
        "/settings/ai",
        data={
            "base_url": "ftp://x",
            "model": "typed-model",
            "api_key": "sk-typed-not-saved",
            "csrf_token": csrf_token(client, "/settings/ai"),
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = page.split("data-error-summary>", 1)[1].split("</div>", 1)[0]
    assert '<a href="#base_url">Base URL</a>: Enter a full https:// address.' in summary
    assert page.index("data-error-summary") < page.index('name="base_url"')
    assert 'value="ftp://x"' in page and 'value="typed-model"' in page
    # The key typed with the refused form stays in its (masked) field; nothing was saved.
    assert 'type="password" value="sk-typed-not-saved"' in page
    assert "API key: not set" in page


# -- where the key goes ------------------------------------------------------------------------


def _save(client, **data):
    return client.post(
        "/settings/ai", data={"model": "gpt-test", **data, "csrf_token": csrf_token(client, "/settings/ai")}
    )


def _provider() -> Integration | None:
    db.session.expire_all()
    return db.session.scalar(select(Integration).where(Integration.kind == IntegrationKind.LLM))


def test_a_new_host_needs_the_key_again_and_another_path_on_the_same_host_keeps_it(
    client, logged_in_owner, requests_mock
):
    calls = requests_mock.post(ANY_COMPLETIONS, json=answer("OK"))
    assert _save(client, base_url=BASE, api_key="sk-saved-key", enabled="y").status_code == 302

    for elsewhere in ("https://other.example.test/v1", "https://llm.example.test:8443/v1"):
        for enabled in ({"enabled": "y"}, {}):
            response = _save(client, base_url=elsewhere, **enabled)
            page = response.get_data(as_text=True)
            assert response.status_code == 400 and "enter the API key again" in page, page
            assert _provider().settings["base_url"] == BASE and _provider().enabled
    assert [r.url for r in calls.request_history] == [URL]  # the saved key never went anywhere else

    assert _save(client, base_url="https://llm.example.test/v2", enabled="y").status_code == 302
    assert calls.last_request.url == "https://llm.example.test/v2/chat/completions"
    assert calls.last_request.headers["Authorization"] == "Bearer sk-saved-key"
    assert _provider().credential("api_key") == "sk-saved-key"

    assert (
        _save(client, base_url="https://other.example.test/v1", api_key="sk-other-key", enabled="y").status_code == 302
    )
    assert calls.last_request.url == "https://other.example.test/v1/chat/completions"
    assert calls.last_request.headers["Authorization"] == "Bearer sk-other-key"
    assert _provider().credential("api_key") == "sk-other-key"
    assert all(r.headers["Authorization"] == "Bearer sk-other-key" for r in calls.request_history if "other." in r.url)


def test_the_settings_page_says_the_key_is_needed_again_for_another_host(client, logged_in_owner):
    page = client.get("/settings/ai").get_data(as_text=True)
    assert "changing the base URL's host needs the key again" in page and "makes one small test call" in page


# -- the test call on save ---------------------------------------------------------------------


def test_switching_on_makes_one_test_call_and_says_it_worked(client, logged_in_owner, requests_mock):
    calls = requests_mock.post(URL, json=answer("OK"))
    response = _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y")
    assert response.status_code == 302
    assert "The test call worked: the LLM now answers." in client.get("/settings/ai").get_data(as_text=True)
    [probe] = calls.request_history
    body = probe.json()
    assert probe.headers["Authorization"] == "Bearer sk-key-1234" and probe.timeout == llm.PROBE_TIMEOUT
    assert body["model"] == "gpt-test" and {t["function"]["name"] for t in body["tools"]} == {
        "search_knowledge",
        "handoff_to_human",
        "resolve_conversation",
    }
    assert "max_tokens" not in body and body["messages"][-1]["role"] == "user"
    assert _provider().enabled


def test_saving_it_off_calls_nothing(client, logged_in_owner, requests_mock):
    response = _save(client, base_url=BASE, api_key="sk-key-1234")
    assert response.status_code == 302 and requests_mock.call_count == 0
    assert "It is not in use" in client.get("/settings/ai").get_data(as_text=True)
    assert not _provider().enabled and _provider().credential("api_key") == "sk-key-1234"


@pytest.mark.parametrize(
    ("answer_with", "message"),
    [
        (
            {"status_code": 401, "json": {"error": {"message": "Incorrect API key"}}},
            "the provider refused the key (401)",
        ),
        ({"status_code": 403}, "the provider refused the key (403)"),
        ({"status_code": 404}, "the provider has no such address or model (404)"),
        ({"status_code": 400}, "the provider refused the request (400)"),
        ({"status_code": 429, "headers": {"Retry-After": "1"}}, "the provider is rate limiting (429)"),
        ({"status_code": 502}, "the provider failed (502)"),
        ({"exc": requests.exceptions.ReadTimeout}, "the provider did not answer in time"),
        ({"exc": requests.exceptions.ConnectTimeout}, "the provider did not answer in time"),
        ({"exc": requests.exceptions.ConnectionError}, "the provider could not be reached"),
        ({"text": "<html>Welcome to nginx</html>"}, "the provider's answer was not understood"),
        ({"json": {"choices": [{"message": "OK"}]}}, "the provider's answer was not understood"),
        (
            {"status_code": 302, "headers": {"Location": "https://evil.example.test/v1/?token=x"}},
            "the provider redirected (302); set the base URL to the final address (to https://evil.example.test/v1/)",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_a_failed_test_call_saves_nothing_and_says_why(client, logged_in_owner, requests_mock, answer_with, message):
    calls = requests_mock.post(URL, **answer_with)
    evil = requests_mock.register_uri(mocking.ANY, re.compile("evil"))
    response = _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Not saved: the test call to the provider failed: {escape(message)}." in page, page
    assert calls.call_count == 1 and evil.call_count == 0  # no retry, no redirect followed
    assert _provider() is None


def test_a_failed_test_call_leaves_the_provider_in_use_as_it_was(client, logged_in_owner, requests_mock):
    requests_mock.post(URL, json=answer("OK"))
    assert _save(client, base_url=BASE, api_key="sk-working-key", enabled="y").status_code == 302
    requests_mock.post(ANY_COMPLETIONS, status_code=401)
    response = _save(client, base_url="https://other.example.test/v1", api_key="sk-typo", enabled="y")
    assert response.status_code == 400 and "The settings in use have not changed." in response.get_data(as_text=True)
    integration = _provider()
    assert integration.enabled and integration.settings["base_url"] == BASE
    assert integration.credential("api_key") == "sk-working-key"


# -- which addresses ---------------------------------------------------------------------------

REFUSED = ["10.0.0.5", "127.0.0.1", "169.254.169.254", "fe80::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.5"]
ALLOWED_WITH_THE_SETTING = ["10.0.0.5", "127.0.0.1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:10.0.0.5"]
NEVER = ["169.254.169.254", "fe80::1", "::ffff:169.254.169.254", "fd00:ec2::254", "224.0.0.1", "0.0.0.0"]


@pytest.mark.parametrize("address", REFUSED)
def test_a_private_address_is_refused_on_save(client, logged_in_owner, requests_mock, dns, address):
    dns.table["llm.example.test"] = [address]
    for enabled in ({"enabled": "y"}, {}):
        response = _save(client, base_url=BASE, api_key="sk-key-1234", **enabled)
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "This address is not allowed" in page, page
    assert requests_mock.call_count == 0 and _provider() is None


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254"])
def test_an_ip_address_as_the_host_is_refused_on_save(client, logged_in_owner, requests_mock, address):
    response = _save(client, base_url=f"https://{address}/v1", api_key="sk-key-1234", enabled="y")
    assert response.status_code == 400 and "This address is not allowed" in response.get_data(as_text=True)
    assert requests_mock.call_count == 0


@pytest.mark.parametrize("address", ALLOWED_WITH_THE_SETTING)
def test_a_private_address_is_allowed_with_allow_private_outbound(
    app, client, logged_in_owner, requests_mock, dns, address
):
    dns.table["llm.example.test"] = [address]
    requests_mock.post(URL, json=answer("OK"))
    assert _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y").status_code == 400
    assert requests_mock.call_count == 0 and _provider() is None
    app.config["ALLOW_PRIVATE_OUTBOUND"] = True
    assert _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y").status_code == 302
    assert _provider().enabled and requests_mock.call_count == 1


@pytest.mark.parametrize("address", NEVER)
def test_metadata_and_link_local_addresses_stay_refused_with_allow_private_outbound(
    app, client, logged_in_owner, requests_mock, dns, address
):
    app.config["ALLOW_PRIVATE_OUTBOUND"] = True
    dns.table["llm.example.test"] = [address]
    response = _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y")
    assert response.status_code == 400 and "This address is not allowed" in response.get_data(as_text=True)
    assert requests_mock.call_count == 0


def test_a_host_that_cannot_be_found_is_said_so_on_save(client, logged_in_owner, requests_mock):
    response = _save(client, base_url="https://nowhere.example.test/v1", api_key="sk-key-1234", enabled="y")
    assert response.status_code == 400 and "could not be found" in response.get_data(as_text=True)


def _switched_on(client):
    """Saved and switched on while the provider's name pointed to a public address."""
    with mocking.Mocker() as mock:
        mock.post(URL, json=answer("OK"))
        assert _save(client, base_url=BASE, api_key="sk-saved-key", enabled="y").status_code == 302


@pytest.mark.parametrize("address", ["169.254.169.254", "10.0.0.5", "127.0.0.1", "fd12:3456::1", "::ffff:127.0.0.1"])
def test_a_dns_change_after_saving_never_sends_the_key_to_a_private_address(
    client, logged_in_owner, dns, address, caplog
):
    _switched_on(client)
    dns.table["llm.example.test"] = [address]
    agent = agent_for(logged_in_owner.organization_id)
    assert isinstance(agent, LLMAgent)
    with caplog.at_level(logging.WARNING, logger="webapp.agent.llm"):
        result = agent.decide(context(logged_in_owner.organization))
    assert result.decision.reason == "error"
    assert result.reasoning == "The AI provider failed (the address is not allowed), so a teammate takes over."
    assert str(ipaddress.ip_address(address)) in caplog.text  # the details go to the log, not to the timeline
    # (and the autouse guard fails the test if anything tries to connect to a non-loopback address)


def test_a_model_server_on_this_machine_with_allow_private_outbound(app, org, dns):
    dns.table["localhost"] = ["127.0.0.1"]
    with LoopbackServer(body=answer("Orders ship within two business days.")) as server:
        base = f"http://localhost:{server.port}/v1"
        refused = LLMAgent(base, "local-model", "sk-local", sleep=lambda s: None).decide(context(org))
        assert "the address is not allowed" in refused.reasoning and server.connections == 0

        app.config["ALLOW_PRIVATE_OUTBOUND"] = True
        result = LLMAgent(base, "local-model", "sk-local", sleep=lambda s: None).decide(context(org))
        assert result.decision == Reply("Orders ship within two business days.", [])
        [request] = server.requests
        assert request["path"] == "/v1/chat/completions" and request["headers"]["Authorization"] == "Bearer sk-local"

        dns.table["models.lan"] = ["192.168.1.20"]
        lan = LLMAgent("http://models.lan/v1", "m", "k", sleep=lambda s: None).decide(context(org))
        assert "the address is not allowed" in lan.reasoning  # plain http only to this machine


# -- redirects ---------------------------------------------------------------------------------


def test_a_redirect_is_an_error_and_the_key_never_goes_to_the_location(requests_mock, org, agent):
    calls = requests_mock.post(URL, status_code=301, headers={"Location": "https://evil.example.test/collect"})
    evil = requests_mock.register_uri(mocking.ANY, re.compile("evil"), json=answer("gotcha"))
    result = agent.decide(context(org))
    assert result.decision.reason == "error"
    assert result.reasoning == (
        "The AI provider failed (the provider redirected (301); set the base URL to the final address), "
        "so a teammate takes over."
    )
    assert calls.call_count == 1 and evil.call_count == 0 and "evil" not in result.reasoning


# -- what members see --------------------------------------------------------------------------

HOSTILE = (
    '<script>alert("owned")</script> Incorrect API key sk-live-LEAKED-SECRET-0123456789 '
    "(upstream db.internal:5432) " + "x" * 300 + " TAIL-NEVER-LOGGED"
)


class RecordingDestination:
    """Stands in for Front at handoff: records the handoff on the timeline as Front's does."""

    key, label = "recording", "Recording"

    def hand_off(self, *, sender, support_session, message_id, handoff, retrying, customer_message):
        support_session.record(
            EventKind.HANDOFF, reason=handoff.reason, summary=handoff.summary, sentiment=handoff.sentiment
        )
        db.session.commit()


def _assert_only_the_classification(page: str, classification: str):
    for leak in ("owned", "LEAKED", "sk-live", "db.internal", "Incorrect API key", "<script>"):
        assert leak not in page, leak
    assert str(escape(classification)) in page


@pytest.mark.parametrize(
    ("answer_with", "classification"),
    [
        ({"status_code": 401}, "the provider refused the key (401)"),
        ({"status_code": 400}, "the provider refused the request (400)"),
        ({"status_code": 503}, "the provider failed (503)"),
        ({"status_code": 200}, "the provider's answer was not understood"),
    ],
)
def test_a_hostile_provider_answer_never_reaches_a_page(
    app, client, world, logged_in_owner, requests_mock, monkeypatch, caplog, answer_with, classification
):
    monkeypatch.setattr(llm, "BACKOFF_SECONDS", 0.0)
    organization = logged_in_owner.organization
    requests_mock.post(URL, text=HOSTILE, **answer_with)

    # The settings page, to the admin who saves.
    with caplog.at_level(logging.WARNING, logger="webapp.agent.llm"):
        response = _save(client, base_url=BASE, api_key="sk-key-1234", enabled="y")
    assert response.status_code == 400
    _assert_only_the_classification(response.get_data(as_text=True), classification)
    assert "LEAKED" in caplog.text and "TAIL-NEVER-LOGGED" not in caplog.text  # the log has it, truncated

    # The Inbox, to every member: the provider was working when saved, and now answers this.
    db.session.add(
        Integration(
            organization_id=organization.id,
            kind=IntegrationKind.LLM,
            enabled=True,
            settings={"base_url": BASE, "model": "m"},
            credentials={"api_key": "sk-key-1234"},
        )
    )
    support_session = world.session(organization, contact_name="Grace", contact_email="grace@example.com")
    support_session.record(EventKind.CUSTOMER_MESSAGE, text="Where is my order?", author="Grace", message_id="msg_1")
    db.session.commit()
    monkeypatch.setattr(destinations, "for_channel", lambda settings, channel: RecordingDestination())
    from webapp.front.handling import decide_and_act

    decide_and_act(support_session, "tea_ai", None, "msg_1", "Where is my order?", False)

    member = world.user(organization, Role.MEMBER, email="member@example.com", name="Mo")
    member_client = _new_browser(app)
    assert AuthActions(member_client).login(member.email).status_code == 302
    for viewer in (member_client, client):
        g.pop("_login_user", None)  # the test's app context outlives requests: each viewer is loaded afresh
        page = viewer.get(f"/inbox/{support_session.id}").get_data(as_text=True)
        assert "Where is my order?" in page and "a teammate takes over" in page
        _assert_only_the_classification(page, classification)
        g.pop("_login_user", None)
        settings_page = viewer.get("/settings/ai").get_data(as_text=True)
        assert "AI provider" in settings_page
        for leak in ("owned", "LEAKED", "db.internal"):
            assert leak not in settings_page


def _new_browser(app):
    """A browser of its own (see tests/settings/test_form_properties.py's ``_anonymous``)."""
    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    return app.test_client()
