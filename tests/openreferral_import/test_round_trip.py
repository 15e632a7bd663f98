"""Round trip: listings exported by our own /openreferral API, served by a real local HTTP
server from one database, pulled with `import-feed` into a fresh database, come back the
same (the fields Open Referral carries)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from spdirectory import create_app
from spdirectory.directory.models import Activity
from spdirectory.extensions import db
from tests import factories
from tests.conftest import _empty_tables

from .helpers import serve

FIELDS = (
    "title", "description", "categories", "needs", "modes", "referral_routes", "languages",
    "schedule", "postcode", "address", "cost_pence", "age_min", "age_max",
    "wheelchair_accessible", "spare_places", "waitlist_open", "contact_name", "email", "phone",
    "website",
)  # fmt: skip


def snapshot(activity: Activity) -> dict[str, Any]:
    return {f: getattr(activity, f) for f in FIELDS} | {"organisation": activity.organisation.name}


def build_source(tmp_path: Path, database_urls: dict[str, str]) -> Flask:
    """Another app on a database of its own (a copy of the migrated SQLite schema)."""
    src_db = tmp_path / "source.db"
    shutil.copy(database_urls["sqlite"].removeprefix("sqlite:///"), src_db)
    url = f"sqlite:///{src_db}"
    _empty_tables(url)
    return create_app(
        {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": "source"},
        instance_path=tmp_path / "source-instance",
    )


def seed(source: Flask) -> dict[str, dict[str, Any]]:
    with source.app_context():
        walkers = factories.organisation("Hilltop Walkers")
        advice = factories.organisation("Leeds Money Advice")
        made = [
            factories.activity(
                walkers,
                title="Tuesday wellbeing walk",
                description="A gentle walk, then tea.",
                categories="walking; green_nature",
                needs="loneliness; physical_inactivity",
                schedule="Tue 10:00-11:00; Thu 10:00-11:00; Sat 09:30-12:00",
                address="Roundhay Park, Princes Avenue, Leeds",
                postcode="LS8 2HH",
                cost="free",
                age_min="18",
                wheelchair_accessible="yes",
                languages="en; cy",
                capacity="20",
                spare_places="5",
                contact_name="Sam Smith",
                email="walks@example.org",
                phone="0113 496 0000",
                website="https://example.org/walks",
                referral_routes="self; link_worker",
            ),
            factories.activity(
                walkers,
                title="Evening choir",
                categories="music_singing",
                needs="low_mood",
                schedule="Wed 18:30-20:00",
                postcode="LS1 1AZ",
                cost="3.50",
                age_min="16",
                age_max="99",
                wheelchair_accessible="no",
                capacity="30",
                spare_places="0",
                waitlist="yes",
                referral_routes="link_worker",
            ),
            factories.activity(
                advice,
                title="Benefits advice by phone",
                categories="advice_money",
                needs="money_debt",
                modes="phone; online",
                postcode="",
                schedule="",
                cost="",
                capacity="10",
                spare_places="0",
                waitlist="no",
                languages="ur; en",
            ),
        ]
        factories.activity(walkers, title="Draft, never published", status="draft")
        db.session.commit()
        return {a.uuid: snapshot(a) for a in made}


def test_round_trip_through_our_own_api(
    app: Flask, tmp_path: Path, database_urls: dict[str, str]
) -> None:
    source = build_source(tmp_path, database_urls)
    expected = seed(source)
    app.config.update(OPENREFERRAL_FEED_TIMEOUT=10, OPENREFERRAL_FEED_PER_PAGE=2)
    with serve(source) as base:
        result = app.test_cli_runner().invoke(args=["import-feed", base + "/openreferral/"])
    assert result.exit_code == 0, result.output
    assert "3 created" in result.output
    assert "unknown taxonomy terms" not in result.output
    db.session.expire_all()
    pulled = {a.external_id: a for a in db.session.scalars(select(Activity))}
    assert set(pulled) == set(expected)
    for uuid, fields in expected.items():
        assert snapshot(pulled[uuid]) == fields, uuid
        assert pulled[uuid].status == "published"
        assert pulled[uuid].source == base + "/openreferral"
    # Capacity (places per week) is not in the standard nor in our API's extensions.
    assert {a.capacity for a in pulled.values()} == {None}
    with source.app_context():
        db.session.remove()
        db.engine.dispose()
