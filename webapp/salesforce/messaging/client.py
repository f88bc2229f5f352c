"""The Messaging for In-App and Web (MIAW) API v2 client: tokens, conversations, messages.

Calls go to the org's messaging host (``LiveMessagingSettings.scrt_url``) over an outbound
session (checked addresses, no redirects, no proxies), each with a timeout. The paths and bodies
are those of Salesforce's sample app (Salesforce-Async-Messaging/messaging-web-api-sample-app,
services/messagingService.js) and the MIAW guides; see /work/shared/specs/salesforce.md §4.

Nothing is retried here; the caller decides by the class of the error:

- ``MessagingUnavailable``: a 5xx, a 429, a timeout, no connection, an answer not understood.
  Worth trying again later.
- ``MessagingRejected``: any other 4xx, with Salesforce's own words (clipped, without control
  characters: they are shown to admins). Sending it again changes nothing.
- ``MessagingAuthRejected``: a token call refused (401/403), or an authenticated token whose
  subject is anonymous: Salesforce has been seen to answer 200 with ``…/ANON/…`` when it could
  not verify the identity token, which is a refusal all the same.
- ``MessagingTokenExpired``: a 401 on a conversation call: the access token is dead; get a new one.

The relay holds the event streams with an async client of its own; this one is synchronous and
serves the settings page and the handoff jobs.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import jwt
import requests
from flask import current_app, has_app_context

from webapp import outbound
from webapp.models import Integration
from webapp.salesforce.client import salesforce_errors
from webapp.salesforce.errors import remote_text
from webapp.salesforce.messaging.settings import is_configured, live_messaging_of

API = "/iamessage/api/v2"
TOKEN_PATH = f"{API}/authorization"
DEFAULT_TIMEOUT = 20.0
# Sent with every access-token request, as the sample app does: the capabilities this client
# understands, and what it is (shown in Salesforce's records of the session).
CAPABILITIES_VERSION = "1"
PLATFORM = "Web"
APP_NAME = "Switchboard"
CLIENT_VERSION = "1.0"


class MessagingError(Exception):
    """A MIAW call failed; the message is safe to show to an admin."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


class MessagingUnavailable(MessagingError):
    """Worth trying again later."""


class MessagingRejected(MessagingError):
    """Salesforce refused the request as it is."""


class MessagingAuthRejected(MessagingRejected):
    """A token request refused, or an authenticated token that came back anonymous
    (``anonymous`` is then true: Salesforce did not verify the identity token)."""

    def __init__(self, message: str, *, status: int | None = None, anonymous: bool = False):
        super().__init__(message, status=status)
        self.anonymous = anonymous


class MessagingTokenExpired(MessagingRejected):
    """The access token was refused on a conversation call: mint a new one."""


@dataclass(frozen=True)
class TokenGrant:
    """An access token and what came with it."""

    access_token: str
    last_event_id: str | None
    subject: str | None  # v2/iamessage/AUTH/<keyset>/uid:<sub> (verified) or …/ANON/<id>
    expires_at: datetime | None  # the token's own ``exp``; Salesforce documents no lifetime
    form_fields: list[dict] = field(default_factory=list)  # the deployment's pre-chat fields
    authenticated: bool = False

    @property
    def form_field_names(self) -> list[str]:
        return [str(item["name"]) for item in self.form_fields if isinstance(item.get("name"), str)]


def is_anonymous(subject: str | None) -> bool:
    """A subject Salesforce did not verify: ``…/ANON/…``, or none that says ``…/AUTH/…``."""
    return not subject or "/ANON/" in subject or "/AUTH/" not in subject


def client_for(integration: Integration | None) -> MessagingClient:
    """A client for the organization's deployment; MessagingRejected when it is not set up."""
    if not is_configured(integration):
        raise MessagingRejected(
            "Live Messaging is not set up: save the Instance URL, the ES Developer Name and the Org ID "
            "in Settings → Integrations → Salesforce."
        )
    settings = live_messaging_of(integration)
    timeout = current_app.config.get("SALESFORCE_TIMEOUT", DEFAULT_TIMEOUT) if has_app_context() else DEFAULT_TIMEOUT
    return MessagingClient(settings.scrt_url, settings.org_id, settings.es_developer_name, timeout=timeout)


def _token_of(token: TokenGrant | str) -> str:
    return token.access_token if isinstance(token, TokenGrant) else token


