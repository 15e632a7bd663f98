"""Working-day arithmetic for response deadlines: weekends and England and Wales bank
holidays are not working days. Holidays come from the maintained `holidays` package.

Days are counted on the calendar in England (Europe/London, GMT or BST), not on UTC dates:
a referral sent at 00:30 BST on a Saturday is a Saturday referral, although it is still
Friday in UTC, and "end of the day" means 23:59:59 London time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")
END_OF_DAY = time(23, 59, 59)


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    # subdiv "ENG" covers England; Wales shares the same bank holidays.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year).keys())


def london(moment: datetime) -> datetime:
    """`moment` as London wall-clock time (a naive datetime is taken to be UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LONDON)


def london_date(moment: datetime) -> date:
    """The calendar date in England at `moment`."""
    return london(moment).date()


def is_working_day(day: date) -> bool:
    """Monday to Friday and not an England and Wales bank holiday."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_working_days(start: datetime, days: int) -> datetime:
    """The same London time of day `days` working days after `start`, as an aware UTC time.

    A start outside working days counts from the next working day's start, so a referral
    sent on Saturday is due by the end (London time) of the third working day after it,
    not Friday's. Across a change of clocks the wall-clock time is kept, not the number of
    hours: 10:00 on a GMT Friday plus one is 10:00 BST on Monday.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    local = london(start)
    day = local.date()
    at = local.time().replace(tzinfo=None)
    if not is_working_day(day):
        # Counted from the start of the first working day: the deadline is the end of day N.
        day = _next_working_day(day)
        at = END_OF_DAY
        days -= 1
    for _ in range(max(days, 0)):
        day = _next_working_day(day)
    # Deadlines only land on working days, never on a Sunday when the clocks change, so the
    # wall-clock time always exists exactly once.
    return datetime.combine(day, at, tzinfo=LONDON).astimezone(UTC)


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end` (0 when end <= start).

    Takes calendar dates: give it London dates (`london_date`) when starting from times."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
