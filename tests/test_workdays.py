"""Working-day arithmetic for referral response deadlines: weekends and England and Wales
bank holidays (including substitute days) are not working days."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import holidays
import pytest

from spdirectory.workdays import (
    add_working_days,
    is_working_day,
    london_date,
    working_days_between,
)

LONDON = ZoneInfo("Europe/London")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


def in_london(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 12, 24), True),  # Thursday
        (date(2026, 12, 25), False),  # Christmas Day, Friday
        (date(2026, 12, 26), False),  # Boxing Day, Saturday
        (date(2026, 12, 28), False),  # Monday: substitute day for Boxing Day
        (date(2026, 12, 29), True),
        (date(2027, 3, 26), False),  # Good Friday 2027
        (date(2027, 3, 29), False),  # Easter Monday 2027
        (date(2027, 3, 30), True),
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 12, 7), True),  # Monday
    ],
)
def test_is_working_day(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Within a week: same time of day.
        (at(2026, 12, 1), 3, at(2026, 12, 4)),
        # Over a weekend: Friday + 1 = Monday.
        (at(2026, 12, 4, 15), 1, at(2026, 12, 7, 15)),
        # Christmas 2026: Fri 25th, Sat 26th (Boxing Day), substitute Mon 28th all skipped.
        (at(2026, 12, 24), 1, at(2026, 12, 29)),
        (at(2026, 12, 24), 3, at(2026, 12, 31)),
        (at(2026, 12, 23), 2, at(2026, 12, 29)),
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March skipped. The clocks
        # go forward on 28 March, so times are London's (the office clock keeps 09:00).
        (in_london(2027, 3, 25, 9), 1, in_london(2027, 3, 30, 9)),
        (in_london(2027, 3, 24, 9), 3, in_london(2027, 3, 31, 9)),
        # Zero days: the start itself when it is a working day.
        (at(2026, 12, 2), 0, at(2026, 12, 2)),
    ],
)
def test_add_working_days(start: datetime, days: int, due: datetime) -> None:
    assert add_working_days(start, days) == due


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # Sent on Saturday: Monday is day 1, so due by the end of Wednesday.
        (at(2026, 12, 5, 11), 3, at(2026, 12, 9, 23, 59, 59)),
        # Sent on Sunday: the same.
        (at(2026, 12, 6, 20), 3, at(2026, 12, 9, 23, 59, 59)),
        # Sent on Christmas Day (Friday): Tue 29th is day 1.
        (at(2026, 12, 25), 3, at(2026, 12, 31, 23, 59, 59)),
        # Sent on Boxing Day (a Saturday, its substitute Monday follows).
        (at(2026, 12, 26), 1, at(2026, 12, 29, 23, 59, 59)),
        # Sent on Good Friday 2027 (due by the end of Tuesday, in BST by then).
        (at(2027, 3, 26), 1, in_london(2027, 3, 30, 23, 59, 59)),
        # Zero days from a weekend: the end of the next working day.
        (at(2026, 12, 5), 0, at(2026, 12, 7, 23, 59, 59)),
    ],
)
def test_a_start_outside_working_days_counts_from_the_next_one(
    start: datetime, days: int, due: datetime
) -> None:
    assert add_working_days(start, days) == due


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        # BST: 00:30 on Saturday 6 June 2026 is still Friday 23:30 in UTC, but it is a
        # Saturday referral: due by the end of Wednesday, London time (22:59:59 UTC).
        (at(2026, 6, 5, 23, 30), 3, at(2026, 6, 10, 22, 59, 59)),
        (in_london(2026, 6, 6, 0, 30), 3, in_london(2026, 6, 10, 23, 59, 59)),
        # BST: Sunday 23:30 UTC is Monday 00:30 in London, a working day: same London time
        # three working days later (Thursday 00:30 BST), not the end of Wednesday.
        (at(2026, 6, 7, 23, 30), 3, in_london(2026, 6, 11, 0, 30)),
        # BST: Friday 23:30 London time is 22:30 UTC, the same Friday either way.
        (in_london(2026, 6, 5, 23, 30), 1, in_london(2026, 6, 8, 23, 30)),
        # BST weekend, zero days: the end of Monday in London, an hour before UTC's.
        (in_london(2026, 6, 6, 11), 0, at(2026, 6, 8, 22, 59, 59)),
        # BST and a bank holiday: Sunday 23:30 UTC is 00:30 on the Late May bank holiday
        # (Monday 25 May 2026), so Tuesday is day 1.
        (at(2026, 5, 24, 23, 30), 1, in_london(2026, 5, 26, 23, 59, 59)),
        # GMT: London time is UTC, so Friday 23:30 UTC stays a Friday referral...
        (at(2026, 12, 4, 23, 30), 1, at(2026, 12, 7, 23, 30)),
        # ...and Saturday 00:30 UTC is a Saturday one, due by the end of Wednesday.
        (at(2026, 12, 5, 0, 30), 3, at(2026, 12, 9, 23, 59, 59)),
        # Clocks go forward on Sunday 29 March 2026: 10:00 GMT on Friday plus one working
        # day is 10:00 BST on Monday (09:00 UTC), the same time on the office clock.
        (at(2026, 3, 27, 10), 1, at(2026, 3, 30, 9)),
        # Clocks go back on Sunday 25 October 2026: 10:00 BST (09:00 UTC) becomes 10:00 GMT.
        (at(2026, 10, 23, 9), 1, at(2026, 10, 26, 10)),
        # A weekend start across the change: end of Monday in GMT is 23:59:59 UTC.
        (in_london(2026, 10, 24, 12), 1, at(2026, 10, 26, 23, 59, 59)),
    ],
)
def test_days_are_counted_on_london_dates(start: datetime, days: int, due: datetime) -> None:
    got = add_working_days(start, days)
    assert got == due
    assert got.utcoffset() is not None and got.utcoffset().total_seconds() == 0


def test_london_date() -> None:
    assert london_date(at(2026, 6, 5, 23, 30)) == date(2026, 6, 6)  # BST: a day ahead
    assert london_date(at(2026, 12, 5, 23, 30)) == date(2026, 12, 5)  # GMT: the same
    assert london_date(datetime(2026, 6, 5, 23, 30)) == date(2026, 6, 6)  # naive = UTC


def test_negative_days_are_refused() -> None:
    with pytest.raises(ValueError):
        add_working_days(at(2026, 12, 1), -1)


def test_working_days_between() -> None:
    assert working_days_between(date(2026, 12, 24), date(2026, 12, 31)) == 3
    assert working_days_between(date(2027, 3, 25), date(2027, 3, 30)) == 1
    assert working_days_between(date(2026, 12, 4), date(2026, 12, 7)) == 1
    assert working_days_between(date(2026, 12, 7), date(2026, 12, 7)) == 0
    assert working_days_between(date(2026, 12, 8), date(2026, 12, 7)) == 0


def test_wales_has_the_same_bank_holidays_as_england() -> None:
    # workdays.py uses England's calendar for "England and Wales"; this keeps that true.
    for year in (2026, 2027):
        england = set(holidays.country_holidays("GB", subdiv="ENG", years=year))
        wales = set(holidays.country_holidays("GB", subdiv="WLS", years=year))
        assert england == wales


def test_dates_in_pages_are_london_dates() -> None:
    from datetime import UTC, datetime

    from spdirectory.templating import show_date

    # 23:30 UTC on Friday 5 June 2026 is 00:30 BST on Saturday 6 June.
    assert show_date(datetime(2026, 6, 5, 23, 30, tzinfo=UTC)) == "6 June 2026"
    # In winter London is on UTC.
    assert show_date(datetime(2026, 12, 4, 23, 30, tzinfo=UTC)) == "4 December 2026"
    assert show_date(None) == ""
