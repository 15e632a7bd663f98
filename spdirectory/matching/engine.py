"""Matching: the best activities for one person, exactly, without scoring every listing.

1. SQL keeps only listings that pass every hard constraint (the same rules as
   constraints.py, as filters on the search index) and orders them by an *upper bound* of
   their score, computed in the database from the index columns.
2. Candidates are taken from the top in batches, scored exactly by the pure rules in
   scoring.py (after violations() is checked again, as defence in depth), and the best
   `limit` kept. Fetching stops when the last bound seen is no higher than the worst score
   kept: no listing further down can beat it, at best tie with it. So the scores returned
   are the true top `limit` (among equal scores, the nearest are met first), and every
   eligible listing is considered when fewer than `limit` exist.

Interests are matched in the same query, one full-text test per interest against the
database search index (kept in the same transaction as the data, whichever search backend
is configured, with its stemming and synonyms): any interest matching counts, so "likes
singing and walking" finds choirs as well as walks, and only among listings the person can
use, rather than wherever the text matches best nationally.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, bindparam, case, column, func, literal_column, or_, select, text
from sqlalchemy.exc import OperationalError

from ..db_types import utcnow
from ..directory.models import Activity, ActivitySession
from ..extensions import db
from ..geo import KM_PER_DEGREE_LAT, KM_PER_DEGREE_LON_EQUATOR, bounding_box
from ..search.database import _fts5_query, _pg_tsquery  # the index's query syntax
from ..search.models import search_document as doc
from ..search.text import query_terms, words
from ..search.vocab_bits import bit, codes, mask
from .candidate import Candidate, Session
from .constraints import Rules, violations
from .profile import Person
from .scoring import DEFAULT_WEIGHTS, DISTANCE_SCALE_KM, REMOTE_REACH, Scored, score_candidate

# Candidates scored per round: max(BATCH, BATCH_PER_RESULT * limit); most matches need one.
BATCH = 100
BATCH_PER_RESULT = 3
MAX_INTEREST_CONCEPTS = 6


def _num(value: float) -> Any:
    # Literal numbers, not parameters: typed alike on SQLite and PostgreSQL.
    return literal_column(repr(float(value)))


def _int(value: int) -> Any:
    return literal_column(str(int(value)))


def _remote_modes(person: Person) -> list[str]:
    return [m for m in person.modes if m != "in_person"]


def _meets_in_person(person: Person) -> Any | None:
    """SQL: the listing can be reached in person (box pre-filter; exact check in Python)."""
    if "in_person" not in person.modes or not person.located:
        return None
    assert person.latitude is not None and person.longitude is not None
    min_lat, max_lat, min_lon, max_lon = bounding_box(
        person.latitude, person.longitude, person.max_distance_km * 1.01
    )
    c = doc.c
    terms = [
        c.mode_mask.op("&")(_int(bit("mode", "in_person"))) != 0,
        c.latitude.between(min_lat, max_lat),
        c.longitude.between(min_lon, max_lon),
        # The circle, not only its box (still a superset: see _distance2_safety).
        _distance2(person) * _num(_distance2_safety(person)) <= _num(person.max_distance_km**2),
    ]
    if person.wheelchair:
        terms.append(c.wheelchair_accessible.is_(True))
    return and_(*terms)


def _remote_reach(person: Person) -> Any | None:
    remote = _remote_modes(person)
    if not remote:
        return None
    return doc.c.mode_mask.op("&")(_int(mask("mode", remote))) != 0


def _eligibility_sql(person: Person, rules: Rules) -> list[Any]:
    c = doc.c
    where: list[Any] = [c.route_mask.op("&")(_int(bit("route", "link_worker"))) != 0]
    if person.age is not None:
        where += [
            or_(c.age_min.is_(None), c.age_min <= person.age),
            or_(c.age_max.is_(None), c.age_max >= person.age),
        ]
    if person.free_only:
        where.append(c.cost_pence == 0)
    if person.languages:
        spoken = [c.languages.like(f"% {code} %") for code in person.languages]
        if "en" in person.languages:
            spoken.append(c.languages == "")
        where.append(or_(*spoken))
    if rules.require_kite_mark:
        where.append(c.kite_mark == "awarded")
    reach = [r for r in (_remote_reach(person), _meets_in_person(person)) if r is not None]
    where.append(or_(*reach) if reach else literal_column("1") == literal_column("0"))
    return where


def _distance2(person: Person) -> Any:
    """Squared distance in km² from the person (equirectangular)."""
    assert person.latitude is not None and person.longitude is not None
    kx = KM_PER_DEGREE_LON_EQUATOR * math.cos(math.radians(person.latitude))
    dy = (doc.c.latitude - _num(person.latitude)) * _num(KM_PER_DEGREE_LAT)
    dx = (doc.c.longitude - _num(person.longitude)) * _num(kx)
    return dy * dy + dx * dx


def _has_math_functions(connection: Any) -> bool:
    """PostgreSQL always has exp() and sqrt(); SQLite only when built with them."""
    if connection.dialect.name != "sqlite":
        return True
    key = str(connection.engine.url)
    if key not in _MATH_FUNCTIONS:
        try:
            connection.execute(text("SELECT exp(0.0), sqrt(1.0)"))
            _MATH_FUNCTIONS[key] = True
        except OperationalError:
            _MATH_FUNCTIONS[key] = False
    return _MATH_FUNCTIONS[key]


_MATH_FUNCTIONS: dict[str, bool] = {}


def _distance2_safety(person: Person) -> float:
    """A factor f with f·(equirectangular d²) <= (great-circle d)² within the person's
    reach: the database's distance uses one cos(latitude) for the whole box, which
    overstates east-west distances poleward of the person."""
    assert person.latitude is not None
    reach = math.radians(person.max_distance_km * 1.02 / KM_PER_DEGREE_LAT)
    lat = math.radians(abs(person.latitude))
    ratio = math.cos(min(lat + reach, math.pi / 2 - 1e-6)) / math.cos(lat)
    sphere = 111.195 / KM_PER_DEGREE_LON_EQUATOR  # great_circle's km per degree / ours
    return 0.98 * min(1.0, (ratio * sphere) ** 2)


def interest_flags(concepts: list[tuple[str, tuple[str, ...]]], dialect: str) -> list[Any]:
    """SQL: one boolean per interest, true when the listing's text matches it (the
    database search index, with its stemming and synonyms)."""
    flags: list[Any] = []
    for i, (_, alternatives) in enumerate(concepts):
        name = f"interest_{i}"
        if dialect == "sqlite":
            query = _fts5_query([alternatives])
            matching = text(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH :{name}"
            ).bindparams(bindparam(name, query))
            flags.append(doc.c.activity_id.in_(matching.columns(column("rowid"))))
        else:
            query = _pg_tsquery([alternatives])
            tsquery = func.to_tsquery(
                literal_column("'english'::regconfig"), bindparam(name, query)
            )
            flags.append(literal_column("search_document.tsv").op("@@")(tsquery))
        if not query:
            flags[-1] = literal_column("1") == literal_column("0")
    return flags


def score_bound(
    person: Person,
    weights: dict[str, float],
    now: datetime,
    stale_after_days: int,
    flags: list[Any],
    math_functions: bool,
) -> Any:
    """SQL: an upper bound of score_candidate() for each eligible listing, exact for every
    part the index holds (needs, interests, capacity, kite mark, remote reach) and the
    part's highest possible value for the rest."""
    c = doc.c
    one, zero = _num(1.0), _num(0.0)
    parts: dict[str, Any] = {}
    if person.needs:
        overlap: Any = None
        for need in person.needs:
            has = case((c.need_mask.op("&")(_int(bit("need", need))) != 0, one), else_=zero)
            overlap = has if overlap is None else overlap + has
        parts["needs"] = overlap * _num(1 / len(person.needs))
    else:
        parts["needs"] = _num(0.5)
    if flags:
        matched: Any = None
        for flag in flags:
            has = case((flag, one), else_=zero)
            matched = has if matched is None else matched + has
        parts["interests"] = case(
            (matched > zero, _num(0.5) + matched * _num(0.5 / len(flags))), else_=zero
        )
    else:
        parts["interests"] = zero
    in_person = _meets_in_person(person)
    near: Any = zero
    if in_person is not None:
        d2 = _distance2(person) * _num(_distance2_safety(person))
        if math_functions:
            closeness = func.exp(-func.sqrt(d2) / _num(DISTANCE_SCALE_KM))
        else:
            # e^x >= 1 + x²/2 + x⁴/24 for x >= 0, so e^(-d/3) <= 1 / (1 + x²/2 + x⁴/24).
            x2 = d2 / _num(DISTANCE_SCALE_KM**2)
            closeness = one / (one + x2 / _num(2) + x2 * x2 / _num(24))
        near = case((in_person, closeness), else_=zero)
    remote = _remote_reach(person)
    if remote is not None:
        near = case((and_(remote, near < _num(REMOTE_REACH)), _num(REMOTE_REACH)), else_=near)
    parts["distance"] = near
    if person.availability:
        days = sum(1 << w.day_index for w in person.availability)
        timely = case((c.day_mask.op("&")(_int(days)) != 0, one), else_=zero)
    else:
        timely = _num(0.7)
    parts["times"] = case((c.day_mask == 0, _num(0.5)), else_=timely)
    parts["capacity"] = case(
        (c.spare_places > 0, one), (c.waitlist_open.is_(True), _num(0.4)), else_=zero
    )
    parts["kite_mark"] = case(
        (c.kite_mark == "awarded", one), (c.kite_mark == "pending", _num(0.5)), else_=zero
    )
    # Freshness is 1 within stale_after_days whole days, then falls to 0 at 4 times that:
    # in each band, the value at the band's youngest age bounds it.
    s = max(stale_after_days, 1)
    bands = [(c.capacity_updated_at > now - timedelta(days=stale_after_days + 1), one)]
    for k in (1, 2, 3):
        youngest = k * s + 1
        bands.append(
            (
                c.capacity_updated_at > now - timedelta(days=(k + 1) * s + 1),
                _num(max(0.0, 1.0 - youngest / (4 * s))),
            )
        )
    parts["freshness"] = case(*bands, else_=zero)
    total_weight = sum(weights[k] for k in parts)
    if total_weight <= 0:
        return zero
    bound: Any = None
    for key, part in parts.items():
        term = part * _num(weights[key] / total_weight)
        bound = term if bound is None else bound + term
    return bound


