"""Monthly demand summary: counts per month × postcode district × category, kept in step with
referrals, their status events, recorded unmet needs and unmet searches.

Why: the capacity-gap report over a million referrals must answer in well under two
seconds. Aggregating the raw tables on every report cannot; reading a table of at most
(months × districts × 25) rows can. The summary is written in the same transaction as the
change it counts (SQLAlchemy flush hooks below), with an atomic
`INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`, so concurrent writers never lose
a count. `category = ''` holds the totals for "any category", because a referral to an
activity in three categories is one referral, not three.

Referral counts follow the activity's *current* categories and district (as the report
did when it read the raw tables): when an activity's categories or district change, or a
referral or status event is edited or deleted through the ORM, that activity's
contributions are recomputed (subtract before the flush, add after it).

Rows written outside the ORM (bulk Core inserts by the benchmark, SQL by hand) are not
seen: run `spdirectory reports refresh-demand` (or `rebuild()`) afterwards.
"""

from __future__ import annotations

import json
import weakref
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Integer, String, delete, event, inspect, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from .. import vocab
from ..db_types import utcnow
from ..extensions import db

ALL = ""  # the category of the "any category" totals
REASON_COUNTERS = tuple(f"unmet_{code}" for code in vocab.UNMET_NEED_REASONS)
COUNTERS = (
    "referrals",
    "declined_full",
    "waitlisted",
    "unmet_needs",
    *REASON_COUNTERS,
    "searches_unmet",
)

SummaryKey = tuple[date, str, str]  # (month, district, category)
Deltas = dict[SummaryKey, dict[str, int]]


def _counter() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


class DemandMonth(db.Model):
    __tablename__ = "demand_month"
    # The key's order lets the report sum a period per (district, category) in one ordered
    # pass; on SQLite the rows live in that key's b-tree itself (no rowid, no extra lookup).
    __table_args__ = {"sqlite_with_rowid": False}

    district: Mapped[str] = mapped_column(String(5), primary_key=True)  # '' when unknown
    category: Mapped[str] = mapped_column(String(40), primary_key=True)  # ALL for totals
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day of the month (UTC)
    referrals: Mapped[int] = _counter()
    declined_full: Mapped[int] = _counter()
    waitlisted: Mapped[int] = _counter()
    unmet_needs: Mapped[int] = _counter()
    unmet_none_exists: Mapped[int] = _counter()
    unmet_full: Mapped[int] = _counter()
    unmet_too_far: Mapped[int] = _counter()
    unmet_wrong_times: Mapped[int] = _counter()
    unmet_cost: Mapped[int] = _counter()
    unmet_access_needs: Mapped[int] = _counter()
    unmet_language: Mapped[int] = _counter()
    unmet_eligibility: Mapped[int] = _counter()
    searches_unmet: Mapped[int] = _counter()


# ---- what one row contributes --------------------------------------------------------


def month_of(moment: datetime | None) -> date:
    moment = moment or utcnow()
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return date(moment.year, moment.month, 1)


def _codes(value: Any) -> list[str]:
    if not value:
        return []
    return value.split() if isinstance(value, str) else list(value)


def _categories(codes: Any) -> list[str]:
    """The vocabulary categories among codes, then the totals row."""
    return [c for c in dict.fromkeys(_codes(codes)) if c in vocab.CATEGORIES] + [ALL]


def search_categories(filters: Any) -> list[str]:
    """Categories an unmet search counts under: the report matches the quoted code anywhere
    in the filters' JSON text (codes are unique across vocabularies), so this does too."""
    text = filters if isinstance(filters, str) else json.dumps(filters or {})
    return [c for c in vocab.CATEGORIES if f'"{c}"' in text] + [ALL]


def _add(deltas: Deltas, month: date, district: str | None, categories: Iterable[str],
         counts: dict[str, int], sign: int = 1) -> None:  # fmt: skip
    for category in categories:
        cell = deltas.setdefault((month, district or "", category), {})
        for name, n in counts.items():
            cell[name] = cell.get(name, 0) + sign * n


