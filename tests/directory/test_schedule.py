"""Weekly schedules: parsing, formatting and the next sessions."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from spdirectory.directory.schedule import (
    ScheduleError,
    WeeklySession,
    format_schedule,
    next_sessions,
    parse_schedule,
)

MON, TUE, WED, THU = 0, 1, 2, 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mon 10:00-12:00; Thu 18:30-20:00",
            [WeeklySession(MON, time(10), time(12)), WeeklySession(THU, time(18, 30), time(20))],
        ),
        ("monday 9.30-11.00", [WeeklySession(MON, time(9, 30), time(11))]),
        ("Tues 10:00 – 11:00", [WeeklySession(TUE, time(10), time(11))]),
        ("WEDNESDAY 7:05 to 8:15", [WeeklySession(WED, time(7, 5), time(8, 15))]),
        ("Thurs. 10:00—11:00", [WeeklySession(THU, time(10), time(11))]),
        # New lines separate sessions too; the result is sorted and without duplicates.
        (
            "Thu 18:30-20:00\nMon 10:00-12:00;Mon 10:00-12:00;",
            [WeeklySession(MON, time(10), time(12)), WeeklySession(THU, time(18, 30), time(20))],
        ),
    ],
)
def test_parse_good_forms(text: str, expected: list[WeeklySession]) -> None:
    assert parse_schedule(text) == expected


@pytest.mark.parametrize("text", [None, "", "  ", " ; \n "])
def test_empty_schedule_means_by_arrangement(text: str | None) -> None:
    assert parse_schedule(text) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Funday 10:00-11:00", "“Funday” is not a day of the week"),
        ("Mon 12:00-10:00", "“Mon 12:00-10:00” ends before it starts"),
        ("Mon 10:00-10:00", "ends before it starts"),
        ("Mon 25:00-26:00", "“25:00” is not a valid start time"),
        ("Mon 10:00-24:30", "“24:30” is not a valid end time"),
        ("Mon 10:61-11:00", "“10:61” is not a valid start time"),
        ("every other Tuesday", "“every other Tuesday” is not a weekly session"),
        ("Mon 10-12", "write it like “Mon 10:00-12:00”"),
        # One bad session spoils the whole schedule, and the message names that one.
        ("Mon 10:00-11:00; Tue noon-1pm", "“Tue noon-1pm” is not a weekly session"),
    ],
)
def test_parse_bad_forms_name_the_problem(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert message in str(caught.value)


def test_schedule_error_is_a_value_error() -> None:
    # parse_listing catches ValueError; the listing form relies on that.
    assert issubclass(ScheduleError, ValueError)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Mon 10:00-12:00; Thu 18:30-20:00", "Mon 10:00-12:00; Thu 18:30-20:00"),
        ("thursday 18.30 to 20.00\nmonday 9.05-11.00", "Mon 09:05-11:00; Thu 18:30-20:00"),
        ("Sun 7:00-8:00; Sat 23:00-23:59", "Sat 23:00-23:59; Sun 07:00-08:00"),
    ],
)
def test_format_round_trip(text: str, canonical: str) -> None:
    sessions = parse_schedule(text)
    assert format_schedule(sessions) == canonical
    # The canonical text parses back to the same sessions.
    assert parse_schedule(canonical) == sessions


def test_session_text_and_description() -> None:
    session = WeeklySession(THU, time(18, 30), time(20))
    assert str(session) == "Thu 18:30-20:00"
    assert session.day == "thu"
    assert session.describe() == "Thursday 18:30 to 20:00"


# 2026-11-23 is a Monday.
MONDAY = date(2026, 11, 23)


def test_next_sessions_skips_one_already_started_today() -> None:
    sessions = parse_schedule("Mon 10:00-12:00; Mon 14:00-15:00; Wed 09:00-10:00")
    now = datetime(2026, 11, 23, 10, 0)  # the 10:00 session has just begun
    found = next_sessions(sessions, now, count=3)
    assert [(d, str(s)) for d, s in found] == [
        (MONDAY, "Mon 14:00-15:00"),
        (date(2026, 11, 25), "Wed 09:00-10:00"),
        (date(2026, 11, 30), "Mon 10:00-12:00"),
    ]


def test_next_sessions_includes_a_session_later_today() -> None:
    sessions = parse_schedule("Mon 10:00-12:00")
    found = next_sessions(sessions, datetime(2026, 11, 23, 9, 59), count=1)
    assert found == [(MONDAY, sessions[0])]


def test_next_sessions_wraps_to_next_week() -> None:
    sessions = parse_schedule("Mon 10:00-12:00")
    found = next_sessions(sessions, datetime(2026, 11, 23, 18, 0), count=3)
    assert [d for d, _ in found] == [date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)]


def test_next_sessions_from_the_end_of_the_week() -> None:
    sessions = parse_schedule("Mon 10:00-12:00; Sat 10:00-11:00")
    found = next_sessions(sessions, datetime(2026, 11, 29, 12, 0), count=2)  # a Sunday
    assert [d for d, _ in found] == [date(2026, 11, 30), date(2026, 12, 5)]


@pytest.mark.parametrize("count", [1, 2, 5, 9])
def test_next_sessions_count(count: int) -> None:
    sessions = parse_schedule("Mon 10:00-11:00; Mon 12:00-13:00; Mon 14:00-15:00")
    found = next_sessions(sessions, datetime(2026, 11, 23, 16, 0), count=count)
    assert len(found) == count
    # In order, and never today (all of today's sessions have started).
    assert found == sorted(found)
    assert all(d > MONDAY for d, _ in found)


def test_next_sessions_with_no_sessions_or_no_count() -> None:
    sessions = parse_schedule("Mon 10:00-11:00")
    assert next_sessions([], datetime(2026, 11, 23, 9, 0), count=3) == []
    assert next_sessions(sessions, datetime(2026, 11, 23, 9, 0), count=0) == []
