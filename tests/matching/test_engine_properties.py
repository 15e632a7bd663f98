"""End-to-end property test of match() on the database (SQLite and PostgreSQL).

For a random directory of ~40 listings and a random person, every result must satisfy every
hard constraint (checked here from the stored Activity rows and the listing as entered, not
with the code under test), and when fewer than `limit` results come back, they must be
*all* the eligible listings: nothing eligible may be dropped when there is room for it.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, event, given, settings, target
from hypothesis import strategies as st
from sqlalchemy import delete, select, text

from spdirectory.db_types import utcnow
from spdirectory.directory.listing import apply_listing, parse_listing
from spdirectory.directory.models import Activity, ActivitySession, CapacityChange, Organisation
from spdirectory.extensions import db
from spdirectory.geo import lookup
from spdirectory.matching import DEFAULT_WEIGHTS, engine, match, parse_person
from spdirectory.matching.profile import MAX_LIMIT
from spdirectory.search.models import search_document

# Real postcodes across Leeds and Bradford: 0 to ~30 km apart.
POSTCODES = [
    "LS1 1AZ", "LS1 4AP", "LS6 4AB", "LS8 2HH", "LS11 5AA", "LS28 7AA", "LS17 5AA",
    "LS22 6AA", "LS29 8AA", "BD1 1HY", "BD3 9AA", "BD7 1DP", "BD18 3AA",
]  # fmt: skip
MODES = ["in_person", "online", "phone"]
NEEDS = ["loneliness", "low_mood", "physical_inactivity", "money_debt"]
# How a listing or a person may name a language → the ISO 639-1 code it means.
LANGUAGES = {"en": "en", "English": "en", "pl": "pl", "Polish": "pl", "ur": "ur", "Urdu": "ur"}


def spoken(raw: str) -> set[str]:
    """The languages a listing's cell names; an empty cell means English."""
    names = [part.strip() for part in raw.split(";") if part.strip()]
    return {LANGUAGES[name] for name in names} or {"en"}


@st.composite
def listings(draw: st.DrawFn) -> dict[str, Any]:
    modes = draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True))
    # Remote-only listings may have no address at all.
    places = POSTCODES if "in_person" in modes else [*POSTCODES, ""]
    # Few, shared age limits, so that people's ages often sit exactly on a boundary.
    age_min = draw(st.sampled_from([None, None, 11, 18, 50]))
    age_max = draw(
        st.sampled_from([None, None, 16, 25, 65]).filter(lambda a: a is None or a >= (age_min or 0))
    )
    return {
        "raw": {
            "title": draw(st.sampled_from(["Walking group", "Community choir", "Debt advice"])),
            "categories": "social_group",
            "needs": ";".join(draw(st.lists(st.sampled_from(NEEDS), max_size=3, unique=True))),
            "modes": ";".join(modes),
            "postcode": draw(st.sampled_from(places)),
            "schedule": draw(st.sampled_from(["", "Tue 10:00-11:00", "Thu 18:30-20:00"])),
            "cost": draw(st.sampled_from(["free", "", "3.50"])),
            "age_min": "" if age_min is None else str(age_min),
            "age_max": "" if age_max is None else str(age_max),
            "wheelchair_accessible": draw(st.sampled_from(["", "yes", "no"])),
            "languages": ";".join(
                draw(st.lists(st.sampled_from(sorted(LANGUAGES)), max_size=2, unique=True))
            ),
            "referral_routes": draw(st.sampled_from(["self", "link_worker", "self;link_worker"])),
            "capacity": "10",
            "spare_places": str(draw(st.integers(0, 3))),
            "waitlist": draw(st.sampled_from(["yes", "no"])),
            # Around the 30 days after which a listing counts as stale.
            "capacity_updated": (
                datetime.now(UTC).date()
                - timedelta(days=draw(st.sampled_from([0, 3, 29, 30, 31, 32, 200])))
            ).isoformat(),
        },
        "status": draw(st.sampled_from(["published"] * 4 + ["draft", "archived"])),
        "kite_mark": draw(st.sampled_from(["none", "pending", "awarded", "expired"])),
    }


@st.composite
def people(draw: st.DrawFn) -> dict[str, Any]:
    modes = draw(st.lists(st.sampled_from(MODES), min_size=1, max_size=3, unique=True))
    body: dict[str, Any] = {
        "modes": modes,
        "max_distance_km": draw(st.sampled_from([1, 2.5, 5, 8, 12, 20, 35])),
        "needs": draw(st.lists(st.sampled_from(NEEDS), max_size=2, unique=True)),
        "interests": draw(st.sampled_from(["", "walking", "choir singing"])),
        "limit": draw(st.integers(1, 15)),
        # Each requirement now and then, so that some listings stay eligible.
        "requires": {
            "wheelchair": draw(st.sampled_from([False, False, False, True])),
            "free": draw(st.sampled_from([False, False, False, True])),
            "languages": draw(
                st.sampled_from([[], [], []])
                | st.lists(st.sampled_from(sorted(LANGUAGES)), min_size=1, max_size=2)
            ),
        },
    }
    if "in_person" in modes or draw(st.booleans()):
        body["postcode"] = draw(st.sampled_from(POSTCODES))
    age = draw(st.sampled_from([None, 10, 11, 16, 17, 18, 25, 26, 49, 50, 65, 66, 80]))
    if age is not None:
        body["age"] = age
    return body


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.009 * math.asin(math.sqrt(h))


