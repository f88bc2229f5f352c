"""Test connection for Live Messaging: what Salesforce says to the saved settings, check by check.

1. An anonymous access token: the messaging host, the Org ID and the ES Developer Name are right
   and the deployment is published (a wrong one of these is refused here, not at the first handoff).
2. With keys, a verified access token for a test customer: the JWK is uploaded, its ``kid`` is the
   Auth Key ID, the keyset's issuer is the one Switchboard signs with, and verification is on.
   Salesforce has been seen to answer 200 with an anonymous end user when it could not verify the
   token, so that answer fails too.
3. The routing attributes against the deployment's pre-chat form (the token's configuration):
   Salesforce drops an attribute whose name the form lacks without a word, and names are
   case-sensitive, so a missing one is a warning with the fix.

Each check says what it found and, when it did not pass, what to change, in the admin's words,
and names its :class:`Cause` when it can tell which setting is wrong: the Troubleshooting page
(``webapp.diagnostics.salesforce_messaging``) runs the same checks and gives each cause its own fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from webapp.models import Integration
from webapp.salesforce.errors import remote_text
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.client import (
    MessagingAuthRejected,
    MessagingError,
    MessagingUnavailable,
    TokenGrant,
    client_for,
)
from webapp.salesforce.messaging.identity import identity_token
from webapp.salesforce.messaging.settings import (
    PRIVATE_KEY,
    ROUTING_ROLE_PURPOSES,
    LiveMessagingSettings,
    live_messaging_of,
    verifies_customers,
)

# The end user the verification check signs a token for; Salesforce records it as uid:<this>.
TEST_SUBJECT = "switchboard-connection-test"


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    WARN = "warn"
    SKIP = "skip"


class Cause(StrEnum):
    """Which setting a failed check points at. Salesforce publishes no catalogue of MIAW errors,
    so a cause read from its message is a best guess by its words; none means "any of them"."""

    HOST = "host"  # the messaging host is wrong, or did not answer
    ORG_ID = "org_id"
    DEPLOYMENT = "deployment"  # the ES Developer Name, or a deployment that is not published
    SAVED_KEYS = "saved_keys"  # the saved keys do not load, or are not one pair
    KEY_PAIR = "key_pair"  # the key uploaded under the Auth Key ID is another pair's
    KEY_NOT_UPLOADED = "key_not_uploaded"  # no key under the Auth Key ID in the keyset
    ISSUER = "issuer"
    NOT_VERIFIED = "not_verified"  # Salesforce answered with an anonymous end user


@dataclass(frozen=True)
class Check:
    name: str
    outcome: Outcome
    found: str
    fix: str | None = None
    cause: Cause | None = None
    details: tuple[str, ...] = ()  # one line per thing found (each routing attribute the form lacks)


def connection_checks(integration: Integration | None) -> list[Check]:
    settings = live_messaging_of(integration)
    client = client_for(integration)
    deployment, grant = deployment_check(client, settings)
    if grant is None:
        after = "Skipped until Salesforce gives an access token for the deployment (the check above)."
        return [
            deployment,
            Check("Customer verification", Outcome.SKIP, after),
            Check("Routing attributes", Outcome.SKIP, after),
        ]
    return [deployment, verification_check(client, settings, integration), routing_check(settings, grant)]


def deployment_check(client, settings: LiveMessagingSettings) -> tuple[Check, TokenGrant | None]:
    """An anonymous access token: the host, the Org ID and the ES Developer Name; with the grant."""
    name = "Messaging host and deployment"
    try:
        grant = client.unauthenticated_token()
    except MessagingUnavailable as exc:
        return Check(
            name,
            Outcome.FAIL,
            str(exc),
            f"Check the Instance URL: Switchboard calls {settings.scrt_url}, the messaging host derived from it. "
            "Use your My Domain URL or the scrt2URL of the deployment's Code Snippet, then try again.",
            Cause.HOST,
        ), None
    except MessagingError as exc:
        if exc.status == 404:
            fix = (
                f"{settings.scrt_url} has no Messaging API: check the Instance URL. Use your My Domain URL or the "
                "scrt2URL of the deployment's Code Snippet."
            )
            cause = Cause.HOST
        else:
            fix = (
                f"Check the Org ID ({settings.org_id}) and the ES Developer Name ({settings.es_developer_name}): "
                "both as in the deployment's Code Snippet, the name with the same upper and lower case. The "
                "deployment must be published (Setup → Embedded Service Deployments → Publish)."
            )
            cause = deployment_cause(str(exc))
        return Check(name, Outcome.FAIL, str(exc), fix, cause), None
    found = (
        f"Salesforce gave an access token for deployment {settings.es_developer_name} of org {settings.org_id} "
        f"at {settings.scrt_url}."
    )
    return Check(name, Outcome.PASS, found), grant


def deployment_cause(said: str) -> Cause | None:
    """Which of the deployment's fields Salesforce's refusal names, by its words."""
    words = said.lower().replace(" ", "")
    if "orgid" in words or "organizationid" in words:
        return Cause.ORG_ID
    if "esdevelopername" in words or "deployment" in words:
        return Cause.DEPLOYMENT
    return None


def verification_cause(said: str) -> Cause | None:
    """Which part of customer verification Salesforce's refusal of an identity token names."""
    words = said.lower()
    if "kid" in words or "no key" in words:
        return Cause.KEY_NOT_UPLOADED
    if "issuer" in words or "iss " in words:
        return Cause.ISSUER
    if "signature" in words:
        return Cause.KEY_PAIR
    return None


