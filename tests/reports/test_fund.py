"""Fund arithmetic (DOMAIN.md fund rules): local share with need weight and CPI uplift, the
three-source rule, the national match trigger, the ten-year projection and the split."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from spdirectory.extensions import db
from spdirectory.reports import fund
from spdirectory.reports.models import Area, CpiIndex, FundPledge
from spdirectory.reports.report import fund_year_params


def area(population: int = 100_000, weight: float = 1.2) -> Area:
    item = Area(code="LEEDS", name="Leeds", type="place", population=population, need_weight=weight)
    db.session.add(item)
    db.session.flush()
    return item


def pledge(target: Area, source: str, pounds: int, year: int = 2025) -> None:
    db.session.add(
        FundPledge(area_id=target.id, year=year, source=source, amount_pence=pounds * 100)
    )
    db.session.flush()


def test_local_share_is_90p_a_head_times_need_weight_in_the_base_year(app: Any) -> None:
    leeds = area()
    result = fund.fund_year(leeds, 2025)
    assert result.local_share == 100_000 * 90 * 12 // 10 == 10_800_000  # £108,000.00
    assert not result.cpi_assumed


def test_uplifted_each_april_by_the_previous_septembers_cpi(app: Any) -> None:
    leeds = area()
    # Configured: September 2025 3.8 %. Recorded September 2026 2.5 % (the table wins).
    db.session.add(CpiIndex(year=2026, rate=2.5))
    db.session.flush()
    assert fund.fund_year(leeds, 2026).local_share == round(10_800_000 * 1.038)
    assert fund.fund_year(leeds, 2027).local_share == round(10_800_000 * 1.038 * 1.025)
    # September 2027 is unknown: the assumed rate (2 %) is used, and said to be assumed.
    later = fund.fund_year(leeds, 2028)
    assert later.local_share == round(10_800_000 * 1.038 * 1.025 * 1.02)
    assert later.cpi_assumed


def test_no_match_until_the_local_share_is_met(app: Any) -> None:
    leeds = area()
    pledge(leeds, "nhs", 40_000)
    pledge(leeds, "local_government", 40_000)
    pledge(leeds, "employer", 20_000)
    short = fund.fund_year(leeds, 2025)
    assert short.three_sources and not short.share_met
    assert (short.pledged, short.shortfall, short.match) == (10_000_000, 800_000, 0)
    assert short.pot == 10_000_000

    pledge(leeds, "philanthropist", 8_000)  # exactly the share: £108,000
    met = fund.fund_year(leeds, 2025)
    assert met.share_met and met.shortfall == 0
    assert met.match == 10_800_000  # £1 for £1
    assert met.pot == 21_600_000

    pledge(leeds, "nhs", 12_000)  # more than the share: matched up to the share only
    over = fund.fund_year(leeds, 2025)
    assert over.match == 10_800_000
    assert over.pot == 12_000_000 + 10_800_000


def test_three_sources_are_required_even_when_the_amount_is_met(app: Any) -> None:
    leeds = area()
    pledge(leeds, "nhs", 60_000)
    pledge(leeds, "local_government", 60_000)
    result = fund.fund_year(leeds, 2025)
    assert result.pledged >= result.local_share
    assert not result.three_sources
    assert result.missing_sources == ["employer_or_philanthropist"]
    assert result.match == 0 and not result.share_met

    pledge(leeds, "philanthropist", 1)
    assert fund.fund_year(leeds, 2025).match == 10_800_000
    # Pledges for another year do not count.
    pledge(leeds, "employer", 500_000, year=2026)
    assert fund.fund_year(leeds, 2026).match == 0


def test_ten_year_projection(app: Any) -> None:
    leeds = area(population=1000, weight=1.0)
    rows = fund.projection(leeds, 2025)
    assert [r.year for r in rows] == list(range(2025, 2035))
    assert rows[0].local_share == 90_000
    assert rows[1].local_share == round(90_000 * 1.038)
    assert all(r.match == r.local_share and r.pot == 2 * r.local_share for r in rows)
    assert rows[-1].cpi_assumed and not rows[1].cpi_assumed


def test_suggested_split_is_proportional_to_score_and_adds_up(app: Any) -> None:
    # £100,000 × 96 / 182.39 = £52,634.46…, × 51.5 / … = £28,236.20…, × 34.89 / … =
    # £19,129.34…: whole pounds sum to £99,999; the pound left goes to the largest remainder.
    assert fund.suggested_split(100_000_00, [96.0, 51.5, 34.89]) == [
        52_635_00,
        28_236_00,
        19_129_00,
    ]
    parts = fund.suggested_split(1000_00, [1, 1, 1])
    assert sum(parts) == 1000_00 and sorted(parts) == [333_00, 333_00, 334_00]
    assert fund.suggested_split(0, [5.0]) == [0]
    assert fund.suggested_split(500_00, []) == []


@pytest.mark.parametrize(
    ("year", "today", "period"),
    [
        # A year that has started (or ended): the 12 months before its April, fixed.
        (2026, date(2026, 12, 3), ("2025-04", "2026-03", "2026-03-31")),
        (2026, date(2026, 4, 1), ("2025-04", "2026-03", "2026-03-31")),
        (2020, date(2026, 12, 3), ("2019-04", "2020-03", "2020-03-31")),
        # Not started yet: the latest 12 whole months.
        (2027, date(2027, 2, 10), ("2026-02", "2027-01", "2027-01-31")),
        (2027, date(2026, 12, 3), ("2025-12", "2026-11", "2026-11-30")),
    ],
)
def test_a_fund_years_split_ranks_on_the_12_months_before_it(
    app: Any, year: int, today: date, period: tuple[str, str, str]
) -> None:
    first, last, as_of = period
    params = fund_year_params(year, today=today)
    assert (params.from_label, params.to_label, params.group_by, params.months) == (
        first,
        last,
        "both",
        12,
    )
    assert params.as_of is not None and params.as_of.date().isoformat() == as_of
    assert (params.as_of.hour, params.as_of.minute) == (23, 59)  # the whole last day


def test_parse_pounds() -> None:
    assert fund.parse_pounds("£1,234.50") == 123_450
    assert fund.parse_pounds("25000") == 2_500_000
    assert fund.parse_pounds("-3") is None
    assert fund.parse_pounds("1.234") is None
    assert fund.parse_pounds("lots") is None
