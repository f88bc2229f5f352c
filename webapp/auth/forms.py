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


class LoginForm(Form):
    unchecked_fields = ("password",)

    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    remember = BooleanField("Keep me logged in on this device")
