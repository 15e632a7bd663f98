"""Supply over time (places per week and spare places at each month end, from capacity
history) on the known data set plus capacity changes in different months, every figure
worked out by hand; and the panel page's supply chart data and table."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from spdirectory.directory.capacity import update_capacity
from spdirectory.extensions import db
from spdirectory.reports import queries
from spdirectory.reports.models import Area
from spdirectory.reports.report import _scope, build_report, month_ends, parse_params
from tests.accounts.helpers import quick_user, signed_in
from tests.reports.conftest import Known

# January to June, as recorded by 20 May: June starts after the as-of moment.
PERIOD = {"from": "2026-01", "to": "2026-06", "as_of": "2026-05-20"}
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]


def on(month: int, day: int) -> datetime:
    return datetime(2026, month, day, 9, tzinfo=UTC)


@pytest.fixture
def history(known: Known, make: Any) -> Known:
    """The known listings (A1 LS6 walking 20/2, A2 LS6 walking + green 10/0, A3 LS8
    befriending 5/0, A4 LS9 walking 8/1, A5 LS1 walking 50/10; A1 goes to 25/7 on 1 May)
    with these changes: A4 6/0 on 20 January and 10/4 on 25 March, A2 12/3 on 10 February,
    A3 5/2 on 5 March, a new A7 (LS8 befriending 12/4) created on 15 February, and A5
    60/20 on 25 May (after the as-of date)."""
    a = known.activities
    update_capacity(a["A4"], capacity=6, spare_places=0, now=on(1, 20))
    db.session.flush()
    update_capacity(a["A2"], capacity=12, spare_places=3, now=on(2, 10))
    db.session.flush()
    update_capacity(a["A3"], spare_places=2, now=on(3, 5))
    db.session.flush()
    update_capacity(a["A4"], capacity=10, spare_places=4, now=on(3, 25))
    db.session.flush()
    update_capacity(a["A5"], capacity=60, spare_places=20, now=on(5, 25))
    a7 = make.activity(
        a["A3"].organisation,
        capacity_updated_at=on(2, 15),
        title="A7 befriending",
        categories="befriending",
        capacity="12",
        spare_places="4",
    )
    a7.postcode_district = "LS8"
    a7.created_at = on(2, 15)
    db.session.commit()
    a["A7"] = a7
    return known


def series(report: Any) -> list[tuple[str, int, int]]:
    return [(m, v["places"], v["spare"]) for m, v in report.supply_monthly.items()]


def test_supply_over_time_everywhere(history: Known) -> None:
    report = build_report(parse_params(PERIOD))
    assert series(report) == [
        # A1 20/2, A2 10/0, A3 5/0, A4 6/0, A5 50/10 (A7 not created yet)
        ("2026-01", 91, 12),
        # A2 now 12/3, A7 12/4 created
        ("2026-02", 105, 19),
        # A3 5/2, A4 10/4
        ("2026-03", 109, 25),
        ("2026-04", 109, 25),
        # as of 20 May: A1 25/7; A5's change on 25 May does not count
        ("2026-05", 114, 30),
    ]
    assert "2026-06" in report.months and "2026-06" not in report.supply_monthly


def test_supply_over_time_for_one_area(history: Known) -> None:
    # Harehills (LS8, LS9): A3, A4 and A7.
    report = build_report(parse_params({**PERIOD, "area": "W2"}))
    assert series(report) == [
        ("2026-01", 11, 0),
        ("2026-02", 23, 4),
        ("2026-03", 27, 10),
        ("2026-04", 27, 10),
        ("2026-05", 27, 10),
    ]


def test_supply_over_time_for_one_category(history: Known) -> None:
    # Walking: A1, A2, A4 and the city-centre A5 (in no ward); never the draft A6.
    report = build_report(parse_params({**PERIOD, "category": "walking"}))
    assert series(report) == [
        ("2026-01", 86, 12),
        ("2026-02", 88, 15),
        ("2026-03", 92, 19),
        ("2026-04", 92, 19),
        ("2026-05", 97, 24),
    ]


def test_a_listing_in_several_chosen_categories_counts_once(history: Known) -> None:
    # Headingley, walking or green space: A1 and A2 (A2 is in both, counted once).
    params = parse_params({**PERIOD, "area": "W1", "category": ["walking", "green_nature"]})
    assert series(build_report(params)) == [
        ("2026-01", 30, 2),
        ("2026-02", 32, 5),
        ("2026-03", 32, 5),
        ("2026-04", 32, 5),
        ("2026-05", 37, 10),
    ]


@pytest.mark.parametrize(
    "args",
    [{}, {"area": "W2"}, {"category": "walking"}, {"area": "W1", "category": "green_nature"}],
)
def test_each_point_is_the_as_of_supply_of_that_moment(
    history: Known, args: dict[str, str]
) -> None:
    """The one-query series agrees with an as-of report's supply, moment by moment."""
    params = parse_params({**PERIOD, **args})
    area_ids = db.session.scalars(select(Area.id).where(Area.code.in_(params.area_codes)))
    scope = _scope(params, tuple(area_ids))
    moments = list(month_ends(params, datetime(2026, 12, 1, tzinfo=UTC)).values())
    got = queries.supply_over_time(scope, moments)
    for moment, point in zip(moments, got, strict=True):
        at = queries.Scope(
            scope.start,
            scope.end,
            False,
            False,
            scope.area_type,
            scope.area_ids,
            scope.categories,
            as_of=moment,
        )
        cells = queries.supply(at)
        assert point == {
            "places": sum(v["places"] for v in cells.values()),
            "spare": sum(v["spare"] for v in cells.values()),
        }, moment


