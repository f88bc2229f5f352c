"""The Apex and metadata the Salesforce admin deploys so reps' replies come back to Switchboard,
generated with this organization's values filled in (its webhook URL, its connected user).

Two ways to sign, one signature. Switchboard checks ``X-Switchboard-Signature`` =
base64(HMAC-SHA256(callout secret, raw body)) whichever the admin picks:

- New model (the default): a Named Credential of type SecuredEndpoint whose URL is the webhook
  URL, linked to an External Credential (Custom protocol) with a named principal. The secret is
  that principal's authentication parameter, entered in Setup, and the External Credential adds
  the header with the formula
  ``BASE64ENCODE(HMAC('SHA-256', $Credential.<ExtCred>.Body, BLOB($Credential.<ExtCred>.<Param>)))``.
  A permission set grants the principal to the users whose work fires the triggers.
- Legacy: a legacy Named Credential (no authentication) and a protected custom metadata record
  holding the secret; ``SwitchboardCallout`` signs with ``Crypto.generateMac('hmacSHA256', ...)``.

What Salesforce's documentation says, and what is inferred here:

- Verified in Salesforce's documentation (Named Credential formula functions,
  developer.salesforce.com/docs/platform/named-credentials/references/named-credentials-reference/
  nc-formula-functions.html, and the Help page "Use Named Credential Formula Functions in Custom
  Headers"): ``HMAC(algorithm, valueToSign, secretSigningKey)`` takes a String and two BLOBs and
  returns a BLOB, "the only supported algorithm is SHA-256"; ``BASE64ENCODE`` turns a BLOB into a
  String; ``BLOB`` turns a String into UTF-8; ``$Credential.<ExternalCredential>.Body`` is the
  evaluated request body, "returned as a BLOB type"; ``$Credential.<ExternalCredential>.<Name>``
  reads a principal's authentication parameter; a named or external credential's custom header
  may use them; a formula holds at most 3,900 characters. Object reference: ``CaseStatus.ApiName``
  (API 36.0+) and ``IsClosed``. From the spec's cited pages: ``callout:<NamedCredential>`` with an
  optional path, a Queueable with ``Database.AllowsCallouts`` for callouts a trigger starts,
  100 callouts and 120 seconds of them per transaction, a test class needed for production.
- From Salesforce's developer article on the Crypto class and public Apex (not the reference page
  itself): ``Crypto.generateMac('hmacSHA256', Blob, Blob)``, ``EncodingUtil.base64Encode``,
  ``Blob.valueOf`` as UTF-8.
- Taken from the Metadata API reference as public projects quote it (not read first-hand): the
  element names of ExternalCredential (``externalCredentialParameters`` with ``parameterType``
  NamedPrincipal / AuthHeader, ``parameterValue`` a formula, ``sequenceNumber``),
  NamedCredential (``namedCredentialType`` SecuredEndpoint, ``namedCredentialParameters`` of
  type Url and Authentication; Legacy with ``endpoint``, Anonymous, NoAuthentication), and
  PermissionSet ``externalCredentialPrincipalAccesses`` (``<ExternalCredential>-<Principal>``).
- Inferred: that the algorithm is spelled ``'SHA-256'`` in ``HMAC`` as in the documented
  ``HASH`` example; that the header formula is written ``{!...}`` in ``parameterValue``; that
  with formulas off in the body, the evaluated body is byte for byte the body Apex set (so both
  signing paths agree); EmailMessage Status codes ("3" Sent, "5" Draft); that a Case the
  connected user created or commented on is Switchboard's.
The generated test class carries a signature computed here and checks the Apex computes the
same, so a deploy proves the legacy path agrees with Switchboard.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import asdict, dataclass
from functools import cache

from flask import current_app
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from webapp.models import Integration, Organization
from webapp.salesforce import callouts
from webapp.salesforce.integration import settings_of, webhook_url

NAMED_CREDENTIAL = "Switchboard"
EXTERNAL_CREDENTIAL = "Switchboard_Callout"
EXTERNAL_CREDENTIAL_LABEL = "Switchboard Callout"
PRINCIPAL = "Switchboard_Apex"
AUTH_PARAMETER = "CalloutSecret"
PERMISSION_SET = "Switchboard_Callouts"
PERMISSION_SET_LABEL = "Switchboard Callouts"
SECRET_TYPE = "Switchboard_Callout_Secret__mdt"
SECRET_FIELD = "Secret__c"
SECRET_PLACEHOLDER = "PASTE-THE-CALLOUT-SECRET-HERE"
SIGNATURE_FORMULA = (
    f"{{!BASE64ENCODE(HMAC('SHA-256', $Credential.{EXTERNAL_CREDENTIAL}.Body, "
    f"BLOB($Credential.{EXTERNAL_CREDENTIAL}.{AUTH_PARAMETER})))}}"
)
# The known answer the generated test checks the Apex against (ids valid in every org's format).
SAMPLE_BODY = '{"type":"case_created","id":"500000000000001AAA","timestamp":1767225600000}'
SAMPLE_SECRET = "switchboard-test-secret"
SAMPLE_CASE_ID = "500000000000001AAA"
OTHER_USER_ID = "005000000000000AAA"
# A zip entry's time: fixed, so the same settings give the same file.
ZIP_TIME = (2026, 1, 1, 0, 0, 0)


class ApexNotReady(Exception):
    """Why the Apex cannot be generated yet; shown on the settings page."""


class Group:
    APEX = "apex"
    CREDENTIALS = "credentials"
    LEGACY = "legacy"


@dataclass(frozen=True)
class ApexFile:
    key: str  # names it on the page
    name: str  # the file name Salesforce's tools expect
    folder: str  # where it goes in the project (the zip)
    template: str
    title: str
    group: str
    grammar: str | None = None  # "class" or "trigger": checked with the Apex parser
    shown: bool = True  # on the page; the -meta.xml companions are only in the zip

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.name}" if self.folder else self.name


def _apex_class(key: str, name: str, title: str) -> list[ApexFile]:
    folder = "force-app/main/default/classes"
    return [
        ApexFile(key, f"{name}.cls", folder, f"{name}.cls", title, Group.APEX, grammar="class"),
        ApexFile(f"{key}-meta", f"{name}.cls-meta.xml", folder, "ApexClass-meta.xml", "", Group.APEX, shown=False),
    ]


def _apex_trigger(key: str, name: str, title: str) -> list[ApexFile]:
    folder = "force-app/main/default/triggers"
    return [
        ApexFile(key, f"{name}.trigger", folder, f"{name}.trigger", title, Group.APEX, grammar="trigger"),
        ApexFile(
            f"{key}-meta", f"{name}.trigger-meta.xml", folder, "ApexTrigger-meta.xml", "", Group.APEX, shown=False
        ),
    ]


FILES: tuple[ApexFile, ...] = (
    *_apex_class("callout-class", "SwitchboardCallout", "The Queueable that posts each event to Switchboard"),
    *_apex_trigger("case-trigger", "SwitchboardCaseTrigger", "Trigger on Case: created, closed"),
    *_apex_trigger("case-comment-trigger", "SwitchboardCaseCommentTrigger", "Trigger on CaseComment: public comments"),
    *_apex_trigger(
        "email-message-trigger", "SwitchboardEmailMessageTrigger", "Trigger on EmailMessage: outbound emails"
    ),
    *_apex_class("callout-test", "SwitchboardCalloutTest", "The test class (HttpCalloutMock), needed to deploy"),
    ApexFile(
        "external-credential",
        f"{EXTERNAL_CREDENTIAL}.externalCredential-meta.xml",
        "credentials/main/default/externalCredentials",
        "ExternalCredential.xml",
        "External Credential: signs each callout with the secret",
        Group.CREDENTIALS,
    ),
    ApexFile(
        "named-credential",
        f"{NAMED_CREDENTIAL}.namedCredential-meta.xml",
        "credentials/main/default/namedCredentials",
        "NamedCredential.xml",
        "Named Credential: the webhook URL",
        Group.CREDENTIALS,
    ),
    ApexFile(
        "permission-set",
        f"{PERMISSION_SET}.permissionset-meta.xml",
        "credentials/main/default/permissionsets",
        "PermissionSet.xml",
        "Permission set: External Credential Principal Access",
        Group.CREDENTIALS,
    ),
    ApexFile(
        "legacy-named-credential",
        f"{NAMED_CREDENTIAL}.namedCredential-meta.xml",
        "legacy-credentials/main/default/namedCredentials",
        "LegacyNamedCredential.xml",
        "Legacy Named Credential: the webhook URL, no authentication",
        Group.LEGACY,
    ),
    ApexFile(
        "secret-type",
        f"{SECRET_TYPE}.object-meta.xml",
        f"legacy-credentials/main/default/objects/{SECRET_TYPE}",
        "SecretType.xml",
        "Custom metadata type for the secret (protected)",
        Group.LEGACY,
    ),
    ApexFile(
        "secret-field",
        f"{SECRET_FIELD}.field-meta.xml",
        f"legacy-credentials/main/default/objects/{SECRET_TYPE}/fields",
        "SecretField.xml",
        "Its Secret field",
        Group.LEGACY,
    ),
    ApexFile(
        "secret-record",
        f"{SECRET_TYPE.removesuffix('__mdt')}.Default.md-meta.xml",
        "legacy-credentials/main/default/customMetadata",
        "SecretRecord.xml",
        "The record that holds the secret (paste it in Setup, or in this file before deploying)",
        Group.LEGACY,
    ),
    ApexFile("project", "sfdx-project.json", "", "sfdx-project.json", "", Group.APEX, shown=False),
    ApexFile("readme", "README.txt", "", "README.txt", "", Group.APEX, shown=False),
)


@dataclass(frozen=True)
class ApexValues:
    """What differs from one organization to the next, and the names every file agrees on."""

    organization_name: str
    webhook_url: str
    integration_user_id: str
    integration_username: str
    api_version: str
    secret: str = SECRET_PLACEHOLDER
    named_credential: str = NAMED_CREDENTIAL
    named_credential_label: str = NAMED_CREDENTIAL
    external_credential: str = EXTERNAL_CREDENTIAL
    external_credential_label: str = EXTERNAL_CREDENTIAL_LABEL
    principal: str = PRINCIPAL
    auth_parameter: str = AUTH_PARAMETER
    permission_set: str = PERMISSION_SET
    permission_set_label: str = PERMISSION_SET_LABEL
    signature_header: str = callouts.SIGNATURE_HEADER
    signature_formula: str = SIGNATURE_FORMULA
    secret_type: str = SECRET_TYPE
    secret_field: str = SECRET_FIELD
    sample_body: str = SAMPLE_BODY
    sample_secret: str = SAMPLE_SECRET
    sample_signature: str = callouts.sign(SAMPLE_SECRET, SAMPLE_BODY.encode())
    sample_case_id: str = SAMPLE_CASE_ID
    other_user_id: str = OTHER_USER_ID


def values_for(integration: Integration | None, organization: Organization) -> ApexValues:
    """This organization's values, or :class:`ApexNotReady` saying what to do first."""
    if integration is None or not integration.webhook_token:
        raise ApexNotReady("Save the Salesforce credentials first: the files name this organization's webhook URL.")
    settings = settings_of(integration)
    if not (settings.user_id and callouts.RECORD_ID.fullmatch(settings.user_id)):
        raise ApexNotReady(
            "Connect to Salesforce first: the Apex names the user Switchboard connects as, so that "
            "Switchboard's own comments are not sent back to it."
        )
    return ApexValues(
        organization_name=_plain(organization.name),
        webhook_url=webhook_url(integration),
        integration_user_id=settings.user_id,
        integration_username=_plain(settings.username or settings.user_id),
        api_version=current_app.config["SALESFORCE_API_VERSION"],
    )


