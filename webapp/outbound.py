"""Calls to addresses an admin typed in (the LLM provider's base URL; next, Salesforce's login
and instance URLs), so that a saved credential goes only where it should.

Three rules, one place:

1. **The address.** ``check_url_form`` (no network) wants a full ``https://`` URL with a host and
   no user name or password in it; plain ``http://`` only with ``ALLOW_PRIVATE_OUTBOUND`` on,
   and then only to this machine (loopback). ``check_url`` adds the resolution: every address the
   host resolves to must be public (see ``refusal``); one that is not refuses the whole URL.
2. **At request time, again.** A ``session()`` resolves the host itself each time it opens a
   connection, checks every address by the same rules, and connects to an address it checked
   (so a DNS answer that changes after the URL was saved, or between the check and the connect,
   cannot point the credential at a private address). A refusal raises ``AddressNotAllowed``,
   which is deliberately not a ``requests`` exception.
3. **No redirects.** A ``session()`` never follows one, whatever the caller passes: the 3xx
   comes back as it is, for the caller to report ("set the address to the final one"). A
   followed redirect would carry the request, and its body, to wherever ``Location`` says.

A session also ignores the proxy variables and ``~/.netrc`` (``trust_env`` off): through a proxy
the address could not be checked, and ``.netrc`` would add credentials of its own.

``ALLOW_PRIVATE_OUTBOUND`` (off by default) is for a model server on the same machine or the
local network: it allows loopback and private addresses (and plain http to loopback). Link-local
addresses (169.254.0.0/16, where cloud metadata services answer, and fe80::/10), the other
known metadata addresses, multicast, reserved and unspecified addresses stay refused even then:
no server Switchboard should call lives there.

Tests replace ``resolve`` (the only name lookup here) instead of asking a real DNS.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from urllib.parse import SplitResult, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util import connection as urllib3_connection

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

SETTING = "ALLOW_PRIVATE_OUTBOUND"

# Cloud metadata services hand out the machine's credentials; refused even with the setting on.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean… (also link-local)
        "169.254.170.2",  # AWS ECS task credentials (also link-local)
        "fd00:ec2::254",  # AWS, over IPv6 (a unique local address)
        "100.100.100.200",  # Alibaba Cloud (shared address space)
    )
)
_THIS_NETWORK = ipaddress.ip_network("0.0.0.0/8")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


class OutboundError(Exception):
    """An address that may not be called; the message says why, in an admin's words. Not a
    ``requests`` exception, so that no caller mistakes it for a network failure to retry."""


class AddressNotAllowed(OutboundError):
    """The host resolves to an address Switchboard does not call (private, loopback…)."""


def allow_private_outbound() -> bool:
    """The ``ALLOW_PRIVATE_OUTBOUND`` setting of the current app; off outside one."""
    from flask import current_app, has_app_context

    return bool(has_app_context() and current_app.config.get(SETTING, False))


def _flag(allow_private: bool | None) -> bool:
    return allow_private_outbound() if allow_private is None else allow_private


# -- the rules ---------------------------------------------------------------------------------


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries and reaches (IPv4-mapped, 6to4, Teredo, NAT64)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if any(address in network for network in _NAT64):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(address: IPAddress, *, allow_private: bool = False) -> str | None:
    """Why ``address`` may not be called ("a private address"), or None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        inner = _embedded_ipv4(address)
        if inner is not None:
            reason = refusal(inner, allow_private=allow_private)
            return f"{reason}, inside an IPv6 address" if reason else None
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_unspecified or (isinstance(address, ipaddress.IPv4Address) and address in _THIS_NETWORK):
        return "an unspecified address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_loopback:
        return None if allow_private else "a loopback address (this machine)"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        return None if allow_private else "a private address"
    return None


def resolve(host: str) -> list[str]:
    """Every address ``host`` resolves to, as text. The one name lookup in this module."""
    infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def check_host(host: str, *, allow_private: bool | None = None, loopback_only: bool = False) -> list[IPAddress]:
    """The addresses of ``host`` (an IP address is its own), each checked by ``refusal``; raises
    ``AddressNotAllowed`` if any is refused, and ``OutboundError`` if the host cannot be found.
    ``loopback_only`` (plain http) allows nothing but this machine."""
    allow_private = _flag(allow_private)
    host = host.strip("[]")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a) for a in resolve(host)]
        except (OSError, UnicodeError, ValueError) as exc:
            raise OutboundError(f"the host {host} could not be found") from exc
    if not addresses:
        raise OutboundError(f"the host {host} could not be found")
    for address in addresses:
        reason = refusal(address, allow_private=allow_private)
        if reason is None and loopback_only and not _is_loopback(address):
            reason = "not this machine, and plain http:// is allowed only to this machine"
        if reason:
            where = f"{host} is" if str(address) == host else f"{host} resolves to {address},"
            if not allow_private and refusal(address, allow_private=True) is None:
                reason += f", called only with {SETTING} on"
            raise AddressNotAllowed(f"{where} {reason}")
    return addresses


