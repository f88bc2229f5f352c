"""The org's access token, and its refresh when Salesforce stops accepting it.

Salesforce's access tokens carry no expiry (they last the session timeout), so a token is used
until a call answers 401 ``INVALID_SESSION_ID``; the client then asks for a new one here. Every
RQ worker of an organization may hit that 401 at the same moment, and with refresh token
rotation on, a refresh token works exactly once: so one refresh at a time per organization
(a Redis lock), and whoever waited for the lock first looks whether the token has changed
meanwhile and takes the new one instead of refreshing again. A rotated refresh token is stored
with its access token in one commit, or a crash between the two would strand the org.

A refused refresh (``invalid_grant`` and every other OAuth error) cannot mend itself: the org is
marked Disconnected with the reason and nobody asks again until an admin connects. A network
failure only means "not now".
"""

from __future__ import annotations

import logging

import requests
from authlib.integrations.requests_client import OAuthError
from flask import current_app

from webapp import outbound
from webapp.db import db
from webapp.leases import redis_lock
from webapp.models import Integration
from webapp.salesforce import connect_log, oauth
from webapp.salesforce.errors import SalesforceNotConnected, SalesforceUnavailable, remote_text
from webapp.salesforce.integration import (
    ACCESS_TOKEN,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    ConnectionState,
    mark_disconnected,
    settings_of,
    update_settings,
)

log = logging.getLogger(__name__)

REFRESH_LOCK = "switchboard:salesforce:refresh:{}"

NOT_CONNECTED = (
    "Salesforce is not connected: an admin connects it in Settings → Integrations → Salesforce → Connect to Salesforce."
)


def not_connected_error(integration: Integration | None) -> SalesforceNotConnected:
    """Why there is no usable connection, for the timeline and the admin."""
    settings = settings_of(integration)
    if integration is not None and settings.state == ConnectionState.DISCONNECTED and settings.disconnected_reason:
        return SalesforceNotConnected(f"Salesforce is disconnected: {settings.disconnected_reason}")
    return SalesforceNotConnected(NOT_CONNECTED)


def access_token(integration: Integration | None) -> str:
    """The stored access token; SalesforceNotConnected when there is no usable connection."""
    token = integration.credential(ACCESS_TOKEN) if integration is not None else None
    if (
        integration is None
        or not settings_of(integration).connected
        or not token
        or not integration.credential(REFRESH_TOKEN)
    ):
        raise not_connected_error(integration)
    return token


def refresh_after_rejection(integration: Integration, rejected_token: str) -> str:
    """A working access token after Salesforce rejected ``rejected_token``: the one another
    worker has just stored, or a new one from the refresh token. Commits what it stores.

    Raises SalesforceNotConnected when Salesforce refused the refresh (the org is then marked
    Disconnected) or there is no connection any more, SalesforceUnavailable when Salesforce
    could not be asked."""
    wait = 2 * current_app.config["SALESFORCE_TIMEOUT"] + 5
    with redis_lock(REFRESH_LOCK.format(integration.organization_id), wait=wait) as taken:
        if not taken:
            raise SalesforceUnavailable("Another process has been refreshing the Salesforce session for too long")
        # What the database holds now, not what this session read before the lock: another
        # worker may have refreshed (or been refused) meanwhile.
        # Only the credentials: a change the caller has not committed yet to the settings stays.
        db.session.refresh(integration, ["credentials"])
        if not (integration.credential(ACCESS_TOKEN) and integration.credential(REFRESH_TOKEN)):
            db.session.refresh(integration, ["settings"])  # disconnected meanwhile: say why
        current = access_token(integration)
        if current != rejected_token:
            return current
        return _refresh(integration)


def _refresh(integration: Integration) -> str:
    settings = settings_of(integration)
    refresh_token = integration.credential(REFRESH_TOKEN)
    session = oauth.oauth_session(settings, integration.credential(CLIENT_SECRET))
    try:
        answer = session.refresh_token(oauth.endpoint(settings.login_url, "token"), refresh_token=refresh_token)
    except OAuthError as exc:
        reason = oauth.refresh_refusal_reason(exc.error, exc.description)
        log.warning(
            "Salesforce refused the refresh token of organization %s: %s",
            integration.organization_id,
            remote_text(str(exc), 300),
        )
        mark_disconnected(integration, f"{reason} Reconnect in Settings → Integrations → Salesforce.")
        connect_log.record(
            integration.organization_id,
            connect_log.Step.REFRESH_REFUSED,
            error=exc.error,
            description=exc.description,
            message=reason,
        )
        raise SalesforceNotConnected(f"Salesforce is disconnected: {reason}", status=400, error_code=exc.error) from exc
    except (requests.RequestException, outbound.OutboundError, ValueError, TypeError, OverflowError) as exc:
        # TypeError/OverflowError: a token answer Authlib cannot read (an expires_in that is no number)
        raise SalesforceUnavailable(f"Salesforce could not refresh the session: {_transport(exc)}") from exc
    finally:
        session.close()
    new_access = answer.get("access_token")
    if not isinstance(new_access, str) or not new_access:
        raise SalesforceUnavailable("Salesforce's answer to a refresh held no access token")
    _store(integration, answer, refresh_token)
    return new_access


def _store(integration: Integration, answer: dict, old_refresh_token: str) -> None:
    """The new access token, and the rotated refresh token when Salesforce sent one, together."""
    integration.set_credential(ACCESS_TOKEN, answer["access_token"])
    rotated = answer.get("refresh_token")
    if isinstance(rotated, str) and rotated and rotated != old_refresh_token:
        integration.set_credential(REFRESH_TOKEN, rotated)
    instance_url = answer.get("instance_url")
    if isinstance(instance_url, str) and instance_url:
        try:
            origin = oauth.checked_origin(instance_url)
        except outbound.OutboundError:
            log.warning("kept the instance URL: Salesforce's new one is not an address Switchboard calls")
        else:
            if origin != settings_of(integration).instance_url:
                update_settings(integration, instance_url=origin)
    db.session.commit()


def _transport(exc: Exception) -> str:
    if isinstance(exc, requests.HTTPError) and exc.response is not None:
        return f"the token endpoint answered {exc.response.status_code}"
    if isinstance(exc, outbound.OutboundError):
        return str(exc)
    if isinstance(exc, ValueError) and not isinstance(exc, requests.RequestException):
        return "the token endpoint did not answer with JSON (check the Login URL)"
    return f"{type(exc).__name__} reaching the token endpoint"
