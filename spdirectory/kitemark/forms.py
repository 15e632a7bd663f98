"""Forms. The questionnaire's fields come from data (kitemark_question), so its pages read
the posted values by question code; these classes give them CSRF protection and the fixed
fields."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from ..formtools import select_choices
from .models import EVIDENCE_RULES, QUESTION_KINDS


class CsrfForm(FlaskForm):
    """Only the CSRF token: the questionnaire and the decision form (dynamic fields)."""


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[DataRequired("Give the reason"), Length(max=2000)],
        description="The organisation sees this reason, and it stays in the history.",
    )


class QuestionForm(FlaskForm):
    """An admin's edit of one question of the questionnaire."""

    code = StringField(
        "Code",
        validators=[
            DataRequired("Enter a code"),
            Length(max=50),
            Regexp(r"^[a-z0-9_]+$", message="Use lower-case letters, digits and _ only"),
        ],
        description="A stable name for this question, such as food_hygiene. It cannot change.",
    )
    text = TextAreaField(
        "Question", validators=[DataRequired("Enter the question"), Length(max=1000)]
    )
    hint = TextAreaField("Hint", validators=[Optional(), Length(max=2000)])
    kind = RadioField("Answer", choices=select_choices(QUESTION_KINDS), default="text")
    evidence = RadioField("Evidence", choices=select_choices(EVIDENCE_RULES), default="optional")
    caps_validity = BooleanField(
        "The kite mark ends on this date if it is sooner than the usual length"
    )
    position = IntegerField(
        "Position",
        validators=[InputRequired("Enter a position"), NumberRange(min=0, max=1000)],
        description="Questions are asked in this order, lowest first.",
    )
    active = BooleanField("Ask this question")
