"""The one Salesforce REST API client.

Every call goes to the org's instance URL over an outbound session (checked addresses, no
redirects, no proxies) with a timeout, as the connected user. A 401 (``INVALID_SESSION_ID``:
the session timed out) gets one refreshed token (``tokens``, one refresh at a time per
organization) and one retry; nothing else is retried here, the caller decides, by the class of
the error raised:

- ``SalesforceUnavailable``: a 5xx, ``REQUEST_LIMIT_EXCEEDED``, a timeout or a connection that
  failed before the request was sent. Worth trying again later.
- ``SalesforceOutcomeUnknown``: a write sent, and no answer. Look before writing again.
- ``SalesforceRejected``: any other 4xx, with Salesforce's own message (its error array, joined,
  clipped and without control characters: it is shown to admins).
- ``SalesforceNotConnected``: never connected, disconnected, or the refresh token refused.

The usage Salesforce reports on every answer (``Sforce-Limit-Info: api-usage=N/M``, rolling 24
hours) is kept in Redis for the settings page: one small write per call, and no write to the
integration's row, which an admin may be saving at the same moment.
"""

from __future__ import annotations

import json as jsonlib
import logging
import re
from dataclasses import dataclass
from typing import Any

import requests
from flask import current_app
from redis.exceptions import RedisError
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError

from webapp import outbound, redis_server
from webapp.models import Integration
from webapp.salesforce import tokens
from webapp.salesforce.errors import (
    SalesforceOutcomeUnknown,
    SalesforceRejected,
    SalesforceUnavailable,
    remote_text,
)
from webapp.salesforce.integration import now_text, settings_of

log = logging.getLogger(__name__)

WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})
USAGE_KEY = "switchboard:salesforce:api-usage:{}"
LIMIT_INFO = re.compile(r"api-usage=(\d+)/(\d+)")


@dataclass(frozen=True)
class ApiUsage:
    """Calls made against the org's allocation over the last 24 hours, as of ``at``."""

    used: int
    limit: int
    at: str | None


def client_for(integration: Integration | None) -> SalesforceClient:
    """A client for the org's connection; SalesforceNotConnected when there is none."""
    tokens.access_token(integration)
    if not settings_of(integration).instance_url:
        raise tokens.not_connected_error(integration)
    return SalesforceClient(integration)


class SalesforceClient:
    """REST calls as the connected user of one organization. ``calls`` counts the requests
    sent (a retried call counts twice); ``last_status`` is the HTTP status of the latest answer
    (201 created or 204 updated, for an upsert)."""

    def __init__(self, integration: Integration, *, session: requests.Session | None = None):
        self.integration = integration
        self.base_url = settings_of(integration).instance_url.rstrip("/")
        self.api_version = current_app.config["SALESFORCE_API_VERSION"]
        self.timeout = current_app.config["SALESFORCE_TIMEOUT"]
        self.session = session or outbound.session()
        self.calls = 0
        self.last_status: int | None = None

    def api_path(self, rest: str) -> str:
        """``/services/data/v68.0/<rest>``, in the pinned API version."""
        return f"/services/data/v{self.api_version}/{rest.lstrip('/')}"

    # -- the operations ----------------------------------------------------------------------

    def query(self, soql: str) -> dict:
        """One page of a SOQL query: ``{totalSize, done, records}`` (and ``nextRecordsUrl``,
        for ``get``, when ``done`` is false). Quote values with ``soql.quote``."""
        return self._request("GET", self.api_path("query"), params={"q": soql})

    def tooling_query(self, soql: str) -> dict:
        """A SOQL query of the Tooling API (``/tooling/query``), for the org's setup as the
        connected user sees it (Apex triggers and classes): ``{size, totalSize, done, records}``."""
        return self._request("GET", self.api_path("tooling/query"), params={"q": soql})

    def composite(self, subrequests: list[dict], *, all_or_none: bool) -> list[dict]:
        """A composite request (at most 25 subrequests, ``@{ref.id}`` references): one result
        per subrequest, ``{body, httpHeaders, httpStatusCode, referenceId}``. The request as a
        whole answers 200 even when subrequests failed: read each ``httpStatusCode``."""
        body = self._request(
            "POST", self.api_path("composite"), json={"allOrNone": all_or_none, "compositeRequest": subrequests}
        )
        return (body or {}).get("compositeResponse", [])

    def create_records(self, records: list[dict], *, all_or_none: bool) -> list[dict]:
        """sObject Collections create (at most 200 records, each with ``attributes.type``): one
        ``{id, success, errors}`` per record, in order."""
        body = self._request(
            "POST", self.api_path("composite/sobjects"), json={"allOrNone": all_or_none, "records": records}
        )
        return body or []

    def limits(self) -> dict:
        """The org's limits (``DailyApiRequests`` among them); records the API usage too."""
        return self._request("GET", self.api_path("limits"))

    def get(self, path: str, params: dict | None = None) -> Any:
        return self._request("GET", self._path(path), params=params)

    def post(self, path: str, json: Any) -> Any:
        return self._request("POST", self._path(path), json=json)

    def patch(self, path: str, json: Any) -> Any:
        """PATCH (an update, or an upsert on an External ID: ``last_status`` 201 created, 200 or
        204 updated; several matches raise SalesforceRejected with status 300)."""
        return self._request("PATCH", self._path(path), json=json)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", self._path(path))

    # -- plumbing ----------------------------------------------------------------------------

    def _path(self, path: str) -> str:
        """A path on the instance (``/services/data/...``), or one relative to the API version."""
        return path if path.startswith("/") else self.api_path(path)

    def _request(self, method: str, path: str, *, params: dict | None = None, json: Any = None) -> Any:
        token = tokens.access_token(self.integration)
        response = self._send(method, path, token, params=params, json=json)
        if response.status_code == 401:
            # The session timed out (INVALID_SESSION_ID): nothing was done, so the same request
            # goes again, once, with a refreshed token.
            token = tokens.refresh_after_rejection(self.integration, token)
            response = self._send(method, path, token, params=params, json=json)
        self.last_status = response.status_code
        self._record_usage(response)
        if response.status_code >= 300:
            raise _error_for(response, method, path)
        return _body(response, method, path)

    def _send(self, method: str, path: str, token: str, *, params, json) -> requests.Response:
        self.calls += 1
        try:
            return self.session.request(
                method,
                self.base_url + path,
                params=params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                timeout=self.timeout,
            )
        except outbound.OutboundError as exc:
            raise SalesforceUnavailable(f"Switchboard does not call Salesforce's instance URL: {exc}") from exc
        except requests.ConnectTimeout as exc:
            raise SalesforceUnavailable(f"Salesforce could not be reached within {self.timeout:g} s") from exc
        except requests.Timeout as exc:
            if method in WRITES:
                raise SalesforceOutcomeUnknown(
                    f"{method} {path}: sent, and Salesforce did not answer within {self.timeout:g} s"
                ) from exc
            raise SalesforceUnavailable(f"Salesforce did not answer within {self.timeout:g} s") from exc
        except requests.RequestException as exc:
            if method in WRITES and not _never_sent(exc):
                raise SalesforceOutcomeUnknown(f"{method} {path}: the connection was lost after sending") from exc
            raise SalesforceUnavailable(f"Salesforce could not be reached ({type(exc).__name__})") from exc

    def _record_usage(self, response: requests.Response) -> None:
        match = LIMIT_INFO.search(response.headers.get("Sforce-Limit-Info", ""))
        if not match:
            return
        try:
            redis_server.connection().hset(
                USAGE_KEY.format(self.integration.organization_id),
                mapping={"used": match.group(1), "limit": match.group(2), "at": now_text()},
            )
        except RedisError as exc:  # a figure for the settings page is not worth failing a call over
            log.warning("could not record the Salesforce API usage: %s", exc)


