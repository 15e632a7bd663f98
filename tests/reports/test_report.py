"""The capacity-gap report on a known data set (tests/reports/conftest.py): every cell, every
gap measure, the priority scores and their order, by hand."""

from __future__ import annotations

from typing import Any

import pytest

from spdirectory.reports.report import ReportParamError, build_report, parse_params
from tests.reports.conftest import Known

PERIOD = {"from": "2026-01", "to": "2026-03", "as_of": "2026-03-31"}


def cells_by_key(report: Any) -> dict[tuple[str, str | None], Any]:
    return {(c.area_code, c.category): c for c in report.cells}


def test_every_cell_of_the_area_by_category_report(known: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "both", "area_type": "ward"}))
    cells = cells_by_key(report)
    assert set(cells) == {
        ("W1", "walking"),
        ("W1", "green_nature"),
        ("W2", "befriending"),
        ("W2", "walking"),
    }
    expected = {
        # activities, places, spare, waitlists, referrals, declined_full, waitlisted, searches
        ("W1", "walking"): (2, 30, 2, 1, 18, 1, 3, 1),
        ("W1", "green_nature"): (1, 10, 0, 1, 4, 1, 3, 1),
        ("W2", "befriending"): (1, 5, 0, 1, 5, 2, 3, 3),
        ("W2", "walking"): (1, 8, 1, 0, 0, 0, 0, 0),
    }
    for key, values in expected.items():
        c = cells[key]
        got = (
            c.activities,
            c.places,
            c.spare,
            c.waitlists,
            c.referrals,
            c.declined_full,
            c.waitlisted,
            c.searches_unmet,
        )
        assert got == values, key

    # Gap measures (3 months): demand per 100 places a month, unmet-need rate, waitlist
    # pressure, places per 1,000 people, month-on-month trend (March against February).
    measures = {
        ("W1", "walking"): (100 * 18 / (30 * 3), 1 / 18, 3 / 18, 1000 * 30 / 20000, 4 / 3),
        ("W1", "green_nature"): (100 * 4 / (10 * 3), 1 / 4, 3 / 4, 1000 * 10 / 20000, 2.0),
        ("W2", "befriending"): (100 * 5 / (5 * 3), 2 / 5, 3 / 5, 1000 * 5 / 10000, -1.0),
        ("W2", "walking"): (0.0, None, None, 1000 * 8 / 10000, None),
    }
    for key, values in measures.items():
        m = cells[key].measures
        got = (
            m["demand_per_100_places"],
            m["unmet_need_rate"],
            m["waitlist_pressure"],
            m["places_per_1000"],
            m["trend"],
        )
        assert got == pytest.approx(values), key

    # Priority score = 100 × need weight × weighted mean of the parts (docs/reports.md):
    # demand part relative to the largest (33.33), scarcity against the densest (1.5/1000).
    w = {"demand": 0.35, "unmet": 0.25, "waitlist": 0.15, "scarcity": 0.15, "trend": 0.10}
    walking = 0.35 * 0.6 + 0.25 * (1 / 18) + 0.15 * (3 / 18) + 0.15 * 0 + 0.10 * 1
    green = 0.35 * 0.4 + 0.25 * 0.25 + 0.15 * 0.75 + 0.15 * (2 / 3) + 0.10 * 1
    befriending = 0.35 * 1 + 0.25 * 0.4 + 0.15 * 0.6 + 0.15 * (2 / 3) + 0.10 * 0
    assert report.weights == w
    assert cells[("W1", "walking")].score == round(100 * 1.0 * walking, 2) == 34.89
    assert cells[("W1", "green_nature")].score == round(100 * 1.0 * green, 2) == 51.5
    assert cells[("W2", "befriending")].score == round(100 * 1.5 * befriending, 2) == 96.0
    assert cells[("W2", "walking")].score == 0.0
    assert [(c.area_code, c.category) for c in report.priorities] == [
        ("W2", "befriending"),
        ("W1", "green_nature"),
        ("W1", "walking"),
    ]
    assert cells[("W2", "walking")].rank is None  # no demand, no priority
    assert report.monthly == {
        "2026-01": {"referrals": 8},
        "2026-02": {"referrals": 8, "declined_full": 3, "waitlisted": 3},
        "2026-03": {"referrals": 7, "waitlisted": 3},
    }


# Parts of each ranked cell in the report above (demand, unmet, waitlist, scarcity, trend)
# and its need weight: the inputs of score = 100 × need weight × Σ wₖ·partₖ / Σ wₖ.
PARTS = {
    ("W1", "walking"): ((0.6, 1 / 18, 3 / 18, 0.0, 1.0), 1.0),
    ("W1", "green_nature"): ((0.4, 0.25, 0.75, 2 / 3, 1.0), 1.0),
    ("W2", "befriending"): ((1.0, 0.4, 0.6, 2 / 3, 0.0), 1.5),
}


def documented_score(key: tuple[str, str], w: dict[str, float]) -> float:
    parts, need_weight = PARTS[key]
    order = ("demand", "unmet", "waitlist", "scarcity", "trend")
    weighted = sum(w[name] * part for name, part in zip(order, parts, strict=True))
    return round(100 * need_weight * weighted / sum(w.values()), 2)


