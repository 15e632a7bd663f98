"""A known data set for the capacity-gap report: two Leeds wards, five listings, referrals,
status events and anonymous searches, with every expected figure worked out by hand in
test_report.py."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from spdirectory.directory.capacity import update_capacity
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.referrals.models import Referral, ReferralEvent
from spdirectory.reports.areas import import_areas
from spdirectory.search.demand import UnmetSearch

AREAS = [
    {"code": "WY", "name": "West Yorkshire", "type": "icb", "population": "2400000"},
    {
        "code": "LEEDS",
        "name": "Leeds",
        "type": "place",
        "parent_code": "WY",
        "population": "100000",
        "need_weight": "1.2",
    },
    {
        "code": "W1",
        "name": "Headingley",
        "type": "ward",
        "parent_code": "LEEDS",
        "population": "20000",
        "need_weight": "1.0",
        "postcode_districts": "LS6",
    },
    {
        "code": "W2",
        "name": "Harehills",
        "type": "ward",
        "parent_code": "LEEDS",
        "population": "10000",
        "need_weight": "1.5",
        "postcode_districts": "LS8; LS9",
    },
]
CREATED = datetime(2025, 12, 1, tzinfo=UTC)


def at(month: int, day: int = 10, year: int = 2026) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@dataclass
class Known:
    activities: dict[str, Activity]
    capacity_changed_at: datetime


def place(make: Any, org: Any, district: str, **fields: Any) -> Activity:
    activity = make.activity(org, capacity_updated_at=CREATED, **fields)
    activity.postcode_district = district
    activity.created_at = CREATED
    db.session.flush()
    return activity


def refer(
    activity: Activity,
    when: datetime,
    *,
    person_district: str | None = None,
    events: tuple[tuple[str, str | None, datetime], ...] = (),
) -> Referral:
    referral = Referral(
        activity_id=activity.id,
        organisation_id=activity.organisation_id,
        client_reference="REF",
        needs=["loneliness"],
        person_district=person_district,
        status=events[-1][0] if events else "sent",
        decline_reason=next((r for s, r, _ in events if s == "declined"), None),
        created_at=when,
        respond_by=when + timedelta(days=3),
    )
    db.session.add(referral)
    db.session.flush()
    db.session.add(ReferralEvent(referral_id=referral.id, to_status="sent", at=when))
    for status, reason, moment in events:
        db.session.add(
            ReferralEvent(referral_id=referral.id, to_status=status, reason=reason, at=moment)
        )
    return referral


def search(district: str, when: datetime, categories: list[str] | None) -> None:
    filters = {"category": categories} if categories else {"free": True}
    db.session.add(
        UnmetSearch(
            kind="search",
            query_text="walk",
            filters=filters,
            postcode_district=district,
            results=0,
            outcome="nothing",
            at=when,
        )
    )


@pytest.fixture
def known(app: Any, make: Any) -> Known:
    report = import_areas(enumerate(AREAS, start=2))
    assert not report.errors, report.errors
    org = make.organisation("Known Org")
    a1 = place(
        make, org, "LS6", title="A1 walk", categories="walking", capacity="20", spare_places="2"
    )
    a2 = place(
        make,
        org,
        "LS6",
        title="A2 green walk",
        categories="walking;green_nature",
        capacity="10",
        spare_places="0",
        waitlist="yes",
    )
    a3 = place(
        make,
        org,
        "LS8",
        title="A3 befriending",
        categories="befriending",
        capacity="5",
        spare_places="0",
        waitlist="yes",
    )
    a4 = place(
        make, org, "LS9", title="A4 walk", categories="walking", capacity="8", spare_places="1"
    )
    a5 = place(
        make,
        org,
        "LS1",
        title="A5 city walk",
        categories="walking",
        capacity="50",
        spare_places="10",
    )
    place(make, org, "LS6", title="A6 draft", categories="walking", status="draft")

    # A1: 6 in January, 2 in February, 4 in March (12), plus one either side of the period.
    for month, count in ((1, 6), (2, 2), (3, 4)):
        for _ in range(count):
            refer(a1, at(month))
    refer(a1, at(12, year=2025))
    refer(a1, at(4))
    # A2: 3 in March, each waitlisted in March; 1 in February, declined because full.
    for _ in range(3):
        refer(a2, at(3), events=(("waitlisted", None, at(3, 12)),))
    refer(a2, at(2), events=(("declined", "full", at(2, 11)),))
    # A3: 5 in February: 2 declined because full, 3 waitlisted.
    for _ in range(2):
        refer(a3, at(2), events=(("declined", "full", at(2, 12)),))
    for _ in range(3):
        refer(a3, at(2), events=(("waitlisted", None, at(2, 12)),))
    # A4 (LS9), but the people live in LS6: their demand belongs to Headingley.
    for _ in range(2):
        refer(a4, at(1), person_district="LS6")

    for _ in range(3):
        search("LS8", at(2), ["befriending"])
    search("LS6", at(1), ["walking", "green_nature"])
    search("LS6", at(1), None)

    # A1 grew after the period: 25 places, 7 spare (the as-of report must not see it).
    changed = datetime(2026, 5, 1, tzinfo=UTC)
    update_capacity(a1, spare_places=7, capacity=25, now=changed)
    db.session.commit()
    return Known(
        activities={"A1": a1, "A2": a2, "A3": a3, "A4": a4, "A5": a5},
        capacity_changed_at=changed,
    )