def _plain(text: str) -> str:
    """A name that may go in an Apex comment or string: one line, no comment end, no quotes."""
    text = re.sub(r"\s+", " ", text).strip().replace("\\", "/").replace("'", "’")
    return text.replace("*/", "* /")[:120]


@cache
def _environment(folder: str) -> Environment:
    return Environment(
        loader=FileSystemLoader(folder),
        undefined=StrictUndefined,  # a value left out fails here, not in the admin's deploy
        autoescape=select_autoescape(enabled_extensions=("xml",), default_for_string=False, default=False),
        keep_trailing_newline=True,
    )


def _templates_folder() -> str:
    from webapp import package_folder

    return str(package_folder("webapp.templates") / "salesforce" / "apex")


def render(file: ApexFile, values: ApexValues) -> str:
    context = asdict(values)
    # A constant of ours, legal as it is in XML text: kept readable rather than &#39;-escaped.
    context["signature_formula"] = Markup(SIGNATURE_FORMULA)
    return _environment(_templates_folder()).get_template(file.template).render(context)


def file_named(key: str) -> ApexFile | None:
    return next((file for file in FILES if file.key == key), None)


def file_at(path: str) -> ApexFile | None:
    return next((file for file in FILES if file.path == path), None)


def shown_files(group: str | None = None) -> list[ApexFile]:
    return [file for file in FILES if file.shown and (group is None or file.group == group)]


def zip_bytes(values: ApexValues) -> bytes:
    """Everything, laid out as a Salesforce DX project."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in FILES:
            entry = zipfile.ZipInfo(f"switchboard-apex/{file.path}", date_time=ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, render(file, values))
    return buffer.getvalue()
