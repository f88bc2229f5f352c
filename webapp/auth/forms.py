from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from webapp.forms import Form

PASSWORD_RULES = [DataRequired(), Length(min=12, max=256, message="Use at least 12 characters.")]


class SetupForm(Form):
    organization = StringField(
        "Organization name",
        validators=[DataRequired(), Length(max=200)],
        description="Your support team or company, as your teammates know it.",
    )
    name = StringField("Your name", validators=[DataRequired(), Length(max=200)])
    email = EmailField("Email", validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    password = PasswordField("Password", validators=PASSWORD_RULES, description="At least 12 characters.")
    confirm = PasswordField(
        "Confirm password", validators=[DataRequired(), EqualTo("password", message="The passwords differ.")]
    )
    setup_token = StringField(
        "Set-up token",
        validators=[DataRequired(), Length(max=200)],
        description="In the set-up link that switchboard serve prints when it starts, and in the file "
        "setup_token in the instance folder: it proves you run this server.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )


class LoginForm(Form):
    unchecked_fields = ("password",)

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")


class ChangePasswordForm(Form):
    unchecked_fields = ("current_password",)

    current_password = PasswordField(
        "Current password",
        validators=[DataRequired(), Length(max=256)],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=PASSWORD_RULES,
        description="At least 12 characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        "Confirm new password",
        validators=[DataRequired(), EqualTo("new_password", message="The passwords differ.")],
        render_kw={"autocomplete": "new-password"},
    )
