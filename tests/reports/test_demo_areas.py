"""The demo's Leeds areas import cleanly and nest: wards and PCNs inside the place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from spdirectory.extensions import db
from spdirectory.reports.demo import ICB, PLACE, load_demo_areas
from spdirectory.reports.models import Area


def test_demo_areas(app: Any) -> None:
    report = load_demo_areas()
    assert not report.errors
    assert report.created == 28
    again = load_demo_areas()  # safe to run twice: updated, not duplicated
    assert (again.created, again.updated) == (0, 28)
    db.session.commit()
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    place, icb = areas[PLACE], areas[ICB]
    ward_districts = {d.district for a in areas.values() if a.type == "ward" for d in a.districts}
    assert {d.district for d in place.districts} == ward_districts
    assert {d.district for d in icb.districts} >= ward_districts
    assert "LS6" in ward_districts and "LS27" in ward_districts
    assert all(d.inherited for d in place.districts)
