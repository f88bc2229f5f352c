"""Connecting an org: Salesforce's OAuth 2.0 web server flow, with PKCE, through Authlib.

``start_connect`` makes the authorize URL and remembers the attempt in Redis for ten minutes,
under a random ``state`` bound to the organization, the admin and this very login (the user's
session token and a random value kept in this browser's session cookie). The public callback
takes the attempt back exactly once (GETDEL), refuses it unless the same login returns with it,
exchanges the code (client secret, the same redirect URI, the PKCE verifier), checks the
response's ``signature``, asks who connected (``/services/oauth2/userinfo``) and only then
stores the tokens. Every call goes through Authlib's requests session mounted on our outbound
rules: checked addresses, no redirects followed, no proxies.

Salesforce's errors are turned into the fix, in an admin's words; what Salesforce said is shown
too, clipped and without control characters (``remote_text``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import re
import secrets
from dataclasses import asdict, dataclass
from enum import StrEnum
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from flask import current_app

from webapp import outbound, redis_server
from webapp.db import db
from webapp.models import Integration, User
from webapp.salesforce import connect_log
from webapp.salesforce.errors import remote_text
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ConnectionState,
    SalesforceSettings,
    now_text,
    redirect_uri,
    salesforce_integration,
    settings_of,
    update_settings,
)

log = logging.getLogger(__name__)

# REST API access, the identity service (userinfo, to show who connected) and a refresh token:
# in the app's settings, "Manage user data via APIs (api)", "Access the identity URL service
# (id, profile, email, address, phone)" and "Perform requests at any time (refresh_token,
# offline_access)".
SCOPE = "api id refresh_token"
STATE_TTL_SECONDS = 600
STATE_KEY = "switchboard:salesforce:oauth-state:{}"
# The last failure of a connection attempt an admin of the organization made, for the settings
# page when the popup was closed.
CONNECT_ERROR_KEY = "switchboard:salesforce:connect-error:{}"
# secrets.token_urlsafe(32) makes 43 characters; anything else was never ours.
STATE_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
# Salesforce's authorization codes are base64 with a few punctuation marks; far shorter than this.
CODE_PATTERN = re.compile(r"[A-Za-z0-9._~+/=%-]{1,1024}")
# .../id/<org id>/<user id>: 15- or 18-character record ids.
IDENTITY_URL = re.compile(r"/id/([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)/([A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?)/?$")


class Mode(StrEnum):
    """Where Salesforce's pages open: a popup the settings page watches, or this window when
    the browser blocked the popup."""

    POPUP = "popup"
    WINDOW = "window"


class ConnectError(Exception):
    """Connecting failed; the message says what to do, in an admin's words. ``error_code`` is
    Salesforce's own (``redirect_uri_mismatch``, ``invalid_client``...) when it gave one, with its
    ``error_description``."""

    def __init__(self, message: str, error_code: str | None = None, error_description: str | None = None):
        super().__init__(message)
        self.error_code = error_code
        self.error_description = error_description


class StateRefused(ConnectError):
    """The callback's ``state`` is missing, unknown, used, expired or someone else's: nothing
    about it may be trusted, not even which organization it names."""


@dataclass(frozen=True)
class PendingConnect:
    """A connection attempt between the Connect button and the callback (in Redis)."""

    organization_id: int
    user_id: int
    login: str  # login_binding() of the admin who started it
    code_verifier: str
    login_url: str
    client_id: str
    mode: str
    attempt: str = ""  # connect_log.attempt_id(state), for the setup checks


# -- the OAuth client ----------------------------------------------------------------------------


class SalesforceOAuthSession(OAuth2Session, outbound.OutboundSession):
    """Authlib's OAuth 2.0 requests session with the outbound rules of ``webapp.outbound``:
    connections only to checked addresses, never a redirect followed, no proxy or ``.netrc``."""

    def __init__(self, **kwargs):
        OAuth2Session.__init__(self, **kwargs)
        self.trust_env = False
        adapter = outbound.OutboundAdapter(allow_private=outbound.allow_private_outbound())
        self.mount("https://", adapter)
        self.mount("http://", adapter)


def oauth_session(settings: SalesforceSettings, client_secret: str | None) -> SalesforceOAuthSession:
    """The OAuth client for this org's app. The secret goes in the form body, as Salesforce's
    documentation sends it, with every token request."""
    return SalesforceOAuthSession(
        client_id=settings.client_id,
        client_secret=client_secret,
        token_endpoint_auth_method="client_secret_post",
        revocation_endpoint_auth_method="none",
        redirect_uri=redirect_uri(),
        code_challenge_method="S256",
        default_timeout=current_app.config["SALESFORCE_TIMEOUT"],
    )


def endpoint(login_url: str, name: str) -> str:
    """``authorize``, ``token`` or ``revoke`` under the org's Login URL."""
    return f"{login_url.rstrip('/')}/services/oauth2/{name}"


