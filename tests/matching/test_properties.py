"""Property tests of the pure rules: for any activity and any person, the hard constraints
agree with an independent statement of them written here, usable_modes and violations
agree with each other, and scores stay in range with their reasons."""

from __future__ import annotations

import math
from datetime import time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from spdirectory.matching import Rules, score_candidate, violations
from spdirectory.matching.candidate import Candidate
from spdirectory.matching.constraints import usable_modes
from spdirectory.matching.profile import Person, Window

from .helpers import NOW, session

MODES = ["in_person", "online", "phone"]
LANGS = ["en", "pl", "ur", "pa"]
NEEDS = ["loneliness", "low_mood", "confidence", "money_debt"]
# A few points around Leeds and Bradford, and "no location".
PLACES = [
    (53.796296, -1.564095),
    (53.82466, -1.576213),
    (53.797038, -1.743564),
    (53.759244, -1.565844),
    (53.925161, -1.823807),
    None,
]


def sublist(items: list[str], min_size: int = 0) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(items), min_size=min_size, unique=True)


sessions = st.lists(
    st.builds(
        lambda day, start, length: session(
            day, f"{start:02d}:00", f"{min(start + length, 23):02d}:30"
        ),
        st.integers(0, 6),
        st.integers(6, 21),
        st.integers(0, 2),
    ),
    max_size=3,
)


@st.composite
def candidates(draw: st.DrawFn) -> Candidate:
    place = draw(st.sampled_from(PLACES))
    age_min = draw(st.none() | st.integers(0, 90))
    age_max = draw(st.none() | st.integers(age_min or 0, 120))
    return Candidate(
        activity_id=draw(st.integers(1, 10_000)),
        title="Activity",
        needs=draw(sublist(NEEDS)),
        modes=draw(sublist(MODES, 1)),
        routes=draw(sublist(["self", "link_worker"])),
        languages=draw(sublist(LANGS)),
        kite_mark=draw(st.sampled_from(["none", "pending", "awarded", "expired", "suspended"])),
        spare_places=draw(st.integers(0, 5)),
        waitlist_open=draw(st.booleans()),
        cost_pence=draw(st.sampled_from([None, 0, 0, 250])),
        age_min=age_min,
        age_max=age_max,
        wheelchair_accessible=draw(st.sampled_from([None, True, False])),
        latitude=place[0] if place else None,
        longitude=place[1] if place else None,
        capacity_updated_at=NOW - timedelta(days=draw(st.integers(0, 400))),
        sessions=draw(sessions),
        published=draw(st.booleans()),
    )


@st.composite
def persons(draw: st.DrawFn) -> Person:
    place = draw(st.sampled_from(PLACES))
    windows = draw(
        st.lists(
            st.builds(
                lambda day, start, length: Window(day, time(start), time(min(start + length, 23))),
                st.integers(0, 6),
                st.integers(6, 20),
                st.integers(1, 6),
            ),
            max_size=3,
        )
    )
    return Person(
        latitude=place[0] if place else None,
        longitude=place[1] if place else None,
        max_distance_km=draw(st.floats(0.5, 40)),
        needs=draw(sublist(NEEDS)),
        interests=draw(st.sampled_from(["", "singing"])),
        age=draw(st.none() | st.integers(0, 110)),
        availability=windows,
        modes=draw(sublist(MODES, 1)),
        wheelchair=draw(st.booleans()),
        free_only=draw(st.booleans()),
        languages=draw(sublist(LANGS)),
        limit=10,
    )


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.009 * math.asin(math.sqrt(h))


def reachable_by(c: Candidate, p: Person) -> set[str]:
    """The modes by which this person can take part, stated independently."""
    ways = {m for m in ("online", "phone") if m in c.modes and m in p.modes}
    meets = "in_person" in c.modes and "in_person" in p.modes
    if not meets or c.latitude is None or c.longitude is None:
        return ways
    if p.latitude is None or p.longitude is None:
        return ways
    close = haversine_km((p.latitude, p.longitude), (c.latitude, c.longitude))
    step_free = c.wheelchair_accessible is True or not p.wheelchair
    if close <= p.max_distance_km and step_free:
        ways.add("in_person")
    return ways


def eligible(c: Candidate, p: Person, require_kite_mark: bool) -> bool:
    spoken = set(c.languages) or {"en"}
    return (
        c.published
        and "link_worker" in c.routes
        and (p.age is None or c.age_min is None or p.age >= c.age_min)
        and (p.age is None or c.age_max is None or p.age <= c.age_max)
        and (not p.free_only or c.cost_pence == 0)
        and (not p.languages or bool(spoken & set(p.languages)))
        and (not require_kite_mark or c.kite_mark == "awarded")
        and bool(reachable_by(c, p))
    )


@given(candidates(), persons(), st.booleans())
def test_violations_agree_with_an_independent_statement(
    c: Candidate, p: Person, require_kite_mark: bool
) -> None:
    broken = violations(c, p, Rules(require_kite_mark=require_kite_mark))
    assert (not broken) == eligible(c, p, require_kite_mark), broken
    assert len(broken) == len(set(broken)), "each constraint is named once"


@given(candidates(), persons(), st.booleans())
def test_usable_modes_and_violations_agree(
    c: Candidate, p: Person, require_kite_mark: bool
) -> None:
    modes = usable_modes(c, p)
    assert set(modes) == reachable_by(c, p)
    assert set(modes) <= set(c.modes) & set(p.modes)
    unreachable = "cannot be reached (distance, access or delivery mode)"
    assert (unreachable in violations(c, p, Rules(require_kite_mark))) == (not modes)


@given(candidates(), persons(), st.floats(0, 1), st.booleans())
def test_eligible_candidates_get_a_score_in_range_with_reasons(
    c: Candidate, p: Person, relevance: float, require_kite_mark: bool
) -> None:
    if violations(c, p, Rules(require_kite_mark)):
        return
    s = score_candidate(c, p, text_relevance=relevance, now=NOW, stale_after_days=30)
    assert 0.0 <= s.score <= 1.0
    assert s.reasons, "an eligible activity always comes with at least one reason"
    modes = usable_modes(c, p)
    # A distance is claimed only when the person can actually get there.
    claims_distance = any(r.endswith(" km away") for r in s.reasons)
    assert claims_distance == ("in_person" in modes)
    if claims_distance:
        assert s.distance_km is not None and s.distance_km <= p.max_distance_km
    assert (s.parts["capacity"] == 1.0) == (c.spare_places > 0)