def _interest_concepts(person: Person) -> list[tuple[str, tuple[str, ...]]]:
    """(the person's own words, the alternatives that match them) per interest."""
    if not person.interests:
        return []
    said = words(person.interests)
    concepts = []
    for alternatives in query_terms(person.interests)[:MAX_INTEREST_CONCEPTS]:
        spoken = [a for a in alternatives if _contains(said, a.split())]
        concepts.append((max(spoken, key=len) if spoken else alternatives[0], alternatives))
    return concepts


def _contains(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _interest_relevance(matched: int, asked: int) -> float:
    # Any interest matching counts for a lot; matching more of them for more.
    return 0.5 + 0.5 * matched / asked if matched else 0.0


_COLUMNS = (
    doc.c.activity_id,
    doc.c.title,
    doc.c.organisation,
    doc.c.need_mask,
    doc.c.mode_mask,
    doc.c.route_mask,
    doc.c.languages,
    doc.c.kite_mark,
    doc.c.spare_places,
    doc.c.waitlist_open,
    doc.c.cost_pence,
    doc.c.age_min,
    doc.c.age_max,
    doc.c.wheelchair_accessible,
    doc.c.latitude,
    doc.c.longitude,
    doc.c.capacity_updated_at,
)


def _candidates(rows: list[Any]) -> list[Candidate]:
    ids = [r.activity_id for r in rows]
    sessions: dict[int, list[Session]] = defaultdict(list)
    for s in db.session.execute(
        select(
            ActivitySession.activity_id,
            ActivitySession.day_index,
            ActivitySession.starts,
            ActivitySession.ends,
        ).where(ActivitySession.activity_id.in_(ids))
    ):
        sessions[s.activity_id].append(Session(s.day_index, s.starts, s.ends))
    external_ids: dict[int, str | None] = {
        row.id: row.external_id
        for row in db.session.execute(
            select(Activity.id, Activity.external_id).where(Activity.id.in_(ids))
        )
    }
    return [
        Candidate(
            activity_id=r.activity_id,
            title=r.title,
            needs=codes("need", r.need_mask),
            modes=codes("mode", r.mode_mask),
            routes=codes("route", r.route_mask),
            languages=r.languages.split(),
            kite_mark=r.kite_mark,
            spare_places=r.spare_places,
            waitlist_open=r.waitlist_open,
            cost_pence=r.cost_pence,
            age_min=r.age_min,
            age_max=r.age_max,
            wheelchair_accessible=r.wheelchair_accessible,
            latitude=r.latitude,
            longitude=r.longitude,
            capacity_updated_at=r.capacity_updated_at,
            sessions=sorted(sessions.get(r.activity_id, []), key=lambda s: (s.day_index, s.starts)),
            external_id=external_ids.get(r.activity_id),
            organisation=r.organisation,
        )
        for r in rows
    ]


def _nearest_first(person: Person) -> list[Any]:
    if not person.located:
        return []
    return [case((doc.c.latitude.is_(None), _num(0.0)), else_=_distance2(person))]


def _rank_key(s: Scored) -> tuple[float, float, int]:
    return (-s.score, s.distance_km or 0.0, s.candidate.activity_id)


def match(person: Person) -> list[Scored]:
    """The best `person.limit` activities the person is eligible for, best first."""
    config = current_app.config
    rules = Rules(require_kite_mark=bool(config.get("MATCH_REQUIRE_KITE_MARK")))
    # Negative weights would turn the score's bound upside down: treat them as 0.
    weights = {
        key: max(0.0, float(value))
        for key, value in {**DEFAULT_WEIGHTS, **(config.get("MATCH_WEIGHTS") or {})}.items()
    }
    stale_after_days = config["STALE_AFTER_DAYS"]
    now = utcnow()
    connection = db.session.connection()
    concepts = _interest_concepts(person)
    flags = interest_flags(concepts, connection.dialect.name)
    bound = score_bound(
        person, weights, now, stale_after_days, flags, _has_math_functions(connection)
    ).label("bound")
    stmt = (
        select(*_COLUMNS, bound, *(flag.label(f"interest_{i}") for i, flag in enumerate(flags)))
        .where(*_eligibility_sql(person, rules))
        # Among equal bounds, nearest first: equal scores are then met nearest first too.
        .order_by(bound.desc(), *_nearest_first(person), doc.c.activity_id)
    )
    size = max(BATCH, BATCH_PER_RESULT * person.limit)
    best: list[Scored] = []
    for rows in _batches(stmt, size):
        for row, candidate in zip(rows, _candidates(rows), strict=True):
            # Defence in depth: SQL pre-filters, the pure rules decide.
            if violations(candidate, person, rules):
                continue
            flagged = row[len(_COLUMNS) + 1 :]  # after the columns and the bound
            matched = [label for (label, _), hit in zip(concepts, flagged, strict=True) if hit]
            best.append(
                score_candidate(
                    candidate,
                    person,
                    text_relevance=_interest_relevance(len(matched), len(concepts)),
                    matched_interests=matched,
                    now=now,
                    stale_after_days=stale_after_days,
                    weights=weights,
                )
            )
        best.sort(key=_rank_key)
        del best[person.limit :]
        # Every listing further down scores at most the last bound seen (rounded as scores
        # are): once that is no better than the worst kept, they could only tie with it.
        # float(): PostgreSQL computes the bound as numeric when no float column is involved.
        if len(best) == person.limit and round(float(rows[-1].bound), 4) <= best[-1].score:
            break
    return best


def _batches(stmt: Any, size: int) -> Iterator[list[Any]]:
    """Rows in batches of `size`: a cheap top-N query first, then (rarely needed) the next
    nine batches, then the rest streamed; at most three queries, each sorted once."""
    for start, count in ((0, size), (size, 9 * size), (10 * size, None)):
        query = stmt.offset(start) if start else stmt
        if count is not None:
            rows = db.session.execute(query.limit(count)).all()
            for i in range(0, len(rows), size):
                yield rows[i : i + size]
            if len(rows) < count:
                return
        else:
            result = db.session.execute(query, execution_options={"stream_results": True})
            try:
                while rows := result.fetchmany(size):
                    yield rows
            finally:
                result.close()
