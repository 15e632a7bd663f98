"""Supply and demand, aggregated in SQL (GROUP BY) by area × category.

Every query maps rows to areas through `area_district` (postcode district → area of the
chosen type) and to categories through a small literal table of category codes matched
against the padded CodeList text (`' walking green_nature '`). Only the grouped rows come
back to Python, so a 12-month report over a million referrals stays one pass per source.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    String,
    Text,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    type_coerce,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select

from .. import vocab
from ..db_types import UTCDateTime
from ..dbapi import plain_rows
from ..directory.models import Activity, CapacityChange
from ..extensions import db
from ..referrals.models import Referral, ReferralEvent
from ..search.demand import UnmetSearch
from .models import Area, AreaDistrict
from .summary import ALL, DemandMonth
from .summary import COUNTERS as SUMMARY_COUNTERS

Key = tuple[int | None, str | None]  # (area id, category); None where not grouped


@dataclass(frozen=True)
class Scope:
    """What one report covers: a period [start, end), how it is grouped, and filters."""

    start: datetime
    end: datetime
    by_area: bool
    by_category: bool
    area_type: str
    area_ids: tuple[int, ...] = ()  # only these areas (any type); empty: all of area_type
    categories: tuple[str, ...] = ()  # only these categories; empty: all
    as_of: datetime | None = None  # ignore anything recorded after this moment
    last_month: datetime | None = None  # start of the period's last month (trend)
    previous_month: datetime | None = None  # start of the month before it

    @property
    def until(self) -> datetime:
        """The end of the period, or the as-of moment when that comes first."""
        return min(self.end, self.as_of) if self.as_of else self.end

    @property
    def uses_areas(self) -> bool:
        return self.by_area or bool(self.area_ids)


def unmet_need_model() -> Any:
    """The recorded-unmet-needs model (referrals area), or None before it exists."""
    try:
        from ..unmet_needs.models import UnmetNeed  # type: ignore[import-not-found]
    except ImportError:
        return None
    return UnmetNeed


def category_table(scope: Scope) -> Any:
    codes = scope.categories or tuple(vocab.CATEGORIES)
    parts = [select(literal(code, String(40)).label("code")) for code in codes]
    return (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("cats")


def area_map(scope: Scope) -> Any:
    """district → area_id for the areas the report rows are (or are limited to)."""
    query = select(AreaDistrict.area_id, AreaDistrict.district).join(
        Area, Area.id == AreaDistrict.area_id
    )
    if scope.area_ids:
        query = query.where(Area.id.in_(scope.area_ids))
    else:
        query = query.where(Area.type == scope.area_type)
    if not scope.by_area:
        # Categories only: each district once, however many of the areas contain it.
        query = select(AreaDistrict.district).join(Area, Area.id == AreaDistrict.area_id)
        query = query.where(
            Area.id.in_(scope.area_ids) if scope.area_ids else Area.type == scope.area_type
        ).distinct()
    # Materialised: computed once and probed per row (both databases honour the hint).
    return _materialised(query.cte("am"))


def activity_categories(scope: Scope) -> Any:
    """activity id → category, exploded once per query, so demand rows join on an integer
    instead of matching every category pattern against every referral."""
    a = Activity.__table__
    cats = category_table(scope)
    query = select(a.c.id.label("activity_id"), cats.c.code.label("code")).join(
        cats, a.c.categories.like(literal("% ") + cats.c.code + literal(" %"))
    )
    return _materialised(query.cte("ac"))


def _materialised(cte: Any) -> Any:
    """SQLite would otherwise re-run the CTE for every row; PostgreSQL plans better with it
    inlined (a materialised CTE hides its row count from the planner)."""
    if db.engine.dialect.name == "sqlite":
        return cte.prefix_with("MATERIALIZED")
    return cte


def _grouped(
    scope: Scope,
    base: Select[Any],
    district: ColumnElement[Any],
    codes_column: ColumnElement[Any] | None,
    *,
    json_codes: bool = False,
    activity_id: ColumnElement[Any] | None = None,
) -> Select[Any]:
    """Add the area and category joins and GROUP BY to a query of aggregates."""
    keys: list[Any] = []
    if scope.uses_areas:
        am = area_map(scope)
        base = base.join(am, am.c.district == district)
        keys.append(am.c.area_id if scope.by_area else null())
    else:
        keys.append(null())
    if scope.by_category or scope.categories:
        cats = category_table(scope)
        if codes_column is None:
            condition = None  # categories come from the activity (activity_id)
        elif json_codes:
            # Search filters are JSON ({"category": ["walking"]}); the quoted code is unique
            # among all vocabularies, so a text match is exact enough and portable.
            condition = cast(codes_column, Text).like(literal('%"') + cats.c.code + literal('"%'))
        else:
            condition = codes_column.like(literal("% ") + cats.c.code + literal(" %"))
        if scope.by_category and activity_id is not None:
            ac = activity_categories(scope)
            base = base.join(ac, ac.c.activity_id == activity_id)
            keys.append(ac.c.code)
        elif scope.by_category:
            base = base.join(cats, condition)
            keys.append(cats.c.code)
        elif activity_id is not None:
            # Filtered, not grouped: a row counts once however many chosen categories match.
            ac = activity_categories(scope)
            base = base.where(select(ac.c.code).where(ac.c.activity_id == activity_id).exists())
            keys.append(null())
        else:
            base = base.where(select(cats.c.code).where(condition).exists())
            keys.append(null())
    else:
        keys.append(null())
    labelled = [keys[0].label("area_id"), keys[1].label("category")]
    grouping = [k for k, on in ((keys[0], scope.by_area), (keys[1], scope.by_category)) if on]
    query = base.add_columns(*labelled)
    return query.group_by(*grouping) if grouping else query


def _rows(query: Select[Any]) -> list[Any]:
    return list(db.session.execute(query).mappings())


def _count_between(column: Any, start: datetime | None, end: datetime | None) -> Any:
    if start is None or end is None:
        return literal(0)
    return func.sum(case((and_(column >= start, column < end), 1), else_=0))


SUPPLY_COUNTS = ("activities", "places", "spare", "waitlists")


def _district_areas(scope: Scope) -> dict[str, list[int | None]]:
    """district → the report rows' area ids it counts in ([None] when not by area)."""
    found: dict[str, list[int | None]] = {}
    for area_id, district in db.session.execute(
        select(AreaDistrict.area_id, AreaDistrict.district)
        .join(Area, Area.id == AreaDistrict.area_id)
        .where(Area.id.in_(scope.area_ids) if scope.area_ids else Area.type == scope.area_type)
    ):
        found.setdefault(district, []).append(area_id if scope.by_area else None)
    if not scope.by_area:
        found = {district: [None] for district in found}
    return found


