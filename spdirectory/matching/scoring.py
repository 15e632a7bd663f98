"""The soft score and its plain-English reasons. Weights are configuration (MATCH_WEIGHTS)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, time

from .. import vocab
from .candidate import Candidate, Session
from .constraints import distance_to, usable_modes
from .profile import Person

DEFAULT_WEIGHTS: dict[str, float] = {
    "needs": 0.30,
    "interests": 0.15,
    "distance": 0.15,
    "times": 0.10,
    "capacity": 0.15,
    "kite_mark": 0.05,
    "freshness": 0.10,
}
DISTANCE_SCALE_KM = 3.0  # score halves roughly every 2 km at this scale (exp decay)
# Taking part online or by phone needs no travel, but social prescribing is about the
# community near the person: remote counts like meeting in person about 3 km away
# (e^(-3/3) ≈ 0.37), so a national phone line does not outrank the group round the corner.
REMOTE_REACH = 0.35


@dataclass
class Scored:
    candidate: Candidate
    score: float
    distance_km: float | None
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parts: dict[str, float] = field(default_factory=dict)


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _part_of_day(start: time) -> str:
    if start.hour < 12:
        return "mornings"
    if start.hour < 17:
        return "afternoons"
    return "evenings"


def _fitting_sessions(candidate: Candidate, person: Person) -> list[Session]:
    return [
        s
        for s in candidate.sessions
        if any(w.contains(s.day_index, s.starts, s.ends) for w in person.availability)
    ]


def score_candidate(
    candidate: Candidate,
    person: Person,
    *,
    text_relevance: float,
    matched_interests: list[str] | None = None,
    now: datetime,
    stale_after_days: int,
    weights: dict[str, float] | None = None,
) -> Scored:
    """Score an eligible candidate in [0, 1] and explain it. text_relevance is in [0, 1];
    matched_interests, when given, are the person's interests the activity matches (named
    in the reasons instead of the whole of person.interests)."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    reasons: list[str] = []
    warnings: list[str] = []
    parts: dict[str, float] = {}

    covered = [n for n in person.needs if n in candidate.needs]
    parts["needs"] = len(covered) / len(person.needs) if person.needs else 0.5
    if covered:
        reasons.append(
            "Helps with " + _join([vocab.label(vocab.NEEDS, n).lower() for n in covered])
        )

    parts["interests"] = max(0.0, min(text_relevance, 1.0))
    if matched_interests:
        reasons.append("Matches " + _join([f"“{term}”" for term in matched_interests]))
    elif matched_interests is None and person.interests and text_relevance > 0:
        reasons.append(f"Matches “{person.interests}”")

    modes = usable_modes(candidate, person)
    distance = distance_to(candidate, person)
    remote = [vocab.label(vocab.MODES, m).lower() for m in modes if m != "in_person"]
    nearby = "in_person" in modes and distance is not None
    # The best way the person can take part counts: an activity that meets 8 km away and
    # also runs online is at least as reachable as one that is only online.
    parts["distance"] = max(
        math.exp(-distance / DISTANCE_SCALE_KM) if nearby and distance is not None else 0.0,
        REMOTE_REACH if remote else 0.0,
    )
    if nearby:
        reasons.append(f"{distance:.1f} km away")
    if remote:
        reasons.append(
            ("Also takes part " if nearby else "Takes part ") + _join(remote) + " – no travel"
        )

    if not candidate.sessions:
        parts["times"] = 0.5
        warnings.append("Times by arrangement")
    elif not person.availability:
        parts["times"] = 0.7
    else:
        fitting = _fitting_sessions(candidate, person)
        parts["times"] = len(fitting) / len(candidate.sessions) if fitting else 0.0
        if fitting:
            first = fitting[0]
            day = vocab.DAYS[vocab.DAY_CODES[first.day_index]]
            reasons.append(f"{day} {first.starts:%H:%M} fits your {_part_of_day(first.starts)}")
        else:
            warnings.append("No session fits the times given")

    if candidate.spare_places > 0:
        parts["capacity"] = 1.0
        places = candidate.spare_places
        reasons.append(f"{places} place{'s' if places != 1 else ''} free")
    elif candidate.waitlist_open:
        parts["capacity"] = 0.4
        warnings.append("Waitlist only")
    else:
        parts["capacity"] = 0.0
        warnings.append("Full – no waiting list at the moment")

    parts["kite_mark"] = {"awarded": 1.0, "pending": 0.5}.get(candidate.kite_mark, 0.0)
    if candidate.kite_mark == "awarded":
        reasons.append("Kite-marked")

    age_days = max((now - candidate.capacity_updated_at).days, 0)
    if age_days <= stale_after_days:
        parts["freshness"] = 1.0
        when = "today" if age_days == 0 else f"{age_days} day{'s' if age_days != 1 else ''} ago"
        reasons.append(f"Capacity confirmed {when}")
    else:
        # Stale listings are demoted, more so the older they get.
        parts["freshness"] = max(0.0, 1.0 - age_days / (4 * max(stale_after_days, 1)))
        warnings.append(f"Capacity not confirmed for {age_days} days")

    if person.wheelchair and candidate.wheelchair_accessible and "in_person" in modes:
        reasons.append("Wheelchair accessible")

    # Weights come from configuration: a set that sums to nothing scores everything alike
    # rather than dividing by zero.
    weight = sum(w[k] for k in parts)
    total = sum(w[k] * parts[k] for k in parts) / weight if weight > 0 else 0.0
    return Scored(candidate, round(total, 4), distance, reasons, warnings, parts)
