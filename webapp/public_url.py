"""Whether Front and Salesforce can reach the address Switchboard gives out (``PUBLIC_URL``).

Front's webhooks, Salesforce's callouts to the rep-replies webhook and the OAuth callback all come
back to ``PUBLIC_URL``. On a local or private address (the default on a first start,
http://localhost:5000) they never arrive, and nothing fails where the admin is looking: Front
only marks the webhook as failing. So every page that shows such a URL says so next to it, and
``switchboard serve`` says it when it starts.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import current_app

# Names no public DNS answers for: mDNS, the reserved test and home names, and common LAN suffixes.
LOCAL_SUFFIXES = (".localhost", ".local", ".internal", ".lan", ".home.arpa")


def is_local_address(url: str | None) -> bool:
    """Whether ``url``'s host is reachable only from this machine or its network: localhost,
    loopback (127.x, ::1), private ranges (10.x, 172.16-31.x, 192.168.x, fc00::/7), link-local
    and shared addresses, ``*.local`` names, and names of a single label (``switchboard``)."""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return False
    if not host:
        return False
    host = host.rstrip(".").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host == "localhost" or host.endswith(LOCAL_SUFFIXES) or "." not in host
    return not address.is_global


def is_public_url_local() -> bool:
    return is_local_address(current_app.config["PUBLIC_URL"])


def unreachable_by(receiver: str) -> bool:
    """Whether ``receiver`` ("Front" or "Salesforce") cannot reach ``PUBLIC_URL``: it is local
    while the receiver is not. A Front or Salesforce on this machine or network (the sandbox's
    fakes) reaches a local address, so no warning is due then."""
    if not is_public_url_local():
        return False
    return not is_local_address(_address_of(receiver))


def _address_of(receiver: str) -> str:
    """Where ``receiver`` runs: the Front API the app calls, the organization's Salesforce login."""
    if receiver == "Front":
        return current_app.config["FRONT_API_URL"]
    if receiver == "Salesforce":
        from flask_login import current_user

        from webapp.salesforce.integration import PRODUCTION_LOGIN_URL, salesforce_integration, settings_of

        if not current_user.is_authenticated:
            return PRODUCTION_LOGIN_URL
        return settings_of(salesforce_integration(current_user.organization_id)).login_url or PRODUCTION_LOGIN_URL
    raise ValueError(f"unknown receiver {receiver!r}")