def current_supply(scope: Scope) -> dict[Key, dict[str, int]]:
    """`supply` for now, aggregated in Python from one pass over the published listings.

    Why not SQL: matching every category pattern against 100,000 listings inside the
    database costs seconds on SQLite; reading the five columns and splitting the category
    text here costs a fraction of that, on both databases, with the same result."""
    a = Activity.__table__
    areas = _district_areas(scope) if scope.uses_areas else None
    wanted = set(scope.categories) if scope.categories else set(vocab.CATEGORIES)
    found: dict[Key, list[int]] = {}
    rows = db.session.execute(
        select(
            a.c.postcode_district,
            type_coerce(a.c.categories, Text),  # the raw ' code code ' text: split once here
            a.c.capacity,
            a.c.spare_places,
            a.c.waitlist_open,
        ).where(a.c.status == "published")
    )
    everywhere: list[int | None] = [None]
    nowhere: list[int | None] = []
    by_category, filtered = scope.by_category, bool(scope.categories)
    for district, codes, capacity, spare, waitlist in rows.all():  # one fetch: fast
        area_ids = everywhere if areas is None else areas.get(district, nowhere)
        if not area_ids:
            continue
        if by_category:
            # CodeList text holds each code once, so no de-duplication is needed here.
            categories: list[str | None] = [c for c in (codes or "").split() if c in wanted]
        elif filtered:
            # Filtered, not grouped: a listing counts once however many chosen ones match.
            categories = [None] if wanted.intersection((codes or "").split()) else []
        else:
            categories = [None]
        places, spare, waiting = capacity or 0, spare or 0, 1 if waitlist else 0
        for area_id in area_ids:
            for category in categories:
                cell = found.get((area_id, category))
                if cell is None:
                    found[(area_id, category)] = [1, places, spare, waiting]
                else:
                    cell[0] += 1
                    cell[1] += places
                    cell[2] += spare
                    cell[3] += waiting
    if not scope.by_area and not scope.by_category:
        found.setdefault((None, None), [0, 0, 0, 0])  # as SQL's ungrouped aggregate
    return {key: dict(zip(SUPPLY_COUNTS, values, strict=True)) for key, values in found.items()}


