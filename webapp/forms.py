from flask_wtf import FlaskForm


class ButtonForm(FlaskForm):
    """A form that is only a button: it carries the CSRF token, the target is in the URL."""