def unmet_need_counts(reasons: Any) -> dict[str, int]:
    counts = {"unmet_needs": 1}
    for code in dict.fromkeys(_codes(reasons)):
        if code in vocab.UNMET_NEED_REASONS:
            counts[f"unmet_{code}"] = 1
    return counts


def event_counter(to_status: str | None, reason: str | None) -> str | None:
    """The counter a referral status event adds to, if any."""
    if to_status == "waitlisted":
        return "waitlisted"
    if to_status == "declined" and reason == "full":
        return "declined_full"
    return None


def _referral_district(person_district: str | None, activity_district: str | None) -> str:
    # The person's district when the link worker gave one, else the activity's.
    return person_district or activity_district or ""


def referral_contributions(
    conn: Connection, activity_ids: Iterable[int] | None = None, sign: int = 1
) -> Deltas:
    """Every referral and counted status event of these activities (all when None), as
    summary deltas, from what the database holds now."""
    from ..directory.models import Activity
    from ..referrals.models import Referral, ReferralEvent

    a, r, e = Activity.__table__, Referral.__table__, ReferralEvent.__table__
    deltas: Deltas = {}
    ids = None if activity_ids is None else sorted(set(activity_ids))
    if ids is not None and not ids:
        return deltas
    for chunk in _chunks(ids):
        where_r = [] if chunk is None else [r.c.activity_id.in_(chunk)]
        sent = (
            select(r.c.created_at, r.c.person_district, a.c.postcode_district, a.c.categories)
            .join(a, a.c.id == r.c.activity_id)
            .where(*where_r)
        )
        for created_at, person, district, categories in conn.execute(
            sent.execution_options(yield_per=20_000)
        ):
            _add(deltas, month_of(created_at), _referral_district(person, district),
                 _categories(categories), {"referrals": 1}, sign)  # fmt: skip
        events = (
            select(e.c.at, e.c.to_status, e.c.reason, r.c.person_district,
                   a.c.postcode_district, a.c.categories)
            .join(r, r.c.id == e.c.referral_id)
            .join(a, a.c.id == r.c.activity_id)
            .where(*where_r, e.c.to_status.in_(("waitlisted", "declined")))
        )  # fmt: skip
        for at, to_status, reason, person, district, categories in conn.execute(
            events.execution_options(yield_per=20_000)
        ):
            name = event_counter(to_status, reason)
            if name:
                _add(deltas, month_of(at), _referral_district(person, district),
                     _categories(categories), {name: 1}, sign)  # fmt: skip
    return deltas


def _chunks(ids: list[int] | None, size: int = 500) -> Iterable[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _merge(into: Deltas, more: Deltas) -> None:
    for key, counts in more.items():
        cell = into.setdefault(key, {})
        for name, n in counts.items():
            cell[name] = cell.get(name, 0) + n


# ---- writing -------------------------------------------------------------------------


def apply(conn: Connection, deltas: Deltas) -> None:
    """Add deltas to the summary atomically (upsert with increments), in key order so two
    transactions touching the same rows cannot deadlock."""
    rows = []
    for (month, district, category), counts in sorted(deltas.items()):
        if not any(counts.values()):
            continue
        row: dict[str, Any] = {"month": month, "district": district[:5], "category": category}
        row.update({name: counts.get(name, 0) for name in COUNTERS})
        rows.append(row)
    if not rows:
        return
    table = DemandMonth.__table__
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.district, table.c.category, table.c.month],
        set_={name: table.c[name] + statement.excluded[name] for name in COUNTERS},
    )
    for start in range(0, len(rows), 5_000):
        conn.execute(statement, rows[start : start + 5_000])


def rebuild(session: Session | None = None) -> int:
    """Recompute the whole summary from the raw tables (after bulk loads); the caller
    commits. Returns the number of summary rows."""
    from ..search.demand import UnmetSearch
    from ..unmet_needs.models import UnmetNeed

    session = session or db.session
    conn = session.connection()
    conn.execute(delete(DemandMonth.__table__))
    deltas = referral_contributions(conn)
    u = UnmetNeed.__table__
    for recorded_at, district, categories, reasons in conn.execute(
        select(u.c.recorded_at, u.c.postcode_district, u.c.categories, u.c.reasons)
        .execution_options(yield_per=20_000)
    ):  # fmt: skip
        _add(deltas, month_of(recorded_at), district, _categories(categories),
             unmet_need_counts(reasons))  # fmt: skip
    s = UnmetSearch.__table__
    for at, district, filters in conn.execute(
        select(s.c.at, s.c.postcode_district, s.c.filters).execution_options(yield_per=20_000)
    ):
        _add(deltas, month_of(at), district, search_categories(filters), {"searches_unmet": 1})
    apply(conn, deltas)
    return sum(1 for counts in deltas.values() if any(counts.values()))


