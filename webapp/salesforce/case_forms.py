"""The Case options form of Settings → Integrations → Salesforce."""

from __future__ import annotations

from wtforms import RadioField, StringField, ValidationError
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Length

from webapp.forms import Form, strip_whitespace
from webapp.salesforce.integration import (
    EXTERNAL_ID_FIELD_MAX,
    ORIGIN_MAX,
    PRIORITY_MAX,
    AfterCase,
    SalesforceSettings,
    is_api_name,
)

PICKLIST_HELP = (
    "A value of your org's {field} picklist, exactly as it is spelled there (Setup → Object Manager → Case)."
)


class CaseOptionsForm(Form):
    case_origin = StringField(
        "Case Origin",
        filters=[strip_whitespace],
        validators=[DataRequired(), Length(max=ORIGIN_MAX)],
        description=PICKLIST_HELP.format(field="Case Origin") + " Usually Email.",
    )
    case_priority = StringField(
        "Priority",
        filters=[strip_whitespace],
        validators=[DataRequired(), Length(max=PRIORITY_MAX)],
        description=PICKLIST_HELP.format(field="Priority"),
    )
    frustrated_priority = StringField(
        "Priority for frustrated customers",
        filters=[strip_whitespace],
        validators=[DataRequired(), Length(max=PRIORITY_MAX)],
        description="Used when the AI hands off a frustrated or angry customer. Usually High.",
    )
    external_id_field = StringField(
        "External ID field (optional)",
        filters=[strip_whitespace],
        validators=[Length(max=EXTERNAL_ID_FIELD_MAX)],
        description=(
            "The API name of a custom field on Case, such as Switchboard_Key__c: Text(80), with Unique and External "
            "ID ticked, editable by the connected user. With it each handoff creates its Case by upsert on its own "
            "key, so even a retry whose first answer was lost can never make a second Case. Without it, Switchboard "
            "looks for the Case before creating it again."
        ),
    )
    after_case = RadioField(
        "Once the Case is created, the Front conversation",
        choices=[
            SelectChoice(
                AfterCase.KEEP.value,
                "stays with the AI teammate, which stays quiet: the rep answers from Salesforce (recommended)",
            ),
            SelectChoice(AfterCase.UNASSIGN.value, "is unassigned, for your Front teammates to see"),
        ],
        default=AfterCase.KEEP.value,
    )

    @classmethod
    def of(cls, settings: SalesforceSettings) -> CaseOptionsForm:
        return cls(
            formdata=None,
            data={
                "case_origin": settings.case_origin,
                "case_priority": settings.case_priority,
                "frustrated_priority": settings.frustrated_priority,
                "external_id_field": settings.external_id_field or "",
                "after_case": settings.after_case,
            },
        )

    def validate_external_id_field(self, field) -> None:
        if field.data and not is_api_name(field.data, custom=True):
            raise ValidationError(
                "Enter the field's API name, as Setup → Object Manager → Case → Fields shows it: letters, digits and "
                "single underscores, ending in __c (such as Switchboard_Key__c)."
            )
