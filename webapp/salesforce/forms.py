"""The forms of Settings → Integrations → Salesforce (connection part)."""

from __future__ import annotations

from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import Length, ValidationError

from webapp import outbound
from webapp.forms import Form, is_api_token
from webapp.salesforce.integration import PRODUCTION_LOGIN_URL, SANDBOX_LOGIN_URL
from webapp.salesforce.oauth import Mode, checked_origin

# Consumer keys are about 85 characters and secrets 64; these leave room and no more.
CLIENT_ID_MAX = 255
CLIENT_SECRET_MAX = 255
LOGIN_URL_MAX = 255


def _credential(label: str):
    """Validator for a key copied from Salesforce: spaces around it are removed by the view (and
    the admin told); one inside it means the copy went wrong."""

    def check(form, field) -> None:
        value = (field.data or "").strip()
        if any(character.isspace() for character in value):
            raise ValidationError(
                f"The {label} has a space or line break inside it. Copy it again from Salesforce, in one piece."
            )
        if value and not is_api_token(value):
            raise ValidationError(
                f"The {label} may hold letters, digits and punctuation only. Copy it again from Salesforce."
            )

    return check


def _login_url(form, field) -> None:
    value = (field.data or "").strip()
    if not value:
        raise ValidationError(f"Enter the Login URL, such as {PRODUCTION_LOGIN_URL}.")
    try:
        origin = checked_origin(value)
    except outbound.OutboundError as exc:
        raise ValidationError(f"This Login URL cannot be used: {exc}.") from exc
    host = origin.split("://", 1)[1].split(":", 1)[0]
    if host.endswith(".lightning.force.com"):
        domain = host.removesuffix(".lightning.force.com")
        raise ValidationError(
            f"This is the address of Lightning pages, not of the login. Use your My Domain URL, "
            f"https://{domain}.my.salesforce.com, or {PRODUCTION_LOGIN_URL}."
        )
    field.normalized = origin


class CredentialsForm(Form):
    client_id = StringField(
        "Client ID",
        validators=[Length(max=CLIENT_ID_MAX), _credential("Client ID")],
        description="The app's Consumer Key.",
    )
    client_secret = PasswordField(
        "Client Secret",
        validators=[Length(max=CLIENT_SECRET_MAX), _credential("Client Secret")],
        description=(
            "The app's Consumer Secret. Stored encrypted and never shown again; leave empty to keep the saved one."
        ),
    )
    login_url = StringField(
        "Login URL",
        validators=[Length(max=LOGIN_URL_MAX), _login_url],
        default=PRODUCTION_LOGIN_URL,
        description=(
            f"Production: {PRODUCTION_LOGIN_URL} · Sandbox: {SANDBOX_LOGIN_URL} · "
            "or your My Domain URL, such as https://acme.my.salesforce.com."
        ),
    )

    def validate_client_id(self, field) -> None:
        if not (field.data or "").strip():
            raise ValidationError("Paste the app's Consumer Key as the Client ID.")


class ConnectForm(Form):
    """Connect to Salesforce: where the authorize page opens (the page's script says popup)."""

    mode = HiddenField(default=Mode.WINDOW.value)

    def validate_mode(self, field) -> None:
        if field.data not in {m.value for m in Mode}:
            raise ValidationError("Unknown connection mode.")
