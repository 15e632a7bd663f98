"""The capacity-gap report: parameters, cells (area × category), gap measures, priority score
and ranking. Formulae are documented in docs/reports.md; weights come from
`REPORT_PRIORITY_WEIGHTS`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select, text

from .. import vocab
from ..db_types import utcnow
from ..extensions import db
from . import queries
from .models import AREA_TYPES, Area
from .queries import Key, Scope

GROUPINGS = ("area", "category", "both")
DEFAULT_WEIGHTS = {"demand": 0.35, "unmet": 0.25, "waitlist": 0.15, "scarcity": 0.15, "trend": 0.10}
COUNT_FIELDS = (
    "activities",
    "places",
    "spare",
    "waitlists",
    "referrals",
    "declined_full",
    "waitlisted",
    "unmet_needs",
    "searches_unmet",
)
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


class ReportParamError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("Invalid report parameters")
        self.fields = fields


@dataclass(frozen=True)
class ReportParams:
    start: date  # first day of the first month
    end: date  # first day of the month after the last (exclusive)
    group_by: str = "both"
    area_type: str = "ward"
    area_codes: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    as_of: datetime | None = None

    @property
    def months(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    @property
    def from_label(self) -> str:
        return self.start.strftime("%Y-%m")

    @property
    def to_label(self) -> str:
        return _add_months(self.end, -1).strftime("%Y-%m")

    def query_args(self, **changes: Any) -> dict[str, Any]:
        args: dict[str, Any] = {
            "from": self.from_label,
            "to": self.to_label,
            "group_by": self.group_by,
            "area_type": self.area_type,
            "area": list(self.area_codes),
            "category": list(self.categories),
        }
        if self.as_of:
            args["as_of"] = self.as_of.isoformat()
        args.update(changes)
        return {k: v for k, v in args.items() if v not in (None, "", [])}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _month(raw: str, name: str, errors: dict[str, str]) -> date | None:
    found = MONTH_RE.match(raw.strip())
    if not found or not 1 <= int(found.group(2)) <= 12:
        errors[name] = "use a month as YYYY-MM (for example 2026-04)"
        return None
    return date(int(found.group(1)), int(found.group(2)), 1)


def _moment(raw: str, errors: dict[str, str]) -> datetime | None:
    try:
        if len(raw.strip()) == 10:
            # A date means the end of that day: everything recorded on it counts.
            day = date.fromisoformat(raw.strip())
            return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
        moment = datetime.fromisoformat(raw.strip())
    except ValueError:
        errors["as_of"] = "use a date (2026-03-31) or an ISO 8601 date and time"
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def parse_params(args: Mapping[str, Any], *, today: date | None = None) -> ReportParams:
    """Report parameters from query arguments (a MultiDict or a plain dict)."""
    errors: dict[str, str] = {}

    def getlist(name: str) -> list[str]:
        if hasattr(args, "getlist"):
            values = args.getlist(name)
        else:
            value = args.get(name)
            values = value if isinstance(value, list) else [value] if value else []
        return [v.strip() for v in values if v and v.strip()]

    today = today or utcnow().date()
    this_month = date(today.year, today.month, 1)
    raw_to, raw_from = args.get("to") or "", args.get("from") or ""
    last = _month(raw_to, "to", errors) if raw_to else this_month
    first = _month(raw_from, "from", errors) if raw_from else None
    if last and first is None and not raw_from:
        first = _add_months(last, -11)
    if first and last:
        if first > last:
            errors["from"] = "the first month must not be after the last"
        elif (last.year - first.year) * 12 + last.month - first.month >= 60:
            errors["to"] = "a report covers at most 60 months"
    group_by = (args.get("group_by") or "both").strip()
    if group_by not in GROUPINGS:
        errors["group_by"] = "one of: area, category, both"
    area_type = (args.get("area_type") or "").strip() or default_area_type()
    if area_type not in AREA_TYPES:
        errors["area_type"] = "one of: " + ", ".join(AREA_TYPES)
    categories = getlist("category")
    unknown = [c for c in categories if c not in vocab.CATEGORIES]
    if unknown:
        errors["category"] = f"unknown category: {', '.join(unknown)}"
    area_codes = getlist("area")
    if area_codes:
        known = set(db.session.scalars(select(Area.code).where(Area.code.in_(area_codes))))
        missing = [c for c in area_codes if c not in known]
        if missing:
            errors["area"] = f"unknown area: {', '.join(missing)}"
    as_of = _moment(args["as_of"], errors) if args.get("as_of") else None
    if errors or first is None or last is None:
        raise ReportParamError(errors or {"from": "give a month as YYYY-MM"})
    return ReportParams(
        start=first,
        end=_add_months(last, 1),
        group_by=group_by,
        area_type=area_type,
        area_codes=tuple(dict.fromkeys(area_codes)),
        categories=tuple(dict.fromkeys(categories)),
        as_of=as_of,
    )


def fund_year_params(year: int, *, today: date | None = None) -> ReportParams:
    """The report a fund year's suggested split ranks on (docs/reports.md): the 12 whole
    months before the year starts (April Y-1 to March Y) as recorded by the end of that
    March, so a past year's suggestion can be reproduced; for a year not started yet, the
    12 whole months before this month, the latest complete figures."""
    today = today or utcnow().date()
    last = min(date(year, 3, 1), _add_months(date(today.year, today.month, 1), -1))
    last_day = _add_months(last, 1) - timedelta(days=1)
    return parse_params(
        {
            "from": _add_months(last, -11).strftime("%Y-%m"),
            "to": last.strftime("%Y-%m"),
            "as_of": last_day.isoformat(),
            "group_by": "both",
        },
        today=today,
    )


def default_area_type() -> str:
    """The configured level if it has areas, else the level with the most areas."""
    wanted = current_app.config.get("REPORT_DEFAULT_AREA_TYPE", "ward")
    counts = dict(db.session.execute(select(Area.type, func.count()).group_by(Area.type)).all())
    if counts.get(wanted) or not counts:
        return wanted
    return max(counts, key=lambda t: counts[t])


@dataclass
class Cell:
    area_id: int | None
    area_code: str
    area_name: str
    category: str | None
    population: int | None
    need_weight: float
    counts: dict[str, int] = field(default_factory=dict)
    unmet_reasons: dict[str, int] = field(default_factory=dict)
    measures: dict[str, float | None] = field(default_factory=dict)
    score: float = 0.0
    rank: int | None = None

    @property
    def key(self) -> Key:
        return (self.area_id, self.category)

    @property
    def category_label(self) -> str:
        return vocab.label(vocab.CATEGORIES, self.category) if self.category else "All categories"

    @property
    def demand(self) -> int:
        return self.counts.get("referrals", 0) + self.counts.get("unmet_needs", 0)

    def __getattr__(self, name: str) -> Any:
        counts = self.__dict__.get("counts", {})
        if name in COUNT_FIELDS:
            return counts.get(name, 0)
        raise AttributeError(name)


@dataclass
class Report:
    params: ReportParams
    cells: list[Cell]
    areas: list[Area]
    categories: list[str]
    monthly: dict[str, dict[str, int]]
    months: list[str]
    computed_at: datetime
    weights: dict[str, float]
    # Month → places per week and spare places at its end (capacity history); a month
    # that starts after the as-of moment (or now) is left out: its supply is not known yet.
    supply_monthly: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def priorities(self) -> list[Cell]:
        return sorted((c for c in self.cells if c.rank), key=lambda c: c.rank or 0)

    def cell(self, area_id: int | None, category: str | None) -> Cell | None:
        index = self.__dict__.get("_index")
        if index is None:  # built once: the heat map asks for every area × category
            index = self.__dict__["_index"] = {c.key: c for c in self.cells}
        return index.get((area_id, category))


def weights() -> dict[str, float]:
    configured = current_app.config.get("REPORT_PRIORITY_WEIGHTS") or {}
    merged = {**DEFAULT_WEIGHTS, **{k: float(v) for k, v in configured.items()}}
    return {k: max(0.0, merged[k]) for k in DEFAULT_WEIGHTS}


def _scope(params: ReportParams, area_ids: tuple[int, ...]) -> Scope:
    def at(day: date) -> datetime:
        return datetime.combine(day, time(), UTC)

    last = _add_months(params.end, -1)
    return Scope(
        start=at(params.start),
        end=at(params.end),
        by_area=params.group_by in ("area", "both"),
        by_category=params.group_by in ("category", "both"),
        area_type=params.area_type,
        area_ids=area_ids,
        categories=params.categories,
        as_of=params.as_of,
        last_month=at(last),
        previous_month=at(_add_months(last, -1)),
    )


def build_report(params: ReportParams, *, monthly: bool = True) -> Report:
    """Compute every cell, its gap measures and the ranked priorities; with `monthly`,
    also the demand per month for the trend chart (exports and the API do without)."""
    if params.area_codes:
        areas = list(
            db.session.scalars(
                select(Area).where(Area.code.in_(params.area_codes)).order_by(Area.name)
            )
        )
    else:
        areas = list(
            db.session.scalars(
                select(Area).where(Area.type == params.area_type).order_by(Area.name)
            )
        )
    scope = _scope(params, tuple(a.id for a in areas) if params.area_codes else ())
    tune_session()
    merged: dict[Key, dict[str, int]] = {}
    # Supply now is summed in Python (one pass); as of a date, from capacity history in SQL.
    # Demand comes from the monthly summary where it is exact (reports/summary.py).
    supply = queries.current_supply if scope.as_of is None else queries.supply
    for source in (supply, queries.demand):
        for key, values in source(scope).items():
            merged.setdefault(key, {}).update(values)

    by_id = {a.id: a for a in areas}
    total_population = sum(a.population for a in areas) or None
    mean_weight = (
        sum(a.population * a.need_weight for a in areas) / total_population
        if total_population
        else 1.0
    )
    cells: list[Cell] = []
    for (area_id, category), values in merged.items():
        area = by_id.get(area_id) if area_id is not None else None
        if area_id is not None and area is None:
            continue
        cell = Cell(
            area_id=area_id,
            area_code=area.code if area else "",
            area_name=area.name if area else "All areas",
            category=category,
            population=(area.population or None) if area else total_population,
            need_weight=area.need_weight if area else mean_weight,
            counts={k: values.get(k, 0) for k in COUNT_FIELDS},
            unmet_reasons={
                code: values.get(f"unmet_{code}", 0) for code in vocab.UNMET_NEED_REASONS
            },
        )
        cell.counts["_last"] = values.get("referrals_last", 0) + values.get("unmet_last", 0)
        cell.counts["_previous"] = values.get("referrals_previous", 0) + values.get(
            "unmet_previous", 0
        )
        cells.append(cell)
    used = weights()
    score_cells(cells, params.months, used)
    cells.sort(key=lambda c: (c.area_name, c.area_code, c.category or ""))
    series = queries.monthly_demand(scope) if monthly else {}
    months = []
    day = params.start
    while day < params.end:
        months.append(day.strftime("%Y-%m"))
        day = _add_months(day, 1)
    computed_at = utcnow()
    supply_series: dict[str, dict[str, int]] = {}
    if monthly:
        known = month_ends(params, computed_at)
        values = queries.supply_over_time(scope, list(known.values()))
        supply_series = dict(zip(known, values, strict=True))
    categories = sorted({c.category for c in cells if c.category})
    return Report(
        params, cells, areas, categories, series, months, computed_at, used, supply_series
    )


def month_ends(params: ReportParams, now: datetime) -> dict[str, datetime]:
    """Month → the moment its supply is read at: the end of the month, or the as-of moment
    (or now) when that comes first. Months starting after that moment are left out."""
    cutoff = min(params.as_of, now) if params.as_of else now
    found: dict[str, datetime] = {}
    day = params.start
    while day < params.end:
        following = _add_months(day, 1)
        start = datetime.combine(day, time(), UTC)
        if start > cutoff:
            break
        end = datetime.combine(following, time(), UTC) - timedelta(microseconds=1)
        found[day.strftime("%Y-%m")] = min(end, cutoff)
        day = following
    return found


def tune_session() -> None:
    """PostgreSQL: give this transaction's aggregates enough memory to hash in RAM rather
    than spill to disk, and skip JIT compilation (it costs more than it saves here)."""
    if db.engine.dialect.name != "postgresql":
        return
    work_mem = str(current_app.config.get("REPORT_PG_WORK_MEM", "64MB"))
    if not re.fullmatch(r"\d+(kB|MB|GB)", work_mem):
        raise ValueError("REPORT_PG_WORK_MEM must look like 64MB")
    db.session.execute(text(f"SET LOCAL work_mem = '{work_mem}'"))
    db.session.execute(text("SET LOCAL jit = off"))


def gap_measures(cell: Cell, months: int) -> dict[str, float | None]:
    c = cell.counts
    places, demand = c["places"], cell.demand
    last, previous = c.get("_last", 0), c.get("_previous", 0)
    return {
        "demand": float(demand),
        "demand_per_100_places": (100 * demand / (places * months)) if places else None,
        "unmet_need_rate": (
            min(1.0, (c["unmet_needs"] + c["declined_full"]) / demand) if demand else None
        ),
        "waitlist_pressure": (c["waitlisted"] / c["referrals"]) if c["referrals"] else None,
        "places_per_1000": (1000 * places / cell.population) if cell.population else None,
        "trend": ((last - previous) / previous) if previous else None,
    }


def score_cells(cells: list[Cell], months: int, used: dict[str, float]) -> None:
    """Gap measures and priority score for every cell, then rank those with demand."""
    for cell in cells:
        cell.measures = gap_measures(cell, months)
    per_place = [
        c.measures["demand_per_100_places"]
        for c in cells
        if c.measures["demand_per_100_places"] is not None
    ]
    densities = [c.measures["places_per_1000"] for c in cells if c.measures["places_per_1000"]]
    max_demand = max(per_place, default=0.0) or 0.0
    max_density = max(densities, default=0.0) or 0.0
    total = sum(used.values()) or 1.0
    for cell in cells:
        m = cell.measures
        if cell.demand == 0:
            cell.score = 0.0
            continue
        dp = m["demand_per_100_places"]
        # No places at all while people are asking: the largest possible gap.
        demand_part = 1.0 if dp is None else (dp / max_demand if max_demand else 0.0)
        density = m["places_per_1000"]
        scarcity = (1 - density / max_density) if density is not None and max_density else 0.0
        if cell.counts["places"] == 0 and cell.population:
            scarcity = 1.0
        parts = {
            "demand": demand_part,
            "unmet": m["unmet_need_rate"] or 0.0,
            "waitlist": min(1.0, m["waitlist_pressure"] or 0.0),
            "scarcity": scarcity,
            "trend": max(0.0, min(1.0, m["trend"] or 0.0)),
        }
        cell.measures.update({f"part_{k}": v for k, v in parts.items()})
        raw = sum(used[k] * parts[k] for k in used) / total
        cell.score = round(100 * cell.need_weight * raw, 2)
    ranked = sorted(
        (c for c in cells if c.demand > 0),
        key=lambda c: (-c.score, -c.demand, c.area_code, c.category or ""),
    )
    for position, cell in enumerate(ranked, start=1):
        cell.rank = position


# ---- suppression for exports and drill-downs ---------------------------------------


def suppress(value: int | None, minimum: int = 5) -> int | str | None:
    """Counts from 1 to minimum-1 could identify people: shown as '<5'."""
    if value is None or value == 0 or value >= minimum:
        return value
    return f"<{minimum}"


def min_count() -> int:
    return int(current_app.config.get("REPORT_SUPPRESS_BELOW", 5))


def current_decisions(area_ids: list[int]) -> dict[tuple[int, str], Any]:
    """The latest panel decision for each (area, category)."""
    from .models import PanelDecision

    if not area_ids:
        return {}
    rows = db.session.scalars(
        select(PanelDecision)
        .where(PanelDecision.area_id.in_(area_ids))
        .order_by(PanelDecision.decided_at, PanelDecision.id)
    )
    return {(d.area_id, d.category): d for d in rows}
