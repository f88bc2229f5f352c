"""The loopback fake of Salesforce's Messaging for In-App and Web API v2, with every request
Switchboard sends checked against the documented shapes (/work/shared/specs/salesforce.md §4).

The fake answers what Salesforce answers; this checker catches what Salesforce might let through
today but that the spec says is wrong or fragile (a missing ``language``, an upper-case message id,
an identity token with an ``aud`` or a long life, a stream without ``Accept: text/event-stream``),
so the test that made the request fails here instead of in production.

    fake = checked_fake()
    with MessagingServer(fake):
        ...
    assert fake.spec_problems == []

``make_jwk`` builds the JWK an admin uploads to the user verification keyset (with ``x5c`` from a
self-signed certificate), for tests that need one without the product's key tools.
"""

from __future__ import annotations

import base64
import datetime
import json
import re

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from webapp.sandbox.miaw import (
    API,
    ENTRIES_LIMIT_MAX,
    IDENTITY_ALGORITHMS,
    MESSAGE_MAX_CHARS,
    SSE_PATH,
    UUID_V4,
    FakeMessaging,
    MessagingServer,
)

__all__ = ["FakeMessaging", "MessagingServer", "checked_fake", "make_jwk", "problems"]

TOKEN_PATHS = {"authorization/unauthenticated/access-token", "authorization/authenticated/access-token"}
ORG_ID = re.compile(r"00D[a-zA-Z0-9]{12}(?:[a-zA-Z0-9]{3})?")
IDENTITY_TOKEN_MAX_LIFE = 10 * 60  # ≈ 5 minutes is the spec's choice; much longer is a leak risk
TYPING = {"TypingStartedIndicator", "TypingStoppedIndicator"}


def checked_fake(**kwargs) -> FakeMessaging:
    """A FakeMessaging that checks every request; assert ``fake.spec_problems == []`` at the end."""
    return FakeMessaging(request_check=problems, **kwargs)


def problems(method: str, path: str, body, query: dict, headers: dict) -> list[str]:
    """What is wrong with one request to the fake MIAW API; empty when it matches the spec."""
    headers = {key.lower(): value for key, value in headers.items()}
    where = f"{method} {path}"
    if path.rstrip("/") == SSE_PATH:
        return _stream_problems(method, headers, where)
    if not path.startswith(API + "/"):
        return [f"{where}: not a MIAW path (/iamessage/api/v2/… or {SSE_PATH})"]
    route = path[len(API) + 1 :].rstrip("/")
    if route in TOKEN_PATHS and method != "DELETE":
        return _token_problems(method, route, body, headers, where)
    found = [] if headers.get("authorization", "").startswith("Bearer ") else [f"{where}: no 'Authorization: Bearer'"]
    if route.startswith("authorization/"):
        known = {
            ("GET", "authorization/continuation-access-token"),
            ("DELETE", "authorization/authenticated/access-token"),
        }
        return found + ([] if (method, route) in known else [f"{where}: not a MIAW authorization call"])
    match = re.fullmatch(r"conversation(?:/([^/]+)(?:/(message|entry|entries|session))?)?", route)
    if not match:
        return [*found, f"{where}: not a MIAW conversation call"]
    conversation_id, part = match.groups()
    if conversation_id is not None and not UUID_V4.fullmatch(conversation_id):
        found.append(f"{where}: the conversation id is not a lowercase UUID v4")
    if method == "POST" and "application/json" not in headers.get("content-type", ""):
        found.append(f"{where}: the body must be sent as application/json")
    posts = {(False, None): _create_problems, (True, "message"): _message_problems, (True, "entry"): _entry_problems}
    if method == "POST" and (conversation_id is not None, part) in posts:
        return found + posts[conversation_id is not None, part](body, where)
    if method == "GET" and conversation_id and part == "entries":
        return found + _entries_problems(query, where)
    if method == "GET" and conversation_id and part is None:
        return found
    if method == "DELETE" and conversation_id and part in (None, "session"):
        return found + ([] if query.get("esDeveloperName") else [f"{where}: no esDeveloperName query parameter"])
    return [*found, f"{where}: not a MIAW conversation call"]


def _stream_problems(method: str, headers: dict, where: str) -> list[str]:
    if method != "GET":
        return [f"{where}: the event stream is a GET"]
    found = []
    if not headers.get("authorization", "").startswith("Bearer "):
        found.append(f"{where}: no 'Authorization: Bearer'")
    org_id = headers.get("x-org-id", "")
    if not ORG_ID.fullmatch(org_id) or len(org_id) != 15:
        # The SSE page asks for the 15-character id; a client that sent 18 reported an org mismatch.
        found.append(f"{where}: X-Org-Id must be the 15-character org id")
    if not headers.get("last-event-id", "").isdigit():
        found.append(f"{where}: Last-Event-Id must be sent (the token's lastEventId, then the newest event id)")
    if "text/event-stream" not in headers.get("accept", ""):
        found.append(f"{where}: Accept must be text/event-stream")
    return found