# ---- keeping it in step (flush hooks) ------------------------------------------------

_SLOW = "demand_summary_slow"
_ACTIVITY_FIELDS = ("categories", "postcode_district")
_REFERRAL_FIELDS = ("created_at", "person_district", "activity_id")
_EVENT_FIELDS = ("at", "to_status", "reason", "referral_id")
_UNMET_FIELDS = ("recorded_at", "postcode_district", "categories", "reasons")
_SEARCH_FIELDS = ("at", "postcode_district", "filters")


def _changed(obj: Any, fields: Iterable[str]) -> bool:
    state = inspect(obj)
    return any(state.attrs[f].history.has_changes() for f in fields)


def _old(obj: Any, field: str) -> Any:
    """The value before this flush's change (the current one when unchanged)."""
    history = inspect(obj).attrs[field].history
    if history.deleted:
        return history.deleted[0]
    return getattr(obj, field)


def _recompute_ids(session: Session) -> set[int]:
    """Activities whose referral counts must be recomputed rather than incremented."""
    from ..directory.models import Activity
    from ..referrals.models import Referral, ReferralEvent

    ids: set[int] = set()
    event_referrals: set[int] = set()
    for obj in session.dirty:
        if isinstance(obj, Activity) and _changed(obj, _ACTIVITY_FIELDS):
            ids.add(obj.id)
        elif isinstance(obj, Referral) and _changed(obj, _REFERRAL_FIELDS):
            ids.update(i for i in (obj.activity_id, _old(obj, "activity_id")) if i)
        elif isinstance(obj, ReferralEvent) and _changed(obj, _EVENT_FIELDS):
            event_referrals.update(i for i in (obj.referral_id, _old(obj, "referral_id")) if i)
    for obj in session.deleted:
        if isinstance(obj, Activity):
            ids.add(obj.id)
        elif isinstance(obj, Referral):
            ids.add(obj.activity_id)
        elif isinstance(obj, ReferralEvent):
            event_referrals.add(obj.referral_id)
    if event_referrals:
        r = Referral.__table__
        ids.update(
            session.connection()
            .execute(select(r.c.activity_id).where(r.c.id.in_(sorted(event_referrals))))
            .scalars()
        )
    ids.discard(None)  # type: ignore[arg-type]
    return ids


_HAS_TABLE: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()


def _enabled(session: Session) -> bool:
    """Before migration 0010 the summary table does not exist: the hooks do nothing then.
    Only a positive answer is remembered (per engine), so a later upgrade is noticed."""
    engine = getattr(session.get_bind(), "engine", None)
    if engine is None:
        return False
    if not _HAS_TABLE.get(engine):
        from sqlalchemy import inspect as inspect_db

        conn = session.connection()
        _HAS_TABLE[engine] = inspect_db(conn).has_table(DemandMonth.__table__.name)
    return _HAS_TABLE[engine]


@event.listens_for(Session, "before_flush")
def _subtract_before(session: Session, flush_context: Any, instances: Any) -> None:
    if not _enabled(session):
        return
    ids = _recompute_ids(session)
    deltas: Deltas = {}
    if ids:
        session.info.setdefault(_SLOW, set()).update(ids)
        _merge(deltas, referral_contributions(session.connection(), ids, sign=-1))
    _merge(deltas, _own_row_changes(session, before=True))
    apply(session.connection(), deltas)


