from collections.abc import Callable

from wtforms import (
    BooleanField,
    DecimalField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    ValidationError,
)
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, StopValidation
from wtforms.widgets import PasswordInput

from webapp import outbound
from webapp.agent.confidence import AnswerPolicy
from webapp.agent.office_hours import ScheduleError, parse_days, parse_time, parse_zone
from webapp.agent.policy import LEVEL_NAMES
from webapp.forms import Form, api_token_characters
from webapp.models import CHANNELS, AdvancedSwitches

LEVEL_HELP = {
    0: "Never hands off; requests for a person are declined politely.",
    1: "Hands off on any frustration, lack of progress, or request.",
    2: "Tries to understand first; hands off on request once it has the basic information.",
    3: "Needs a complete problem statement and tries several answers before escalating.",
}


def only_in_advanced_mode(form, field) -> None:
    """While a preset level is chosen the preset sets the switches: the page disables them, so
    nothing (or, without JavaScript, whatever was left there) arrives, and none of it is checked
    or saved."""
    if form.mode.data != "advanced":
        field.errors[:] = []
        raise StopValidation()


CONFIDENCE_NEEDED = "Give a confidence from 0 to 1, like 0.55."


def kept_when_not_sent(form, field) -> None:
    """A form posted without the answer policy (a page from before it existed, a script) keeps
    the saved one; a field sent empty is an error like any other."""
    if not field.raw_data:
        field.errors[:] = []
        raise StopValidation()


class HandoffForm(Form):
    mode = RadioField(
        "Mode", choices=[SelectChoice("preset", "Preset level"), SelectChoice("advanced", "Advanced")], default="preset"
    )
    level = RadioField(
        "Handoff level",
        choices=[SelectChoice(str(n), f"{n} · {LEVEL_NAMES[n]} — {LEVEL_HELP[n]}") for n in range(4)],
        default="1",
    )
    adv_enabled = BooleanField("Hand off at all (master switch)", default=True)
    adv_on_frustration = BooleanField("Hand off when the customer is frustrated", default=True)
    adv_on_unproductive = BooleanField("Hand off when the conversation is unproductive", default=True)
    adv_unproductive_after = IntegerField(
        "…after this many AI replies without progress",
        default=AdvancedSwitches.unproductive_after,
        validators=[only_in_advanced_mode, NumberRange(min=1, max=AdvancedSwitches.MAX_UNPRODUCTIVE_AFTER)],
    )
    adv_on_request = BooleanField("Hand off when the customer asks for a person", default=True)
    forbidden_topics = TextAreaField(
        "Forbidden topics",
        validators=[Length(max=10_000)],
        description=(
            "One per line, in plain words (e.g. legal advice). A message that uses every word of a topic, "
            'words like advice or questions aside ("is it legal to…" matches legal advice), '
            "is never answered by the AI; it is handed off."
        ),
    )
    message_open = TextAreaField(
        "Message at handoff, inside office hours", validators=[DataRequired(), Length(max=1000)]
    )
    message_closed = TextAreaField(
        "Message at handoff, outside office hours",
        validators=[DataRequired(), Length(max=1000)],
        description="{next_opening} becomes when the team is back, e.g. “tomorrow at 09:00 (Europe/Paris time)”.",
    )
    office_hours = SelectField(
        "Office hours", choices=[], description="Text channels only; phone calls are not affected."
    )
    reply_at = DecimalField(
        "Reply when the confidence is at least",
        places=2,
        default=AnswerPolicy.reply_at,
        validators=[kept_when_not_sent, InputRequired(CONFIDENCE_NEEDED), NumberRange(min=0, max=1)],
        description="From 0 to 1. Higher sends fewer answers, each one surer.",
    )
    drafts = BooleanField(
        "Draft when unsure",
        default=AnswerPolicy.drafts,
        description="Below the reply threshold, draft the answer in Front for the teammate who takes over.",
    )
    draft_at = DecimalField(
        "Draft when the confidence is at least",
        places=2,
        default=AnswerPolicy.draft_at,
        validators=[kept_when_not_sent, InputRequired(CONFIDENCE_NEEDED), NumberRange(min=0, max=1)],
        description="Below this, the question is handed off as missing knowledge, with no draft.",
    )

    def validate_draft_at(self, field):
        if self.reply_at.data is not None and field.data is not None and field.data > self.reply_at.data:
            raise ValidationError("The draft threshold cannot be above the reply threshold.")


def destination_fields(choices_for: Callable[[str], list[SelectChoice]]):
    """One destination select per channel, offering what can take that channel, added to the
    form class at request time."""
    return {
        f"destination_{channel}": SelectField(f"Handoff destination for {channel}", choices=choices_for(channel))
        for channel in CHANNELS
    }


def parse_shift_lines(text: str) -> list[dict]:
    """'monday_to_friday 09:00-17:00' per line → shift dicts; raises ScheduleError with the line."""
    shifts = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        try:
            days, hours = line.split()
            start, end = hours.split("-")
            parse_days(days), parse_time(start), parse_time(end)
        except (ValueError, ScheduleError) as exc:
            raise ScheduleError(
                f"line {number} (“{line}”): write it like monday_to_friday 09:00-17:00 ({exc})"
            ) from exc
        shifts.append({"day_of_week": days.lower(), "start_time": start, "end_time": end})
    if not shifts:
        raise ScheduleError("add at least one shift, like monday_to_friday 09:00-17:00")
    return shifts


class OfficeHoursForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    timezone = StringField(
        "Time zone",
        validators=[DataRequired(), Length(max=64)],
        description="IANA name, like Europe/Paris or America/New_York.",
    )
    shifts = TextAreaField(
        "Shifts",
        validators=[DataRequired(), Length(max=2000)],
        description=(
            "One per line: days and hours, e.g. monday_to_friday 09:00-17:00, saturday 10:00-14:00, "
            "friday 22:00-06:00 (across midnight), everyday."
        ),
    )

    def validate_timezone(self, field):
        try:
            parse_zone(field.data)
        except ScheduleError as exc:
            raise ValidationError(str(exc)) from exc

    def validate_shifts(self, field):
        try:
            parse_shift_lines(field.data)
        except ScheduleError as exc:
            raise ValidationError(str(exc)) from exc


class ProviderForm(Form):
    base_url = StringField(
        "Base URL",
        validators=[DataRequired(), Length(max=500)],
        description=(
            "Of any OpenAI-compatible Chat Completions API, e.g. https://api.openai.com/v1. "
            "Changing its server (host or port) needs the API key again."
        ),
    )
    model = StringField("Model", validators=[DataRequired(), Length(max=200)])
    api_key = PasswordField(
        "API key",
        # A key typed with a refused form is kept for the next try (never one already saved);
        # every page is sent with Cache-Control: no-store.
        widget=PasswordInput(hide_value=False),
        validators=[Length(max=1000), api_token_characters],
        description="Stored encrypted. Leave empty to keep the saved one (for the same server only).",
    )
    enabled = BooleanField(
        "Use this provider (otherwise the built-in agent answers)",
        description="Switched on only after a test call to the provider works.",
    )

    def validate_base_url(self, field):
        try:
            outbound.check_url_form(field.data)
        except outbound.OutboundError as exc:
            message = str(exc)
            raise ValidationError(f"{message[:1].upper()}{message[1:]}.") from exc
