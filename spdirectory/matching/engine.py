"""Matching: fetch eligible candidates with SQL (hard constraints as filters), score them
with the pure rules in scoring.py, and check every hard constraint again before answering."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import and_, case, literal_column, or_, select

from ..db_types import utcnow
from ..directory.models import ActivitySession
from ..extensions import db
from ..geo import bounding_box
from ..search import SearchQuery, get_backend
from ..search.models import search_document as doc
from ..search.vocab_bits import bit
from .candidate import Candidate, Session
from .constraints import Rules, violations
from .profile import Person
from .scoring import Scored, score_candidate

MAX_CANDIDATES = 2000  # ordered by need overlap and distance before scoring in Python
INTEREST_HITS = 500


def _eligibility_sql(person: Person, rules: Rules) -> list[Any]:
    c = doc.c
    where: list[Any] = [c.route_mask.op("&")(bit("route", "link_worker")) != 0]
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
    reach = []
    remote = [m for m in person.modes if m != "in_person"]
    for mode in remote:
        reach.append(c.mode_mask.op("&")(bit("mode", mode)) != 0)
    if "in_person" in person.modes and person.located:
        assert person.latitude is not None and person.longitude is not None
        min_lat, max_lat, min_lon, max_lon = bounding_box(
            person.latitude, person.longitude, person.max_distance_km * 1.01
        )
        in_person = [
            c.mode_mask.op("&")(bit("mode", "in_person")) != 0,
            c.latitude.between(min_lat, max_lat),
            c.longitude.between(min_lon, max_lon),
        ]
        if person.wheelchair:
            in_person.append(c.wheelchair_accessible.is_(True))
        reach.append(and_(*in_person))
    where.append(or_(*reach) if reach else literal_column("1") == 0)
    return where


def _need_overlap(person: Person) -> Any:
    terms = [
        case((doc.c.need_mask.op("&")(literal_column(str(bit("need", n)))) != 0, 1), else_=0)
        for n in person.needs
    ]
    total: Any = literal_column("0")
    for term in terms:
        total = total + term
    return total


def _distance2(person: Person) -> Any:
    if not person.located:
        return literal_column("0")
    assert person.latitude is not None and person.longitude is not None
    kx = 111.320 * math.cos(math.radians(person.latitude))
    dy = (doc.c.latitude - person.latitude) * 110.574
    dx = (doc.c.longitude - person.longitude) * kx
    # Remote-only activities have no location: treat as "here" for ordering.
    return case((doc.c.latitude.is_(None), 0.0), else_=dy * dy + dx * dx)


def _interest_scores(person: Person) -> dict[int, float]:
    if not person.interests:
        return {}
    results = get_backend().search(
        SearchQuery(text=person.interests, per_page=INTEREST_HITS, with_facets=False)
    )
    top = max((h.score for h in results.hits), default=0.0)
    if top <= 0:
        return {h.activity_id: 1.0 for h in results.hits}
    return {h.activity_id: h.score / top for h in results.hits}


def load_candidates(person: Person, rules: Rules) -> list[Candidate]:
    from ..directory.models import Activity

    stmt = (
        select(doc, Activity.external_id)
        .join(Activity, Activity.id == doc.c.activity_id)
        .where(*_eligibility_sql(person, rules))
        .order_by(_need_overlap(person).desc(), _distance2(person), doc.c.activity_id)
        .limit(MAX_CANDIDATES)
    )
    rows = db.session.execute(stmt).all()
    ids = [r.activity_id for r in rows]
    sessions: dict[int, list[Session]] = defaultdict(list)
    if ids:
        for s in db.session.execute(
            select(
                ActivitySession.activity_id,
                ActivitySession.day_index,
                ActivitySession.starts,
                ActivitySession.ends,
            ).where(ActivitySession.activity_id.in_(ids))
        ):
            sessions[s.activity_id].append(Session(s.day_index, s.starts, s.ends))
    from ..search.vocab_bits import codes

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
            external_id=r.external_id,
            organisation=r.organisation,
        )
        for r in rows
    ]


def match(person: Person) -> list[Scored]:
    config = current_app.config
    rules = Rules(require_kite_mark=bool(config.get("MATCH_REQUIRE_KITE_MARK")))
    interest = _interest_scores(person)
    now = utcnow()
    scored = [
        score_candidate(
            candidate,
            person,
            text_relevance=interest.get(candidate.activity_id, 0.0),
            now=now,
            stale_after_days=config["STALE_AFTER_DAYS"],
            weights=config.get("MATCH_WEIGHTS"),
        )
        for candidate in load_candidates(person, rules)
        # Defence in depth: SQL pre-filters, the pure rules decide.
        if not violations(candidate, person, rules)
    ]
    scored.sort(key=lambda s: (-s.score, s.distance_km or 0.0, s.candidate.activity_id))
    return scored[: person.limit]