def test_changing_the_weights_changes_the_scores_and_can_reorder(
    app: Any, known: Known, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only waitlist pressure and growth count (weights need not add up to 1: the score
    # divides by their sum): Headingley green space, with the most waitlisted, comes first.
    w = {"demand": 0.0, "unmet": 0.0, "waitlist": 2.0, "scarcity": 0.0, "trend": 2.0}
    monkeypatch.setitem(app.config, "REPORT_PRIORITY_WEIGHTS", w)
    report = build_report(parse_params({**PERIOD, "group_by": "both", "area_type": "ward"}))
    cells = cells_by_key(report)
    assert report.weights == w
    for key in PARTS:
        assert cells[key].measures["part_waitlist"] == pytest.approx(PARTS[key][0][2])
    # (2 × 3/18 + 2 × 1) / 4, (2 × 0.75 + 2 × 1) / 4, 1.5 × (2 × 0.6 + 2 × 0) / 4
    assert cells[("W1", "walking")].score == documented_score(("W1", "walking"), w) == 58.33
    assert cells[("W1", "green_nature")].score == documented_score(("W1", "green_nature"), w)
    assert cells[("W1", "green_nature")].score == 87.5
    assert cells[("W2", "befriending")].score == documented_score(("W2", "befriending"), w)
    assert cells[("W2", "befriending")].score == 45.0
    assert [(c.area_code, c.category, c.rank) for c in report.priorities] == [
        ("W1", "green_nature", 1),
        ("W1", "walking", 2),
        ("W2", "befriending", 3),
    ]  # with the default weights: befriending, green space, walking

    # A partial setting keeps the defaults for the weights it leaves out.
    monkeypatch.setitem(app.config, "REPORT_PRIORITY_WEIGHTS", {"scarcity": 1, "trend": 0})
    report = build_report(parse_params({**PERIOD, "group_by": "both", "area_type": "ward"}))
    cells = cells_by_key(report)
    merged = {"demand": 0.35, "unmet": 0.25, "waitlist": 0.15, "scarcity": 1.0, "trend": 0.0}
    assert report.weights == merged
    expected = {
        ("W1", "walking"): 14.22,
        ("W1", "green_nature"): 56.1,
        ("W2", "befriending"): 103.43,
    }
    for key, score in expected.items():
        assert cells[key].score == documented_score(key, merged) == score, key
    assert [(c.area_code, c.category) for c in report.priorities] == [
        ("W2", "befriending"),
        ("W1", "green_nature"),
        ("W1", "walking"),
    ]


def test_grouped_by_area_counts_each_listing_and_referral_once(known: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "area", "area_type": "ward"}))
    cells = cells_by_key(report)
    assert set(cells) == {("W1", None), ("W2", None)}
    w1, w2 = cells[("W1", None)], cells[("W2", None)]
    assert (w1.activities, w1.places, w1.spare, w1.referrals, w1.declined_full) == (2, 30, 2, 18, 1)
    assert (w1.waitlisted, w1.searches_unmet) == (3, 2)  # the uncategorised search counts here
    assert (w2.activities, w2.places, w2.spare, w2.waitlists, w2.referrals) == (2, 13, 1, 1, 5)
    assert (w2.declined_full, w2.waitlisted, w2.searches_unmet) == (2, 3, 3)
    assert w1.measures["places_per_1000"] == pytest.approx(1.5)


def test_parent_areas_cover_their_childrens_districts(known: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "area", "area_type": "place"}))
    leeds = cells_by_key(report)[("LEEDS", None)]
    assert (leeds.activities, leeds.places, leeds.referrals) == (4, 43, 23)
    assert leeds.need_weight == 1.2


def test_grouped_by_category_without_areas_covers_everything(known: Known) -> None:
    report = build_report(parse_params({**PERIOD, "group_by": "category"}))
    cells = cells_by_key(report)
    walking = cells[("", "walking")]
    # A1, A2, A4 and the city-centre A5 (in no ward); the draft never counts.
    assert (walking.activities, walking.places, walking.referrals) == (4, 88, 18)
    assert cells[("", "befriending")].referrals == 5


def test_filters_to_one_area_and_one_category(known: Known) -> None:
    params = parse_params({**PERIOD, "area": "W1", "category": "green_nature"})
    report = build_report(params)
    assert [(c.area_code, c.category) for c in report.cells] == [("W1", "green_nature")]
    assert report.cells[0].referrals == 4
    assert report.monthly == {
        "2026-02": {"referrals": 1, "declined_full": 1},
        "2026-03": {"referrals": 3, "waitlisted": 3},
    }


def test_as_of_reproduces_supply_and_demand_from_history(known: Known) -> None:
    now = cells_by_key(build_report(parse_params({"from": "2026-01", "to": "2026-03"})))
    assert (now[("W1", "walking")].places, now[("W1", "walking")].spare) == (35, 7)
    then = cells_by_key(
        build_report(parse_params({"from": "2026-01", "to": "2026-03", "as_of": "2026-02-20"}))
    )
    assert (then[("W1", "walking")].places, then[("W1", "walking")].spare) == (30, 2)
    # Only what had happened by 20 February: A1 6 + 2, A2 1, A4's 2 (in LS6).
    assert then[("W1", "walking")].referrals == 11
    assert then[("W1", "walking")].waitlisted == 0


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ({"from": "2026-13"}, "from"),
        ({"from": "2026-05", "to": "2026-01"}, "from"),
        ({"group_by": "ward"}, "group_by"),
        ({"category": "knitting"}, "category"),
        ({"area": "NOWHERE"}, "area"),
        ({"as_of": "yesterday"}, "as_of"),
        ({"area_type": "county"}, "area_type"),
    ],
)
def test_bad_parameters_are_named(app: Any, args: dict[str, str], field: str) -> None:
    with pytest.raises(ReportParamError) as caught:
        parse_params(args)
    assert field in caught.value.fields
