"""What an organization set for Salesforce Live Messaging (Messaging for In-App and Web, MIAW).

The settings live in ``SalesforceSettings.live_messaging`` (shown on the page, so nothing secret);
the private key that signs customer identity tokens is a credential of the Salesforce
integration, ``PRIVATE_KEY``, encrypted with the others and never rendered.

MIAW is reached on the org's messaging host, ``https://<My Domain>.my.salesforce-scrt.com``
(the ``scrt2URL`` of the deployment's Code Snippet). Admins may enter either that or their My
Domain URL, from which it is derived by swapping ``salesforce.com`` for ``salesforce-scrt.com``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from webapp.models import Integration, SettingsError
from webapp.models.types import JSONSettings
from webapp.salesforce.integration import is_api_name, settings_of, update_settings

PRIVATE_KEY = "miaw_private_key"  # the credential holding the private key's PEM

# What each routing attribute carries, and the pre-chat field (channel variable) it goes to by default.
ROUTING_ROLES = ("session_id", "consumer_type", "origin", "priority", "language")
DEFAULT_ROUTING_ATTRIBUTES = {
    "session_id": "SwitchboardSessionId",
    "consumer_type": "Chat_Consumer_Type",
    "origin": "Origin",
    "priority": "Priority",
    "language": "Chat_language",
}
# What each attribute carries, in the words of Test connection's warning ("Priority (from sentiment)").
ROUTING_ROLE_PURPOSES = {
    "session_id": "the Switchboard session",
    "consumer_type": "authenticated or anonymous",
    "origin": "the channel",
    "priority": "from sentiment",
    "language": "the customer's language",
}
ROUTING_ROLE_LABELS = {
    "session_id": "Switchboard session",
    "consumer_type": "Consumer type (authenticated or anonymous)",
    "origin": "Origin (the channel)",
    "priority": "Priority (from sentiment)",
    "language": "Language",
}

DEFAULT_REP_WAIT_SECONDS = 300
REP_WAIT_MIN_SECONDS = 30
REP_WAIT_MAX_SECONDS = 3600
CLOSING_MESSAGE_MAX = 1000
INSTANCE_URL_MAX = 255
DEVELOPER_NAME_MAX = 80
AUTH_KEY_ID_MAX = 255
ISSUER_MAX = 255
PEM_MAX = 16_000  # an RSA 8192 private key is about 6,400 characters
ATTRIBUTE_NAME_MAX = 80

ORG_ID = re.compile(r"00D[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
# Channel variable names: the standard ones start with an underscore (_firstName, _email).
ATTRIBUTE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ORG_ID_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass(frozen=True)
class LiveMessagingSettings(JSONSettings):
    instance_url: str | None = None  # the My Domain URL or the scrt2URL, scheme://host
    es_developer_name: str | None = None  # the Embedded Service deployment's API name, case-sensitive
    org_id: str | None = None
    auth_key_id: str | None = None  # the identity tokens' ``kid``: the uploaded key's
    public_key_pem: str | None = None
    issuer: str | None = None  # the identity tokens' ``iss``: the keyset's issuer, exactly
    routing_attributes: dict = field(default_factory=lambda: dict(DEFAULT_ROUTING_ATTRIBUTES))
    rep_wait_seconds: int = DEFAULT_REP_WAIT_SECONDS
    closing_message: str | None = None
    # The self-signed certificate of the JWK's x5c, kept so the JWK shown stays the one uploaded.
    certificate_pem: str | None = None

    def __post_init__(self) -> None:
        # Every role has a name: a role saved before it existed takes its default; "" is a
        # name an admin cleared on purpose (that attribute is not sent).
        saved = self.routing_attributes if isinstance(self.routing_attributes, dict) else {}
        object.__setattr__(self, "routing_attributes", {**DEFAULT_ROUTING_ATTRIBUTES, **saved})

    def validate(self) -> None:
        for value, name, limit in (
            (self.instance_url, "Instance URL", INSTANCE_URL_MAX),
            (self.es_developer_name, "ES Developer Name", DEVELOPER_NAME_MAX),
            (self.auth_key_id, "Auth Key ID", AUTH_KEY_ID_MAX),
            (self.issuer, "Issuer", ISSUER_MAX),
            (self.public_key_pem, "Public key", PEM_MAX),
            (self.certificate_pem, "Certificate", PEM_MAX),
            (self.closing_message, "Closing message", CLOSING_MESSAGE_MAX),
        ):
            if value is not None and (not isinstance(value, str) or not value.strip() or len(value) > limit):
                raise SettingsError(f"{name} must be text of 1 to {limit} characters")
        if self.instance_url is not None and urlsplit(self.instance_url).scheme not in ("https", "http"):
            raise SettingsError("the Instance URL must be an https:// address")
        if self.es_developer_name is not None and not is_developer_name(self.es_developer_name):
            raise SettingsError("the ES Developer Name must be an API name")
        if self.org_id is not None and not (isinstance(self.org_id, str) and ORG_ID.fullmatch(self.org_id)):
            raise SettingsError("the Org ID must be 00D followed by 12 or 15 letters and digits")
        if self.auth_key_id is not None and not is_key_id(self.auth_key_id):
            raise SettingsError("the Auth Key ID may hold letters, digits and punctuation, without spaces")
        if not isinstance(self.rep_wait_seconds, int) or not (
            REP_WAIT_MIN_SECONDS <= self.rep_wait_seconds <= REP_WAIT_MAX_SECONDS
        ):
            raise SettingsError(f"wait {REP_WAIT_MIN_SECONDS} to {REP_WAIT_MAX_SECONDS} seconds for a rep")
        self._validate_routing_attributes()

    def _validate_routing_attributes(self) -> None:
        unknown = set(self.routing_attributes) - set(ROUTING_ROLES)
        if unknown:
            raise SettingsError(f"unknown routing attribute roles: {', '.join(sorted(map(str, unknown)))}")
        names = [name for name in self.routing_attributes.values() if name != ""]
        for name in names:
            if not is_attribute_name(name):
                raise SettingsError("a routing attribute name must be a pre-chat field's API name")
        if len(set(names)) != len(names):
            raise SettingsError("each routing attribute needs a name of its own")

    @property
    def scrt_url(self) -> str | None:
        """The messaging host (scheme://host[:port]) MIAW is called on: derived from a My Domain
        URL; a ``…salesforce-scrt.com`` or loopback URL is used as it is."""
        return messaging_url(self.instance_url) if self.instance_url else None

    @property
    def has_keys(self) -> bool:
        """The public half of customer verification is set (the private key is a credential)."""
        return bool(self.auth_key_id and self.public_key_pem and self.issuer)

    def attribute_names(self) -> dict[str, str]:
        """Role → the routing attribute's name, for the roles that are sent (a cleared name is not)."""
        return {role: name for role, name in self.routing_attributes.items() if name}


def messaging_url(instance_url: str) -> str:
    """``https://acme.my.salesforce.com`` → ``https://acme.my.salesforce-scrt.com`` (sandboxes,
    ``acme--uat.sandbox.my.salesforce.com``, alike); any other URL's origin as it is."""
    parts = urlsplit(instance_url.strip())
    host = (parts.hostname or "").lower()
    if host.endswith(".salesforce.com"):
        host = host.removesuffix(".salesforce.com") + ".salesforce-scrt.com"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}"


