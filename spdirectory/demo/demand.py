"""Demo demand for the capacity-gap reports: a year of referrals in every status, declines
because full, waitlists, recorded unmet needs and searches that found nothing.

FOR DEMONSTRATION ONLY. The pattern is made up but plausible: more demand in the wards
with higher need weights, pressure on befriending, mental wellbeing, advice and peer
support (few places, long waits), and demand that grows through the year, so the reports
page shows real gaps and a trend. Rows are bulk-inserted (fast) and the monthly demand
summary is rebuilt once at the end.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select

from .. import vocab
from ..directory.models import Activity
from ..extensions import db
from ..referrals.models import Referral, ReferralEvent
from ..reports.demo import LEEDS_AREAS
from ..search.demand import UnmetSearch
from ..unmet_needs.models import UnmetNeed

# Categories where a city's places usually run out first.
SCARCE = ("befriending", "mental_wellbeing", "advice_money", "peer_support", "carers_support",
          "advice_housing")  # fmt: skip
MONTHS = 12
REFERRALS_FIRST_MONTH = 140  # grows by GROWTH a month
GROWTH = 9
UNMET_FIRST_MONTH = 22
SEARCHES_FIRST_MONTH = 30
UNMET_REASONS = [("full", 30), ("none_exists", 22), ("too_far", 14), ("wrong_times", 12),
                 ("cost", 8), ("access_needs", 6), ("language", 5), ("eligibility", 3)]  # fmt: skip
NOTES = [
    "Nothing on weekday evenings",
    "Wants a group for men over 60",
    "Needs step-free access and a hearing loop",
    "Waiting lists everywhere nearby",
    "Looking for something in Urdu",
    "Can only travel by bus; nothing on one route",
    "",
    "",
]


def _district_weights() -> dict[str, float]:
    """Leeds wards' postcode districts weighted by the ward's need weight."""
    weights: dict[str, float] = {}
    for _code, _name, kind, _parent, _population, need_weight, districts in LEEDS_AREAS:
        if kind != "ward":
            continue
        for district in districts.split(";"):
            weights[district] = need_weight**3  # sharpen: the gap should be visible
    return weights


def _pick(rng: random.Random, options: list[tuple[Any, float]]) -> Any:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


def _month_starts(today: date) -> list[datetime]:
    starts = []
    year, month = today.year, today.month
    for _ in range(MONTHS):
        starts.append(datetime(year, month, 1, tzinfo=UTC))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(starts))


def _moment(rng: random.Random, start: datetime, now: datetime) -> datetime:
    end = datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)
    end = min(end, now)
    return start + timedelta(seconds=rng.randrange(max(1, int((end - start).total_seconds()))))


def has_demo_demand() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Referral)))


def load_demo_demand(seed: int, referrer_id: int | None, now: datetime | None = None) -> str:
    """Insert a year of demo demand (skipped when referrals exist already, so loading the
    demo twice does not double it); the caller commits. Returns a summary."""
    if has_demo_demand():
        return "demand already loaded"
    from ..reports.summary import rebuild

    rng = random.Random(seed + 6)
    now = now or datetime.now(UTC)
    district_weight = _district_weights()
    districts = sorted(district_weight)
    a = Activity.__table__
    rows = db.session.execute(
        select(a.c.id, a.c.organisation_id, a.c.postcode_district, a.c.categories, a.c.needs,
               a.c.referral_routes, a.c.spare_places, a.c.waitlist_open)
        .where(a.c.status == "published")
        .order_by(a.c.id)
    ).all()  # fmt: skip
    takers = [r for r in rows if not r.referral_routes or "link_worker" in r.referral_routes]
    if not takers:
        return "no activities take referrals"

    def scarce(categories: list[str]) -> bool:
        return any(c in SCARCE for c in categories)

    choices = [
        (r, district_weight.get(r.postcode_district, 0.6) * (3.0 if scarce(r.categories) else 1.0))
        for r in takers
    ]
    months = _month_starts(now.date())
    referrals: list[dict[str, Any]] = []
    events: list[list[dict[str, Any]]] = []
    waitlist_next: dict[int, int] = {}
    for index, start in enumerate(months):
        count = REFERRALS_FIRST_MONTH + GROWTH * index
        if index == MONTHS - 1:  # the current month, in proportion to the days gone
            count = max(1, count * now.day // 30)
        for _ in range(count):
            act = _pick(rng, choices)
            created = _moment(rng, start, now)
            referral, history = _one_referral(rng, act, created, now, referrer_id, districts)
            if referral["status"] == "waitlisted":
                waitlist_next[act.id] = waitlist_next.get(act.id, 0) + 1
                referral["waitlist_position"] = waitlist_next[act.id]
            referral["client_reference"] = f"DEMO-{len(referrals) + 1:05d}"
            referrals.append(referral)
            events.append(history)
    db.session.execute(insert(Referral), referrals)
    ids = db.session.scalars(select(Referral.id).order_by(Referral.id)).all()
    flat = [
        {**event, "referral_id": rid}
        for rid, history in zip(ids, events, strict=True)
        for event in history
    ]
    db.session.execute(insert(ReferralEvent), flat)

    unmet: list[dict[str, Any]] = []
    searches: list[dict[str, Any]] = []
    area_choices = [(d, w) for d, w in district_weight.items()]
    # Unmet needs gather where places run out; a few are for things that do not exist.
    category_choices = [(c, 8.0 if c in SCARCE else 1.0) for c in vocab.CATEGORIES]
    for index, start in enumerate(months):
        share = 1.0 if index < MONTHS - 1 else min(1.0, now.day / 30)  # the month so far
        for _ in range(round((UNMET_FIRST_MONTH + 3 * index) * share)):
            category = _pick(rng, category_choices)
            reasons = {_pick(rng, UNMET_REASONS)}
            if category in SCARCE and rng.random() < 0.6:
                reasons.add("full")
            if rng.random() < 0.25:
                reasons.add(_pick(rng, UNMET_REASONS))
            unmet.append(
                {
                    "recorded_at": _moment(rng, start, now),
                    "recorded_by_id": referrer_id,
                    "needs": rng.sample(list(vocab.NEEDS), rng.choice((1, 1, 2))),
                    "categories": [category],
                    "reasons": sorted(reasons),
                    "postcode_district": _pick(rng, area_choices),
                    "note": rng.choice(NOTES),
                    "source": rng.choice(("search", "match", "match")),
                }
            )
        for _ in range(round((SEARCHES_FIRST_MONTH + 4 * index) * share)):
            if rng.random() < 0.7:
                kind = "search"
                filters: dict[str, Any] = {"category": [_pick(rng, category_choices)]}
            else:
                kind = "match"
                filters = {"need": [rng.choice(list(vocab.NEEDS))], "modes": ["in_person"],
                           "max_distance_km": 5.0}  # fmt: skip
            searches.append(
                {
                    "at": _moment(rng, start, now),
                    "kind": kind,
                    "query_text": "",
                    "filters": filters,
                    "postcode_district": _pick(rng, area_choices),
                    "results": 0,
                    "outcome": rng.choice(("nothing", "none_available")),
                }
            )
    db.session.execute(insert(UnmetNeed), unmet)
    db.session.execute(insert(UnmetSearch), searches)
    rebuild()  # bulk inserts bypass the summary's flush hooks
    return (
        f"{len(referrals)} referrals, {len(unmet)} unmet needs and {len(searches)} "
        "searches that found nothing over the last 12 months"
    )


def _one_referral(
    rng: random.Random,
    act: Any,
    created: datetime,
    now: datetime,
    referrer_id: int | None,
    districts: list[str],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One referral and its status history, as far as it has got by `now`."""
    roll = rng.random()
    person = act.postcode_district if roll < 0.6 else rng.choice(districts) if roll < 0.85 else None
    pressed = act.spare_places == 0 or any(c in SCARCE for c in act.categories)
    history = [{"from_status": None, "to_status": "sent", "reason": None,
                "actor_id": referrer_id, "at": created}]  # fmt: skip
    status, reason = "sent", None
    responded = closed = None

    def step(to_status: str, days: float, why: str | None = None) -> bool:
        nonlocal status, reason, responded, closed
        at = history[-1]["at"] + timedelta(days=days, hours=rng.randint(1, 8))
        if at >= now:
            return False
        history.append({"from_status": status, "to_status": to_status, "reason": why,
                        "actor_id": None if to_status != "withdrawn" else referrer_id,
                        "at": at})  # fmt: skip
        if responded is None and to_status != "withdrawn":
            responded = at
        status, reason = to_status, why if to_status == "declined" else reason
        if to_status in ("declined", "did_not_attend", "completed", "dropped_out", "withdrawn"):
            closed = at
        return True

    first = rng.random()
    full_share, wait_share = (0.22, 0.25) if pressed else (0.04, 0.06)
    if first < full_share:
        step("declined", rng.uniform(0.5, 3), "full")
    elif first < full_share + wait_share:
        if step("waitlisted", rng.uniform(0.5, 3)) and rng.random() < 0.35:
            step("accepted", rng.uniform(10, 60))
    elif first < full_share + wait_share + 0.04:
        step("declined", rng.uniform(0.5, 3), rng.choice(("unsuitable", "out_of_area", "other")))
    elif first < full_share + wait_share + 0.07:
        step("withdrawn", rng.uniform(1, 10))
    else:
        step("accepted", rng.uniform(0.5, 3))
    if status == "accepted":
        later = rng.random()
        if later < 0.12:
            step("did_not_attend", rng.uniform(5, 14))
        elif step("attended", rng.uniform(5, 14)):
            if later < 0.25:
                step("dropped_out", rng.uniform(14, 40))
            else:
                step("completed", rng.uniform(40, 90))
    needs = [n for n in (act.needs or []) if n in vocab.NEEDS][:2] or ["loneliness"]
    referral = {
        "activity_id": act.id,
        "organisation_id": act.organisation_id,
        "referrer_id": referrer_id,
        "summary": "",
        "needs": needs,
        "person_district": person,
        "status": status,
        "decline_reason": reason,
        "waitlist_position": None,
        "created_at": created,
        "updated_at": history[-1]["at"],
        "responded_at": responded,
        "respond_by": created + timedelta(days=5),
        "closed_at": closed,
    }
    return referral, history
