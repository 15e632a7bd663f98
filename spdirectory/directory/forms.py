"""Web forms for listings. Field validation lives in listing.parse_listing (one path for all)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from .. import vocab
from ..formtools import select_choices


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ActivityForm(FlaskForm):
    title = StringField("Title")
    description = TextAreaField(
        "Description", description="What happens, who it suits, what to bring."
    )
    categories = MultiCheckboxField("Categories", choices=select_choices(vocab.CATEGORIES))
    needs = MultiCheckboxField("Helps with", choices=select_choices(vocab.NEEDS))
    modes = MultiCheckboxField("How it is delivered", choices=select_choices(vocab.MODES))
    referral_routes = MultiCheckboxField(
        "How people join", choices=select_choices(vocab.REFERRAL_ROUTES)
    )
    schedule = StringField(
        "Weekly sessions",
        description=(
            "For example: Mon 10:00-12:00; Thu 18:30-20:00. Leave empty for 'by arrangement'."
        ),
    )
    address = StringField("Address or meeting place")
    postcode = StringField("Postcode", description="Needed for anything that meets in person.")
    cost = StringField(
        "Cost per session", description="“free” or an amount in pounds, such as 3.50"
    )
    age_min = StringField("Minimum age")
    age_max = StringField("Maximum age")
    wheelchair_accessible = SelectField(
        "Wheelchair accessible",
        choices=select_choices([("", "Not known"), ("yes", "Yes"), ("no", "No")]),
    )
    languages = StringField("Languages", description="Separate with ; for example: English; Polish")
    capacity = StringField("Places per week")
    spare_places = StringField("Spare places now")
    waitlist = BooleanField("Waiting list open")
    contact_name = StringField("Contact name")
    email = StringField("Contact email")
    phone = StringField("Contact phone")
    website = StringField("Website")
    # No kite_mark field: the kite mark is the organisation's, changed only through the
    # kite-mark workflow (spdirectory/kitemark), so that it has a record and a history.
    status = SelectField(
        "Status",
        choices=select_choices(
            [("published", "Published"), ("draft", "Draft (not shown to others)")]
        ),
    )
    organisation_id = SelectField("Organisation", coerce=int, choices=[])

    def raw(self) -> dict[str, object]:
        """The form's values in the shape listing.parse_listing takes."""
        data = {
            name: getattr(self, name).data
            if getattr(self, name) is not None
            else None
            for name in (
                "title", "description", "categories", "needs", "modes", "referral_routes",
                "schedule", "address", "postcode", "cost", "age_min", "age_max",
                "wheelchair_accessible", "languages", "capacity", "spare_places",
                "contact_name", "email", "phone", "website",
            )
        }  # fmt: skip
        data["waitlist"] = "yes" if self.waitlist.data else "no"
        return data


class CapacityForm(FlaskForm):
    spare_places = IntegerField(
        "Spare places",
        validators=[
            InputRequired("Enter the number of spare places (0 if full)"),
            NumberRange(min=0, message="Spare places cannot be negative"),
            NumberRange(max=100_000, message="Spare places must be 100000 or fewer"),
        ],
    )
    waitlist = BooleanField("Waiting list open")


class OrganisationForm(FlaskForm):
    name = StringField("Name", validators=[InputRequired("Enter the organisation's name")])
    org_type = SelectField("Type", choices=select_choices(vocab.ORGANISATION_TYPES))
    charity_number = StringField("Charity number", validators=[Optional()])
    description = TextAreaField("About the organisation")
    website = StringField("Website")
    email = StringField("Email")
    phone = StringField("Phone")
    contact_name = StringField("Contact name")