def supply(scope: Scope) -> dict[Key, dict[str, int]]:
    """Activities, places per week, spare places and open waitlists per cell, as of
    `scope.as_of` (from capacity history) or now."""
    a = Activity.__table__
    if scope.as_of is None:
        capacity, spare, waitlist = a.c.capacity, a.c.spare_places, a.c.waitlist_open
        base = select().select_from(a).where(a.c.status == "published")
    else:
        latest = (
            select(
                CapacityChange.activity_id.label("activity_id"),
                func.max(CapacityChange.id).label("change_id"),
            )
            .where(CapacityChange.at <= scope.as_of)
            .group_by(CapacityChange.activity_id)
            .subquery("latest")
        )
        cc = CapacityChange.__table__.alias("cc")
        capacity = case((cc.c.id.is_(None), a.c.capacity), else_=cc.c.capacity)
        spare = func.coalesce(cc.c.spare_places, a.c.spare_places)
        waitlist = func.coalesce(cc.c.waitlist_open, a.c.waitlist_open)
        base = (
            select()
            .select_from(a)
            .outerjoin(latest, latest.c.activity_id == a.c.id)
            .outerjoin(cc, cc.c.id == latest.c.change_id)
            .where(a.c.status == "published", a.c.created_at <= scope.as_of)
        )
    base = base.add_columns(
        func.count().label("activities"),
        func.coalesce(func.sum(func.coalesce(capacity, 0)), 0).label("places"),
        func.coalesce(func.sum(spare), 0).label("spare"),
        func.coalesce(func.sum(case((waitlist, 1), else_=0)), 0).label("waitlists"),
    )
    query = _grouped(scope, base, a.c.postcode_district, a.c.categories)
    return _collect(query, ("activities", "places", "spare", "waitlists"))


def _per_activity(scope: Scope, inner: Any, names: Sequence[str]) -> dict[Key, dict[str, int]]:
    """Sum counts pre-aggregated per (activity, district) by area × category.

    Aggregating first shrinks a million referrals to about one row per activity before the
    area and category joins, which is what keeps the full report fast.
    """
    base = (
        select()
        .select_from(inner)
        .add_columns(*(func.sum(inner.c[name]).label(name) for name in names))
    )
    query = _grouped(scope, base, inner.c.district, None, activity_id=inner.c.activity_id)
    return _collect(query, names)


REFERRAL_COUNTS = (
    "referrals",
    "referrals_last",
    "referrals_previous",
    "declined_full",
    "waitlisted",
)


def referral_demand(scope: Scope) -> dict[Key, dict[str, int]]:
    """Referrals sent in the period, declines because full and waitlist entries (by when
    they happened), in the person's district (or the activity's): one pass over both
    tables, pre-aggregated per activity."""
    r = Referral.__table__
    e = ReferralEvent.__table__
    zero = literal(0)
    a = Activity.__table__
    # The person's district when the link worker gave one, else the activity's.
    district = func.coalesce(func.nullif(r.c.person_district, ""), a.c.postcode_district)
    sent = (
        select(
            r.c.activity_id,
            district.label("district"),
            literal(1).label("referrals"),
            case((r.c.created_at >= scope.last_month, 1), else_=0).label("referrals_last"),
            case(
                (
                    and_(r.c.created_at >= scope.previous_month, r.c.created_at < scope.last_month),
                    1,
                ),
                else_=0,
            ).label("referrals_previous"),
            zero.label("declined_full"),
            zero.label("waitlisted"),
        )
        .join(a, a.c.id == r.c.activity_id)
        .where(r.c.created_at >= scope.start, r.c.created_at < scope.until)
    )
    full = and_(e.c.to_status == "declined", e.c.reason == "full")
    events = (
        select(
            r.c.activity_id,
            district,
            zero,
            zero,
            zero,
            case((full, 1), else_=0),
            case((e.c.to_status == "waitlisted", 1), else_=0),
        )
        .select_from(e)
        .join(r, r.c.id == e.c.referral_id)
        .join(a, a.c.id == r.c.activity_id)
        .where(
            e.c.at >= scope.start,
            e.c.at < scope.until,
            or_(full, e.c.to_status == "waitlisted"),
        )
    )
    rows = union_all(sent, events).subquery("demand_rows")
    inner = (
        select(
            rows.c.activity_id,
            rows.c.district,
            *(func.sum(rows.c[name]).label(name) for name in REFERRAL_COUNTS),
        )
        .group_by(rows.c.activity_id, rows.c.district)
        .subquery("per_activity")
    )
    return _per_activity(scope, inner, REFERRAL_COUNTS)


