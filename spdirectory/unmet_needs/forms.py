"""The unmet-need form: the full page and the small one-step form on the search and match
pages share it. Values are checked by services.validate (one path with the API)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField

from .. import vocab
from ..directory.forms import MultiCheckboxField
from ..formtools import select_choices
from .models import MAX_NOTE


class UnmetNeedForm(FlaskForm):
    needs = MultiCheckboxField("Needs that could not be met", choices=select_choices(vocab.NEEDS))
    categories = MultiCheckboxField(
        "Kinds of activity that were missing (optional)",
        choices=select_choices(vocab.CATEGORIES),
    )
    reasons = MultiCheckboxField(
        "Why nothing suitable was found",
        description="Select all that apply.",
        choices=select_choices(vocab.UNMET_NEED_REASONS),
    )
    postcode_district = StringField(
        "Postcode district",
        description="For example LS6. Only the district is kept, never a full postcode.",
    )
    note = TextAreaField(
        "Short note (optional)",
        description=f"What was missing, in up to {MAX_NOTE} characters. Do not include "
        "anything that could identify the person.",
    )
    source = HiddenField(default="form")
    next = HiddenField()

    def raw(self) -> dict[str, object]:
        return {
            "needs": self.needs.data or [],
            "categories": self.categories.data or [],
            "reasons": self.reasons.data or [],
            "postcode_district": self.postcode_district.data or "",
            "note": self.note.data or "",
            "source": self.source.data or "form",
        }
