"""Fixtures for the Open Referral read API tests: a small published directory."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask

from spdirectory.directory.models import Activity, Organisation
from tests.openreferral import oruk


@pytest.fixture
def needs_standards() -> None:
    if not oruk.available():
        pytest.skip(oruk.MISSING_REASON)


@dataclass
class Directory:
    orgs: dict[str, Organisation] = field(default_factory=dict)
    listings: dict[str, Activity] = field(default_factory=dict)


@pytest.fixture
def directory(app: Flask, make: Any) -> Directory:
    """A rich listing, an online-only one, a paid one far away, a draft and an archived
    one, and an organisation with only a draft."""
    d = Directory()
    d.orgs["walkers"] = make.organisation(
        "Leeds Walkers",
        description="Walking groups across Leeds",
        website="www.leedswalkers.example.org",
        email="hello@leedswalkers.example.org",
        charity_number="1234567",
    )
    d.orgs["choir"] = make.organisation("Bradford Singers")  # no description or contacts
    d.orgs["hidden"] = make.organisation("Draft Only Group")
    d.listings["rich"] = make.activity(
        d.orgs["walkers"],
        title="Park walk for beginners",
        description="A gentle walk round the park, then tea.",
        categories="walking; green_nature",
        needs="loneliness; physical_inactivity",
        modes="in_person",
        referral_routes="self; link_worker",
        languages="English, Polish",
        schedule="Mon 10:00-11:30; Thu 10:00-11:30; Sat 09:00-10:00",
        address="Roundhay Park Cafe, Princes Avenue, Leeds",
        postcode="LS1 1AZ",
        cost="free",
        age_min="18",
        age_max="99",
        wheelchair_accessible="yes",
        capacity="20",
        spare_places="4",
        kite_mark="awarded",
        contact_name="Sam Walker",
        phone="0113 496 0001",
        email="sam@leedswalkers.example.org",
        website="https://leedswalkers.example.org/park",
    )
    d.listings["online"] = make.activity(
        d.orgs["walkers"],
        title="Online stretch and chat",
        categories="physical_activity",
        needs="",
        modes="online",
        postcode="",
        schedule="",
        cost="",
        spare_places="0",
        waitlist="yes",
    )
    d.listings["paid"] = make.activity(
        d.orgs["choir"],
        title="Community choir",
        categories="music_singing",
        needs="low_mood",
        postcode="BD1 1HY",
        cost="3.50",
        spare_places="0",
        age_min="60",
        schedule="Wed 18:30-20:00",
    )
    d.listings["draft"] = make.activity(d.orgs["hidden"], title="Secret draft", status="draft")
    d.listings["archived"] = make.activity(
        d.orgs["walkers"], title="Old archived walk", status="archived"
    )
    make.commit()
    return d
