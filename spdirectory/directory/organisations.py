"""Saving organisation details from a form, with the shared contact validation."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from .listing import clean_email, clean_website
from .models import Organisation


def save_organisation(form: Any, org: Organisation) -> bool:
    ok = True
    name = (form.name.data or "").strip()
    clash = db.session.execute(
        select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != (org.id or 0)
        )
    ).first()
    if clash:
        form.name.errors = [*form.name.errors, "Another organisation already has this name"]
        ok = False
    for field_name, check in (("email", clean_email), ("website", clean_website)):
        field = getattr(form, field_name)
        try:
            field.data = check(field.data)
        except ValueError as exc:
            field.errors = [*field.errors, str(exc)]
            ok = False
    if not ok:
        return False
    org.name = name
    org.org_type = form.org_type.data
    org.charity_number = (form.charity_number.data or "").strip()
    org.description = (form.description.data or "").strip()
    org.website = form.website.data
    org.email = form.email.data
    org.phone = (form.phone.data or "").strip()
    org.contact_name = (form.contact_name.data or "").strip()
    return True
