"""Web forms for referrals. Values are checked by services.validate_new (one path with the API)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField

from .. import vocab
from ..directory.forms import MultiCheckboxField
from ..formtools import select_choices
from .models import ONS4_FIELDS, ONS4_STAGES
from .states import CONTACT_METHODS

ONS4_QUESTIONS = {
    "life_satisfaction": "Overall, how satisfied are you with your life nowadays?",
    "worthwhile": "Overall, to what extent do you feel the things you do in your life are "
    "worthwhile?",
    "happy": "Overall, how happy did you feel yesterday?",
    "anxious": "Overall, how anxious did you feel yesterday?",
}
ONS4_STAGE_LABELS = {
    "baseline": "At referral (baseline)",
    "end": "At the end",
    "follow_up": "Follow-up (3 to 6 months later)",
}
SCORE_CHOICES = select_choices([("", "Not asked"), *((str(i), str(i)) for i in range(11))])


class ReferralForm(FlaskForm):
    client_reference = StringField(
        "Client reference",
        description="Your own record's reference for the person. Do not use their name.",
    )
    summary = TextAreaField(
        "What matters to the person",
        description="A short summary for the provider: what the person hopes for, anything "
        "the provider should know to welcome them.",
    )
    needs = MultiCheckboxField("Needs", choices=select_choices(vocab.NEEDS))
    preferred_contact = RadioField(
        "How the provider should get in touch",
        choices=select_choices(CONTACT_METHODS),
        validate_choice=False,
    )
    preferred_times = StringField(
        "Best times to get in touch", description="For example: weekday mornings"
    )
    contact_phone = StringField("Phone number")
    contact_email = StringField("Email address")
    contact_consent = BooleanField(
        "The person agrees that we keep these contact details and share them with the "
        "provider once it accepts the referral"
    )
    person_postcode = StringField(
        "The person's postcode or postcode district (optional)",
        description="Only the district (for example LS1) is kept, for reports on local need.",
    )
    life_satisfaction = SelectField(
        ONS4_QUESTIONS["life_satisfaction"], choices=SCORE_CHOICES, validate_choice=False
    )
    worthwhile = SelectField(
        ONS4_QUESTIONS["worthwhile"], choices=SCORE_CHOICES, validate_choice=False
    )
    happy = SelectField(ONS4_QUESTIONS["happy"], choices=SCORE_CHOICES, validate_choice=False)
    anxious = SelectField(ONS4_QUESTIONS["anxious"], choices=SCORE_CHOICES, validate_choice=False)

    def raw(self, activity_id: int) -> dict[str, object]:
        return {
            "activity_id": activity_id,
            "client_reference": self.client_reference.data,
            "summary": self.summary.data,
            "needs": self.needs.data or [],
            "preferred_contact": self.preferred_contact.data or "",
            "preferred_times": self.preferred_times.data,
            "contact_phone": self.contact_phone.data,
            "contact_email": self.contact_email.data,
            "contact_consent": bool(self.contact_consent.data),
            "person_postcode": self.person_postcode.data,
            "baseline": {f: getattr(self, f).data for f in ONS4_FIELDS},
        }


class StatusForm(FlaskForm):
    status = StringField("Status")
    reason = SelectField(
        "Reason",
        choices=select_choices([("", "Choose a reason"), *vocab.DECLINE_REASONS.items()]),
        validate_choice=False,  # services.change_status checks it, with a clearer message
    )
    note = TextAreaField("Note (optional)")


class OutcomeForm(FlaskForm):
    stage = RadioField("When", choices=select_choices(ONS4_STAGE_LABELS), validate_choice=False)
    life_satisfaction = SelectField(
        ONS4_QUESTIONS["life_satisfaction"], choices=SCORE_CHOICES, validate_choice=False
    )
    worthwhile = SelectField(
        ONS4_QUESTIONS["worthwhile"], choices=SCORE_CHOICES, validate_choice=False
    )
    happy = SelectField(ONS4_QUESTIONS["happy"], choices=SCORE_CHOICES, validate_choice=False)
    anxious = SelectField(ONS4_QUESTIONS["anxious"], choices=SCORE_CHOICES, validate_choice=False)


assert set(ONS4_STAGE_LABELS) == set(ONS4_STAGES)
