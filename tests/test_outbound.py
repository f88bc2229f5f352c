"""webapp/outbound.py: which addresses an admin-set URL may reach, checked when it is saved and
again when each connection opens, and redirects never followed.

No real name lookup and no external connection: ``resolve`` is replaced by a fake that knows a
few names, real connections are allowed to loopback only, and servers are on loopback.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import requests_mock as mocking
import urllib3.util.connection

from webapp import outbound
from webapp.config import from_environment

PUBLIC = "93.184.215.14"


class FakeDNS:
    """What ``outbound.resolve`` answers in tests: a name → addresses table, changed at will;
    an unknown name is not found, as a real resolver would say."""

    def __init__(self):
        self.table: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.asked.append(host)
        if host not in self.table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return list(self.table[host])


@pytest.fixture
def dns(monkeypatch) -> FakeDNS:
    fake = FakeDNS()
    monkeypatch.setattr(outbound, "resolve", fake)
    return fake


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Whatever a test gets wrong, no connection leaves this machine."""
    real = urllib3.util.connection.create_connection

    def create_connection(address, *args, **kwargs):
        try:
            loopback = ipaddress.ip_address(address[0].strip("[]")).is_loopback
        except ValueError:
            raise AssertionError(f"a test tried a real name lookup of {address[0]}") from None
        if not loopback:
            raise AssertionError(f"a test tried to connect to {address}")
        return real(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", create_connection)


class LoopbackServer:
    """A small HTTP server on 127.0.0.1 answering every request with ``status``, ``body`` and
    ``headers``; it keeps what it was sent and counts the connections it accepted."""

    def __init__(self, status: int = 200, body: dict | bytes = b"{}", headers: dict | None = None):
        self.status, self.headers = status, headers or {}
        self.body = json.dumps(body).encode() if isinstance(body, dict) else body
        self.requests: list[dict] = []
        self.connections = 0

    def __enter__(self) -> LoopbackServer:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                owner.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": self.rfile.read(length),
                    }
                )
                self.send_response(owner.status)
                for name, value in {"Content-Type": "application/json", **owner.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(owner.body)))
                self.end_headers()
                self.wfile.write(owner.body)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                owner.connections += 1
                return True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


# -- which addresses -------------------------------------------------------------------------