def key_pair_problem(settings: LiveMessagingSettings, private_key_pem: str | None) -> str | None:
    """What is wrong with the saved keys themselves (found here, before asking Salesforce)."""
    try:
        private_key = keys.load_private_key(private_key_pem or "")
        public_key = keys.load_public_key(settings.public_key_pem or "")
        keys.check_pair(private_key, public_key)
    except keys.KeyProblem as exc:
        return str(exc)
    return None


def verification_check(client, settings: LiveMessagingSettings, integration: Integration) -> Check:
    """A verified access token for a test customer, signed with the saved keys."""
    name = "Customer verification"
    if not verifies_customers(integration):
        return Check(
            name,
            Outcome.SKIP,
            "No keys: customers start anonymous conversations. Generate a key pair to have customers whose email "
            "is known verified.",
        )
    fix = (
        "In Salesforce Setup → Enhanced Chat User Verification: upload the JWK below as a key and activate it (its "
        f"kid must be the Auth Key ID, {settings.auth_key_id}); add it to a keyset of type Keys whose JSON Web Key "
        f"Issuer is exactly {settings.issuer}; then, in Messaging Settings, turn on user verification for the "
        "deployment's channel with that keyset."
    )
    private_key_pem = integration.credential(PRIVATE_KEY)
    problem = key_pair_problem(settings, private_key_pem)
    if problem:
        found = f"The saved keys cannot sign Switchboard's identity tokens: {problem}"
        again = "Generate a key pair again, save it and upload its JWK in Salesforce."
        return Check(name, Outcome.FAIL, found, again, Cause.SAVED_KEYS)
    try:
        token = identity_token(settings, private_key_pem, TEST_SUBJECT)
        grant = client.authenticated_token(token)
    except MessagingAuthRejected as exc:
        if exc.anonymous:
            found = "Salesforce answered with an anonymous customer: it did not accept Switchboard's identity token."
            return Check(name, Outcome.FAIL, found, fix, Cause.NOT_VERIFIED)
        return Check(name, Outcome.FAIL, str(exc), fix, verification_cause(str(exc)))
    except MessagingError as exc:
        return Check(name, Outcome.FAIL, str(exc), fix, verification_cause(str(exc)))
    return Check(
        name,
        Outcome.PASS,
        f"Salesforce verified a test customer signed with key {settings.auth_key_id}: "
        f"{remote_text(grant.subject, 200)}.",
    )


def routing_check(settings: LiveMessagingSettings, grant: TokenGrant) -> Check:
    """The routing attributes Switchboard sends against the deployment's pre-chat fields."""
    name = "Routing attributes"
    fields = [remote_text(field, 80) for field in grant.form_field_names[:50]]  # Salesforce's words, bounded
    wanted = settings.attribute_names()
    missing = {role: attribute for role, attribute in wanted.items() if attribute not in fields}
    listed = ", ".join(fields) if fields else "none"
    if not missing:
        found = f"The pre-chat form has every routing attribute Switchboard sends: {', '.join(wanted.values())}."
        return Check(name, Outcome.PASS, found)
    lines = []
    for role, attribute in missing.items():
        near = next((field for field in fields if field.lower() == attribute.lower()), None)
        hint = f" (the form has {near}: names are case-sensitive)" if near else ""
        lines.append(f"{attribute} ({ROUTING_ROLE_PURPOSES[role]}){hint}")
    found = f"Salesforce will drop {'; '.join(lines)}. The deployment's pre-chat fields: {listed}."
    details = tuple(f"Missing from the pre-chat form: {line}" for line in lines)
    fix = (
        "Add a hidden pre-chat field with each missing name to the deployment's pre-chat form (Setup → Embedded "
        "Service Deployments → your deployment → Pre-Chat), map it in Messaging Settings → your channel → "
        "Parameter Mapping, and publish the deployment. Or change the name here to one the form has, or clear it "
        "so that it is not sent."
    )
    return Check(name, Outcome.WARN, found, fix, details=details)
