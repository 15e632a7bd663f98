"""Working-day arithmetic for referral response deadlines: weekends and England and Wales
bank holidays (including substitute days) are not working days."""

from __future__ import annotations

from datetime import UTC, date, datetime

import holidays
import pytest

from spdirectory.workdays import add_working_days, is_working_day, working_days_between


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=UTC)


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
        # Easter 2027: Good Friday 26 March and Easter Monday 29 March skipped.
        (at(2027, 3, 25, 9), 1, at(2027, 3, 30, 9)),
        (at(2027, 3, 24, 9), 3, at(2027, 3, 31, 9)),
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
        # Sent on Good Friday 2027.
        (at(2027, 3, 26), 1, at(2027, 3, 30, 23, 59, 59)),
        # Zero days from a weekend: the end of the next working day.
        (at(2026, 12, 5), 0, at(2026, 12, 7, 23, 59, 59)),
    ],
)
def test_a_start_outside_working_days_counts_from_the_next_one(
    start: datetime, days: int, due: datetime
) -> None:
    assert add_working_days(start, days) == due


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
