"""The facts about one activity that matching needs: a plain snapshot, no database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time


@dataclass(frozen=True)
class Session:
    day_index: int
    starts: time
    ends: time


@dataclass
class Candidate:
    activity_id: int
    title: str
    needs: list[str]
    modes: list[str]
    routes: list[str]
    languages: list[str]
    kite_mark: str
    spare_places: int
    waitlist_open: bool
    cost_pence: int | None
    age_min: int | None
    age_max: int | None
    wheelchair_accessible: bool | None
    latitude: float | None
    longitude: float | None
    capacity_updated_at: datetime
    sessions: list[Session] = field(default_factory=list)
    published: bool = True
    external_id: str | None = None
    organisation: str = ""
