from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from webapp.auth.forms import PASSWORD_RULES
from webapp.forms import Form
from webapp.models import Role

ROLE_CHOICES = [(Role.MEMBER.value, "Member"), (Role.ADMIN.value, "Admin"), (Role.OWNER.value, "Owner")]


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in ROLE_CHOICES]


class OrganizationForm(Form):
    name = StringField("Organization name", validators=[DataRequired(), Length(max=200)])


class AddMemberForm(Form):
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    role = SelectField(
        "Role",
        choices=_role_choices(),
        default=Role.MEMBER.value,
        description="Members see the Inbox and settings; admins and owners change them.",
    )
    password = PasswordField(
        "Temporary password", validators=PASSWORD_RULES, description="Share it with them; at least 12 characters."
    )


class RoleForm(Form):
    role = SelectField("Role", choices=_role_choices())


class ResetPasswordForm(Form):
    password = PasswordField(
        "Temporary password",
        validators=PASSWORD_RULES,
        description="They must choose a new one at their next login.",
    )