def unmet_need_demand(scope: Scope) -> dict[Key, dict[str, int]]:
    """Unmet needs recorded by link workers, with a count for every reason."""
    model = unmet_need_model()
    if model is None:
        return {}
    u = model.__table__
    reasons = {
        f"unmet_{code}": func.sum(case((u.c.reasons.like(f"% {code} %"), 1), else_=0))
        for code in vocab.UNMET_NEED_REASONS
    }
    base = (
        select()
        .select_from(u)
        .where(u.c.recorded_at >= scope.start, u.c.recorded_at < scope.until)
        .add_columns(
            func.count().label("unmet_needs"),
            _count_between(u.c.recorded_at, scope.last_month, scope.end).label("unmet_last"),
            _count_between(u.c.recorded_at, scope.previous_month, scope.last_month).label(
                "unmet_previous"
            ),
            *(expr.label(name) for name, expr in reasons.items()),
        )
    )
    query = _grouped(scope, base, u.c.postcode_district, u.c.categories)
    return _collect(query, ("unmet_needs", "unmet_last", "unmet_previous", *reasons))


def search_demand(scope: Scope) -> dict[Key, dict[str, int]]:
    """Searches and matches that found nothing available (anonymous log)."""
    s = UnmetSearch.__table__
    base = (
        select()
        .select_from(s)
        .where(s.c.at >= scope.start, s.c.at < scope.until)
        .add_columns(func.count().label("searches_unmet"))
    )
    query = _grouped(scope, base, s.c.postcode_district, s.c.filters, json_codes=True)
    return _collect(query, ("searches_unmet",))


# ---- demand from the monthly summary (reports/summary.py) --------------------------

DEMAND_COUNTS = (
    *REFERRAL_COUNTS,
    "unmet_needs",
    "unmet_last",
    "unmet_previous",
    *(f"unmet_{code}" for code in vocab.UNMET_NEED_REASONS),
    "searches_unmet",
)


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _summary_split(scope: Scope) -> tuple[Any, Any, datetime] | None:
    """(first month, end month, moment) for the whole months the summary answers: the
    period's months before the month of `until`; the rest, [moment, until), is read raw.
    None when the summary cannot give the exact answer (a period not starting on a month,
    or several categories filtered but not grouped: a row must count once however many of
    them match, and the summary keeps categories one by one)."""
    if scope.start != _month_start(scope.start):
        return None
    if scope.categories and not scope.by_category and len(scope.categories) > 1:
        return None
    moment = max(scope.start, _month_start(scope.until))
    if scope.until > moment:
        following = _next_month(moment)
        if _nothing_recorded(scope.until, following):
            # The as-of month counts whole: nothing in it is later than the as-of moment
            # (the usual "as at the end of the month" report), so the summary is exact.
            moment = following
    return scope.start.date(), moment.date(), moment