class MessagingClient:
    """MIAW calls for one deployment. ``calls`` counts the requests sent."""

    def __init__(
        self,
        scrt_url: str,
        org_id: str,
        es_developer_name: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ):
        self.base_url = scrt_url.rstrip("/")
        self.org_id = org_id
        self.es_developer_name = es_developer_name
        self.timeout = timeout
        self.session = session or outbound.session()
        self.calls = 0

    # -- tokens --------------------------------------------------------------------------------

    def _token_body(self) -> dict:
        return {
            "orgId": self.org_id,
            "esDeveloperName": self.es_developer_name,
            "capabilitiesVersion": CAPABILITIES_VERSION,
            "platform": PLATFORM,
            "context": {"appName": APP_NAME, "clientVersion": CLIENT_VERSION},
        }

    def unauthenticated_token(self) -> TokenGrant:
        """An access token for an anonymous end user."""
        body = self._request("POST", f"{TOKEN_PATH}/unauthenticated/access-token", json=self._token_body(), auth=True)
        return _grant(body, authenticated=False)

    def authenticated_token(self, identity_jwt: str) -> TokenGrant:
        """An access token for the customer the identity token names; MessagingAuthRejected when
        Salesforce refuses it or answers with an anonymous subject."""
        body = self._request(
            "POST",
            f"{TOKEN_PATH}/authenticated/access-token",
            json={**self._token_body(), "authorizationType": "JWT", "customerIdentityToken": identity_jwt},
            auth=True,
        )
        grant = _grant(body, authenticated=True)
        if is_anonymous(grant.subject):
            raise MessagingAuthRejected(
                "Salesforce answered with an anonymous end user instead of the verified customer "
                f"({remote_text(grant.subject or 'no subject', 120)}): it did not verify the identity token.",
                status=200,
                anonymous=True,
            )
        return grant

    def continuation_token(self, access_token: TokenGrant | str) -> TokenGrant:
        """A new access token for the same end user (its expiry is not extended)."""
        body = self._request("GET", f"{TOKEN_PATH}/continuation-access-token", token=access_token, auth=True)
        grant = _grant(body, authenticated=False)
        return replace(grant, authenticated=not is_anonymous(grant.subject))

    # -- conversations -------------------------------------------------------------------------

    def create_conversation(
        self,
        token: TokenGrant | str,
        conversation_id: str,
        routing_attributes: dict[str, Any] | None,
        language: str | None = None,
    ) -> None:
        """Open a conversation (201). Its id is the caller's, a lowercase UUID v4."""
        body: dict[str, Any] = {"conversationId": conversation_id, "esDeveloperName": self.es_developer_name}
        if routing_attributes:
            body["routingAttributes"] = routing_attributes
        if language:
            body["language"] = language
        self._request("POST", f"{API}/conversation", token=token, json=body)

    def send_message(
        self, token: TokenGrant | str, conversation_id: str, text: str, message_id: str | None = None
    ) -> str:
        """Post a text message as the end user (202); its id (given, or a new lowercase UUID).
        After a MessagingUnavailable the message may have arrived: send it again with the same
        ``message_id``, which the fake takes once (Salesforce documents no such guarantee)."""
        message_id = message_id or str(uuid.uuid4())
        body = {
            "message": {
                "id": message_id,
                "messageType": "StaticContentMessage",
                "staticContent": {"formatType": "Text", "text": text},
            },
            "esDeveloperName": self.es_developer_name,
        }
        self._request("POST", f"{API}/conversation/{conversation_id}/message", token=token, json=body)
        return message_id

    def conversation(self, token: TokenGrant | str, conversation_id: str) -> dict:
        """The conversation, with its ``routingStatus`` (ROUTED, NEEDS_ROUTING, INITIAL, TRANSFER)."""
        body = self._request("GET", f"{API}/conversation/{conversation_id}", token=token)
        return body if isinstance(body, dict) else {}

    def entries(self, token: TokenGrant | str, conversation_id: str, **params) -> list[dict]:
        """Conversation entries (``limit`` ≤ 50, ``startTimestamp``, ``endTimestamp``, ``direction``,
        ``entryTypeFilter``); here ``entryPayload`` is an object, not a JSON string."""
        body = self._request("GET", f"{API}/conversation/{conversation_id}/entries", token=token, params=params)
        if isinstance(body, dict):
            body = body.get("conversationEntries", body.get("entries"))
        return [entry for entry in body or [] if isinstance(entry, dict)] if isinstance(body, list) else []

    def close_conversation(self, token: TokenGrant | str, conversation_id: str) -> None:
        self._delete(token, f"{API}/conversation/{conversation_id}")

    def end_session(self, token: TokenGrant | str, conversation_id: str) -> None:
        """End the conversation's current messaging session (the rep's side closes too)."""
        self._delete(token, f"{API}/conversation/{conversation_id}/session")

    def _delete(self, token: TokenGrant | str, path: str) -> None:
        self._request("DELETE", path, token=token, params={"esDeveloperName": self.es_developer_name})

    # -- plumbing ------------------------------------------------------------------------------

    def _request(
        self,
        method: str,
        path: str,
        *,
        token: TokenGrant | str | None = None,
        json: Any = None,
        params: dict | None = None,
        auth: bool = False,
    ) -> Any:
        """One call; ``auth`` marks the token calls, whose refusals mean something else."""
        headers = {"Accept": "application/json"}
        if token is not None:
            headers["Authorization"] = f"Bearer {_token_of(token)}"
        self.calls += 1
        try:
            response = self.session.request(
                method, self.base_url + path, json=json, params=params, headers=headers, timeout=self.timeout
            )
        except outbound.OutboundError as exc:
            raise MessagingRejected(f"Switchboard does not call the messaging host {self.base_url}: {exc}") from exc
        except requests.Timeout as exc:
            raise MessagingUnavailable(f"Salesforce did not answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            raise MessagingUnavailable(
                f"Salesforce's messaging host {self.base_url} could not be reached ({type(exc).__name__})"
            ) from exc
        if response.status_code >= 300:
            raise _error_for(response, method, path, auth=auth)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise MessagingUnavailable(
                f"Salesforce's answer to {method} {path} ({response.status_code}) was not JSON"
            ) from exc


