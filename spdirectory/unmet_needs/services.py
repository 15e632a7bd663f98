"""Recording unmet needs: one validation path for the web form and the API."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .. import vocab
from ..db_types import utcnow
from ..extensions import db
from ..geo.postcodes import InvalidPostcode
from ..referrals.services import district_of
from .models import MAX_NOTE, SOURCES, UnmetNeed

RECORDERS = ("link_worker", "admin")

# A note is for the gap ("nothing for Polish speakers on weekday evenings"), never for who
# the person is: refuse what looks like contact details or a full postcode.
_PERSONAL = {
    "an email address": re.compile(r"\S+@\S+\.\S+"),
    "a phone number": re.compile(r"\+?\d[\d\s().-]{6,}\d"),
    "a full postcode": re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
}


class NotAllowed(PermissionError):
    pass


@dataclass
class NewUnmetNeed:
    needs: list[str]
    reasons: list[str]
    postcode_district: str = ""
    categories: list[str] = field(default_factory=list)
    note: str = ""
    source: str = "form"


def _codes(value: Any, name: str, known: dict[str, str], errors: dict[str, str]) -> list[str]:
    """A list of codes from a JSON list or a form's list; errors by field name."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = [v for v in re.split(r"[;,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[name] = "must be a list of codes"
        return []
    codes = list(dict.fromkeys(v.strip() for v in value if v.strip()))
    unknown = [c for c in codes if c not in known]
    if unknown:
        errors[name] = f"unknown code: {', '.join(unknown[:5])} (use one of: {', '.join(known)})"
    return codes


def validate(raw: dict[str, Any]) -> tuple[NewUnmetNeed | None, dict[str, str]]:
    """Check an unmet need from the form or the API; all errors at once, by field name.

    `postcode` (a full postcode) is accepted for convenience and cut to its district at
    once: the full postcode is never stored."""
    errors: dict[str, str] = {}
    needs = _codes(raw.get("needs"), "needs", vocab.NEEDS, errors)
    if not needs and "needs" not in errors:
        errors["needs"] = "Select at least one need that could not be met"
    reasons = _codes(raw.get("reasons"), "reasons", vocab.UNMET_NEED_REASONS, errors)
    if not reasons and "reasons" not in errors:
        errors["reasons"] = "Select at least one reason why nothing suitable was found"
    categories = _codes(raw.get("categories"), "categories", vocab.CATEGORIES, errors)

    district = ""
    place_field = "postcode_district" if raw.get("postcode_district") else "postcode"
    place = raw.get(place_field)
    if place is not None and not isinstance(place, str):
        errors[place_field] = "must be a string"
    elif place and place.strip():
        try:
            district = district_of(place.strip())
        except InvalidPostcode:
            errors[place_field] = "Enter a postcode district like LS6, or a postcode like LS6 1AA"

    note = raw.get("note") or ""
    if not isinstance(note, str):
        errors["note"] = "must be a string"
        note = ""
    note = " ".join(note.split())
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note to {MAX_NOTE} characters or fewer"
    else:
        for what, pattern in _PERSONAL.items():
            if pattern.search(note):
                errors["note"] = (
                    f"The note seems to contain {what}: leave out anything that could "
                    "identify the person"
                )
                break

    source = raw.get("source") or "form"
    if source not in SOURCES:
        source = "form"
    if errors:
        return None, errors
    return (
        NewUnmetNeed(
            needs=needs,
            reasons=reasons,
            postcode_district=district,
            categories=categories,
            note=note,
            source=source,
        ),
        {},
    )


def can_record(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.role in RECORDERS)


def record(user: Any, new: NewUnmetNeed, now: datetime | None = None) -> UnmetNeed:
    """Store an unmet need (the demand summary is updated in the same flush); the caller
    commits."""
    if not can_record(user):
        raise NotAllowed("Only link workers record unmet needs")
    need = UnmetNeed(
        recorded_at=now or utcnow(),
        recorded_by_id=user.id,
        needs=new.needs,
        categories=new.categories,
        reasons=new.reasons,
        postcode_district=new.postcode_district,
        note=new.note,
        source=new.source,
    )
    db.session.add(need)
    db.session.flush()
    return need


def as_json(need: UnmetNeed) -> dict[str, Any]:
    return {
        "id": need.id,
        "recorded_at": need.recorded_at.isoformat(),
        "needs": need.needs,
        "categories": need.categories,
        "reasons": need.reasons,
        "postcode_district": need.postcode_district or None,
        "note": need.note,
        "source": need.source,
    }
