"""Kite-mark test data: an organisation with listings, its provider, reviewers, and helpers
that fill in and submit an application through the services."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from flask import Flask

from spdirectory.accounts.models import User
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.questionnaire import active_questions
from tests.accounts.helpers import quick_user

# The smallest files whose first bytes say what they are.
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
TEXT = b"This is just a plain text file, not a PDF at all.\n"


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    listings: list[Activity]
    provider: User
    other_provider: User
    reviewer: User
    member_reviewer: User  # a reviewer who belongs to `org`
    admin: User
    link_worker: User
    panel: User


@pytest.fixture
def world(app: Flask, make: Any) -> World:
    org = make.organisation("Riverside Walkers", email="hello@riverside.example.org")
    other = make.organisation("Hilltop Choir")
    listings = [
        make.activity(org, title="Riverside Tuesday walk"),
        make.activity(org, title="Riverside Saturday walk", status="draft"),
    ]
    make.activity(other, title="Hilltop choir practice")
    w = World(
        org=org,
        other_org=other,
        listings=listings,
        provider=quick_user("provider", organisation=org, email="provider@riverside.example.org"),
        other_provider=quick_user("provider", organisation=other),
        reviewer=quick_user("reviewer", email="reviewer@cvs.example.org"),
        member_reviewer=quick_user("reviewer", organisation=org),
        admin=quick_user("admin"),
        link_worker=quick_user("link_worker"),
        panel=quick_user("panel"),
    )
    active_questions()  # the default questionnaire, loaded as a new installation would
    db.session.commit()
    return w


def complete_answers(insurance_expiry: date | None = None) -> dict[str, str]:
    answers = {}
    for q in active_questions():
        if q.kind == "date":
            answers[q.code] = (insurance_expiry or date(2099, 1, 1)).isoformat()
        else:
            answers[q.code] = f"Our answer about {q.code}."
    return answers


def required_uploads() -> list[services.Upload]:
    return [
        services.Upload(q.code, io.BytesIO(PDF), f"{q.code}.pdf")
        for q in active_questions()
        if q.evidence == "required"
    ]


def submitted_application(w: World, insurance_expiry: date | None = None) -> int:
    """Start, complete and submit an application for w.org; committed; returns its id."""
    application = services.start_application(w.provider)
    result = services.save_answers(
        w.provider, application.id, complete_answers(insurance_expiry), required_uploads()
    )
    assert not result.errors, result.errors
    services.submit(w.provider, application.id)
    db.session.commit()
    return application.id


def awarded(w: World, on: date | None = None, insurance_expiry: date | None = None) -> int:
    application_id = submitted_application(w, insurance_expiry)
    services.decide(w.reviewer, application_id, "approve", on=on)
    db.session.commit()
    return application_id
