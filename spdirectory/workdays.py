"""Working-day arithmetic for response deadlines: weekends and England and Wales bank
holidays are not working days. Holidays come from the maintained `holidays` package."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # subdiv "ENG" covers England; Wales shares the same bank holidays.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: datetime, days: int) -> datetime:
    """The same time of day `days` working days after `start`.

    A start outside working days counts from the next working day's start, so a referral
    sent on Saturday is due by the end of the third working day after it, not Friday's.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    if not is_working_day(current.date()):
        while not is_working_day(current.date()):
            current += timedelta(days=1)
        # Counted from the start of the first working day: the deadline is the end of day N.
        current = current.replace(hour=23, minute=59, second=59, microsecond=0)
        days -= 1
        if days < 0:
            return current
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current.date()):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