def test_month_ends_stop_at_the_as_of_moment_or_now(app: Flask) -> None:
    params = parse_params({"from": "2026-01", "to": "2026-03", "as_of": "2026-02-14"})
    ends = month_ends(params, datetime(2026, 12, 1, tzinfo=UTC))
    assert ends == {
        "2026-01": datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC),
        "2026-02": datetime(2026, 2, 14, 23, 59, 59, 999999, tzinfo=UTC),
    }
    now = datetime(2026, 3, 10, 8, tzinfo=UTC)
    ends = month_ends(parse_params({"from": "2026-02", "to": "2026-04"}), now)
    assert list(ends) == ["2026-02", "2026-03"] and ends["2026-03"] == now


def test_panel_page_shows_supply_over_time(app: Flask, history: Known) -> None:
    person = quick_user("panel")
    db.session.commit()
    client = app.test_client()
    signed_in(client, person.email)
    page = client.get(
        "/reports/?from=2026-01&to=2026-06&as_of=2026-05-20&area=W2&area_type=ward"
    ).get_data(as_text=True)
    block = re.search(
        r'<script type="application/json" id="report-chart-data">(.*?)</script>', page, re.S
    )
    assert block is not None
    supply = json.loads(block.group(1))["supply"]
    assert supply["labels"] == [*MONTHS, "2026-06"]
    # June is not known yet: null, a gap in the line rather than a fall to 0.
    assert supply["series"] == {
        "places": [11, 23, 27, 27, 27, None],
        "spare": [0, 4, 10, 10, 10, None],
    }
    # The same figures in a table, for anyone without the chart.
    table = page[page.index('data-testid="supply-table"') :]
    table = table[: table.index("</table>")]
    rows = re.findall(
        r'<th class="nhsuk-table__header" scope="row">([\d-]+)</th>\s*'
        r"<td[^>]*>([^<]+)(?:<span[^>]*>[^<]*</span>)?</td>\s*<td[^>]*>([^<]+)",
        table,
    )
    assert rows == [
        ("2026-01", "11", "0"),
        ("2026-02", "23", "4"),
        ("2026-03", "27", "10"),
        ("2026-04", "27", "10"),
        ("2026-05", "27", "10"),
        ("2026-06", "–", "–"),
    ]
    assert "Months after the as-of date are not known yet." in page
    assert 'id="chart-supply"' in page and "<script>" not in page
