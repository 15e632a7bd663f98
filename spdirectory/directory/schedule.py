"""Weekly schedules: parse 'Mon 10:00-12:00; Thu 18:30-20:00', format them, find next sessions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ..vocab import DAY_CODES, DAYS

_SESSION = re.compile(
    r"^(?P<day>[a-z]+)\.?\s+(?P<start>\d{1,2}[:.]\d{2})\s*(?:-|–|—|to)\s*(?P<end>\d{1,2}[:.]\d{2})$",
    re.IGNORECASE,
)
_DAY_NAMES = (
    {name.lower(): i for i, name in enumerate(DAYS.values())}
    | {code: i for i, code in enumerate(DAY_CODES)}
    | {"tues": 1, "weds": 2, "thur": 3, "thurs": 3}
)


class ScheduleError(ValueError):
    pass


@dataclass(frozen=True, order=True)
class WeeklySession:
    day_index: int
    starts: time
    ends: time

    @property
    def day(self) -> str:
        return DAY_CODES[self.day_index]

    def __str__(self) -> str:
        return f"{self.day.title()} {self.starts:%H:%M}-{self.ends:%H:%M}"

    def describe(self) -> str:
        return f"{list(DAYS.values())[self.day_index]} {self.starts:%H:%M} to {self.ends:%H:%M}"


def _parse_time(text: str, part: str) -> time:
    hours, minutes = re.split(r"[:.]", text)
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        raise ScheduleError(f"“{text}” is not a valid {part} time (use 24-hour HH:MM)") from None


def parse_schedule(text: str | None) -> list[WeeklySession]:
    """Parse sessions separated by ';' (or new lines). Empty text means 'by arrangement'."""
    sessions: list[WeeklySession] = []
    for raw in re.split(r"[;\n]", text or ""):
        part = raw.strip()
        if not part:
            continue
        match = _SESSION.match(part)
        if not match:
            raise ScheduleError(
                f"“{part}” is not a weekly session; write it like “Mon 10:00-12:00”"
            )
        day = _DAY_NAMES.get(match["day"].lower())
        if day is None:
            raise ScheduleError(f"“{match['day']}” is not a day of the week")
        starts = _parse_time(match["start"], "start")
        ends = _parse_time(match["end"], "end")
        if ends <= starts:
            raise ScheduleError(f"“{part}” ends before it starts")
        sessions.append(WeeklySession(day, starts, ends))
    return sorted(set(sessions))


def format_schedule(sessions: list[WeeklySession]) -> str:
    return "; ".join(str(s) for s in sorted(sessions))


def next_sessions(
    sessions: list[WeeklySession], now: datetime, count: int = 3
) -> list[tuple[date, WeeklySession]]:
    """The next `count` occurrences from `now` (a session already started today is skipped)."""
    found: list[tuple[date, WeeklySession]] = []
    if count <= 0:
        return found
    for offset in range(0, 8 * ((count // max(len(sessions), 1)) + 1)):
        day = now.date() + timedelta(days=offset)
        for session in sorted(sessions):
            if session.day_index != day.weekday():
                continue
            if offset == 0 and session.starts <= now.time():
                continue
            found.append((day, session))
            if len(found) == count:
                return found
    return found
