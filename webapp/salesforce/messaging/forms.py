"""The Live Messaging form of Settings → Integrations → Salesforce.

Each field says exactly what is wrong with it. The keys are checked together once each reads
well: a public key needs its private key (pasted now or saved before), and the two must be a
pair. The private key is never shown again, not even on a page that refuses the form.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from wtforms import IntegerField, StringField, TextAreaField, ValidationError
from wtforms.validators import InputRequired, Length, NumberRange

from webapp import outbound
from webapp.forms import Form, strip_whitespace
from webapp.salesforce.messaging import keys
from webapp.salesforce.messaging.settings import (
    AUTH_KEY_ID_MAX,
    CLOSING_MESSAGE_MAX,
    DEFAULT_REP_WAIT_SECONDS,
    DEVELOPER_NAME_MAX,
    INSTANCE_URL_MAX,
    ISSUER_MAX,
    ORG_ID,
    PEM_MAX,
    REP_WAIT_MAX_SECONDS,
    REP_WAIT_MIN_SECONDS,
    ROUTING_ROLE_LABELS,
    ROUTING_ROLES,
    LiveMessagingSettings,
    is_attribute_name,
    is_developer_name,
    org_id_checksum_fits,
)
from webapp.salesforce.oauth import checked_origin

INSTANCE_URL_EXAMPLE = "https://acme.my.salesforce.com"
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")
REP_WAIT_MESSAGE = f"Enter how long to wait for a rep: {REP_WAIT_MIN_SECONDS} to {REP_WAIT_MAX_SECONDS} seconds."


class SecretTextAreaField(TextAreaField):
    """A text area that never renders what it holds: a pasted private key goes to the server
    once and never back into a page."""

    def _value(self) -> str:
        return ""


def instance_url_problem(value: str) -> str | None:
    """What is wrong with an Instance URL, or None. It is the org's My Domain URL or the
    deployment's messaging (scrt2) URL; loopback only where private addresses are allowed
    (the tests and the sandbox)."""
    if not value:
        return (
            f"Enter the Instance URL: your My Domain URL, such as {INSTANCE_URL_EXAMPLE}, or the scrt2URL "
            "of the deployment's Code Snippet."
        )
    try:
        origin = checked_origin(value)
    except outbound.OutboundError as exc:
        return f"This Instance URL cannot be used: {exc}."
    host = urlsplit(origin).hostname or ""
    if host in LOOPBACK_HOSTS:
        return None if outbound.allow_private_outbound() else _not_my_domain()
    if host.endswith(".lightning.force.com"):
        domain = host.removesuffix(".lightning.force.com")
        return (
            f"This is the address of Lightning pages. Use your My Domain URL, https://{domain}.my.salesforce.com "
            "(Setup → My Domain)."
        )
    if host.endswith((".my.salesforce.com", ".salesforce-scrt.com")):
        return None
    if host.endswith((".my.site.com", ".force.com")):
        return f"This is the address of a Salesforce site. Use your My Domain URL, such as {INSTANCE_URL_EXAMPLE}."
    return _not_my_domain()


def _not_my_domain() -> str:
    return (
        f"The Instance URL must be your My Domain URL, such as {INSTANCE_URL_EXAMPLE} (Setup → My Domain), or the "
        "scrt2URL of the deployment's Code Snippet, ending in .salesforce-scrt.com."
    )


def key_id_problem(value: str) -> str | None:
    if any(character.isspace() for character in value):
        return "The Auth Key ID has a space or line break inside it: it is the key's kid, in one piece."
    if not (value.isascii() and value.isprintable()):
        return "The Auth Key ID may hold letters, digits and punctuation only."
    if len(value) > AUTH_KEY_ID_MAX:
        return f"The Auth Key ID may be at most {AUTH_KEY_ID_MAX} characters."
    return None


def issuer_problem(value: str) -> str | None:
    if not value.isprintable():
        return "The issuer must be on one line: copy the keyset's JSON Web Key Issuer exactly."
    if len(value) > ISSUER_MAX:
        return f"The issuer may be at most {ISSUER_MAX} characters."
    return None


def _routing_field(role: str) -> StringField:
    return StringField(
        ROUTING_ROLE_LABELS[role],
        filters=[strip_whitespace],
        validators=[Length(max=80)],
    )


class LiveMessagingForm(Form):
    instance_url = StringField(
        "Instance URL",
        filters=[strip_whitespace],
        validators=[Length(max=INSTANCE_URL_MAX)],
        description=(
            f"Your My Domain URL, such as {INSTANCE_URL_EXAMPLE}, or the scrt2URL from the deployment's Code Snippet "
            "(Setup → Embedded Service Deployments → your deployment → Code Snippet)."
        ),
    )
    es_developer_name = StringField(
        "ES Developer Name",
        filters=[strip_whitespace],
        validators=[Length(max=DEVELOPER_NAME_MAX)],
        description="The deployment's API Name, exactly as Setup shows it: upper and lower case matter.",
    )
    org_id = StringField(
        "Org ID",
        filters=[strip_whitespace],
        validators=[Length(max=18)],
        description=(
            "Starts with 00D: in the Code Snippet, or Setup → Company Information (Salesforce.com Organization ID)."
        ),
    )
    auth_key_id = StringField(
        "Auth Key ID",
        filters=[strip_whitespace],
        validators=[Length(max=AUTH_KEY_ID_MAX)],
        description=(
            "The kid of the key uploaded in Salesforce. Generate a key pair sets it; changing it means uploading the "
            "JWK again."
        ),
    )
    public_key_pem = TextAreaField(
        "Public key",
        filters=[strip_whitespace],
        render_kw={"rows": 7, "spellcheck": "false"},
        validators=[Length(max=PEM_MAX)],
        description=(
            "PEM, from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----. Leave empty to have it made from the "
            "private key."
        ),
    )
    private_key_pem = SecretTextAreaField(
        "Private key",
        filters=[strip_whitespace],
        render_kw={"rows": 7, "spellcheck": "false", "autocomplete": "off"},
        validators=[Length(max=PEM_MAX)],
        description=(
            "PEM, RSA of at least 2048 bits, without a passphrase. Stored encrypted and never shown again; leave "
            "empty to keep the saved one."
        ),
    )
    issuer = StringField(
        "Issuer",
        filters=[strip_whitespace],
        validators=[Length(max=ISSUER_MAX)],
        description=(
            "The keyset's JSON Web Key Issuer in Salesforce, exactly: Switchboard signs its tokens with it as iss."
        ),
    )
    routing_session_id = _routing_field("session_id")
    routing_consumer_type = _routing_field("consumer_type")
    routing_origin = _routing_field("origin")
    routing_priority = _routing_field("priority")
    routing_language = _routing_field("language")
    rep_wait_seconds = IntegerField(
        "Wait for a rep (seconds)",
        default=DEFAULT_REP_WAIT_SECONDS,
        validators=[
            InputRequired(message=REP_WAIT_MESSAGE),
            NumberRange(min=REP_WAIT_MIN_SECONDS, max=REP_WAIT_MAX_SECONDS, message=REP_WAIT_MESSAGE),
        ],
        description="With no rep in the conversation by then, it goes to your Front teammates, with a note saying why.",
    )
    closing_message = TextAreaField(
        "Closing message (optional)",
        filters=[strip_whitespace],
        render_kw={"rows": 3},
        validators=[Length(max=CLOSING_MESSAGE_MAX)],
        description="Sent to the customer when the rep ends the conversation.",
    )

    def __init__(self, *args, saved_private_key_pem: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.saved_private_key_pem = saved_private_key_pem
        # Set by validate(): what the keys come to.
        self.new_private_key_pem: str | None = None  # pasted now: to store
        self.resolved_public_key_pem: str | None = None
        self.resolved_private_key_pem: str | None = None  # pasted now, or the saved one
        self.public_key_derived = False

    @classmethod
    def of(cls, settings: LiveMessagingSettings) -> LiveMessagingForm:
        data = {
            "instance_url": settings.instance_url or "",
            "es_developer_name": settings.es_developer_name or "",
            "org_id": settings.org_id or "",
            "auth_key_id": settings.auth_key_id or "",
            "public_key_pem": settings.public_key_pem or "",
            "issuer": settings.issuer or "",
            "rep_wait_seconds": settings.rep_wait_seconds,
            "closing_message": settings.closing_message or "",
        }
        data.update({f"routing_{role}": settings.routing_attributes.get(role, "") for role in ROUTING_ROLES})
        return cls(formdata=None, data=data)

    def routing_fields(self):
        return [self[f"routing_{role}"] for role in ROUTING_ROLES]

    # -- one field at a time -------------------------------------------------------------------

    def validate_instance_url(self, field) -> None:
        problem = instance_url_problem(field.data or "")
        if problem:
            raise ValidationError(problem)
        field.normalized = checked_origin(field.data)

    def validate_es_developer_name(self, field) -> None:
        value = field.data or ""
        if not value:
            raise ValidationError("Enter the ES Developer Name: the API Name of the Embedded Service deployment.")
        if not is_developer_name(value):
            raise ValidationError(
                "The ES Developer Name is the deployment's API Name: letters, digits and single underscores, starting "
                "with a letter and not ending with an underscore, such as Switchboard_Chat."
            )

    def validate_org_id(self, field) -> None:
        value = field.data or ""
        if not value:
            raise ValidationError("Enter the Org ID: it starts with 00D.")
        if not ORG_ID.fullmatch(value):
            raise ValidationError(
                "The Org ID is 00D followed by 12 or 15 letters and digits (15 or 18 in all), such as "
                "00D5e000000AbCdEAF. Copy it from the deployment's Code Snippet or Setup → Company Information."
            )
        if not org_id_checksum_fits(value):
            raise ValidationError(
                "This Org ID's last three characters do not match the first fifteen: a letter's case changed in the "
                "copy. Copy it again from the deployment's Code Snippet."
            )

    def validate_auth_key_id(self, field) -> None:
        problem = key_id_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    def validate_issuer(self, field) -> None:
        problem = issuer_problem(field.data or "")
        if problem:
            raise ValidationError(problem)

    # -- the fields together ----------------------------------------------------------------------

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid = self._validate_routing_names() and valid
        return self._validate_keys() and valid

    def _validate_routing_names(self) -> bool:
        valid, seen = True, {}
        for field in self.routing_fields():
            name = field.data or ""
            if not name:
                continue
            if not is_attribute_name(name):
                field.errors.append(
                    "A routing attribute is the API name of a pre-chat field: letters, digits and underscores, not "
                    "starting with a digit. Leave it empty not to send this one."
                )
                valid = False
            elif name in seen:
                field.errors.append(f"{seen[name]} already uses {name}: give each routing attribute its own field.")
                valid = False
            else:
                seen[name] = field.label.text
        return valid

    def _validate_keys(self) -> bool:
        public_text = self.public_key_pem.data or ""
        private_text = self.private_key_pem.data or ""
        public = private = None
        try:
            public = keys.load_public_key(public_text) if public_text else None
        except keys.KeyProblem as exc:
            self.public_key_pem.errors.append(str(exc))
            # Whatever was pasted is not shown back: it may be a private key, headers or not.
            self.public_key_pem.data = ""
        try:
            private = keys.load_private_key(private_text) if private_text else None
        except keys.KeyProblem as exc:
            self.private_key_pem.errors.append(str(exc))
        if self.public_key_pem.errors or self.private_key_pem.errors:
            return False

        if private is not None:
            self.new_private_key_pem = keys.private_pem(private)
        elif self.saved_private_key_pem:
            try:
                private = keys.load_private_key(self.saved_private_key_pem)
            except keys.KeyProblem:  # stored by an older version, or damaged: as if none were saved
                private = None
        if private is None:
            if public is not None:
                self.private_key_pem.errors.append(
                    "Paste the private key of this pair too: Switchboard signs customers' identity tokens with it."
                )
                return False
            return True  # no keys: every customer is anonymous

        if public is None:
            public = private.public_key()
            self.public_key_derived = True
        else:
            try:
                keys.check_pair(private, public)
            except keys.KeyProblem as exc:
                kept = "" if private_text else " (The saved private key was kept: paste the new pair's private key.)"
                self.public_key_pem.errors.append(f"{exc}{kept}")
                return False
        self.resolved_public_key_pem = keys.public_pem(public)
        self.resolved_private_key_pem = keys.private_pem(private)
        return self._validate_key_names()

    def _validate_key_names(self) -> bool:
        valid = True
        if not self.auth_key_id.data:
            self.auth_key_id.errors.append(
                "Enter the Auth Key ID: the kid of the key uploaded in Salesforce (Generate a key pair sets one)."
            )
            valid = False
        if not self.issuer.data:
            self.issuer.errors.append(
                "Enter the issuer: exactly the JSON Web Key Issuer of the keyset in Salesforce (Switchboard's tokens "
                "carry it as iss)."
            )
            valid = False
        return valid

    # -- what is saved ----------------------------------------------------------------------------

    def settings_changes(self) -> dict:
        """The settings as entered (the keys as validate() resolved them)."""
        return {
            "instance_url": self.instance_url.normalized,
            "es_developer_name": self.es_developer_name.data,
            "org_id": self.org_id.data,
            "auth_key_id": self.auth_key_id.data or None,
            "issuer": self.issuer.data or None,
            "public_key_pem": self.resolved_public_key_pem,
            "routing_attributes": {role: self[f"routing_{role}"].data or "" for role in ROUTING_ROLES},
            "rep_wait_seconds": self.rep_wait_seconds.data,
            "closing_message": self.closing_message.data or None,
        }
