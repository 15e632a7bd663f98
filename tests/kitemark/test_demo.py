"""The demo data set has kite-mark records matching its listings, and an application waiting
for the demo reviewer."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from spdirectory.demo.loader import load_demo
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from spdirectory.kitemark import services
from spdirectory.kitemark.models import KitemarkApplication, KitemarkAward


def test_demo_kite_marks(app: Flask) -> None:
    load_demo(seed=7, activities=60)
    awards = {a.organisation_id: a for a in db.session.scalars(select(KitemarkAward))}
    assert {"awarded", "pending"} <= {a.status for a in awards.values()}
    for activity in db.session.scalars(select(Activity)):
        award = awards.get(activity.organisation_id)
        if award is not None:
            assert (activity.kite_mark, activity.kite_mark_valid_until) == (
                award.status,
                award.valid_until,
            )
    # Recorded through the import (history and all), dated as the demo dates its listings.
    for award in awards.values():
        assert [e.action for e in services.history(award.organisation_id)][-1] == "imported"
        if award.status == "awarded":
            assert award.valid_until and award.valid_until > services.today()
    queue = services.review_queue()
    assert queue and all(awards[a.organisation_id].status == "pending" for a in queue)
    assert all(not services.missing_for_submission(a) for a in queue)
    # Loading again adds nothing.
    count = len(db.session.scalars(select(KitemarkApplication)).all())
    load_demo(seed=7, activities=60)
    assert len(db.session.scalars(select(KitemarkApplication)).all()) == count