def is_developer_name(name: object) -> bool:
    """An API name as Salesforce makes them: a letter first, letters, digits and single
    underscores, and no underscore at the end."""
    return isinstance(name, str) and len(name) <= DEVELOPER_NAME_MAX and is_api_name(name) and not name.endswith("_")


def is_key_id(kid: object) -> bool:
    """A ``kid``: printable ASCII without spaces (it travels in the token's header)."""
    return (
        isinstance(kid, str)
        and 0 < len(kid) <= AUTH_KEY_ID_MAX
        and kid.isascii()
        and kid.isprintable()
        and (" " not in kid)
    )


def is_attribute_name(name: object) -> bool:
    return isinstance(name, str) and len(name) <= ATTRIBUTE_NAME_MAX and bool(ATTRIBUTE_NAME.fullmatch(name))


def org_id_checksum_fits(org_id: str) -> bool:
    """Whether an 18-character id's last three characters are those Salesforce computes from
    the first fifteen (each encodes which of five characters are upper case); a 15-character
    id has none to check. A mismatch means a letter's case changed in the copy."""
    if len(org_id) != 18:
        return True
    suffix = ""
    for start in (0, 5, 10):
        bits = sum(1 << i for i, char in enumerate(org_id[start : start + 5]) if "A" <= char <= "Z")
        suffix += _ORG_ID_SUFFIX[bits]
    return org_id[15:] == suffix


def live_messaging_of(integration: Integration | None) -> LiveMessagingSettings:
    return LiveMessagingSettings.from_json(settings_of(integration).live_messaging)


def update_live_messaging(integration: Integration, **changes) -> LiveMessagingSettings:
    """Change some Live Messaging settings (validated; the caller commits)."""
    updated = replace(live_messaging_of(integration), **changes)
    update_settings(integration, live_messaging=updated.to_json())
    return updated


def is_configured(integration: Integration | None) -> bool:
    """Whether a handoff to Live Messaging can be tried: the deployment is named. Customer
    verification (the keys) is optional; without it every customer is anonymous."""
    settings = live_messaging_of(integration)
    return bool(integration and settings.instance_url and settings.es_developer_name and settings.org_id)


def verifies_customers(integration: Integration | None) -> bool:
    """Whether customers with a known email get an authenticated (verified) token."""
    return bool(integration and live_messaging_of(integration).has_keys and integration.credential(PRIVATE_KEY))