def _own_row_changes(session: Session, *, before: bool) -> Deltas:
    """Unmet needs and unmet searches count only themselves: edits and deletes subtract
    the old values (before the flush), edits add the new ones (after it)."""
    from ..search.demand import UnmetSearch
    from ..unmet_needs.models import UnmetNeed

    deltas: Deltas = {}
    objects = (
        [*((o, True) for o in session.dirty), *((o, False) for o in session.deleted)]
        if before
        else []
    )
    for obj, dirty in objects:
        if isinstance(obj, UnmetNeed) and (not dirty or _changed(obj, _UNMET_FIELDS)):
            get = _old if dirty else getattr
            _add(deltas, month_of(get(obj, "recorded_at")), get(obj, "postcode_district"),
                 _categories(get(obj, "categories")), unmet_need_counts(get(obj, "reasons")),
                 -1)  # fmt: skip
            if dirty:
                obj.__dict__.setdefault("_summary_readd", True)
        elif isinstance(obj, UnmetSearch) and (not dirty or _changed(obj, _SEARCH_FIELDS)):
            get = _old if dirty else getattr
            _add(deltas, month_of(get(obj, "at")), get(obj, "postcode_district"),
                 search_categories(get(obj, "filters")), {"searches_unmet": 1}, -1)  # fmt: skip
            if dirty:
                obj.__dict__.setdefault("_summary_readd", True)
    return deltas


@event.listens_for(Session, "after_flush")
def _add_after(session: Session, flush_context: Any) -> None:
    if not _enabled(session):
        return
    from ..directory.models import Activity
    from ..referrals.models import Referral, ReferralEvent
    from ..search.demand import UnmetSearch
    from ..unmet_needs.models import UnmetNeed

    conn = session.connection()
    slow: set[int] = session.info.pop(_SLOW, set())
    deltas: Deltas = {}
    if slow:
        _merge(deltas, referral_contributions(conn, slow))

    new_referrals = [o for o in session.new if isinstance(o, Referral)]
    new_events = [
        o
        for o in session.new
        if isinstance(o, ReferralEvent) and event_counter(o.to_status, o.reason)
    ]
    activity_ids = {o.activity_id for o in new_referrals}
    referral_info: dict[int, tuple[int, str | None]] = {}
    if new_events:
        r = Referral.__table__
        wanted = sorted({o.referral_id for o in new_events})
        for rid, aid, person in conn.execute(
            select(r.c.id, r.c.activity_id, r.c.person_district).where(r.c.id.in_(wanted))
        ):
            referral_info[rid] = (aid, person)
            activity_ids.add(aid)
    activities: dict[int, tuple[str, Any]] = {}
    if activity_ids - slow:
        a = Activity.__table__
        for aid, district, categories in conn.execute(
            select(a.c.id, a.c.postcode_district, a.c.categories).where(
                a.c.id.in_(sorted(activity_ids - slow))
            )
        ):
            activities[aid] = (district, categories)
    for referral in new_referrals:
        if referral.activity_id in slow or referral.activity_id not in activities:
            continue
        district, categories = activities[referral.activity_id]
        _add(deltas, month_of(referral.created_at),
             _referral_district(referral.person_district, district),
             _categories(categories), {"referrals": 1})  # fmt: skip
    for ev in new_events:
        info = referral_info.get(ev.referral_id)
        if info is None or info[0] in slow or info[0] not in activities:
            continue
        district, categories = activities[info[0]]
        counter = event_counter(ev.to_status, ev.reason) or ""
        _add(deltas, month_of(ev.at), _referral_district(info[1], district),
             _categories(categories), {counter: 1})  # fmt: skip

    readd = [o for o in session.dirty if o.__dict__.pop("_summary_readd", False)]
    for obj in [*(o for o in session.new), *readd]:
        if isinstance(obj, UnmetNeed):
            _add(deltas, month_of(obj.recorded_at), obj.postcode_district,
                 _categories(obj.categories), unmet_need_counts(obj.reasons))  # fmt: skip
        elif isinstance(obj, UnmetSearch):
            _add(deltas, month_of(obj.at), obj.postcode_district,
                 search_categories(obj.filters), {"searches_unmet": 1})  # fmt: skip
    apply(conn, deltas)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_SLOW, None)
    for obj in list(session.identity_map.values()):
        obj.__dict__.pop("_summary_readd", None)
