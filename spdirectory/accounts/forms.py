from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from .. import vocab
from ..formtools import select_choices


class LoginForm(FlaskForm):
    email = EmailField("Email address", validators=[DataRequired("Enter your email address")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password")])
    remember = BooleanField("Keep me signed in on this device")


class UserForm(FlaskForm):
    email = EmailField(
        "Email address",
        validators=[DataRequired("Enter an email address"), Email("Enter a valid email address")],
    )
    name = StringField("Name", validators=[Optional(), Length(max=200)])
    role = SelectField("Role", choices=select_choices(vocab.ROLES))
    organisation_id = SelectField("Organisation", coerce=int, choices=[])
    password = PasswordField(
        "New password",
        validators=[Optional(), Length(min=10, message="Use at least 10 characters")],
        description="Leave empty to keep the current password.",
    )
    active = BooleanField("Account active", default=True)
