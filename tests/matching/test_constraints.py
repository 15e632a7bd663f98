"""Hard constraints: each one on its own excludes an activity, with a reason; the defaults
(helpers.candidate and helpers.person) are eligible, so every exclusion below is caused by
the one field each test changes."""

from __future__ import annotations

import pytest

from spdirectory.matching import Rules, violations
from spdirectory.matching.constraints import distance_to, usable_modes

from .helpers import BD3_9AA, LS1_1AZ, LS6_4AB, candidate, person

RULES = Rules()


def test_the_defaults_are_eligible() -> None:
    assert violations(candidate(), person(), RULES) == []
    assert usable_modes(candidate(), person()) == ["in_person"]


# ---- age ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "age_min", "age_max", "broken"),
    [
        (17, 18, None, "for ages 18 and over"),
        (66, None, 65, "for ages up to 65"),
        (10, 11, 16, "for ages 11 and over"),
        (17, 11, 16, "for ages up to 16"),
    ],
)
def test_age_outside_the_range_excludes(
    age: int, age_min: int | None, age_max: int | None, broken: str
) -> None:
    found = violations(candidate(age_min=age_min, age_max=age_max), person(age=age), RULES)
    assert found == [broken]


@pytest.mark.parametrize(
    ("age", "age_min", "age_max"), [(18, 18, None), (65, None, 65), (11, 11, 16), (16, 11, 16)]
)
def test_age_bounds_are_inclusive(age: int, age_min: int | None, age_max: int | None) -> None:
    assert violations(candidate(age_min=age_min, age_max=age_max), person(age=age), RULES) == []


def test_unknown_age_is_not_excluded_by_age_limits() -> None:
    assert violations(candidate(age_min=18, age_max=25), person(age=None), RULES) == []


# ---- distance, delivery mode and wheelchair access --------------------------------------

REACH = "cannot be reached (distance, access or delivery mode)"


def test_in_person_beyond_max_distance_excludes() -> None:
    far = candidate(latitude=BD3_9AA[0], longitude=BD3_9AA[1])
    p = person(max_distance_km=10)
    assert distance_to(far, p) == pytest.approx(12.3, abs=0.2)
    assert violations(far, p, RULES) == [REACH]
    assert usable_modes(far, p) == []
    # The same place is fine for someone willing to travel further.
    assert violations(far, person(max_distance_km=15), RULES) == []


def test_far_but_online_suits() -> None:
    far = candidate(latitude=BD3_9AA[0], longitude=BD3_9AA[1], modes=["in_person", "online"])
    assert usable_modes(far, person(max_distance_km=5)) == ["online"]
    assert violations(far, person(max_distance_km=5), RULES) == []


def test_far_and_online_but_the_person_cannot_go_online() -> None:
    far = candidate(latitude=BD3_9AA[0], longitude=BD3_9AA[1], modes=["in_person", "online"])
    p = person(max_distance_km=5, modes=["in_person", "phone"])
    assert violations(far, p, RULES) == [REACH]


def test_phone_activity_with_no_location_suits_a_phone_person() -> None:
    remote = candidate(modes=["phone"], latitude=None, longitude=None)
    assert usable_modes(remote, person(modes=["phone"], latitude=None, longitude=None)) == ["phone"]
    assert violations(remote, person(modes=["online"]), RULES) == [REACH]


def test_in_person_activity_without_a_location_cannot_be_reached_in_person() -> None:
    nowhere = candidate(latitude=None, longitude=None)
    assert violations(nowhere, person(), RULES) == [REACH]


def test_person_without_a_location_cannot_meet_in_person() -> None:
    assert violations(candidate(), person(latitude=None, longitude=None), RULES) == [REACH]


def test_mode_the_person_does_not_use_excludes() -> None:
    assert violations(candidate(modes=["online"]), person(modes=["in_person"]), RULES) == [REACH]


@pytest.mark.parametrize("accessible", [False, None])
def test_wheelchair_needed_but_absent_or_unknown_excludes(accessible: bool | None) -> None:
    c = candidate(wheelchair_accessible=accessible)
    assert violations(c, person(wheelchair=True), RULES) == [REACH]
    assert violations(c, person(wheelchair=False), RULES) == []