def _is_loopback(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def check_url_form(url: str, *, allow_private: bool | None = None) -> SplitResult:
    """What can be checked without the network: a full ``https://`` URL with a host and no
    credentials; plain ``http://`` only with ``ALLOW_PRIVATE_OUTBOUND`` on. Raises OutboundError."""
    try:
        parts = urlsplit((url or "").strip())
        hostname = parts.hostname
    except ValueError as exc:  # an unclosed [IPv6 address, for one
        raise OutboundError("enter a full https:// address") from exc
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not hostname:
        raise OutboundError("enter a full https:// address")
    if scheme == "http" and not _flag(allow_private):
        raise OutboundError(
            f"use https://; plain http:// is allowed only to a server on this machine, with {SETTING} on"
        )
    if parts.username is not None or parts.password is not None:
        raise OutboundError("the address may not hold a user name or password")
    try:
        parts.port  # noqa: B018 (raises ValueError when out of range or not a number)
        hostname.encode("idna")
    except (ValueError, UnicodeError) as exc:
        raise OutboundError("the address's host or port is not valid") from exc
    return parts


def check_url(url: str, *, allow_private: bool | None = None) -> SplitResult:
    """``check_url_form``, then ``check_host`` on its host (resolved now). Raises OutboundError
    (or its ``AddressNotAllowed``)."""
    allow_private = _flag(allow_private)
    parts = check_url_form(url, allow_private=allow_private)
    check_host(parts.hostname, allow_private=allow_private, loopback_only=parts.scheme.lower() == "http")
    return parts


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) of ``url``, the default port filled in; None when it has no host."""
    try:
        parts = urlsplit((url or "").strip())
        scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
        port = parts.port or {"https": 443, "http": 80}.get(scheme, 0)
    except ValueError:
        return None
    return (scheme, host, port) if host else None


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs reach the same server (scheme, host and port); their paths may differ.
    A credential saved for one may go to the other without being entered again."""
    first = origin(a)
    return first is not None and first == origin(b)


# -- the session -------------------------------------------------------------------------------


def _connect(connection: HTTPConnection, *, allow_private: bool, loopback_only: bool):
    """``HTTPConnection._new_conn``, connecting only to addresses ``check_host`` allowed."""
    try:
        addresses = check_host(connection._dns_host, allow_private=allow_private, loopback_only=loopback_only)
    except AddressNotAllowed:
        raise
    except OutboundError as exc:
        raise NameResolutionError(connection.host, connection, socket.gaierror(str(exc))) from exc
    error: OSError | None = None
    for address in addresses:
        try:
            sock = urllib3_connection.create_connection(
                (str(address), connection.port),
                connection.timeout,
                source_address=connection.source_address,
                socket_options=connection.socket_options,
            )
        except TimeoutError as exc:
            error = ConnectTimeoutError(
                connection, f"Connection to {connection.host} timed out. (connect timeout={connection.timeout})"
            )
            error.__cause__ = exc
        except OSError as exc:
            error = NewConnectionError(connection, f"Failed to establish a new connection: {exc}")
            error.__cause__ = exc
        else:
            sys.audit("http.client.connect", connection, connection.host, connection.port)
            return sock
    raise error  # type: ignore[misc]  (addresses is never empty)


class _CheckedHTTPConnection(HTTPConnection):
    allow_private = False

    def _new_conn(self):
        return _connect(self, allow_private=self.allow_private, loopback_only=True)


class _CheckedHTTPSConnection(HTTPSConnection):
    allow_private = False

    def _new_conn(self):
        # Only the socket's address is pinned: TLS still verifies the certificate for the host name.
        return _connect(self, allow_private=self.allow_private, loopback_only=False)


class _PrivateHTTPConnection(_CheckedHTTPConnection):
    allow_private = True


class _PrivateHTTPSConnection(_CheckedHTTPSConnection):
    allow_private = True


class _Pool(HTTPConnectionPool):
    ConnectionCls = _CheckedHTTPConnection


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _CheckedHTTPSConnection


class _PrivatePool(HTTPConnectionPool):
    ConnectionCls = _PrivateHTTPConnection


class _PrivateTLSPool(HTTPSConnectionPool):
    ConnectionCls = _PrivateHTTPSConnection


class OutboundAdapter(HTTPAdapter):
    """A transport adapter whose connections check the address they connect to (rule 2)."""

    def __init__(self, *, allow_private: bool = False, **kwargs):
        self.allow_private = allow_private  # read by init_poolmanager, which HTTPAdapter calls
        super().__init__(**kwargs)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = (
            {"http": _PrivatePool, "https": _PrivateTLSPool}
            if self.allow_private
            else {"http": _Pool, "https": _TLSPool}
        )

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise OutboundError("outbound calls to admin-set addresses do not go through a proxy")


class OutboundSession(requests.Session):
    """A ``requests.Session`` for admin-set addresses: checked connections, never a redirect."""

    def __init__(self, *, allow_private: bool = False):
        super().__init__()
        self.trust_env = False
        adapter = OutboundAdapter(allow_private=allow_private)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def send(self, request, **kwargs):
        kwargs["allow_redirects"] = False
        return super().send(request, **kwargs)

    def resolve_redirects(self, *args, **kwargs):
        """Never follows a redirect, nor prepares the request it would make."""
        return iter(())


def session(*, allow_private: bool | None = None) -> OutboundSession:
    """A session for calls to an admin-set address; ``allow_private`` defaults to the setting."""
    return OutboundSession(allow_private=_flag(allow_private))


def redirect_target(response: requests.Response) -> str:
    """Where a 3xx points, as scheme://host/path (no query, no credentials), for an admin."""
    location = response.headers.get("Location") or ""
    try:
        parts = urlsplit(requests.compat.urljoin(response.url or "", location))
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "an address that is not valid"
    if not host:
        return "an address that is not valid"
    return f"{parts.scheme}://{host}{port}{parts.path}"[:200]
