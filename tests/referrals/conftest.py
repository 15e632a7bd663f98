"""A small world for referral tests: one activity, its provider, link workers, others."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from spdirectory.accounts.models import User
from spdirectory.directory.models import Activity, Organisation
from spdirectory.extensions import db
from spdirectory.referrals import services
from spdirectory.referrals.models import Referral
from tests.accounts.helpers import bearer, issue_token, quick_user


@dataclass
class World:
    org: Organisation
    other_org: Organisation
    activity: Activity
    provider: User
    other_provider: User
    link_worker: User
    other_link_worker: User
    admin: User
    panel: User
    reviewer: User
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return bearer(self.tokens[who])


@pytest.fixture
def world(app: Flask, make: Any) -> World:
    org = make.organisation("Riverside Trust")
    other_org = make.organisation("Hilltop Walkers")
    activity = make.activity(
        org,
        title="Canal walk",
        capacity="10",
        spare_places="2",
        waitlist="yes",
        referral_routes="link_worker;self",
    )
    people = {
        "provider": quick_user("provider", organisation=org),
        "other_provider": quick_user("provider", organisation=other_org),
        "link_worker": quick_user("link_worker"),
        "other_link_worker": quick_user("link_worker"),
        "admin": quick_user("admin"),
        "panel": quick_user("panel"),
        "reviewer": quick_user("reviewer"),
    }
    tokens = {name: issue_token(person)[1] for name, person in people.items()}
    db.session.commit()
    return World(org=org, other_org=other_org, activity=activity, tokens=tokens, **people)


def refer(
    world: World,
    activity: Activity | None = None,
    *,
    by: User | None = None,
    phone: str | None = "07700 900123",
    email: str | None = "sam@example.com",
    consent: bool = True,
    **extra: Any,
) -> Referral:
    """A referral made through the service, committed."""
    raw = {
        "activity_id": (activity or world.activity).id,
        "client_reference": extra.pop("client_reference", "GP-0001"),
        "summary": "Would like to get out of the house and meet people",
        "needs": ["loneliness"],
        "contact_phone": phone,
        "contact_email": email,
        "contact_consent": consent,
        "preferred_contact": "phone" if phone else "",
        **extra,
    }
    clean, errors = services.validate_new(raw)
    assert clean is not None, errors
    referral = services.create_referral(by or world.link_worker, clean)
    db.session.commit()
    return referral


def api_status(
    client: FlaskClient, world: World, who: str, referral_id: int, status: str, **body: Any
) -> Any:
    return client.post(
        f"/api/v1/referrals/{referral_id}/status",
        json={"status": status, **body},
        headers=world.headers(who),
    )


def reload(model: Any, ident: int) -> Any:
    db.session.expire_all()
    return db.session.get(model, ident)
