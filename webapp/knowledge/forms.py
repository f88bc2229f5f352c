from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
    ValidationError,
)
from wtforms.fields import SelectChoice
from wtforms.validators import URL, DataRequired, InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget, PasswordInput

from webapp.forms import Form, api_token_characters, strip_whitespace

SCHEDULES = [
    SelectChoice("daily", "Daily"),
    SelectChoice("hourly", "Hourly"),
    SelectChoice("manual", "Manual (Sync now only)"),
]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SourceSettingsForm(Form):
    """What can be changed on a Front source after it is connected."""

    name = StringField("Name", validators=[DataRequired(), Length(max=200)], default="Front Help Center")
    knowledge_bases = CheckboxesField(
        "Help Centers",
        choices=[],
        validate_choice=True,
        validators=[DataRequired(message="Choose at least one Help Center.")],
    )
    start_date = DateField("Import articles updated since", validators=[InputRequired()])
    help_center_url = URLField(
        "Public Help Center address",
        filters=[strip_whitespace],
        validators=[
            Optional(),
            URL(require_tld=False, message="Enter a full address, like https://help.example.com"),
            Length(max=500),
        ],
        description="Used to link public articles in answers: address/locale/slug. Leave empty for no links.",
    )
    allow_internal = BooleanField(
        "Let the AI use internal articles to answer",
        default=True,
        description="Internal articles and drafts inform answers but are never quoted with a link.",
    )
    schedule = SelectField("Sync", choices=SCHEDULES, default="daily")

    def validate_help_center_url(self, field):
        if field.data and not field.data.lower().startswith(("https://", "http://")):
            raise ValidationError("Enter a web address starting with https://")


# A key typed with a refused form is kept for the next try (never one already saved); every
# page is sent with Cache-Control: no-store.
TYPED_KEY = PasswordInput(hide_value=False)


class FrontSourceForm(SourceSettingsForm):
    api_token = PasswordField(
        "API key",
        widget=TYPED_KEY,
        validators=[Optional(), Length(max=4096)],
        description="A Front API token with Knowledge Base read access. Stored encrypted.",
    )
    use_ticketing_token = BooleanField("Reuse the Front ticketing token instead")


class EditSourceForm(SourceSettingsForm):
    """The settings of a connected source, and a key to replace its own (checked with Front,
    like the first one, when saved)."""

    api_token = PasswordField(
        "New API key",
        widget=TYPED_KEY,
        filters=[strip_whitespace],
        validators=[Optional(), Length(max=4096), api_token_characters],
        description="Leave empty to keep the saved key. A new one must read the Help Centers chosen here.",
    )


class ArticleForm(Form):
    title = StringField("Title", validators=[DataRequired(), Length(max=500)])
    body = TextAreaField("Body (Markdown)", validators=[DataRequired(), Length(max=200_000)])
    url = URLField(
        "Link (optional)", filters=[strip_whitespace], validators=[Optional(), URL(require_tld=False), Length(max=1000)]
    )
    locale = StringField("Locale", validators=[DataRequired(), Length(max=16)], default="en")
    internal = BooleanField("Internal (use to answer, never link)")


class ExampleForm(Form):
    """A question customers ask that an article answers, in their own words."""

    question = StringField(
        "Example question",
        validators=[DataRequired(message="Enter the question as a customer would ask it."), Length(max=1000)],
        description="As a customer would write it, e.g. “Can you deliver to Canada?”. Helps the AI find this article.",
    )