# -- binding an attempt to a login ---------------------------------------------------------------


def login_binding(user: User, browser_secret: str) -> str:
    """What ties an attempt to one login: the user's session token (replaced at logout, a
    password or role change) and a random value kept in this browser's session cookie. Hashed,
    so Redis never holds the session token itself."""
    material = f"{user.id}:{user.session_token}:{browser_secret}".encode()
    return hashlib.sha256(material).hexdigest()


def _redis():
    return redis_server.connection()


# -- starting ------------------------------------------------------------------------------------


def start_connect(integration: Integration, user: User, *, browser_secret: str, mode: Mode) -> str:
    """The URL of Salesforce's authorize page for this attempt. Raises ConnectError when the
    credentials are not saved yet, and redis.RedisError when the attempt cannot be remembered."""
    settings = settings_of(integration)
    client_secret = integration.credential(CLIENT_SECRET)
    if not settings.client_id or not client_secret:
        raise ConnectError("Save the Client ID and the Client Secret first, then connect.")
    state = secrets.token_urlsafe(32)
    code_verifier = generate_token(48)
    url, _ = oauth_session(settings, client_secret).create_authorization_url(
        endpoint(settings.login_url, "authorize"),
        state=state,
        code_verifier=code_verifier,
        scope=SCOPE,
        display="popup" if mode == Mode.POPUP else "page",
    )
    pending = PendingConnect(
        organization_id=integration.organization_id,
        user_id=user.id,
        login=login_binding(user, browser_secret),
        code_verifier=code_verifier,
        login_url=settings.login_url,
        client_id=settings.client_id,
        mode=mode.value,
        attempt=connect_log.attempt_id(state),
    )
    connection = _redis()
    connection.set(STATE_KEY.format(state), json.dumps(asdict(pending)), ex=STATE_TTL_SECONDS)
    connection.delete(CONNECT_ERROR_KEY.format(integration.organization_id))
    connect_log.record(integration.organization_id, connect_log.Step.STARTED, attempt=pending.attempt, mode=mode.value)
    return url


def pending_attempt(state: str | None) -> PendingConnect | None:
    """The attempt ``state`` names while the callback has not taken it yet (it stays in Redis)."""
    if not state or not STATE_PATTERN.fullmatch(state):
        return None
    raw = _redis().get(STATE_KEY.format(state))
    try:
        return PendingConnect(**json.loads(raw)) if raw is not None else None
    except (TypeError, ValueError):
        return None


# -- the callback --------------------------------------------------------------------------------

STATE_UNKNOWN = (
    "This connection attempt is unknown, was already used, or has expired (an attempt lasts 10 minutes). "
    "Go back to Settings → Integrations → Salesforce and click Connect to Salesforce again."
)


def take_pending(state: str | None) -> PendingConnect:
    """The attempt ``state`` names, removed from Redis in the same step (single use)."""
    if not state:
        raise StateRefused(
            "Salesforce's answer has no state, so it cannot be matched to a connection attempt. "
            "Start again from Settings → Integrations → Salesforce."
        )
    if not STATE_PATTERN.fullmatch(state):
        raise StateRefused(STATE_UNKNOWN)
    raw = _redis().getdel(STATE_KEY.format(state))
    if raw is None:
        raise StateRefused(STATE_UNKNOWN)
    try:
        return PendingConnect(**json.loads(raw))
    except (TypeError, ValueError) as exc:
        raise StateRefused(STATE_UNKNOWN) from exc


