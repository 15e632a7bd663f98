"""match() on the database: examples of what the property test checks in general, plus
interests, staleness and language spelling, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from spdirectory.extensions import db
from spdirectory.matching import match, parse_person

LEEDS = "LS1 4AP"


def ids(body: dict[str, Any]) -> list[int]:
    return [s.candidate.activity_id for s in match(parse_person(body))]


def test_each_hard_constraint_excludes_on_the_database(app: Flask, make: Any) -> None:
    org = make.organisation()
    ok = make.activity(org, title="Fine", needs="loneliness")
    excluded = [
        make.activity(org, title="Too young", age_min="18"),
        make.activity(org, title="Too old", age_max="12"),
        make.activity(org, title="Far", postcode="BD3 9AA"),
        make.activity(org, title="Steps", wheelchair_accessible="no"),
        make.activity(org, title="Unknown access", wheelchair_accessible=""),
        make.activity(org, title="Costs", cost="2.50"),
        make.activity(org, title="Cost unknown", cost=""),
        make.activity(org, title="Polish", languages="pl"),
        make.activity(org, title="Self only", referral_routes="self"),
        make.activity(org, title="Draft", status="draft"),
        make.activity(org, title="Archived", status="archived"),
    ]
    online_far = make.activity(
        org, title="Online too", postcode="BD3 9AA", modes="in_person;online"
    )
    make.commit()
    body = {
        "postcode": LEEDS,
        "max_distance_km": 5,
        "age": 14,
        "requires": {"wheelchair": False, "free": True, "languages": ["ur", "English"]},
    }
    found = set(ids(body))
    # Age 14: "Too young" (18+) is out, "Too old" (up to 12) is out; Bradford is 12 km.
    assert ok.id in found and online_far.id in found
    wheelchair_ok = {a.id for a in excluded if a.title in ("Steps", "Unknown access")}
    assert found == {ok.id, online_far.id} | wheelchair_ok
    # Needing step-free access excludes the two without it, but not what runs online.
    found = set(ids({**body, "requires": {**body["requires"], "wheelchair": True}}))
    assert found == {online_far.id}


@pytest.mark.parametrize("asked", ["en", "EN", "eng", "English"])
@pytest.mark.parametrize("listed", ["", "en", "English", "en;pl"])
def test_english_matches_however_it_is_spelled(
    app: Flask, make: Any, asked: str, listed: str
) -> None:
    """A listing with no languages counts as English, and "en", "eng" and "English" mean
    the same on a listing and in a request."""
    org = make.organisation()
    activity = make.activity(org, languages=listed)
    make.commit()
    assert ids({"postcode": LEEDS, "requires": {"languages": [asked]}}) == [activity.id]


def test_interests_raise_matching_activities(app: Flask, make: Any) -> None:
    org = make.organisation()
    plain = make.activity(
        org, title="Tuesday group", description="Tea and a chat", categories="social_group"
    )
    choir = make.activity(
        org, title="Community choir", description="We sing", categories="music_singing"
    )
    make.commit()
    # Everything else equal (same place, same needs), the choir wins on interest alone.
    assert plain.id < choir.id
    results = match(parse_person({"postcode": LEEDS, "interests": "singing"}))
    assert [s.candidate.activity_id for s in results] == [choir.id, plain.id]
    assert "Matches “singing”" in results[0].reasons
    assert not any(r.startswith("Matches") for r in results[1].reasons)


def test_interests_in_a_sentence_still_count(app: Flask, make: Any) -> None:
    """Link workers type interests as they hear them; any interest that matches counts."""
    org = make.organisation()
    choir = make.activity(
        org, title="Community choir", description="We sing", categories="music_singing"
    )
    walk = make.activity(org, title="Tuesday walk", description="A stroll", categories="walking")
    plain = make.activity(
        org, title="Tuesday group", description="Tea and a chat", categories="social_group"
    )
    make.commit()
    results = match(parse_person({"postcode": LEEDS, "interests": "she likes singing and walking"}))
    by_id = {s.candidate.activity_id: s for s in results}
    assert by_id[choir.id].parts["interests"] > 0
    assert by_id[walk.id].parts["interests"] > 0
    assert by_id[plain.id].parts["interests"] == 0
    assert [s.candidate.activity_id for s in results][-1] == plain.id
    assert "Matches “singing”" in by_id[choir.id].reasons
    assert "Matches “walking”" in by_id[walk.id].reasons


def test_stale_listings_are_demoted_end_to_end(app: Flask, make: Any) -> None:
    org = make.organisation()
    stale = make.activity(org, title="Old news", capacity_updated_at=make.days_ago(90))
    fresh = make.activity(org, title="Current", capacity_updated_at=make.days_ago(2))
    make.commit()
    assert stale.id < fresh.id
    results = match(parse_person({"postcode": LEEDS}))
    assert [s.candidate.activity_id for s in results] == [fresh.id, stale.id]
    assert "Capacity not confirmed for 90 days" in results[1].warnings


def test_changes_are_seen_at_once(app: Flask, make: Any) -> None:
    org = make.organisation()
    activity = make.activity(org)
    make.commit()
    assert ids({"postcode": LEEDS}) == [activity.id]
    activity.referral_routes = ["self"]
    db.session.commit()
    assert ids({"postcode": LEEDS}) == []
    activity.referral_routes = ["self", "link_worker"]
    activity.status = "archived"
    db.session.commit()
    assert ids({"postcode": LEEDS}) == []


def test_limit_and_order(app: Flask, make: Any) -> None:
    org = make.organisation()
    made = [make.activity(org, spare_places=str(n)) for n in range(4)]
    make.commit()
    results = match(parse_person({"postcode": LEEDS, "limit": 3}))
    assert len(results) == 3
    # Spare places beat none; among equals the lower id comes first (a stable order).
    assert [s.candidate.activity_id for s in results] == [made[1].id, made[2].id, made[3].id]
