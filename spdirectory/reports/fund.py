"""The Social Prescribing Fund calculator (DOMAIN.md fund rules, seed 000).

All money is in whole pence (integers) so sums are exact. A fund year Y runs from April Y to
March Y+1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .models import PLEDGE_SOURCES, Area, CpiIndex, FundPledge

THREE_SOURCES = ("nhs", "local_government", "employer_or_philanthropist")


def per_head_pence() -> Decimal:
    return Decimal(str(current_app.config.get("FUND_PER_HEAD_PENCE", 90)))


def base_year() -> int:
    return int(current_app.config.get("FUND_BASE_YEAR", 2025))


def cpi_rates() -> dict[int, tuple[float, bool]]:
    """September CPI per year: from the index table, else the configured table; the bool
    says whether the figure is recorded (True) or configured."""
    rates: dict[int, tuple[float, bool]] = {
        int(y): (float(r), False)
        for y, r in (current_app.config.get("FUND_CPI_SEPTEMBER") or {}).items()
    }
    for row in db.session.scalars(select(CpiIndex)):
        rates[row.year] = (row.rate, True)
    return rates


def uplift(year: int, rates: dict[int, tuple[float, bool]] | None = None) -> tuple[Decimal, bool]:
    """The factor applied to the base year's £0.90 by April of `year`: each April by the
    previous September's CPI. Returns (factor, assumed) where assumed means some
    September was missing and FUND_CPI_ASSUMED was used."""
    rates = cpi_rates() if rates is None else rates
    assumed_rate = float(current_app.config.get("FUND_CPI_ASSUMED", 2.0))
    factor = Decimal(1)
    assumed = False
    for april in range(base_year() + 1, year + 1):
        found = rates.get(april - 1)
        if found is None:
            assumed = True
            rate = assumed_rate
        else:
            rate = found[0]
        factor *= 1 + Decimal(str(rate)) / 100
    return factor, assumed


def local_share_pence(
    population: int, need_weight: float, year: int, rates: dict | None = None
) -> tuple[int, bool]:
    factor, assumed = uplift(year, rates)
    exact = per_head_pence() * population * Decimal(str(need_weight)) * factor
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP)), assumed


@dataclass
class FundYear:
    area: Area
    year: int
    local_share: int
    cpi_assumed: bool
    by_source: dict[str, int]
    pledged: int
    sources_met: dict[str, bool]
    three_sources: bool
    share_met: bool
    match: int
    pot: int
    shortfall: int
    missing_sources: list[str] = field(default_factory=list)


def fund_year(area: Area, year: int) -> FundYear:
    """Local share, pledges, the three-source rule and the national match for one year."""
    rates = cpi_rates()
    share, assumed = local_share_pence(area.population, area.need_weight, year, rates)
    by_source = dict.fromkeys(PLEDGE_SOURCES, 0)
    for pledge in db.session.scalars(
        select(FundPledge).where(FundPledge.area_id == area.id, FundPledge.year == year)
    ):
        by_source[pledge.source] = by_source.get(pledge.source, 0) + pledge.amount_pence
    return evaluate(area, year, share, assumed, by_source)


def evaluate(
    area: Area, year: int, share: int, assumed: bool, by_source: dict[str, int]
) -> FundYear:
    pledged = sum(by_source.values())
    met = {
        "nhs": by_source.get("nhs", 0) > 0,
        "local_government": by_source.get("local_government", 0) > 0,
        "employer_or_philanthropist": (
            by_source.get("employer", 0) + by_source.get("philanthropist", 0) > 0
        ),
    }
    three = all(met.values())
    share_met = three and pledged >= share
    # National investors match £1 for £1 only once the local share is met, up to the share.
    match = share if share_met else 0
    return FundYear(
        area=area,
        year=year,
        local_share=share,
        cpi_assumed=assumed,
        by_source=by_source,
        pledged=pledged,
        sources_met=met,
        three_sources=three,
        share_met=share_met,
        match=match,
        pot=pledged + match,
        shortfall=max(0, share - pledged),
        missing_sources=[k for k, v in met.items() if not v],
    )


@dataclass
class ProjectionYear:
    year: int
    local_share: int
    match: int
    pot: int
    cpi_assumed: bool


def projection(area: Area, first_year: int, years: int = 10) -> list[ProjectionYear]:
    """Ten years of commitment, assuming the local share is met each year (and so matched)."""
    rates = cpi_rates()
    rows = []
    for year in range(first_year, first_year + years):
        share, assumed = local_share_pence(area.population, area.need_weight, year, rates)
        rows.append(ProjectionYear(year, share, share, 2 * share, assumed))
    return rows


def suggested_split(pot_pence: int, scores: list[float]) -> list[int]:
    """Split a pot across priorities in proportion to their scores, in whole pounds; the
    pounds lost to rounding go to the highest priorities first, so the parts sum to the
    pot (in pounds)."""
    pounds = pot_pence // 100
    total = sum(s for s in scores if s > 0)
    if not scores or total <= 0 or pounds <= 0:
        return [0 for _ in scores]
    raw = [pounds * max(s, 0) / total for s in scores]
    parts = [int(r) for r in raw]
    left = pounds - sum(parts)
    order = sorted(range(len(scores)), key=lambda i: (-(raw[i] - parts[i]), -scores[i], i))
    for i in order[:left]:
        parts[i] += 1
    return [p * 100 for p in parts]


def pounds(pence: int) -> str:
    return f"£{pence / 100:,.2f}"


def parse_pounds(raw: str) -> int | None:
    """'1,234.50' or '£1234.5' → pence; None when not an amount."""
    text = (raw or "").strip().replace(",", "").removeprefix("£")
    try:
        value = Decimal(text)
    except Exception:
        return None
    if value.is_nan() or value < 0 or value.as_tuple().exponent < -2:  # type: ignore[operator]
        return None
    return int(value * 100)