def broken_rules(
    row: Activity, raw: dict[str, Any], body: dict[str, Any], require_kite_mark: bool
) -> list[str] | None:
    """Every hard constraint this listing breaks for this person (None: too close to the
    distance limit to call, so left out of the comparison)."""
    requires = body["requires"]
    age = body.get("age")
    broken = []
    if row.status != "published":
        broken.append("status")
    if "link_worker" not in row.referral_routes:
        broken.append("route")
    if age is not None and row.age_min is not None and age < row.age_min:
        broken.append("too young")
    if age is not None and row.age_max is not None and age > row.age_max:
        broken.append("too old")
    if requires["free"] and row.cost_pence != 0:
        broken.append("cost")
    wanted = {LANGUAGES[name] for name in requires["languages"]}
    if wanted and not wanted & spoken(raw["languages"]):
        broken.append("language")
    if require_kite_mark and row.kite_mark != "awarded":
        broken.append("kite mark")
    ways = [m for m in ("online", "phone") if m in row.modes and m in body["modes"]]
    if "in_person" in row.modes and "in_person" in body["modes"] and row.latitude is not None:
        home = lookup(body["postcode"])
        assert row.longitude is not None
        km = great_circle_km((home.latitude, home.longitude), (row.latitude, row.longitude))
        if abs(km - body["max_distance_km"]) < 1e-6:
            return None
        if km <= body["max_distance_km"] and (
            row.wheelchair_accessible is True or not requires["wheelchair"]
        ):
            ways.append("in_person")
    if not ways:
        broken.append("reach")
    return broken


def clear_directory() -> None:
    db.session.rollback()
    for table in (ActivitySession, CapacityChange):
        db.session.execute(delete(table))
    db.session.execute(delete(search_document))
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("DELETE FROM search_fts"))
    db.session.execute(delete(Activity))
    db.session.execute(delete(Organisation))
    db.session.commit()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    directory=st.lists(listings(), min_size=30, max_size=45),
    body=people(),
    require_kite_mark=st.sampled_from([False, False, False, True]),
    weights=st.none() | st.fixed_dictionaries({key: st.floats(0, 1) for key in DEFAULT_WEIGHTS}),
)
def test_match_returns_only_eligible_listings_and_all_of_them_when_there_is_room(
    app: Flask,
    monkeypatch: pytest.MonkeyPatch,
    directory: list[dict[str, Any]],
    body: dict[str, Any],
    require_kite_mark: bool,
    weights: dict[str, float] | None,
) -> None:
    # Tiny batches, so that the early stop (by the score's upper bound) is exercised.
    monkeypatch.setattr(engine, "BATCH", 2)
    monkeypatch.setattr(engine, "BATCH_PER_RESULT", 1)
    clear_directory()
    organisation = Organisation(name="Property Test Org")
    db.session.add(organisation)
    entered: dict[int, dict[str, Any]] = {}
    rows = []
    for listing in directory:
        activity = Activity(organisation=organisation, status=listing["status"])
        apply_listing(activity, parse_listing(listing["raw"]))
        activity.kite_mark = listing["kite_mark"]
        db.session.add(activity)
        rows.append((activity, listing["raw"]))
    db.session.commit()
    for activity, raw in rows:
        entered[activity.id] = raw
    app.config["MATCH_REQUIRE_KITE_MARK"] = require_kite_mark
    app.config["MATCH_WEIGHTS"] = weights

    person = parse_person(body)
    results = match(person)

    stored = {a.id: a for a in db.session.scalars(select(Activity))}
    verdicts = {
        activity_id: broken_rules(stored[activity_id], raw, body, require_kite_mark)
        for activity_id, raw in entered.items()
    }
    eligible = {i for i, broken in verdicts.items() if broken == []}
    undecided = {i for i, broken in verdicts.items() if broken is None}
    returned = [r.candidate.activity_id for r in results]
    # Steer generation towards directories where much is eligible: the interesting cases.
    target(float(len(eligible)), label="eligible listings")
    event("room left" if len(returned) < person.limit else "results full")

    assert len(returned) == len(set(returned)), "no listing twice"
    assert len(returned) <= person.limit
    for result in results:
        activity_id = result.candidate.activity_id
        assert verdicts[activity_id] in ([], None), (
            f"activity {activity_id} breaks {verdicts[activity_id]}: {entered[activity_id]}"
        )
    assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    if len(returned) < person.limit:
        missing = eligible - set(returned)
        assert not missing, {i: entered[i] for i in missing}
        assert set(returned) - undecided == eligible
    else:
        assert len(eligible | undecided) >= person.limit
    # Stopping early never changes the answer: the top `limit` scores of everything eligible
    # (where several listings tie for the last place, any of them will do).
    everything = match(replace(person, limit=MAX_LIMIT))
    assert len(everything) < MAX_LIMIT
    assert [r.score for r in results] == [r.score for r in everything[: person.limit]]
    cut = everything[person.limit - 1].score if len(everything) >= person.limit else -1.0
    assert {r.candidate.activity_id for r in everything if r.score > cut} <= set(returned)
    # It rests on the database's bound being at least the exact score, for every listing.
    connection = db.session.connection()
    bound = engine.score_bound(
        person,
        {**DEFAULT_WEIGHTS, **(weights or {})},
        utcnow(),
        app.config["STALE_AFTER_DAYS"],
        engine.interest_flags(engine._interest_concepts(person), connection.dialect.name),
        engine._has_math_functions(connection),
    )
    bounds = {
        row[0]: row[1] for row in db.session.execute(select(search_document.c.activity_id, bound))
    }
    for r in everything:
        assert float(bounds[r.candidate.activity_id]) >= r.score - 1e-4, (r.parts, r.candidate)