def _next_month(moment: datetime) -> datetime:
    return moment.replace(year=moment.year + moment.month // 12, month=moment.month % 12 + 1)


def _nothing_recorded(since: datetime, before: datetime) -> bool:
    """No demand recorded in [since, before): four indexed look-ups."""
    r, e, s = Referral.__table__, ReferralEvent.__table__, UnmetSearch.__table__
    probes = [
        select(r.c.id).where(r.c.created_at >= since, r.c.created_at < before),
        select(e.c.id).where(
            e.c.to_status.in_(("waitlisted", "declined")), e.c.at >= since, e.c.at < before
        ),
        select(s.c.id).where(s.c.at >= since, s.c.at < before),
    ]
    model = unmet_need_model()
    if model is not None:
        u = model.__table__
        probes.append(select(u.c.id).where(u.c.recorded_at >= since, u.c.recorded_at < before))
    return not any(db.session.execute(probe.limit(1)).first() for probe in probes)


def _remainder(scope: Scope, moment: datetime) -> Scope | None:
    """The part of the period after the summary's whole months (an as-of inside a month)."""
    if moment >= scope.until:
        return None
    return replace(scope, start=moment)


def _summary_filters(scope: Scope, d: Any) -> list[Any]:
    if scope.by_category:
        condition = d.c.category != ALL
        if scope.categories:
            condition = d.c.category.in_(scope.categories)
        return [condition]
    return [d.c.category == (scope.categories[0] if scope.categories else ALL)]


def demand(scope: Scope) -> dict[Key, dict[str, int]]:
    """Referral, unmet-need and unmet-search demand per cell (the names in DEMAND_COUNTS),
    from the monthly summary where it gives the same answer as the raw tables."""
    split = _summary_split(scope)
    if split is None:
        return _raw_demand(scope)
    first, stop, moment = split
    found: dict[Key, dict[str, int]] = {}
    if first < stop:
        for key, values in _summary_cells(scope, first, stop).items():
            if any(values.values()):  # rows netted to zero by corrections count nothing
                found[key] = values
    rest = _remainder(scope, moment)
    if rest is not None:
        for key, values in _raw_demand(rest).items():
            cell = found.setdefault(key, dict.fromkeys(DEMAND_COUNTS, 0))
            for name, n in values.items():
                cell[name] = cell.get(name, 0) + n
    return found


def _summary_cells(scope: Scope, first: Any, stop: Any) -> dict[Key, dict[str, int]]:
    """Sum the summary's months [first, stop) per (district, category) in the database —
    one ordered pass over its primary key (district, category, month) — then map the
    districts to the report's areas here: at most districts × categories rows come back."""
    d = DemandMonth.__table__
    last = scope.last_month.date() if scope.last_month else None
    previous = scope.previous_month.date() if scope.previous_month else None
    end_month = scope.end.date()

    def months(column: Any, start: Any, end: Any) -> Any:
        if start is None or end is None:
            return literal(0)
        return func.sum(case((and_(d.c.month >= start, d.c.month < end), column), else_=0))

    extra = {
        "referrals_last": months(d.c.referrals, last, end_month),
        "referrals_previous": months(d.c.referrals, previous, last),
        "unmet_last": months(d.c.unmet_needs, last, end_month),
        "unmet_previous": months(d.c.unmet_needs, previous, last),
    }
    names = [n for n in DEMAND_COUNTS if n in SUMMARY_COUNTERS or n in extra]
    columns = [(extra[n] if n in extra else func.sum(d.c[n])).label(n) for n in names]
    group = [d.c.district, d.c.category] if scope.by_category else [d.c.district]
    query = (
        select(*group, *columns)
        .where(d.c.month >= first, d.c.month < stop, *_summary_filters(scope, d))
        .group_by(*group)
    )
    areas = _district_areas(scope) if scope.uses_areas else None
    found: dict[Key, dict[str, int]] = {}
    for row in db.session.execute(query):
        district = row[0]
        category = row[1] if scope.by_category else None
        values = row[len(group) :]
        if areas is None:
            area_ids: list[int | None] = [None]
        else:
            area_ids = areas.get(district) or []
        for area_id in area_ids:
            cell = found.get((area_id, category))
            if cell is None:
                found[(area_id, category)] = {
                    n: int(v or 0) for n, v in zip(names, values, strict=True)
                }
            else:
                for n, v in zip(names, values, strict=True):
                    cell[n] += int(v or 0)
    if not scope.by_area and not scope.by_category:
        found.setdefault((None, None), dict.fromkeys(names, 0))
    return found


def _raw_demand(scope: Scope) -> dict[Key, dict[str, int]]:
    merged: dict[Key, dict[str, int]] = {}
    for source in (referral_demand, unmet_need_demand, search_demand):
        for key, values in source(scope).items():
            merged.setdefault(key, {}).update(values)
    return merged


def _collect(query: Select[Any], names: Sequence[str]) -> dict[Key, dict[str, int]]:
    found: dict[Key, dict[str, int]] = {}
    for row in _rows(query):
        key = (row["area_id"], row["category"])
        found[key] = {name: int(row[name] or 0) for name in names}
    return found


def month_label(column: Any) -> Any:
    """The month of a timestamp column: 'YYYY-MM' (SQLite) or its first moment (PostgreSQL)."""
    if db.engine.dialect.name == "postgresql":
        return func.date_trunc("month", column)  # formatted in Python: cheaper per row
    return func.strftime("%Y-%m", column)


MONTHLY_COUNTS = ("referrals", "declined_full", "waitlisted", "unmet_needs")


def monthly_demand(scope: Scope) -> dict[str, dict[str, int]]:
    """Referrals, declines because full, waitlist entries and unmet needs per month of the
    period, for the scope's filters (the trend chart): from the monthly summary for whole
    months, the raw tables for the rest (see `demand`)."""
    flat = replace(scope, by_area=False, by_category=False)
    split = _summary_split(flat)
    if split is None:
        return _raw_monthly_demand(scope)
    first, stop, moment = split
    series: dict[str, dict[str, int]] = {}
    if first < stop:
        d = DemandMonth.__table__
        base = (
            select()
            .select_from(d)
            .where(d.c.month >= first, d.c.month < stop, *_summary_filters(flat, d))
        )
        if flat.area_ids:
            am = area_map(flat)
            base = base.join(am, am.c.district == d.c.district)
        query = base.add_columns(
            d.c.month, *(func.sum(d.c[name]).label(name) for name in MONTHLY_COUNTS)
        ).group_by(d.c.month)
        for row in db.session.execute(query).mappings():
            month = row["month"]
            label = month if isinstance(month, str) else month.strftime("%Y-%m")
            for name in MONTHLY_COUNTS:
                if row[name]:  # as the raw query: a month appears only with something in it
                    series.setdefault(label[:7], {})[name] = int(row[name])
    rest = _remainder(flat, moment)
    if rest is not None:
        for label, values in _raw_monthly_demand(rest).items():
            for name, n in values.items():
                cell = series.setdefault(label, {})
                cell[name] = cell.get(name, 0) + n
    return series


def _raw_monthly_demand(scope: Scope) -> dict[str, dict[str, int]]:
    series: dict[str, dict[str, int]] = {}

    def add(query: Select[Any], name: str) -> None:
        for month, count in db.session.execute(query):
            label = month if isinstance(month, str) else month.strftime("%Y-%m")
            series.setdefault(label, {})[name] = int(count or 0)

    flat = Scope(
        scope.start,
        scope.end,
        False,
        False,
        scope.area_type,
        scope.area_ids,
        scope.categories,
        scope.as_of,
    )
    r = Referral.__table__
    a = Activity.__table__
    district = func.coalesce(func.nullif(r.c.person_district, ""), a.c.postcode_district)
    month = month_label(r.c.created_at)
    base = (
        select()
        .select_from(r)
        .join(a, a.c.id == r.c.activity_id)
        .where(r.c.created_at >= scope.start, r.c.created_at < scope.until)
    )
    add(_monthly(flat, base, month, district, a.c.categories), "referrals")

    e = ReferralEvent.__table__
    for name, condition in (
        ("declined_full", and_(e.c.to_status == "declined", e.c.reason == "full")),
        ("waitlisted", e.c.to_status == "waitlisted"),
    ):
        base = (
            select()
            .select_from(e)
            .join(r, r.c.id == e.c.referral_id)
            .join(a, a.c.id == r.c.activity_id)
            .where(e.c.at >= scope.start, e.c.at < scope.until, condition)
        )
        add(_monthly(flat, base, month_label(e.c.at), district, a.c.categories), name)

    model = unmet_need_model()
    if model is not None:
        u = model.__table__
        base = (
            select()
            .select_from(u)
            .where(u.c.recorded_at >= scope.start, u.c.recorded_at < scope.until)
        )
        add(
            _monthly(
                flat, base, month_label(u.c.recorded_at), u.c.postcode_district, u.c.categories
            ),
            "unmet_needs",
        )
    return series


def _monthly(scope: Scope, base: Select[Any], month: Any, district: Any, codes: Any) -> Select[Any]:
    if scope.area_ids:
        am = area_map(scope)
        base = base.join(am, am.c.district == district)
    if scope.categories:
        # Counted once however many of the chosen categories match.
        cats = category_table(scope)
        match = select(cats.c.code).where(codes.like(literal("% ") + cats.c.code + literal(" %")))
        base = base.where(match.exists())
    return base.add_columns(month.label("month"), func.count().label("n")).group_by(month)


SERIES_SUPPLY = ("places", "spare")


def supply_over_time(scope: Scope, moments: Sequence[datetime]) -> list[dict[str, int]]:
    """Places per week and spare places at each moment (the trend chart's month ends), for
    the scope's filters, not grouped: each moment counted as `supply` counts an as-of report
    (latest capacity-history row at or before it, listings created by then).

    Why two plain reads and numpy rather than SQL per moment: joining every listing and
    every history row to every month end cost seconds on a large directory; here the
    listings in scope and their history are read once and each moment is a few vectorised
    passes."""
    if not moments:
        return []
    if list(moments) != sorted(moments):  # the moment indexes below need them in order
        order = sorted(range(len(moments)), key=lambda i: moments[i])
        found = supply_over_time(scope, [moments[i] for i in order])
        by_position = dict(zip(order, found, strict=True))
        return [by_position[i] for i in range(len(moments))]
    a = Activity.__table__
    c = CapacityChange.__table__
    flat = replace(scope, by_area=False, by_category=False, as_of=None)
    # Each time as the index of the first moment at or after it (len(moments): after all),
    # compared in SQL as `supply` compares it: reading 100,000s of datetimes costs more.
    created_by = _moment_index(a.c.created_at, moments)
    # One row per listing in scope (per matching area row, as `supply` sums them).
    listed = _grouped(
        flat,
        select(a.c.id, created_by.label("created"), a.c.capacity, a.c.spare_places)
        .select_from(a)
        .where(a.c.status == "published"),
        a.c.postcode_district,
        a.c.categories,
    ).subquery("listed")
    connection = db.session.connection()
    listings = plain_rows(
        connection,
        select(listed.c.id, listed.c.created, listed.c.capacity, listed.c.spare_places),
    )
    if not listings:
        return [dict.fromkeys(SERIES_SUPPLY, 0) for _ in moments]
    ids = np.array([r[0] for r in listings], dtype=np.int64)
    created = np.array([r[1] for r in listings], dtype=np.int64)
    capacity_now = np.array([r[2] or 0 for r in listings], dtype=np.int64)
    spare_now = np.array([r[3] or 0 for r in listings], dtype=np.int64)
    in_scope = select(listed.c.id).distinct().scalar_subquery()
    history = plain_rows(
        connection,
        select(c.c.activity_id, _moment_index(c.c.at, moments), c.c.capacity, c.c.spare_places)
        .where(c.c.activity_id.in_(in_scope))
        .order_by(c.c.activity_id, c.c.id),
    )
    owners = np.array([r[0] for r in history], dtype=np.int64)
    at = np.array([r[1] for r in history], dtype=np.int64)
    # A missing spare figure in history falls back to the listing's own, as in `supply`.
    history_capacity = np.array([r[2] or 0 for r in history], dtype=np.int64)
    history_spare = np.array([-1 if r[3] is None else r[3] for r in history], dtype=np.int64)
    activities = np.unique(ids)
    position = np.searchsorted(activities, ids)  # listing row → its activity's slot
    results = []
    for cutoff in range(len(moments)):
        capacity, spare = capacity_now.copy(), spare_now.copy()
        seen = np.flatnonzero(at <= cutoff)
        if len(seen):
            # History is ordered by (activity, id): the last row seen per activity is the
            # one with the highest id at or before the moment.
            last = seen[np.r_[owners[seen][1:] != owners[seen][:-1], True]]
            slots = np.searchsorted(activities, owners[last])
            per_capacity = np.full(len(activities), -1, dtype=np.int64)
            per_spare = np.full(len(per_capacity), -2, dtype=np.int64)
            per_capacity[slots] = history_capacity[last]
            per_spare[slots] = history_spare[last]
            found_capacity, found_spare = per_capacity[position], per_spare[position]
            has = found_capacity >= 0
            capacity[has] = found_capacity[has]
            known = has & (found_spare >= 0)
            spare[known] = found_spare[known]
        counted = created <= cutoff
        results.append({"places": int(capacity[counted].sum()), "spare": int(spare[counted].sum())})
    return results


def _moment_index(column: Any, moments: Sequence[datetime]) -> Any:
    """SQL: the index of the first moment at or after the column's time (moments in order)."""
    return case(
        *((column <= literal(m, UTCDateTime()), i) for i, m in enumerate(moments)),
        else_=len(moments),
    )
