"""Plain builders for the pure matching tests: a Candidate and a Person with sensible
defaults (a free, published, fresh in-person activity in Leeds city centre that takes
link-worker referrals; a person 0.7 km away who can take part any way)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from spdirectory.matching.candidate import Candidate, Session
from spdirectory.matching.profile import Person, Window

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

# Real postcode centroids (Code-Point Open).
LS1_1AZ = (53.796296, -1.564095)  # Leeds city centre
LS1_4AP = (53.795456, -1.555724)  # 0.56 km from LS1 1AZ
LS6_4AB = (53.82466, -1.576213)  # Headingley, ~3.2 km from LS1 1AZ
BD3_9AA = (53.797038, -1.743564)  # Bradford, ~11.8 km from LS1 1AZ

_ids = iter(range(1, 1_000_000))


def candidate(**overrides: Any) -> Candidate:
    values: dict[str, Any] = {
        "activity_id": next(_ids),
        "title": "Tuesday walk",
        "needs": ["loneliness"],
        "modes": ["in_person"],
        "routes": ["link_worker", "self"],
        "languages": ["en"],
        "kite_mark": "none",
        "spare_places": 3,
        "waitlist_open": False,
        "cost_pence": 0,
        "age_min": None,
        "age_max": None,
        "wheelchair_accessible": None,
        "latitude": LS1_1AZ[0],
        "longitude": LS1_1AZ[1],
        "capacity_updated_at": NOW - timedelta(days=1),
        "sessions": [],
    }
    values.update(overrides)
    return Candidate(**values)


def person(**overrides: Any) -> Person:
    values: dict[str, Any] = {"latitude": LS1_4AP[0], "longitude": LS1_4AP[1]}
    values.update(overrides)
    return Person(**values)


def session(day_index: int, starts: str, ends: str) -> Session:
    return Session(day_index, time.fromisoformat(starts), time.fromisoformat(ends))


def window(day_index: int, start: str, end: str) -> Window:
    return Window(day_index, time.fromisoformat(start), time.fromisoformat(end))
