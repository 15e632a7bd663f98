"""Hard constraints: an activity that breaks any of them is never suggested."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ..geo import distance_km
from .candidate import Candidate
from .profile import Person


@dataclass(frozen=True)
class Rules:
    require_kite_mark: bool = False


@lru_cache(maxsize=4096)
def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    # Each candidate's distance is wanted three times (constraints, then scoring), and
    # geopy's great circle costs tens of microseconds a call.
    return distance_km(lat1, lon1, lat2, lon2)


def distance_to(candidate: Candidate, person: Person) -> float | None:
    if not person.located or candidate.latitude is None or candidate.longitude is None:
        return None
    assert person.latitude is not None and person.longitude is not None
    return _km(person.latitude, person.longitude, candidate.latitude, candidate.longitude)


def usable_modes(candidate: Candidate, person: Person) -> list[str]:
    """The ways this person could take part: remote modes always reach; in person only when
    the place is within their distance and (if they need it) wheelchair accessible."""
    modes = []
    for mode in candidate.modes:
        if mode not in person.modes:
            continue
        if mode == "in_person":
            distance = distance_to(candidate, person)
            if distance is None or distance > person.max_distance_km:
                continue
            if person.wheelchair and candidate.wheelchair_accessible is not True:
                continue
        modes.append(mode)
    return modes


def violations(candidate: Candidate, person: Person, rules: Rules) -> list[str]:
    """Every hard constraint the activity breaks for this person (empty: eligible)."""
    broken = []
    if not candidate.published:
        broken.append("not published")
    if "link_worker" not in candidate.routes:
        broken.append("does not take link-worker referrals")
    if person.age is not None:
        if candidate.age_min is not None and person.age < candidate.age_min:
            broken.append(f"for ages {candidate.age_min} and over")
        if candidate.age_max is not None and person.age > candidate.age_max:
            broken.append(f"for ages up to {candidate.age_max}")
    if person.free_only and candidate.cost_pence != 0:
        broken.append("not free")
    if person.languages and not set(person.languages) & set(candidate.languages or ["en"]):
        broken.append("not in the person's language")
    if rules.require_kite_mark and candidate.kite_mark != "awarded":
        broken.append("not kite-marked")
    if not usable_modes(candidate, person):
        broken.append("cannot be reached (distance, access or delivery mode)")
    return broken