def api_usage(integration: Integration | None) -> ApiUsage | None:
    """The latest API usage Salesforce reported for the organization, if any."""
    if integration is None:
        return None
    try:
        stored = redis_server.connection().hgetall(USAGE_KEY.format(integration.organization_id))
    except RedisError as exc:
        log.warning("could not read the Salesforce API usage: %s", exc)
        stored = {}
    values = {key.decode(): value.decode() for key, value in (stored or {}).items()}
    if values.get("used", "").isdigit() and values.get("limit", "").isdigit():
        return ApiUsage(used=int(values["used"]), limit=int(values["limit"]), at=values.get("at"))
    return None


def _never_sent(exc: requests.RequestException) -> bool:
    """Whether the request failed while connecting, so Salesforce never saw it."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | NameResolutionError | ConnectTimeoutError) or (
        "refused" in str(exc).lower()
    )


def _body(response: requests.Response, method: str, path: str) -> Any:
    if response.status_code == 204 or not response.content:
        return None
    try:
        return response.json()
    except ValueError as exc:
        error = SalesforceOutcomeUnknown if method in WRITES else SalesforceUnavailable
        raise error(f"{method} {path}: Salesforce's answer ({response.status_code}) was not JSON") from exc


def salesforce_errors(response: requests.Response) -> list[tuple[str | None, str]]:
    """(errorCode, message) pairs from an error answer: Salesforce's array of
    ``{message, errorCode, fields}``, an OAuth-style ``{error, error_description}``, or text."""
    try:
        body = response.json()
    except ValueError:
        text = remote_text(response.text or "", 200)
        return [(None, text)] if text else []
    items = body if isinstance(body, list) else [body]
    errors = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = item.get("errorCode") or item.get("error")
        message = item.get("message") or item.get("error_description") or ""
        fields = item.get("fields")
        if isinstance(fields, list) and fields:
            message = f"{message} ({', '.join(str(f) for f in fields[:10])})"
        errors.append((str(code) if code else None, str(message)))
    if not errors and body:
        errors.append((None, jsonlib.dumps(body)[:200]))
    return errors


def _error_for(response: requests.Response, method: str, path: str) -> Exception:
    status = response.status_code
    errors = salesforce_errors(response)
    code = next((c for c, _ in errors if c), None)
    said = remote_text("; ".join(f"{c}: {m}" if c else m for c, m in errors) or f"HTTP {status}")
    what = f"{method} {path}"
    if status >= 500 or status == 429 or (status == 403 and code == "REQUEST_LIMIT_EXCEEDED"):
        return SalesforceUnavailable(f"Salesforce answered {status} to {what}: {said}", status=status, error_code=code)
    if status == 401:
        return SalesforceRejected(
            f"Salesforce refused a freshly refreshed session for {what}: {said}. Check the app's policies for the "
            "connected user (IP relaxation, permitted users) in Salesforce.",
            status=status,
            error_code=code,
        )
    if 300 < status < 400:
        return SalesforceRejected(
            f"Salesforce answered {what} with a redirect to {outbound.redirect_target(response)}: its instance URL "
            "may have changed. Disconnect and connect again.",
            status=status,
        )
    return SalesforceRejected(f"Salesforce refused {what} ({status}): {said}", status=status, error_code=code)
