from wtforms import BooleanField, PasswordField, SelectField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import Form, api_token_characters

PLAN_LIMITS = [
    SelectChoice("50", "50 a minute (Starter)"),
    SelectChoice("100", "100 a minute (Growth)"),
    SelectChoice("200", "200 a minute (Scale)"),
]


class ConnectForm(Form):
    api_token = PasswordField(
        "API token",
        validators=[DataRequired(message="Paste a Front API token."), Length(max=4096), api_token_characters],
        description=(
            "Front → Settings → Developers → API tokens. Give it Shared resources and Private "
            "resources (read and write). It is checked with Front before it is saved, then stored encrypted."
        ),
    )


class AgentForm(Form):
    ai_teammate = SelectField(
        "AI teammate",
        choices=[],
        description="Every AI reply is posted as this teammate; conversations assigned to it are the AI's.",
    )
    handle_unassigned = BooleanField(
        "Handle unassigned conversations",
        description="When on, the AI also answers conversations nobody is assigned to (never ones it handed off).",
    )
    enabled = BooleanField(
        "Let the AI answer in Front (master switch)", description="Off: every message is skipped, with that reason."
    )
    rate_limit = SelectField(
        "Your Front plan's API limit",
        choices=PLAN_LIMITS,
        default="50",
        description="Switchboard stays under it across all its processes.",
    )


class RuleSecretForm(Form):
    api_secret = PasswordField(
        "API secret, for rule webhooks",
        validators=[DataRequired(message="Paste the API secret."), Length(max=512)],
        description=(
            "Only if Front rules send webhooks here: Front signs those with your company's API secret "
            "(Front → Settings → Developers), not the app secret. Stored encrypted."
        ),
    )


class WebhookSecretForm(Form):
    app_secret = PasswordField(
        "App secret",
        validators=[DataRequired(message="Paste the app secret."), Length(max=512)],
        description=(
            "Front → Settings → Developers → your app → Basic information → App secret. Used to verify every webhook."
        ),
    )