def check_same_login(pending: PendingConnect, user: User | None, browser_secret: str | None) -> None:
    """Only the login that clicked Connect may finish: not another organization, another user,
    another browser, nor the same user after logging out."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise StateRefused(
            "You are not logged in to Switchboard in this browser, so this connection cannot be finished. "
            "Log in, then connect again from Settings → Integrations → Salesforce."
        )
    if (
        pending.organization_id != user.organization_id
        or pending.user_id != user.id
        or not browser_secret
        or not hmac.compare_digest(pending.login, login_binding(user, browser_secret))
        or not user.can_manage_settings
    ):
        raise StateRefused(
            "This connection attempt was started by another login (another user, browser or session). "
            "Nothing was saved. Connect again from Settings → Integrations → Salesforce in this browser."
        )


def finish_connect(pending: PendingConnect, *, code: str | None, error: str | None, description: str | None):
    """Exchange the code, check and store what Salesforce answered; the connected integration.
    Raises ConnectError (remembered for the settings page) with nothing stored."""
    try:
        integration = _finish(pending, code=code, error=error, description=description)
    except ConnectError as exc:
        db.session.rollback()
        remember_error(pending.organization_id, str(exc))
        connect_log.record(
            pending.organization_id,
            connect_log.Step.REFUSED,
            attempt=pending.attempt or None,
            mode=pending.mode,
            error=exc.error_code,
            description=exc.error_description,
            message=str(exc),
        )
        raise
    connect_log.record(
        pending.organization_id, connect_log.Step.CONNECTED, attempt=pending.attempt or None, mode=pending.mode
    )
    return integration


def _finish(pending: PendingConnect, *, code, error, description) -> Integration:
    integration = salesforce_integration(pending.organization_id)
    settings = settings_of(integration)
    client_secret = integration.credential(CLIENT_SECRET) if integration else None
    if integration is None or settings.client_id != pending.client_id or settings.login_url != pending.login_url:
        raise ConnectError("The Client ID or the Login URL changed while connecting. Connect again.")
    if error:
        raise ConnectError(
            authorize_error_message(error, description),
            error_code=_text_or_none(error),
            error_description=_text_or_none(description),
        )
    if not code or not CODE_PATTERN.fullmatch(code):
        raise ConnectError("Salesforce's answer has no authorization code. Connect again.")
    token = exchange_code(settings, client_secret, code=code, code_verifier=pending.code_verifier)
    check_signature(token, client_secret)
    try:
        identity = read_identity(token)
    except ConnectError:
        revoke(settings, client_secret, token.get("refresh_token") or token.get("access_token"))
        raise
    store_connection(integration, token, identity)
    return integration


def exchange_code(settings: SalesforceSettings, client_secret: str, *, code: str, code_verifier: str) -> dict:
    """The token endpoint's answer to the authorization code (Authlib sends the client secret,
    the same redirect URI and the PKCE verifier)."""
    session = oauth_session(settings, client_secret)
    try:
        token = session.fetch_token(
            endpoint(settings.login_url, "token"),
            grant_type="authorization_code",
            code=code,
            code_verifier=code_verifier,
        )
    except OAuthError as exc:
        message = token_error_message(exc.error, exc.description)
        raise ConnectError(
            message, error_code=_text_or_none(exc.error), error_description=_text_or_none(exc.description)
        ) from exc
    except (requests.RequestException, outbound.OutboundError, ValueError, TypeError, OverflowError) as exc:
        # TypeError/OverflowError: a token answer Authlib cannot read (an expires_in that is no number)
        raise ConnectError(unreachable_message(settings.login_url, exc)) from exc
    finally:
        session.close()
    for name in ("access_token", "refresh_token", "instance_url", "id"):
        if not isinstance(token.get(name), str) or not token.get(name):
            if name == "refresh_token":
                raise ConnectError(
                    "Salesforce gave no refresh token, so the connection would stop working within hours. In the "
                    "app's OAuth settings, add the scope \"Perform requests at any time (refresh_token, "
                    'offline_access)" and set the refresh token policy to "Refresh token is valid until revoked", '
                    "then connect again."
                )
            raise ConnectError(f"Salesforce's answer has no {name}. Connect again.")
    return dict(token)


def check_signature(token: dict, client_secret: str) -> None:
    """Salesforce signs ``id`` + ``issued_at`` with the consumer secret (HMAC-SHA256, base64):
    an answer that does not carry the right signature did not come from the org's app."""
    signature, identity_url, issued_at = token.get("signature"), token.get("id"), token.get("issued_at")
    if not all(isinstance(value, str) and value for value in (signature, identity_url, issued_at)):
        raise ConnectError("Salesforce's answer is not signed, so it cannot be trusted. Nothing was saved.")
    digest = hmac.new(client_secret.encode(), (identity_url + issued_at).encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(base64.b64encode(digest), signature.encode()):
        raise ConnectError(
            "The signature of Salesforce's answer does not match the Client Secret, so it was refused and nothing "
            "was saved. Check that the saved Client Secret is this app's Consumer Secret, then connect again."
        )


@dataclass(frozen=True)
class Identity:
    username: str
    user_id: str
    org_id: str
    instance_url: str


def checked_origin(url: str) -> str:
    """``url`` as scheme://host[:port], held to the outbound rules (https; plain http only to
    this machine, with ALLOW_PRIVATE_OUTBOUND on) and with nothing after the host. Raises
    outbound.OutboundError saying what is wrong."""
    parts = outbound.check_url_form(url)
    scheme = parts.scheme.lower()
    if scheme == "http" and not _is_loopback_host(parts.hostname):
        raise outbound.OutboundError("plain http:// is allowed only to this machine (127.0.0.1 or localhost)")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise outbound.OutboundError(f"enter the address alone, without a path: {scheme}://{parts.netloc.lower()}")
    return f"{scheme}://{parts.netloc.lower()}"


def _is_loopback_host(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address((host or "").strip("[]")).is_loopback
    except ValueError:
        return False


def instance_origin(url: object) -> str:
    """The instance URL Salesforce returned, held to the same rules as an admin-typed URL (it is
    where the tokens will be sent)."""
    if not isinstance(url, str):
        raise ConnectError("Salesforce's answer has no instance URL. Connect again.")
    try:
        return checked_origin(url)
    except outbound.OutboundError as exc:
        raise ConnectError(f"Salesforce's instance URL {remote_text(url, 200)} cannot be used: {exc}.") from exc


def read_identity(token: dict) -> Identity:
    """Who connected: the ids from the signed ``id`` URL, the user name from the identity
    service, which must name the same org and user."""
    match = IDENTITY_URL.search(urlsplit(token["id"]).path)
    if not match:
        raise ConnectError("Salesforce's answer does not say which org and user connected. Connect again.")
    org_id, user_id = match.groups()
    instance_url = instance_origin(token["instance_url"])
    try:
        with outbound.session() as session:
            response = session.get(
                f"{instance_url}/services/oauth2/userinfo",
                headers={"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"},
                timeout=current_app.config["SALESFORCE_TIMEOUT"],
            )
    except (requests.RequestException, outbound.OutboundError) as exc:
        raise ConnectError(unreachable_message(instance_url, exc)) from exc
    try:
        info = response.json() if response.status_code == 200 else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        raise ConnectError(
            f"Salesforce did not say who connected (the identity service answered {response.status_code}). In the "
            "app's OAuth settings, add the scope \"Access the identity URL service (id, profile, email, address, "
            'phone)", then connect again. Nothing was saved.'
        )
    if not (_same_id(info.get("organization_id"), org_id) and _same_id(info.get("user_id"), user_id)):
        raise ConnectError("Salesforce's identity service named another org or user than the token. Connect again.")
    username = info.get("preferred_username") or info.get("email") or user_id
    return Identity(username=remote_text(username, 255), user_id=user_id, org_id=org_id, instance_url=instance_url)


def _same_id(value: object, expected: str) -> bool:
    """Salesforce ids come in 15 (case-sensitive) and 18 characters; the first 15 decide."""
    return isinstance(value, str) and value[:15] == expected[:15]


def store_connection(integration: Integration, token: dict, identity: Identity) -> None:
    """Keep the tokens (encrypted) and who connected, in one commit; the refresh token a
    previous connection held is revoked, so it does not count against Salesforce's five."""
    previous = integration.credential(REFRESH_TOKEN)
    integration.set_credential(ACCESS_TOKEN, token["access_token"])
    integration.set_credential(REFRESH_TOKEN, token["refresh_token"])
    update_settings(
        integration,
        state=ConnectionState.CONNECTED.value,
        disconnected_reason=None,
        disconnected_at=None,
        username=identity.username,
        user_id=identity.user_id,
        org_id=identity.org_id,
        instance_url=identity.instance_url,
        connected_at=now_text(),
    )
    db.session.commit()
    forget_error(integration.organization_id)
    if previous and previous != token["refresh_token"]:
        revoke(settings_of(integration), integration.credential(CLIENT_SECRET), previous)


# -- disconnecting -------------------------------------------------------------------------------


def revoke(settings: SalesforceSettings, client_secret: str | None, token: str | None) -> bool:
    """Ask Salesforce to revoke a token (a refresh token takes its access tokens with it). Best
    effort: whether Salesforce agreed, was unreachable or refused, the caller goes on."""
    if not token or not settings.client_id:
        return False
    session = oauth_session(settings, client_secret)
    try:
        response = session.revoke_token(endpoint(settings.login_url, "revoke"), token=token)
    except (requests.RequestException, outbound.OutboundError) as exc:
        log.warning("could not revoke a Salesforce token: %s", type(exc).__name__)
        return False
    finally:
        session.close()
    if response.status_code != 200:
        log.warning("Salesforce answered %s to a token revocation", response.status_code)
    return response.status_code == 200


def disconnect(integration: Integration) -> bool:
    """An admin's Disconnect: revoke the refresh token at Salesforce (best effort) and forget
    the tokens here whatever Salesforce answered. Commits; returns whether Salesforce confirmed."""
    settings = settings_of(integration)
    token = integration.credential(REFRESH_TOKEN) or integration.credential(ACCESS_TOKEN)
    revoked = revoke(settings, integration.credential(CLIENT_SECRET), token)
    integration.set_credential(ACCESS_TOKEN, None)
    integration.set_credential(REFRESH_TOKEN, None)
    update_settings(
        integration, state=ConnectionState.NOT_CONNECTED.value, disconnected_reason=None, disconnected_at=None
    )
    db.session.commit()
    return revoked


# -- what went wrong, in an admin's words --------------------------------------------------------


def remember_error(organization_id: int, message: str) -> None:
    try:
        _redis().set(CONNECT_ERROR_KEY.format(organization_id), message, ex=STATE_TTL_SECONDS)
    except Exception as exc:  # the admin sees the message on the callback page anyway
        log.warning("could not keep the Salesforce connection error for the settings page: %s", exc)


def forget_error(organization_id: int) -> None:
    try:
        _redis().delete(CONNECT_ERROR_KEY.format(organization_id))
    except Exception as exc:
        log.warning("could not clear the Salesforce connection error: %s", exc)


def last_error(organization_id: int) -> str | None:
    raw = _redis().get(CONNECT_ERROR_KEY.format(organization_id))
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw


def said(error: str | None, description: str | None) -> str:
    """What Salesforce said, for the end of a message."""
    text = remote_text(f"{error or ''}: {description}" if description else (error or ""), 300)
    return f" Salesforce said: {text}." if text else ""


def unreachable_message(url: str, exc: Exception) -> str:
    if isinstance(exc, outbound.OutboundError):
        return f"Switchboard does not call {remote_text(url, 200)}: {exc}. Check the Login URL."
    if isinstance(exc, requests.Timeout):
        return f"Salesforce did not answer in time at {remote_text(url, 200)}. Try again in a moment."
    if isinstance(exc, requests.HTTPError) and exc.response is not None and exc.response.status_code >= 500:
        return f"Salesforce answered {exc.response.status_code} at {remote_text(url, 200)}. Try again in a moment."
    if isinstance(exc, requests.RequestException) and not isinstance(exc, requests.HTTPError):
        return (
            f"Salesforce could not be reached at {remote_text(url, 200)} ({type(exc).__name__}). "
            "Check the Login URL and this server's network."
        )
    return (
        f"Salesforce's answer at {remote_text(url, 200)} was not what its OAuth service sends (a redirect, or a page "
        "instead of JSON). Check the Login URL: production https://login.salesforce.com, sandbox "
        "https://test.salesforce.com, or your My Domain URL."
    )


def authorize_error_message(error: str, description: str | None) -> str:
    """An ``error`` the authorize page sent back to the callback."""
    if error in ("access_denied", "access-denied"):
        return (
            "The connection was denied in Salesforce: Deny was clicked, or this Salesforce user may not use the app. "
            "Connect again and click Allow; if nobody clicked Deny, check the app's Permitted Users policy."
            + said(error, description)
        )
    return token_error_message(error, description)


def _text_or_none(value) -> str | None:
    """An OAuth error field as Salesforce should send it (a string); anything else is ignored."""
    return value if isinstance(value, str) else None


def token_error_message(error: str | None, description: str | None) -> str:
    """The fix for an OAuth error code, followed by what Salesforce said."""
    error, description = _text_or_none(error), _text_or_none(description)
    detail = said(error, description)
    lowered = (description or "").lower()
    if error == "invalid_client_id":
        return (
            "Salesforce does not recognize this Client ID. A new External Client App (or Connected App) takes 2 to "
            "10 minutes to become active: wait a few minutes and connect again. If the app is older than that, copy "
            "the Consumer Key again and save it as the Client ID." + detail
        )
    if error == "invalid_client" and "install" in lowered:
        return (
            "The app is not installed in this Salesforce org. Since September 2025 an uninstalled app may only be "
            'used by users with the "Approve Uninstalled Connected Apps" (or "Use Any API Client") permission: '
            "create or install the app in this org, or give that permission to the user who connects, then connect "
            "again." + detail
        )
    if error == "invalid_client":
        return (
            "Salesforce refused the Client Secret. Copy the Consumer Secret again, save it as the Client Secret and "
            "connect again. If it is right, check that the app is installed in the org you log in to." + detail
        )
    if error == "redirect_uri_mismatch":
        return (
            f"The app's Callback URL does not match. Set it to exactly {redirect_uri()} (copy it from this page), "
            "save the app, wait a few minutes and connect again." + detail
        )
    if error in ("access_denied", "access-denied"):
        return "The connection was denied in Salesforce. Connect again and click Allow." + detail
    if error == "invalid_grant" and "verifier" in lowered:
        return (
            "Salesforce refused the PKCE code verifier of this attempt, so it could not be finished. Connect again."
            + detail
        )
    if error == "invalid_grant":
        return (
            "The authorization code was already used or has expired. Connect again, and finish within a few minutes."
            + detail
        )
    if error == "app_not_found":
        return "The External Client App is not installed in this org. Install it, then connect again." + detail
    if error == "invalid_scope":
        return (
            'The app does not allow what Switchboard asks for. Select the scopes "Manage user data via APIs (api)", '
            '"Access the identity URL service (id, profile, email, address, phone)" and "Perform requests at any '
            'time (refresh_token, offline_access)" in its OAuth settings, then connect again.' + detail
        )
    return "Salesforce refused the connection. Check the app's OAuth settings, then connect again." + detail


def refresh_refusal_reason(error: str | None, description: str | None) -> str:
    """Why a refused refresh token disconnected the org, for the settings page."""
    error, description = _text_or_none(error), _text_or_none(description)
    detail = said(error, description)
    lowered = (description or "").lower()
    if error == "invalid_grant" and "authentication failure" in lowered:
        return (
            "Salesforce refused the saved refresh token: the connected user may be deactivated or locked out, or a "
            "login policy (IP ranges, hours) refused it." + detail
        )
    if error == "invalid_grant":
        return (
            "Salesforce refused the saved refresh token: it was revoked, replaced by a newer one, expired under the "
            "app's refresh token policy, or dropped because the user connected more than five times." + detail
        )
    if error in ("invalid_client", "invalid_client_id", "app_not_found"):
        return "Salesforce refused the app's credentials when refreshing the session: " + token_error_message(
            error, description
        )
    return "Salesforce refused to refresh the session." + detail