def test_wheelchair_needed_and_accessible() -> None:
    assert violations(candidate(wheelchair_accessible=True), person(wheelchair=True), RULES) == []


def test_wheelchair_needed_but_online_suits() -> None:
    c = candidate(wheelchair_accessible=False, modes=["in_person", "online"])
    assert usable_modes(c, person(wheelchair=True)) == ["online"]
    assert violations(c, person(wheelchair=True), RULES) == []


def test_distance_boundary_is_inclusive() -> None:
    c = candidate(latitude=LS6_4AB[0], longitude=LS6_4AB[1])
    exact = distance_to(c, person())
    assert exact is not None
    assert violations(c, person(max_distance_km=exact), RULES) == []
    assert violations(c, person(max_distance_km=exact - 0.01), RULES) == [REACH]


# ---- cost -----------------------------------------------------------------------------


@pytest.mark.parametrize("cost", [350, 1, None])
def test_free_required_but_costs_or_cost_unknown_excludes(cost: int | None) -> None:
    assert violations(candidate(cost_pence=cost), person(free_only=True), RULES) == ["not free"]
    assert violations(candidate(cost_pence=cost), person(free_only=False), RULES) == []


def test_free_required_and_free() -> None:
    assert violations(candidate(cost_pence=0), person(free_only=True), RULES) == []


# ---- language -------------------------------------------------------------------------

LANGUAGE = "not in the person's language"


def test_language_not_offered_excludes() -> None:
    assert violations(candidate(languages=["en"]), person(languages=["pl"]), RULES) == [LANGUAGE]


def test_any_shared_language_is_enough() -> None:
    c = candidate(languages=["en", "ur"])
    assert violations(c, person(languages=["pa", "ur"]), RULES) == []


def test_no_languages_listed_counts_as_english() -> None:
    assert violations(candidate(languages=[]), person(languages=["en"]), RULES) == []
    assert violations(candidate(languages=[]), person(languages=["pl"]), RULES) == [LANGUAGE]


def test_no_language_required_means_any() -> None:
    assert violations(candidate(languages=["pl"]), person(languages=[]), RULES) == []


# ---- referral route, publication, kite mark ----------------------------------------------


def test_no_link_worker_route_excludes() -> None:
    found = violations(candidate(routes=["self"]), person(), RULES)
    assert found == ["does not take link-worker referrals"]


def test_unpublished_excludes() -> None:
    assert violations(candidate(published=False), person(), RULES) == ["not published"]


@pytest.mark.parametrize("kite_mark", ["none", "pending", "expired", "suspended"])
def test_kite_mark_required(kite_mark: str) -> None:
    c = candidate(kite_mark=kite_mark)
    assert violations(c, person(), Rules(require_kite_mark=True)) == ["not kite-marked"]
    assert violations(c, person(), Rules(require_kite_mark=False)) == []


def test_kite_mark_required_and_awarded() -> None:
    assert violations(candidate(kite_mark="awarded"), person(), Rules(require_kite_mark=True)) == []


# ---- several at once ------------------------------------------------------------------


def test_every_broken_constraint_is_listed() -> None:
    c = candidate(
        published=False,
        routes=["self"],
        age_min=18,
        cost_pence=None,
        languages=["ur"],
        kite_mark="none",
        latitude=BD3_9AA[0],
        longitude=BD3_9AA[1],
    )
    p = person(age=16, free_only=True, languages=["pl"], max_distance_km=2)
    assert violations(c, p, Rules(require_kite_mark=True)) == [
        "not published",
        "does not take link-worker referrals",
        "for ages 18 and over",
        "not free",
        LANGUAGE,
        "not kite-marked",
        REACH,
    ]


def test_distance_is_great_circle_km() -> None:
    # LS1 1AZ → BD3 9AA, measured independently of the code under test.
    assert distance_to(
        candidate(latitude=BD3_9AA[0], longitude=BD3_9AA[1]),
        person(latitude=LS1_1AZ[0], longitude=LS1_1AZ[1]),
    ) == pytest.approx(11.79, abs=0.05)
