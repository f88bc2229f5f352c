from wtforms import SelectField
from wtforms.fields import SelectChoice

from webapp.agent import destinations
from webapp.forms import Form


class HandOffNowForm(Form):
    """An admin's handoff of a session from the Inbox, to any registered destination."""

    destination = SelectField("Hand off to", choices=[])


def hand_off_now_form(**kwargs) -> HandOffNowForm:
    form = HandOffNowForm(**kwargs)
    form.destination.choices = [SelectChoice(d.key, d.label) for d in destinations.available()]
    return form