def _said(response: requests.Response) -> str:
    errors = salesforce_errors(response)
    return remote_text("; ".join(f"{code}: {text}" if code else text for code, text in errors) or "no details")


def _error_for(response: requests.Response, method: str, path: str, *, auth: bool) -> MessagingError:
    status = response.status_code
    said = _said(response)
    what = f"{method} {path}"
    if status >= 500 or status == 429:
        return MessagingUnavailable(f"Salesforce answered {status} to {what}: {said}", status=status)
    if 300 <= status < 400:
        return MessagingRejected(
            f"Salesforce answered {what} with a redirect to {outbound.redirect_target(response)}: check the "
            "Instance URL (the messaging host is https://<My Domain>.my.salesforce-scrt.com).",
            status=status,
        )
    if auth and status in (401, 403):
        return MessagingAuthRejected(f"Salesforce refused the access token request ({status}): {said}", status=status)
    if status == 401:
        return MessagingTokenExpired(f"Salesforce refused the access token on {what}: {said}", status=status)
    return MessagingRejected(f"Salesforce refused {what} ({status}): {said}", status=status)


def _grant(body: Any, *, authenticated: bool) -> TokenGrant:
    if not isinstance(body, dict) or not isinstance(body.get("accessToken"), str) or not body["accessToken"]:
        raise MessagingUnavailable("Salesforce's token answer held no access token")
    context = body.get("context") if isinstance(body.get("context"), dict) else {}
    end_user = context.get("endUser") if isinstance(context.get("endUser"), dict) else {}
    subject = end_user.get("subject") if isinstance(end_user.get("subject"), str) else None
    last_event_id = body.get("lastEventId")
    return TokenGrant(
        access_token=body["accessToken"],
        last_event_id=str(last_event_id) if last_event_id not in (None, "") else None,
        subject=subject,
        expires_at=token_expiry(body["accessToken"]),
        form_fields=_form_fields(context),
        authenticated=authenticated,
    )


def token_expiry(access_token: str) -> datetime | None:
    """The access token's ``exp``, read without verifying it (Salesforce signs it for itself;
    this only tells when to renew it), or None when it has none."""
    try:
        claims = jwt.decode(access_token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp")
    if isinstance(exp, bool) or not isinstance(exp, int | float):
        return None
    try:
        return datetime.fromtimestamp(exp, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _form_fields(context: dict) -> list[dict]:
    """The pre-chat fields of every form of the deployment's configuration."""
    configuration = context.get("configuration")
    config = configuration.get("embeddedServiceConfig") if isinstance(configuration, dict) else None
    forms = config.get("forms") if isinstance(config, dict) else None
    fields: list[dict] = []
    for form in forms if isinstance(forms, list) else []:
        items = form.get("formFields") if isinstance(form, dict) else None
        fields.extend(item for item in (items if isinstance(items, list) else []) if isinstance(item, dict))
    return fields