REFUSED_ALWAYS = [
    "169.254.169.254",  # cloud metadata
    "169.254.10.1",  # link-local
    "fe80::1",
    "fd00:ec2::254",  # AWS metadata over IPv6
    "100.100.100.200",  # Alibaba metadata
    "::ffff:169.254.169.254",  # metadata, IPv4-mapped
    "64:ff9b::a9fe:a9fe",  # metadata through NAT64
    "0.0.0.0",
    "::",
    "0.1.2.3",
    "224.0.0.1",
    "ff02::1",
    "240.0.0.1",
    "255.255.255.255",
    "::127.0.0.1",  # IPv4-compatible: reserved
]
PRIVATE = [
    "10.0.0.5",
    "172.16.3.4",
    "192.168.1.10",
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "127.0.0.1",
    "127.8.8.8",
    "::1",
    "fd12:3456::1",  # IPv6 unique local
    "fc00::1",
    "::ffff:127.0.0.1",  # IPv4-mapped loopback
    "::ffff:10.1.2.3",  # IPv4-mapped private
    "2002:c0a8:0101::1",  # 6to4 of 192.168.1.1
]
PUBLIC_ADDRESSES = [PUBLIC, "8.8.8.8", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"]


@pytest.mark.parametrize("address", REFUSED_ALWAYS)
def test_metadata_link_local_multicast_reserved_and_unspecified_are_refused_even_when_private_is_allowed(address):
    ip = ipaddress.ip_address(address)
    assert outbound.refusal(ip) and outbound.refusal(ip, allow_private=True)


@pytest.mark.parametrize("address", PRIVATE)
def test_private_and_loopback_addresses_are_refused_unless_allowed(address):
    ip = ipaddress.ip_address(address)
    assert outbound.refusal(ip) and outbound.refusal(ip, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC_ADDRESSES)
def test_public_addresses_are_allowed(address):
    assert outbound.refusal(ipaddress.ip_address(address)) is None


def test_a_name_is_refused_when_any_of_its_addresses_is(dns):
    dns.table["llm.example.test"] = [PUBLIC, "10.0.0.5"]
    with pytest.raises(outbound.AddressNotAllowed, match=r"resolves to 10\.0\.0\.5, a private address"):
        outbound.check_url("https://llm.example.test/v1", allow_private=False)
    dns.table["llm.example.test"] = [PUBLIC]
    assert outbound.check_url("https://llm.example.test/v1", allow_private=False).hostname == "llm.example.test"


def test_an_ip_address_in_the_url_is_checked_without_a_lookup(dns):
    with pytest.raises(outbound.AddressNotAllowed, match="metadata"):
        outbound.check_url("https://169.254.169.254/latest", allow_private=True)
    with pytest.raises(outbound.AddressNotAllowed, match="private"):
        outbound.check_url("https://[fd12:3456::1]:8443/v1", allow_private=False)
    assert dns.asked == []


def test_a_host_that_cannot_be_found_is_said_so(dns):
    with pytest.raises(outbound.OutboundError, match="could not be found") as raised:
        outbound.check_url("https://nowhere.example.test/v1", allow_private=False)
    assert not isinstance(raised.value, outbound.AddressNotAllowed)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://llm.example.test", "full https"),
        ("https://", "full https"),
        ("llm.example.test/v1", "full https"),
        ("https://[::1", "full https"),
        ("http://llm.example.test/v1", "use https://"),
        ("https://user:pass@llm.example.test/v1", "user name or password"),
        ("https://llm.example.test:99999/v1", "not valid"),
        ("https://a..b/v1", "not valid"),
    ],
)
def test_the_form_of_an_address(url, message):
    with pytest.raises(outbound.OutboundError, match=message):
        outbound.check_url_form(url, allow_private=False)


def test_plain_http_only_to_this_machine_and_only_when_allowed(dns):
    dns.table["localhost"] = ["127.0.0.1", "::1"]
    dns.table["models.lan"] = ["192.168.1.20"]
    with pytest.raises(outbound.OutboundError, match="use https://"):
        outbound.check_url("http://localhost:11434/v1", allow_private=False)
    assert outbound.check_url("http://localhost:11434/v1", allow_private=True)
    with pytest.raises(outbound.AddressNotAllowed, match="only to this machine"):
        outbound.check_url("http://models.lan/v1", allow_private=True)
    assert outbound.check_url("https://models.lan/v1", allow_private=True)


def test_the_setting_comes_from_the_environment_and_is_off_by_default(app, monkeypatch, tmp_path):
    monkeypatch.delenv("ALLOW_PRIVATE_OUTBOUND", raising=False)
    assert from_environment(tmp_path)["ALLOW_PRIVATE_OUTBOUND"] is False
    assert app.config["ALLOW_PRIVATE_OUTBOUND"] is False and outbound.allow_private_outbound() is False
    monkeypatch.setenv("ALLOW_PRIVATE_OUTBOUND", "1")
    assert from_environment(tmp_path)["ALLOW_PRIVATE_OUTBOUND"] is True
    app.config["ALLOW_PRIVATE_OUTBOUND"] = True
    assert outbound.allow_private_outbound() is True and outbound.session().adapters["https://"].allow_private


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("https://llm.example.test/v1", "https://llm.example.test/v2/", True),
        ("https://LLM.example.test/v1", "https://llm.example.test:443/other", True),
        ("https://llm.example.test/v1", "https://evil.example.test/v1", False),
        ("https://llm.example.test/v1", "https://llm.example.test:8443/v1", False),
        ("http://llm.example.test/v1", "https://llm.example.test/v1", False),
        ("https://llm.example.test/v1", "https://llm.example.test.evil.test/v1", False),
        ("", "https://llm.example.test/v1", False),
    ],
)
def test_same_origin(a, b, same):
    assert outbound.same_origin(a, b) is same


# -- at request time -------------------------------------------------------------------------


