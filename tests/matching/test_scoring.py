"""The soft score: what ranks higher, and the reasons and warnings a link worker reads."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from spdirectory.matching import DEFAULT_WEIGHTS, Scored, score_candidate
from spdirectory.matching.candidate import Candidate
from spdirectory.matching.profile import Person

from .helpers import BD3_9AA, LS1_1AZ, LS6_4AB, NOW, candidate, person, session, window

STALE_AFTER = 30
# 1.23 km from LS1 1AZ (due east, in Leeds city centre).
NEAR_LS1_1AZ = (53.7968, -1.5454)


def score(c: Candidate, p: Person | None = None, **kwargs: Any) -> Scored:
    options: dict[str, Any] = {"text_relevance": 0.0, "now": NOW, "stale_after_days": STALE_AFTER}
    options.update(kwargs)
    return score_candidate(c, p or person(), **options)


def test_score_is_between_0_and_1_and_parts_are_kept() -> None:
    s = score(candidate())
    assert 0.0 <= s.score <= 1.0
    assert set(s.parts) == set(DEFAULT_WEIGHTS)
    assert all(0.0 <= v <= 1.0 for v in s.parts.values())


# ---- ranking properties ----------------------------------------------------------------


def test_more_needs_covered_ranks_higher() -> None:
    p = person(needs=["loneliness", "low_mood", "confidence"])
    one = score(candidate(needs=["loneliness"]), p)
    two = score(candidate(needs=["loneliness", "low_mood"]), p)
    three = score(candidate(needs=["loneliness", "low_mood", "confidence", "weight"]), p)
    none = score(candidate(needs=["weight"]), p)
    assert none.score < one.score < two.score < three.score


def test_closer_ranks_higher() -> None:
    p = person(latitude=LS1_1AZ[0], longitude=LS1_1AZ[1], max_distance_km=20)
    here = score(candidate(), p)
    near = score(candidate(latitude=NEAR_LS1_1AZ[0], longitude=NEAR_LS1_1AZ[1]), p)
    middle = score(candidate(latitude=LS6_4AB[0], longitude=LS6_4AB[1]), p)
    far = score(candidate(latitude=BD3_9AA[0], longitude=BD3_9AA[1]), p)
    assert here.score > near.score > middle.score > far.score
    assert here.distance_km == pytest.approx(0.0)
    assert far.distance_km == pytest.approx(11.79, abs=0.05)


def test_spare_places_beat_waitlist_beat_full() -> None:
    spare = score(candidate(spare_places=1))
    waitlist = score(candidate(spare_places=0, waitlist_open=True))
    full = score(candidate(spare_places=0, waitlist_open=False))
    assert spare.score > waitlist.score > full.score


def test_stale_capacity_is_demoted_more_the_older_it_gets() -> None:
    fresh = score(candidate(capacity_updated_at=NOW - timedelta(days=STALE_AFTER)))
    stale = score(candidate(capacity_updated_at=NOW - timedelta(days=STALE_AFTER + 1)))
    staler = score(candidate(capacity_updated_at=NOW - timedelta(days=3 * STALE_AFTER)))
    ancient = score(candidate(capacity_updated_at=NOW - timedelta(days=10 * STALE_AFTER)))
    assert fresh.score > stale.score > staler.score > ancient.score
    assert ancient.parts["freshness"] == 0.0


def test_kite_mark_helps() -> None:
    awarded = score(candidate(kite_mark="awarded"))
    pending = score(candidate(kite_mark="pending"))
    none = score(candidate(kite_mark="none"))
    assert awarded.score > pending.score > none.score
    assert score(candidate(kite_mark="expired")).score == none.score


def test_times_that_fit_rank_higher() -> None:
    p = person(availability=[window(3, "17:00", "21:00")])
    fits = score(candidate(sessions=[session(3, "18:30", "20:00")]), p)
    half = score(
        candidate(sessions=[session(3, "18:30", "20:00"), session(0, "10:00", "11:00")]), p
    )
    never = score(candidate(sessions=[session(0, "10:00", "11:00")]), p)
    assert fits.score > half.score > never.score


def test_interest_relevance_ranks_higher() -> None:
    p = person(interests="singing")
    assert score(candidate(), p, text_relevance=1.0).score > score(candidate(), p).score


def test_hybrid_activity_is_never_worse_reached_than_an_online_only_one() -> None:
    # 3.3 km away in person, or online: online needs no travel at all.
    hybrid = candidate(latitude=LS6_4AB[0], longitude=LS6_4AB[1], modes=["in_person", "online"])
    online = candidate(latitude=None, longitude=None, modes=["online"])
    p = person(latitude=LS1_1AZ[0], longitude=LS1_1AZ[1])
    assert score(hybrid, p).parts["distance"] >= score(online, p).parts["distance"]
    assert score(hybrid, p).score >= score(online, p).score
    assert "3.3 km away" in score(hybrid, p).reasons
    assert "Also takes part online – no travel" in score(hybrid, p).reasons


# ---- reasons and warnings -------------------------------------------------------------


def test_reasons_for_a_good_match() -> None:
    c = candidate(
        needs=["loneliness", "low_mood", "weight"],
        sessions=[session(3, "18:30", "20:00")],
        spare_places=4,
        kite_mark="awarded",
        capacity_updated_at=NOW - timedelta(days=3),
    )
    p = person(
        latitude=NEAR_LS1_1AZ[0],
        longitude=NEAR_LS1_1AZ[1],
        needs=["loneliness", "low_mood"],
        interests="singing",
        availability=[window(3, "17:00", "21:00")],
    )
    s = score(c, p, text_relevance=0.7)
    assert s.reasons == [
        "Helps with loneliness and low mood",
        "Matches “singing”",
        "1.2 km away",
        "Thursday 18:30 fits your evenings",
        "4 places free",
        "Kite-marked",
        "Capacity confirmed 3 days ago",
    ]
    assert s.warnings == []
    assert s.distance_km == pytest.approx(1.23, abs=0.01)


@pytest.mark.parametrize(
    ("needs", "reason"),
    [
        (["loneliness"], "Helps with loneliness"),
        (
            ["loneliness", "low_mood", "confidence"],
            "Helps with loneliness, low mood and confidence",
        ),
    ],
)
def test_needs_reason_lists_the_needs_covered(needs: list[str], reason: str) -> None:
    c = candidate(needs=["loneliness", "low_mood", "confidence"])
    assert reason in score(c, person(needs=needs)).reasons


@pytest.mark.parametrize(
    ("starts", "ends", "day", "part"),
    [("09:30", "11:00", 0, "Monday 09:30 fits your mornings"),
     ("13:00", "15:00", 5, "Saturday 13:00 fits your afternoons"),
     ("18:30", "20:00", 3, "Thursday 18:30 fits your evenings")],
)  # fmt: skip
def test_time_reason_names_day_time_and_part_of_day(
    starts: str, ends: str, day: int, part: str
) -> None:
    p = person(availability=[window(day, "08:00", "22:00")])
    assert part in score(candidate(sessions=[session(day, starts, ends)]), p).reasons


def test_session_only_partly_inside_the_window_does_not_fit() -> None:
    p = person(availability=[window(3, "17:00", "19:00")])
    s = score(candidate(sessions=[session(3, "18:30", "20:00")]), p)
    assert s.warnings == ["No session fits the times given"]
    assert s.parts["times"] == 0.0


def test_times_by_arrangement_warning() -> None:
    assert "Times by arrangement" in score(candidate(sessions=[])).warnings


@pytest.mark.parametrize(("places", "reason"), [(1, "1 place free"), (4, "4 places free")])
def test_places_reason(places: int, reason: str) -> None:
    assert reason in score(candidate(spare_places=places)).reasons


def test_waitlist_only_warning() -> None:
    s = score(candidate(spare_places=0, waitlist_open=True))
    assert "Waitlist only" in s.warnings
    assert not any("free" in r and "place" in r for r in s.reasons)


def test_full_warning() -> None:
    s = score(candidate(spare_places=0, waitlist_open=False))
    assert "Full – no waiting list at the moment" in s.warnings


@pytest.mark.parametrize(
    ("days", "reason"),
    [(0, "Capacity confirmed today"), (1, "Capacity confirmed 1 day ago"),
     (3, "Capacity confirmed 3 days ago"), (30, "Capacity confirmed 30 days ago")],
)  # fmt: skip
def test_freshness_reason(days: int, reason: str) -> None:
    s = score(candidate(capacity_updated_at=NOW - timedelta(days=days)))
    assert reason in s.reasons
    assert not any(w.startswith("Capacity not confirmed") for w in s.warnings)


def test_stale_warning() -> None:
    s = score(candidate(capacity_updated_at=NOW - timedelta(days=45)))
    assert "Capacity not confirmed for 45 days" in s.warnings
    assert not any(r.startswith("Capacity confirmed") for r in s.reasons)


def test_kite_marked_reason_only_when_awarded() -> None:
    assert "Kite-marked" in score(candidate(kite_mark="awarded")).reasons
    assert "Kite-marked" not in score(candidate(kite_mark="pending")).reasons


def test_remote_reason() -> None:
    c = candidate(modes=["online", "phone"], latitude=None, longitude=None)
    s = score(c, person())
    assert "Takes part online and by phone – no travel" in s.reasons
    assert not any(r.endswith("km away") for r in s.reasons)


def test_wheelchair_reason_when_the_person_needs_it() -> None:
    c = candidate(wheelchair_accessible=True)
    assert "Wheelchair accessible" in score(c, person(wheelchair=True)).reasons
    assert "Wheelchair accessible" not in score(c, person(wheelchair=False)).reasons


def test_interest_reason_only_with_relevance() -> None:
    p = person(interests="singing")
    assert "Matches “singing”" in score(candidate(), p, text_relevance=0.2).reasons
    assert not any(r.startswith("Matches") for r in score(candidate(), p).reasons)


# ---- weights ----------------------------------------------------------------------------


def test_weights_change_the_ranking() -> None:
    # A: meets every need but far (9 km); B: meets one of two needs, next door.
    p = person(latitude=LS1_1AZ[0], longitude=LS1_1AZ[1], needs=["loneliness", "low_mood"])
    far_fit = candidate(needs=["loneliness", "low_mood"], latitude=53.7968, longitude=-1.4280)
    near = candidate(needs=["loneliness"])
    assert score(far_fit, p).distance_km == pytest.approx(9.0, abs=0.2)
    needs_first = {"needs": 1.0, "distance": 0.05}
    distance_first = {"needs": 0.05, "distance": 1.0}
    assert score(far_fit, p, weights=needs_first).score > score(near, p, weights=needs_first).score
    assert (
        score(near, p, weights=distance_first).score
        > score(far_fit, p, weights=distance_first).score
    )


def test_partial_weights_are_merged_with_the_defaults() -> None:
    c = candidate()
    assert score(c, weights={}).score == score(c).score
    assert score(c, weights={"kite_mark": DEFAULT_WEIGHTS["kite_mark"]}).score == score(c).score


def test_all_zero_weights_do_not_crash() -> None:
    zero = dict.fromkeys(DEFAULT_WEIGHTS, 0.0)
    assert score(candidate(), weights=zero).score == 0.0