def _token_problems(method: str, route: str, body, headers: dict, where: str) -> list[str]:
    if method != "POST" or not isinstance(body, dict):
        return [f"{where}: the token endpoints take a JSON POST"]
    found = []
    if not ORG_ID.fullmatch(str(body.get("orgId", ""))):
        found.append(f"{where}: orgId must be a 15- or 18-character 00D… id")
    if not body.get("esDeveloperName"):
        found.append(f"{where}: no esDeveloperName")
    if body.get("capabilitiesVersion") != "1" or body.get("platform") != "Web":
        found.append(f'{where}: capabilitiesVersion must be "1" and platform "Web"')
    if route.startswith("authorization/authenticated"):
        if body.get("authorizationType") != "JWT":
            found.append(f'{where}: authorizationType must be "JWT"')
        found += _identity_problems(body.get("customerIdentityToken"), where)
    return found


def _identity_problems(token, where: str) -> list[str]:
    """The identity JWT: RS256/RS512 with a kid; iss, sub, iat and exp; no aud; a short life."""
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, TypeError):
        return [f"{where}: customerIdentityToken is not a JWT"]
    found = []
    if header.get("alg") not in IDENTITY_ALGORITHMS or not header.get("kid"):
        found.append(f"{where}: the identity JWT header needs alg RS256/RS512 and the kid")
    missing = [name for name in ("iss", "sub", "iat", "exp") if name not in claims]
    if missing:
        found.append(f"{where}: the identity JWT lacks {', '.join(missing)}")
    if "aud" in claims:
        found.append(f"{where}: the identity JWT carries aud, which Salesforce's own tool never sends")
    if isinstance(claims.get("exp"), int) and isinstance(claims.get("iat"), int):
        if claims["exp"] - claims["iat"] > IDENTITY_TOKEN_MAX_LIFE:
            found.append(f"{where}: the identity JWT lives more than {IDENTITY_TOKEN_MAX_LIFE} seconds")
    return found


def _create_problems(body, where: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{where}: the body must be a JSON object"]
    found = []
    if not UUID_V4.fullmatch(str(body.get("conversationId", ""))):
        found.append(f"{where}: conversationId must be a lowercase UUID v4")
    if not body.get("esDeveloperName"):
        found.append(f"{where}: no esDeveloperName")
    attributes = body.get("routingAttributes")
    if attributes is not None and (
        not isinstance(attributes, dict) or not all(isinstance(v, str) for v in attributes.values())
    ):
        found.append(f"{where}: routingAttributes must map names to strings")
    if not body.get("language"):
        found.append(f"{where}: no language (reported required; Switchboard always sends it)")
    return found


def _message_problems(body, where: str) -> list[str]:
    if not isinstance(body, dict):
        return [f"{where}: the body must be a JSON object"]
    found = [] if body.get("esDeveloperName") else [f"{where}: no esDeveloperName"]
    message = body.get("message")
    if not isinstance(message, dict):
        return [*found, f"{where}: no message object"]
    if not UUID_V4.fullmatch(str(message.get("id", ""))):
        found.append(f"{where}: message.id must be a lowercase UUID v4")
    if message.get("messageType") != "StaticContentMessage":
        found.append(f"{where}: messageType must be StaticContentMessage")
    content = message.get("staticContent") or {}
    text = content.get("text") if isinstance(content, dict) else None
    if not isinstance(content, dict) or content.get("formatType") != "Text":
        found.append(f'{where}: staticContent.formatType must be "Text"')
    if not isinstance(text, str) or not text.strip():
        found.append(f"{where}: staticContent.text must be non-empty text")
    elif len(text) > MESSAGE_MAX_CHARS:
        found.append(f"{where}: the text is {len(text)} characters, over {MESSAGE_MAX_CHARS}")
    if body.get("isNewMessagingSession") and not isinstance(body.get("routingAttributes"), dict):
        found.append(f"{where}: a new messaging session's first message needs routingAttributes")
    return found


def _entry_problems(body, where: str) -> list[str]:
    if not isinstance(body, dict) or body.get("entryType") not in TYPING:
        return [f"{where}: entryType must be TypingStartedIndicator or TypingStoppedIndicator"]
    return [] if UUID_V4.fullmatch(str(body.get("id", ""))) else [f"{where}: the entry id must be a lowercase UUID"]


def _entries_problems(query: dict, where: str) -> list[str]:
    found = []
    limit = query.get("limit")
    if limit is not None and (not str(limit).isdigit() or not 1 <= int(limit) <= ENTRIES_LIMIT_MAX):
        found.append(f"{where}: limit must be 1–{ENTRIES_LIMIT_MAX}")
    if query.get("direction") not in (None, "FromStart", "FromEnd"):
        found.append(f"{where}: direction must be FromStart or FromEnd")
    return found


def make_jwk(
    private_key: rsa.RSAPrivateKey, kid: str, alg: str = "RS256", days: int = 365, common_name: str = "Switchboard"
) -> dict:
    """The JWK of a private key's public half, with a self-signed certificate in ``x5c``."""
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    start = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + datetime.timedelta(days=days))
        .sign(private_key, hashes.SHA256())
    )
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
    der = certificate.public_bytes(serialization.Encoding.DER)
    return {**public, "kid": kid, "alg": alg, "use": "sig", "x5c": [base64.b64encode(der).decode()]}
