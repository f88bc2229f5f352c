"""Asking Salesforce, with no user involved, whether it would accept the app as it is saved: its
Client ID and Client Secret at the token endpoint, its Callback URL at the authorize page.

**The credentials.** A refresh token grant with a made-up refresh token. Salesforce checks the
client before the grant, as OAuth 2.0 has it (RFC 6749, 5.2: a client that fails to authenticate
is ``invalid_client``), so the answer tells the three cases apart: ``invalid_client_id``
"client identifier invalid" (no such app, or one created less than 2 to 10 minutes ago),
``invalid_client`` "invalid client credentials" (the secret is wrong; "app must be installed into
org" when the app is not installed), and ``invalid_grant`` "expired access/refresh token": the
app and its secret were accepted and only the made-up token was refused. Salesforce validates a
client secret on the refresh token flow whenever one is sent (Salesforce Help, "OAuth 2.0 Refresh
Token Flow"); that it checks the client before the token is what its answers show, not something
its documentation states.

**The Callback URL.** The authorize URL Switchboard would open, fetched without following the
redirect. Salesforce sends a request it refuses to its own error page
(``/setup/secur/RemoteAccessErrorPage.apexp?error=redirect_uri_mismatch&error_description=…``)
before any login, and the callback is never reached; a request it accepts goes on to the login
page. Only an ``error`` in the redirect is read; anything else says nothing either way.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qs, urljoin, urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuthError
from flask import current_app

from webapp import outbound
from webapp.salesforce import oauth
from webapp.salesforce.errors import remote_text
from webapp.salesforce.integration import SalesforceSettings

# Sent as the refresh token: clearly no token Salesforce ever issued.
MADE_UP_REFRESH_TOKEN = "switchboard-credentials-check"


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # invalid_grant: the client and its secret passed
    UNKNOWN_CLIENT = "unknown_client"  # invalid_client_id
    NOT_INSTALLED = "not_installed"  # invalid_client "app must be installed into org", app_not_found
    WRONG_SECRET = "wrong_secret"  # invalid_client
    UNCLEAR = "unclear"  # another answer: nothing can be concluded
    UNREACHABLE = "unreachable"  # no answer from the token endpoint


@dataclass(frozen=True)
class CredentialsAnswer:
    verdict: Verdict
    error: str | None = None  # Salesforce's error code, as it said it
    description: str | None = None
    note: str | None = None  # why nothing could be concluded, in an admin's words

    @property
    def said(self) -> str:
        """What Salesforce said, clipped, for a finding: "invalid_client: invalid client credentials"."""
        text = f"{self.error or ''}: {self.description}" if self.description else (self.error or "")
        return remote_text(text, 300)


def check_credentials(settings: SalesforceSettings, client_secret: str) -> CredentialsAnswer:
    """What the token endpoint at the Login URL says about the saved Client ID and Secret."""
    session = oauth.oauth_session(settings, client_secret)
    try:
        session.refresh_token(oauth.endpoint(settings.login_url, "token"), refresh_token=MADE_UP_REFRESH_TOKEN)
    except OAuthError as exc:
        return _verdict(exc.error, exc.description)
    except (requests.RequestException, outbound.OutboundError, ValueError, TypeError, OverflowError) as exc:
        return CredentialsAnswer(Verdict.UNREACHABLE, note=oauth.unreachable_message(settings.login_url, exc))
    finally:
        session.close()
    return CredentialsAnswer(
        Verdict.UNCLEAR,
        note="The token endpoint at the Login URL accepted a refresh token Salesforce never issued: "
        "it does not answer as Salesforce does. Check the Login URL.",
    )


def _verdict(error, description) -> CredentialsAnswer:
    error = error if isinstance(error, str) else None
    description = description if isinstance(description, str) else None
    lowered = (description or "").lower()
    if error == "invalid_grant":
        verdict = Verdict.ACCEPTED
    elif error == "invalid_client_id":
        verdict = Verdict.UNKNOWN_CLIENT
    elif error == "app_not_found" or (error == "invalid_client" and "install" in lowered):
        verdict = Verdict.NOT_INSTALLED
    elif error == "invalid_client":
        verdict = Verdict.WRONG_SECRET
    else:
        verdict = Verdict.UNCLEAR
    return CredentialsAnswer(verdict, error, description)


@dataclass(frozen=True)
class AuthorizeRefusal:
    """Salesforce refused the authorize request before anyone logged in."""

    error: str
    description: str | None

    @property
    def said(self) -> str:
        text = f"{self.error}: {self.description}" if self.description else self.error
        return remote_text(text, 300)


def authorize_refusal(settings: SalesforceSettings, client_secret: str) -> AuthorizeRefusal | None:
    """What Salesforce's authorize page says to the request Connect would make, if it refuses it.
    Raises requests.RequestException or outbound.OutboundError when it cannot be asked."""
    session = oauth.oauth_session(settings, client_secret)
    try:
        url, _ = session.create_authorization_url(
            oauth.endpoint(settings.login_url, "authorize"),
            state=secrets.token_urlsafe(32),
            code_verifier=generate_token(48),
            scope=oauth.SCOPE,
            display="popup",
        )
    finally:
        session.close()
    with outbound.session() as http:
        response = http.get(url, timeout=current_app.config["SALESFORCE_TIMEOUT"])
    if not 300 <= response.status_code < 400:
        return None
    location = urljoin(url, response.headers.get("Location") or "")
    query = parse_qs(urlsplit(location).query)
    error = (query.get("error") or [None])[0]
    if not error:
        return None
    description = (query.get("error_description") or [None])[0]
    return AuthorizeRefusal(remote_text(error, 64), remote_text(description, 300) if description else None)