def test_a_redirect_is_never_followed_whatever_the_caller_asks(requests_mock):
    requests_mock.post(
        "https://llm.example.test/v1/chat/completions",
        status_code=307,
        headers={"Location": "https://evil.example.test/steal?key=1"},
    )
    requests_mock.get("https://llm.example.test/v1/models", status_code=302, headers={"Location": "/v2/models"})
    stolen = requests_mock.register_uri(mocking.ANY, "https://evil.example.test/steal")
    session = outbound.session(allow_private=False)
    session.headers["Authorization"] = "Bearer sk-secret"
    response = session.post("https://llm.example.test/v1/chat/completions", json={}, allow_redirects=True)
    assert response.status_code == 307 and response.history == [] and response.next is None
    assert session.get("https://llm.example.test/v1/models").status_code == 302
    assert session.request("GET", "https://llm.example.test/v1/models", allow_redirects=True).status_code == 302
    assert stolen.call_count == 0 and requests_mock.call_count == 3
    assert outbound.redirect_target(response) == "https://evil.example.test/steal"


def test_the_address_is_checked_again_when_the_connection_opens(dns):
    """Saved while the name pointed to a public address; by the time of the call it points to
    the metadata service: nothing is sent."""
    dns.table["llm.example.test"] = [PUBLIC]
    outbound.check_url("https://llm.example.test/v1", allow_private=False)
    for address in ("169.254.169.254", "10.0.0.5", "127.0.0.1", "fd12:3456::1", "::ffff:127.0.0.1"):
        dns.table["llm.example.test"] = [address]
        with pytest.raises(outbound.AddressNotAllowed, match=re.escape(f"resolves to {ipaddress.ip_address(address)}")):
            outbound.session(allow_private=False).post("https://llm.example.test/v1/chat/completions", json={})


def test_with_private_allowed_the_connection_goes_to_the_address_that_was_checked(dns):
    with LoopbackServer(body={"ok": True}) as server:
        dns.table["llm.example.test"] = ["127.0.0.1"]
        url = f"http://llm.example.test:{server.port}/v1/models"
        with pytest.raises(outbound.AddressNotAllowed, match="loopback"):
            outbound.session(allow_private=False).get(url)
        assert server.connections == 0
        response = outbound.session(allow_private=True).get(url, timeout=5)
        assert response.json() == {"ok": True}
        assert server.requests[0]["headers"]["Host"] == f"llm.example.test:{server.port}"
        # https to a loopback server: the connection is made (the handshake then fails: it is no TLS server).
        with pytest.raises(requests.ConnectionError):
            outbound.session(allow_private=True).get(f"https://llm.example.test:{server.port}/v1", timeout=5)
        assert server.connections == 2


def test_plain_http_is_refused_at_request_time_to_anything_but_this_machine(dns):
    dns.table["models.lan"] = ["192.168.1.20"]
    with pytest.raises(outbound.AddressNotAllowed, match="only to this machine"):
        outbound.session(allow_private=True).get("http://models.lan/v1/models")


def test_a_name_that_cannot_be_found_is_a_connection_error(dns):
    with pytest.raises(requests.ConnectionError):
        outbound.session(allow_private=False).get("https://nowhere.example.test/v1")


def test_a_redirect_from_a_real_server_is_returned_not_followed(dns):
    with LoopbackServer(status=302, headers={"Location": "http://127.0.0.1:9/elsewhere"}) as server:
        dns.table["llm.example.test"] = ["127.0.0.1"]
        response = outbound.session(allow_private=True).get(
            f"http://llm.example.test:{server.port}/v1", allow_redirects=True, timeout=5
        )
        assert response.status_code == 302 and len(server.requests) == 1


def test_the_environment_adds_no_proxy_and_no_credentials(monkeypatch, tmp_path):
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    netrc = tmp_path / "netrc"
    netrc.write_text("machine llm.example.test login eve password stolen\n")
    monkeypatch.setenv("NETRC", str(netrc))
    session = outbound.session(allow_private=False)
    settings = session.merge_environment_settings("https://llm.example.test/v1", {}, None, None, None)
    assert settings["proxies"] == {}
    assert "Authorization" not in session.prepare_request(requests.Request("GET", "https://llm.example.test/")).headers
